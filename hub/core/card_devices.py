"""The household's devices as an alarm card shows them: each device's last report, overtaken
by what the household's alarms said about it since.

A device report comes at most every 10 s and travels behind alarms in the gateway's outbox,
so right after a gas leak the last report may still say the valve is open while the alarm's
own log already has the valve's confirmed closure, or the gas detector reported "off" before
the leak while the gas alarm is open. One card must not say both. The alarm's facts win
while they are newer than the report; the household's clock orders them (a report's
`last_seen` and an event's `occurred_at` are both the household's times).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from .desk_model import AlarmRow
from .registry import DeviceState
from .storage import HubStore

# An open, uncleared alarm of the kind means its detector is alarming.
DETECTORS_OF = {
    "gas": frozenset({"gas", "co"}),
    "fire": frozenset({"smoke"}),
    "water_leak": frozenset({"water_leak", "water"}),
}
# A confirmed closure (the alarm.event `valve_closed`) is the valve's state.
VALVES_OF = {
    "gas": frozenset({"gas_valve", "valve"}),
    "water_leak": frozenset({"water_valve"}),
}


def speaks_for_devices(alarm: AlarmRow) -> bool:
    """Whether the alarm's kind can say anything about a device's state."""
    return speaks_for_devices_of_kind(alarm.kind)


def speaks_for_devices_of_kind(kind: str) -> bool:
    return kind in DETECTORS_OF or kind in VALVES_OF


def household_devices(store: HubStore, household_id: str) -> list[dict[str, Any]]:
    """The household's devices as its open alarms leave them (the family page's table), on
    the database thread."""
    speaking = [
        (alarm, store.alarm_events(alarm.id))
        for alarm in store.open_household_alarms(household_id)
        if speaks_for_devices(alarm)
    ]
    return card_devices(store.registry.devices(household_id), speaking)


def card_devices(
    devices: Sequence[DeviceState], alarms: Sequence[tuple[AlarmRow, list[dict[str, Any]]]]
) -> list[dict[str, Any]]:
    """Devices as dicts with `state_from` ("report" or "alarm") and, when an alarm said it,
    `state_at` (the hub's time it said so). `alarms`: the household's alarms that may speak
    for a device (open ones, and the card's own), each with its log oldest first."""
    shown = {d.id: {**asdict(d), "state_from": "report", "state_at": None} for d in devices}
    for alarm, events in sorted(alarms, key=lambda pair: pair[0].received_at):
        _detector_follows(alarm, devices, shown)
        _valves_follow(alarm, events, devices, shown)
    return [shown[d.id] for d in devices]


def _detector_follows(
    alarm: AlarmRow, devices: Sequence[DeviceState], shown: dict[str, dict[str, Any]]
) -> None:
    kinds = DETECTORS_OF.get(alarm.kind)
    if kinds is None or not alarm.open:
        return
    detector = _identify(alarm.source, alarm.source_name, [d for d in devices if d.kind in kinds])
    if detector is None:
        return
    row = shown[detector.id]
    if alarm.cleared_at is None:
        if row["state"] in (None, "off"):
            _said(row, "on", alarm.last_seen or alarm.received_at)
    elif row["state"] == "on" and _before(detector.last_seen, alarm.cleared_at):
        _said(row, "off", alarm.cleared_at)


def _valves_follow(
    alarm: AlarmRow,
    events: list[dict[str, Any]],
    devices: Sequence[DeviceState],
    shown: dict[str, dict[str, Any]],
) -> None:
    kinds = VALVES_OF.get(alarm.kind)
    if kinds is None:
        return
    valves = [d for d in devices if d.kind in kinds]
    closures = [e for e in events if e["action"] == "valve_closed"]
    if not valves or not closures:
        return
    refs = {str(e["detail"]) for e in closures}
    # The household closes every valve of the hazard's kind: as many confirmations as valves
    # are all of them, even when the report names them differently than the log.
    every = len(refs) >= len(valves)
    for valve in valves:
        own = [e for e in closures if e["detail"] == valve.id]
        if not own and (every or len(valves) == 1):
            own = closures
        if not own:
            continue
        latest = own[-1]
        when = latest.get("occurred_at") or latest["at"]
        if shown[valve.id]["state"] != "closed" and _before(valve.last_seen, when):
            _said(shown[valve.id], "closed", latest["at"])


def _identify(source: str, name: str, candidates: list[DeviceState]) -> DeviceState | None:
    """The device an alarm's source names: by id, by the household's name, or the only one."""
    for device in candidates:
        if device.id == source or (device.name and device.name in (name, source)):
            return device
    return candidates[0] if len(candidates) == 1 else None


def _before(report_seen: str | None, fact_at: str) -> bool:
    """Whether the report was made before the alarm's fact (a report of unknown time is)."""
    if not report_seen:
        return True
    return datetime.fromisoformat(report_seen) < datetime.fromisoformat(fact_at)


def _said(row: dict[str, Any], state: str, at: str) -> None:
    row.update(state=state, state_from="alarm", state_at=at)
