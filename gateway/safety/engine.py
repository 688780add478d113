"""The safety engine: observations in, effects out, timers as deadlines.

It never waits and never does I/O, so a detector's state change becomes a valve command in
the same call, and tests can run days of household life in milliseconds. The host calls
`handle` for each observation and `tick` at `next_deadline()`.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from ..alarms import AlarmAction, AlarmKind, AlarmMoment
from .book import AlarmBook, CareResponse, UnknownAlarm
from .desk import AlarmDesk
from .effects import AlarmChanged, Announce, Effect, SirensOff
from .observations import (
    Activity,
    AlarmUpdate,
    CancelPressed,
    DetectorChanged,
    FamilyAnswered,
    HubReceived,
    Observation,
    Pressed,
    StaffDetails,
    VitalReading,
)
from .roles import Role
from .rules import Rule
from .rules.door import DoorRule
from .rules.emergency import EmergencyRule
from .rules.hazards import HazardRule
from .rules.inactivity import InactivityRule
from .rules.supervision import SupervisionRule
from .rules.vitals import VitalsRule
from .settings import SafetySettings

SIREN_KINDS = frozenset({AlarmKind.GAS, AlarmKind.FIRE, AlarmKind.VALVE_FAILED})
_ACTIVITY_ROLES = frozenset({Role.MOTION, Role.DOOR})


class NothingToCancel(Exception):
    """Cancel was pressed with no cancellable alarm and no pre-warning."""


class SafetyEngine:
    def __init__(
        self, settings: SafetySettings, now: datetime, saved: dict[str, Any] | None = None
    ) -> None:
        saved = saved or {}
        self.book = AlarmBook.from_dict(saved.get("book", {}))
        self.desk = AlarmDesk(self.book, settings)
        self._valves: dict[str, Role] = {}
        self._valve_names: dict[str, str] = {}
        readings: dict[str, bool] = dict(saved.get("readings", {}))
        self.hazards = HazardRule(self.desk, self._valves, readings, self._valve_names)
        self.hazards.resume_closing(dict(saved.get("closing", {})), now)
        self.emergency = EmergencyRule(self.desk, readings)
        self.door = DoorRule(self.desk, readings)
        last_activity = saved.get("last_activity")
        self.inactivity = InactivityRule(
            self.desk, datetime.fromisoformat(last_activity) if last_activity else now
        )
        self.supervision = SupervisionRule(
            self.desk, dict(saved.get("offline", {})), dict(saved.get("battery_low", {}))
        )
        self._rules: list[Rule] = [
            self.hazards,
            self.emergency,
            self.door,
            self.inactivity,
            VitalsRule(self.desk),
            self.supervision,
        ]

    @property
    def settings(self) -> SafetySettings:
        return self.desk.settings

    def update_settings(self, settings: SafetySettings) -> None:
        self.desk.settings = settings

    def set_valves(self, valves: dict[str, Role], names: dict[str, str] | None = None) -> None:
        """The household's valves by entity, and what the household calls each one."""
        self._valves.clear()
        self._valves.update(valves)
        self._valve_names.clear()
        self._valve_names.update(names or {})

    def supervise(self, devices: dict[str, str], now: datetime) -> None:
        self.supervision.supervise(devices, now)

    def handle(self, observation: Observation, now: datetime) -> list[Effect]:
        match observation:
            case HubReceived(alarm_id) if self._known(alarm_id):
                before = self.book.get(alarm_id).state
                alarm = self.book.mark_reported(alarm_id)
                if alarm.state is not before:  # a late or repeated receipt changes nothing
                    self.desk.emit(AlarmChanged(alarm, AlarmMoment.REPORTED))
            case FamilyAnswered(alarm_id, member) if self._known(alarm_id):
                self.desk.family_answered(self.book.get(alarm_id), member, now)
            case AlarmUpdate() if self._known(observation.alarm_id):
                self._update(observation, now)
            case CancelPressed(source):
                # A cancel device pressed with nothing to cancel is just activity.
                with contextlib.suppress(NothingToCancel):
                    self._cancel(source, now)
            case _:
                pass
        if self._is_activity(observation):
            self.inactivity.activity(_source_of(observation), now)
        for rule in self._rules:
            rule.handle(observation, now)
        return self.tick(now)

    def tick(self, now: datetime) -> list[Effect]:
        for rule in self._rules:
            rule.tick(now)
        self.desk.escalate_family(now)
        return self.desk.take_effects()

    def next_deadline(self) -> datetime | None:
        moments = [rule.next_deadline() for rule in self._rules]
        moments.append(self.desk.next_family_deadline())
        return min((m for m in moments if m is not None), default=None)

    def cancel(self, source: str, now: datetime) -> list[Effect]:
        """The resident's cancel: an SOS within its window, else the inactivity pre-warning."""
        self._cancel(source, now)
        return self.tick(now)

    def _cancel(self, source: str, now: datetime) -> None:
        alarm = self.emergency.cancellable(now)
        if alarm is not None:
            self.emergency.cancel(alarm, f"cancel: {source}", now)
        elif not self.inactivity.cancel_prewarning(now):
            raise NothingToCancel

    def _update(self, update: AlarmUpdate, now: datetime) -> None:
        alarm = self.book.get(update.alarm_id)
        if not alarm.open:
            return
        if update.action is AlarmAction.FAMILY_ACK:
            if alarm.family.acked_by is not None:
                return  # someone is already on the way
            alarm.family.acked_by = update.detail or update.actor
        if update.staff is not None:
            # Before the record: the step's effects (entities, the family's phones) tell who
            # is coming.
            alarm.response = _responded(alarm.response, update.action, update.staff, now)
        self.desk.record(
            alarm, update.action, update.actor, now, update.detail, to_hub=not update.from_hub
        )
        if update.from_hub and update.action is AlarmAction.DISPATCHED:
            self.desk.emit(Announce("help_on_the_way", alarm.id))
        if alarm.kind in SIREN_KINDS and not self._siren_alarm_open():
            self.desk.emit(SirensOff(f"{alarm.kind.value} resolved"))

    def _siren_alarm_open(self) -> bool:
        return any(a.kind in SIREN_KINDS for a in self.book.open_alarms())

    def _known(self, alarm_id: str) -> bool:
        try:
            self.book.get(alarm_id)
        except UnknownAlarm:
            return False
        return True

    @staticmethod
    def _is_activity(observation: Observation) -> bool:
        match observation:
            case DetectorChanged(_, Role.DOOR, active, _):
                return active is not None  # opening or closing a door is someone at it
            case DetectorChanged(_, role, True, _):
                return role in _ACTIVITY_ROLES
            case Activity() | Pressed() | VitalReading() | CancelPressed():
                return True
        return False

    def snapshot(self) -> dict[str, Any]:
        """Everything that must survive a restart, as JSON-ready data."""
        return {
            "book": self.book.to_dict(),
            "last_activity": self.inactivity.last_activity.isoformat(),
            # Each rule tracks its own detectors; together they are every last real reading.
            "readings": {
                **self.hazards.onsets.readings(),
                **self.emergency.onsets.readings(),
                **self.door.onsets.readings(),
            },
            "closing": self.hazards.closing_state(),
            "offline": dict(self.supervision.offline),
            "battery_low": dict(self.supervision.battery_low),
        }


def _responded(
    before: CareResponse | None, action: AlarmAction, staff: StaffDetails, now: datetime
) -> CareResponse:
    """The care center's response after one more staff step. A new dispatch (another
    responder) replaces the last one; the step's time is the care center's unless that is
    ahead of ours (clocks differ a little), so a step delivered late keeps its ETA."""
    response = before if before is not None else CareResponse()
    at = min(staff.at, now) if staff.at is not None else now
    response.staff = staff.staff or response.staff
    if action is AlarmAction.DISPATCHED:
        response.responder = staff.responder
        response.eta_minutes = staff.eta_minutes
        response.dispatched_at = at
        response.on_site_at = None
    elif action is AlarmAction.ON_SITE:
        response.on_site_at = at
    return response


def _source_of(observation: Observation) -> str:
    match observation:
        case DetectorChanged(entity_id, _, _, name):
            return name or entity_id
        case Activity(source) | Pressed(source):
            return source
        case VitalReading(entity_id):
            return entity_id
    return "activity"
