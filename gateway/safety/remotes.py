"""Presses from remotes that have no entity of their own.

A Zigbee wall button or pendant sends a cluster command (toggle, on, a scene recall) and the host
relays it as an event. This module decides which of those commands mean "pressed", and counts one
physical press once: remotes often send several commands per press, and with the accidental-press
cancel window on, a second counted press would cancel the alarm the resident just raised.
"""

from __future__ import annotations

from datetime import datetime, timedelta

# IAS Zone and IAS ACE reach the engine through their own entities (binary sensor, alarm panel);
# Poll Control check-ins are the device keeping in touch, not a person.
ENTITY_CLUSTERS = frozenset({0x0500, 0x0501, 0x0020})
_NOT_PRESSES = frozenset(
    {"attribute_updated", "checkin", "device_offline", "release", "stop", "stop_with_on_off"}
)
_NOT_PRESS_SUFFIXES = ("_release", "_stop")
# Commands of one press arrive within this gap; a hold keeps extending it.
PRESS_GAP = timedelta(seconds=2)


def is_press(command: object, cluster_id: object) -> bool:
    """True for a command a person's press sends; False for reports, releases and check-ins."""
    if not isinstance(command, str) or not command:
        return False
    if isinstance(cluster_id, int) and cluster_id in ENTITY_CLUSTERS:
        return False
    name = command.casefold()
    return name not in _NOT_PRESSES and not name.endswith(_NOT_PRESS_SUFFIXES)


class PressDebouncer:
    """One press per burst of commands from the same remote."""

    def __init__(self, gap: timedelta = PRESS_GAP) -> None:
        self._gap = gap
        self._last: dict[str, datetime] = {}

    def new_press(self, remote: str, now: datetime) -> bool:
        last = self._last.get(remote)
        self._last[remote] = now
        return last is None or now - last >= self._gap
