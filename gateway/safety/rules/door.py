"""Doors: opened during quiet hours, or left open too long."""

from __future__ import annotations

from datetime import datetime

from ...alarms import AlarmKind
from ..desk import AlarmDesk
from ..observations import DetectorChanged, Observation
from ..roles import Role
from .detectors import OnsetTracker


class DoorRule:
    def __init__(self, desk: AlarmDesk, readings: dict[str, bool] | None = None) -> None:
        self._desk = desk
        self.onsets = OnsetTracker(readings)
        # entity -> (opened at, name, what the household calls the door's sensor)
        self._open_since: dict[str, tuple[datetime, str, str]] = {}
        self._reported_open: set[str] = set()

    def handle(self, observation: Observation, now: datetime) -> None:
        match observation:
            case DetectorChanged(entity_id, Role.DOOR, active, name, source_name):
                change = self.onsets.update(entity_id, active)
                if change == "onset":
                    self._opened(entity_id, name or entity_id, source_name or name, now)
                elif change == "restore":
                    self._closed(entity_id, name or entity_id, now)
            case _:
                pass

    def _opened(self, entity_id: str, name: str, source_name: str, now: datetime) -> None:
        self._open_since[entity_id] = (now, name, source_name)
        quiet = self._desk.settings.quiet_hours
        if quiet is not None and quiet.contains(self._desk.settings.local(now).time()):
            self._desk.raise_alarm(
                AlarmKind.DOOR, f"{name}: opened during quiet hours", now, source_name
            )

    def _closed(self, entity_id: str, name: str, now: datetime) -> None:
        self._open_since.pop(entity_id, None)
        self._reported_open.discard(entity_id)
        alarm = self._desk.book.open_of_kind(AlarmKind.DOOR)
        if alarm is not None and not self._open_since:
            self._desk.clear(alarm, f"{name} closed", now)

    def tick(self, now: datetime) -> None:
        limit = self._desk.settings.door_open_limit
        for entity_id, (since, name, source_name) in self._open_since.items():
            if entity_id not in self._reported_open and since + limit <= now:
                self._reported_open.add(entity_id)
                minutes = int(limit.total_seconds() // 60)
                self._desk.raise_alarm(
                    AlarmKind.DOOR, f"{name}: open for more than {minutes} min", now, source_name
                )

    def next_deadline(self) -> datetime | None:
        limit = self._desk.settings.door_open_limit
        return min(
            (
                since + limit
                for entity_id, (since, _, _) in self._open_since.items()
                if entity_id not in self._reported_open
            ),
            default=None,
        )
