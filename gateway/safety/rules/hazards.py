"""Gas, CO, smoke and water: raise the alarm, close the valves, verify, sound the sirens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ...alarms import AlarmAction, AlarmKind
from ..desk import AlarmDesk
from ..effects import CloseValve, RefreshValve, SirensOn
from ..observations import (
    DetectorChanged,
    Observation,
    ValveChanged,
    ValveCommandDone,
    ValveRead,
)
from ..roles import Role
from ..settings import SafetySettings
from .detectors import OnsetTracker


@dataclass(frozen=True, slots=True)
class Hazard:
    kind: AlarmKind
    valve_role: Role | None
    sirens: bool


HAZARDS: dict[Role, Hazard] = {
    Role.GAS: Hazard(AlarmKind.GAS, Role.GAS_VALVE, sirens=True),
    Role.CO: Hazard(AlarmKind.GAS, Role.GAS_VALVE, sirens=True),
    Role.SMOKE: Hazard(AlarmKind.FIRE, None, sirens=True),
    Role.WATER_LEAK: Hazard(AlarmKind.WATER_LEAK, Role.WATER_VALVE, sirens=False),
}


@dataclass(slots=True)
class _Closing:
    """One valve being closed for one alarm, until the valve itself says it is closed."""

    alarm_id: str
    attempt: int
    deadline: datetime
    next_read: datetime | None = None
    command_done: bool = False
    resend: bool = False  # the last command did not get out: send it again at next_read


class HazardRule:
    def __init__(
        self,
        desk: AlarmDesk,
        valves: dict[str, Role],
        readings: dict[str, bool] | None = None,
        valve_names: dict[str, str] | None = None,
    ) -> None:
        self._desk = desk
        self._valves = valves  # entity_id -> GAS_VALVE / WATER_VALVE, kept current by the host
        # entity_id -> what the household calls the valve, kept current by the host
        self._valve_names = valve_names if valve_names is not None else {}
        self.onsets = OnsetTracker(readings)
        self._closing: dict[str, _Closing] = {}
        self._confirmed: set[str] = set()  # valves confirmed closed since the last hazard
        self._detector_roles: dict[str, Role] = {}

    @property
    def _settings(self) -> SafetySettings:
        return self._desk.settings

    def handle(self, observation: Observation, now: datetime) -> None:
        match observation:
            case DetectorChanged(entity_id, role, active, name, source_name) if role in HAZARDS:
                self._detector_roles[entity_id] = role
                change = self.onsets.update(entity_id, active)
                if change == "onset":
                    self._hazard(HAZARDS[role], name or entity_id, now, source_name or name)
                elif change == "restore":
                    self._restored(HAZARDS[role], name or entity_id, now)
            case ValveCommandDone(entity_id, ok) if entity_id in self._closing:
                closing = self._closing[entity_id]
                # A sent command is read back; one that did not get out (radio busy, the
                # switch platform not loaded yet at start-up) goes again soon, same attempt.
                closing.command_done = ok
                closing.resend = not ok
                closing.next_read = now + self._read_interval()
            case ValveChanged(entity_id, closed) if entity_id in self._closing:
                # Hosts may show "closed" optimistically while the command is in flight;
                # only a change after the command finished is the valve's own report.
                if closed and self._closing[entity_id].command_done:
                    self._confirm(entity_id, now)
            case ValveRead(entity_id, closed) if entity_id in self._closing:
                if closed:
                    self._confirm(entity_id, now)
            case ValveChanged(entity_id, closed) if closed is False:
                self._confirmed.discard(entity_id)
                self._close_while_hazard_lasts(entity_id, now)
            case _:
                pass

    def _hazard(self, hazard: Hazard, source: str, now: datetime, source_name: str) -> None:
        alarm = self._desk.raise_alarm(hazard.kind, source, now, source_name)
        if hazard.valve_role is not None:
            for entity_id, role in self._valves.items():
                if role is hazard.valve_role and entity_id not in self._closing:
                    self._close(entity_id, alarm.id, 1, now)
        if hazard.sirens:
            self._desk.emit(SirensOn(hazard.kind.value))
            self._desk.record(alarm, AlarmAction.SIRENS_ON, "household", now, to_hub=False)

    def _restored(self, hazard: Hazard, source: str, now: datetime) -> None:
        """The detector went quiet: tell the center; the alarm stays open for a person to check."""
        alarm = self._desk.book.open_of_kind(hazard.kind)
        still_active = {e for e, _ in self._detectors_of(hazard.kind)}
        if alarm is not None and not self.onsets.any_active(still_active):
            self._desk.clear(alarm, f"{source} quiet", now)

    def _close_while_hazard_lasts(self, entity_id: str, now: datetime) -> None:
        """A valve that shows open while its hazard is still detected is closed (again): it
        was opened by hand during the leak, or the household's HA only now knows it (it
        paired, or its platform loaded, after the detector went off). Once the detectors
        are quiet, opening a valve is the household's business."""
        role = self._valves.get(entity_id)
        if role is None:
            return
        for kind in {h.kind for h in HAZARDS.values() if h.valve_role is role}:
            alarm = self._desk.book.open_of_kind(kind)
            detectors = {e for e, _ in self._detectors_of(kind)}
            if alarm is not None and self.onsets.any_active(detectors):
                self._close(entity_id, alarm.id, 1, now)
                return

    def _detectors_of(self, kind: AlarmKind) -> list[tuple[str, Role]]:
        return [(e, r) for e, r in self._detector_roles.items() if HAZARDS[r].kind is kind]

    def _close(self, entity_id: str, alarm_id: str, attempt: int, now: datetime) -> None:
        self._confirmed.discard(entity_id)
        self._closing[entity_id] = _Closing(alarm_id, attempt, now + self._settings.valve_window)
        self._desk.emit(CloseValve(entity_id, attempt))

    def _confirm(self, entity_id: str, now: datetime) -> None:
        closing = self._closing.pop(entity_id)
        self._confirmed.add(entity_id)
        alarm = self._desk.book.get(closing.alarm_id)
        self._desk.record(alarm, AlarmAction.VALVE_CLOSED, "household", now, entity_id)

    def _read_interval(self) -> timedelta:
        return min(timedelta(seconds=3), self._settings.valve_window / 4)

    def tick(self, now: datetime) -> None:
        for entity_id, closing in list(self._closing.items()):
            if closing.deadline <= now:
                self._window_over(entity_id, closing, now)
            elif closing.next_read is not None and closing.next_read <= now:
                if closing.resend:
                    closing.resend, closing.next_read = False, None
                    self._desk.emit(CloseValve(entity_id, closing.attempt))
                else:
                    closing.next_read = now + self._read_interval()
                    self._desk.emit(RefreshValve(entity_id))

    def _window_over(self, entity_id: str, closing: _Closing, now: datetime) -> None:
        alarm = self._desk.book.get(closing.alarm_id)
        if closing.attempt < self._settings.valve_attempts:
            self._desk.record(alarm, AlarmAction.VALVE_RETRY, "household", now, entity_id)
            self._close(entity_id, closing.alarm_id, closing.attempt + 1, now)
            return
        del self._closing[entity_id]
        failed = self._desk.raise_alarm(
            AlarmKind.VALVE_FAILED, entity_id, now, self._valve_names.get(entity_id, "")
        )
        self._desk.emit(SirensOn(AlarmKind.VALVE_FAILED.value))
        self._desk.record(failed, AlarmAction.SIRENS_ON, "household", now, to_hub=False)

    def next_deadline(self) -> datetime | None:
        moments = [c.deadline for c in self._closing.values()]
        moments += [c.next_read for c in self._closing.values() if c.next_read is not None]
        return min(moments, default=None)

    def closing_state(self) -> dict[str, dict[str, object]]:
        """Valves still awaiting confirmation, to resume after a restart."""
        return {e: {"alarm_id": c.alarm_id, "attempt": c.attempt} for e, c in self._closing.items()}

    def resume_closing(self, saved: dict[str, dict[str, object]], now: datetime) -> None:
        """After a restart nobody knows whether the command got through: send it again and
        verify from scratch, keeping the attempt count so a jammed valve still fails."""
        for entity_id, item in saved.items():
            alarm_id, attempt = str(item["alarm_id"]), int(str(item["attempt"]))
            if self._desk.book.knows(alarm_id) and self._desk.book.get(alarm_id).open:
                self._close(entity_id, alarm_id, attempt, now)

    def closing_valves(self) -> list[str]:
        return sorted(self._closing)

    def confirmed_valves(self) -> list[str]:
        return sorted(self._confirmed)
