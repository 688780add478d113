"""What an alarm receiving centre hears of the household: alarm changes become DC-09 events.

The safety engine says what happened as effects; this turns the ones an ARC cares about into
queued events: a new alarm, its restore (the condition is gone), a resident's cancel, and the
tests. Repeats of an open alarm are not sent again: the ARC already has the alarm, as the care
center does (a repeat only bumps the count there).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..alarms import AlarmAction, AlarmKind, AlarmMoment
from ..dc09.codes import CANCEL, MANUAL_TEST, PERIODIC_TEST, REPORT_CODES, ReportCode
from ..protocol import MessageType
from ..safety.book import Alarm
from ..safety.effects import AlarmChanged, Effect, SendToHub
from .events import ArcEvent

MAX_ZONE = 999  # Contact ID zones are three digits
HOUSEHOLD_ZONE = 0  # tests and anything not tied to one device


class ZoneMap:
    """A stable zone number per alarm source (a device or entity), as a panel has per sensor.

    Numbers are handed out in the order sources are first heard and never change, so the ARC's
    zone list stays right; the map is kept by the caller (`to_dict` / `from_dict`).
    """

    def __init__(self, zones: dict[str, int] | None = None) -> None:
        self._zones = dict(zones or {})

    def zone_of(self, source: str) -> int:
        zone = self._zones.get(source)
        if zone is None:
            # Past 999 sources the last zone is shared: the event still reaches the ARC.
            zone = min(max(self._zones.values(), default=HOUSEHOLD_ZONE) + 1, MAX_ZONE)
            self._zones[source] = zone
        return zone

    def to_dict(self) -> dict[str, int]:
        return dict(self._zones)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ZoneMap:
        return cls({str(source): int(zone) for source, zone in data.items()})


class ArcReporter:
    """Feeds the ARC queue from the household's effects."""

    def __init__(
        self,
        queue: Callable[[ArcEvent], str],
        zones: ZoneMap,
        alarm_of: Callable[[str], Alarm | None],
    ) -> None:
        self._queue = queue
        self.zones = zones
        self._alarm_of = alarm_of

    def report(self, effect: Effect) -> str | None:
        """Queue what `effect` means to an ARC; the queued message id, or None."""
        match effect:
            case AlarmChanged(alarm, AlarmMoment.RAISED, _):
                code = MANUAL_TEST if alarm.kind is AlarmKind.TEST else REPORT_CODES[alarm.kind]
                return self._put(alarm, code, restore=False, at=alarm.raised_at)
            case AlarmChanged(alarm, AlarmAction.CANCELLED, _):
                return self._put(alarm, CANCEL, restore=False, at=alarm.last_seen)
            case SendToHub(MessageType.ALARM_CLEARED, body, alarm_id):
                gone = self._alarm_of(alarm_id)
                if gone is None or gone.kind is AlarmKind.TEST:
                    return None
                cleared = datetime.fromisoformat(body["occurred_at"])
                return self._put(gone, REPORT_CODES[gone.kind], restore=True, at=cleared)
        return None

    def periodic_test(self, now: datetime) -> str:
        """The timed test report that tells the ARC this home can still reach it."""
        event = ArcEvent(PERIODIC_TEST, False, HOUSEHOLD_ZONE, now, AlarmKind.TEST.value, None)
        return self._queue(event)

    def _put(self, alarm: Alarm, code: ReportCode, *, restore: bool, at: datetime) -> str:
        zone = self.zones.zone_of(alarm.source)
        return self._queue(ArcEvent(code, restore, zone, at, alarm.kind.value, alarm.id))
