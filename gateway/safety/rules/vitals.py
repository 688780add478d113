"""Vital signs outside the resident's own thresholds."""

from __future__ import annotations

from datetime import datetime

from ...alarms import AlarmKind
from ..desk import AlarmDesk
from ..observations import Observation, VitalReading


class VitalsRule:
    def __init__(self, desk: AlarmDesk) -> None:
        self._desk = desk

    def handle(self, observation: Observation, now: datetime) -> None:
        match observation:
            case VitalReading(_, sign, value, unit):
                verdict = self._desk.settings.vital_ranges.get(sign)
                outside = verdict.verdict(value) if verdict is not None else None
                if outside is not None:
                    reading = f"{sign.value} {value:g}{' ' + unit if unit else ''} {outside}"
                    self._desk.raise_alarm(AlarmKind.VITALS, reading, now)
            case _:
                pass

    def tick(self, now: datetime) -> None:
        return None

    def next_deadline(self) -> datetime | None:
        return None
