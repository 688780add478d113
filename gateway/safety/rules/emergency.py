"""SOS and fall: any press raises the alarm; an optional window lets the resident cancel an
accidental press. Also the test alarm, which proves the path to the care center."""

from __future__ import annotations

from datetime import datetime

from ...alarms import AlarmAction, AlarmKind
from ..book import Alarm, UnknownAlarm
from ..desk import AlarmDesk
from ..observations import (
    DetectorChanged,
    HubReceived,
    Observation,
    Pressed,
    TestRequested,
)
from ..roles import Role
from .detectors import OnsetTracker

_PRESS_ROLES = {Role.SOS: AlarmKind.SOS, Role.FALL: AlarmKind.FALL}


class EmergencyRule:
    def __init__(self, desk: AlarmDesk, readings: dict[str, bool] | None = None) -> None:
        self._desk = desk
        self.onsets = OnsetTracker(readings)
        # alarm id -> end of its cancel window; the window is cleared by any other press
        self._cancellable: dict[str, datetime] = {}

    def handle(self, observation: Observation, now: datetime) -> None:
        match observation:
            case DetectorChanged(entity_id, role, active, name, source_name) if (
                role in _PRESS_ROLES
            ):
                if self.onsets.update(entity_id, active) == "onset":
                    self._press(_PRESS_ROLES[role], name or entity_id, now, source_name or name)
            case Pressed(source, kind, source_name):
                self._press(kind, source, now, source_name)
            case TestRequested(source, source_name):
                self._desk.raise_alarm(AlarmKind.TEST, source, now, source_name)
            case HubReceived(alarm_id):
                try:
                    alarm = self._desk.book.get(alarm_id)
                except UnknownAlarm:
                    return  # a late receipt for an alarm the household no longer keeps
                if alarm.kind is AlarmKind.TEST and alarm.open:
                    # The round trip to the care center is what a test alarm proves.
                    self._desk.record(alarm, AlarmAction.RESOLVED, "household", now, "test passed")
            case _:
                pass

    def _press(self, kind: AlarmKind, source: str, now: datetime, source_name: str) -> None:
        window = self._desk.settings.sos_cancel_window
        open_alarm = self._desk.book.open_of_kind(kind)
        if open_alarm is not None and self._in_window(open_alarm.id, now):
            self.cancel(open_alarm, f"second press: {source}", now)
            return
        alarm = self._desk.raise_alarm(kind, source, now, source_name)
        if window and alarm.count == 1:
            self._cancellable[alarm.id] = now + window

    def _in_window(self, alarm_id: str, now: datetime) -> bool:
        end = self._cancellable.get(alarm_id)
        return end is not None and now < end

    def cancellable(self, now: datetime) -> Alarm | None:
        for alarm_id, end in self._cancellable.items():
            alarm = self._desk.book.get(alarm_id)
            if now < end and alarm.open:
                return alarm
        return None

    def cancel(self, alarm: Alarm, how: str, now: datetime) -> None:
        """Cancelled by the resident: recorded and told to everyone, never deleted."""
        self._cancellable.pop(alarm.id, None)
        self._desk.record(alarm, AlarmAction.CANCELLED, "resident", now, how)

    def tick(self, now: datetime) -> None:
        for alarm_id, end in list(self._cancellable.items()):
            if end <= now:
                del self._cancellable[alarm_id]

    def next_deadline(self) -> datetime | None:
        return min(self._cancellable.values(), default=None)
