"""Vital signs outside the resident's own thresholds."""

from __future__ import annotations

import logging
from datetime import datetime

from ...alarms import AlarmKind
from ...vital_signs import VitalSign
from ..desk import AlarmDesk
from ..observations import Observation, VitalReading
from ..vital_units import UnknownUnitError, to_engine_unit

_LOGGER = logging.getLogger(__name__)


class VitalsRule:
    def __init__(self, desk: AlarmDesk) -> None:
        self._desk = desk
        self._unknown_units: set[tuple[VitalSign, str]] = set()

    def handle(self, observation: Observation, now: datetime) -> None:
        match observation:
            case VitalReading(_, sign, value, unit, resident, source_name):
                verdict = self._desk.settings.vital_range(sign, resident)
                if verdict is None:
                    return
                try:
                    # The ranges are in the engine's units; a mg/dL glucose, a degF
                    # temperature or a kPa pressure is converted before it is judged.
                    judged = to_engine_unit(sign, value, unit)
                except UnknownUnitError:
                    # A number we cannot interpret is not judged: an alarm on a guessed unit
                    # would be noise (or worse, silence taken for health). Said once per
                    # sign and unit, without the value (health data).
                    self._unknown_unit(sign, unit)
                    return
                outside = verdict.verdict(judged)
                if outside is not None:
                    # The reading as measured, in its own unit: what the resident's device
                    # showed. Nothing about whose reading it is.
                    reading = f"{sign.value} {value:g}{' ' + unit if unit else ''} {outside}"
                    self._desk.raise_alarm(AlarmKind.VITALS, reading, now, source_name)
            case _:
                pass

    def _unknown_unit(self, sign: VitalSign, unit: str) -> None:
        key = (sign, unit)
        if key not in self._unknown_units:
            self._unknown_units.add(key)
            _LOGGER.warning(
                "Not judging %s readings in unit %r: not a unit this vital sign is measured in",
                sign.value,
                unit[:20],
            )

    def tick(self, now: datetime) -> None:
        return None

    def next_deadline(self) -> datetime | None:
        return None
