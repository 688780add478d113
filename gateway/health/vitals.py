"""A reading as the care center records it: LOINC codes in each code's own UCUM unit.

The hub's records are FHIR and its thresholds are per LOINC code, so each value leaves the
home in the unit its code is defined in (docs/wire-contract.md), converted here once:
a kPa cuff, a degF thermometer and a pound scale read the same at the care center as any
other. Glucose keeps the meter's unit, because LOINC has a code for each (41653-7 mg/dL,
14743-9 mmol/L) and converting would invent precision the meter does not have.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..safety.roles import VitalSign
from .readings import HealthReading, Observed, Quantity

KPA_TO_MMHG = 7.500617  # 1 kPa in mm[Hg]
LB_TO_KG = 0.45359237  # the international avoirdupois pound


@dataclass(frozen=True, slots=True)
class VitalObservation:
    code: str  # LOINC
    value: float
    unit: str  # UCUM, the code's own unit
    sign: VitalSign | None  # what the safety engine judges it as, if anything


@dataclass(frozen=True, slots=True)
class _Code:
    code: str
    unit: str
    sign: VitalSign | None


_CODES: dict[Quantity, _Code] = {
    Quantity.SYSTOLIC: _Code("8480-6", "mm[Hg]", VitalSign.SYSTOLIC),
    Quantity.DIASTOLIC: _Code("8462-4", "mm[Hg]", VitalSign.DIASTOLIC),
    Quantity.MEAN_ARTERIAL: _Code("8478-0", "mm[Hg]", None),
    Quantity.PULSE: _Code("8867-4", "/min", VitalSign.HEART_RATE),
    Quantity.HEART_RATE: _Code("8867-4", "/min", VitalSign.HEART_RATE),
    Quantity.SPO2: _Code("59408-5", "%", VitalSign.SPO2),
    Quantity.TEMPERATURE: _Code("8310-5", "Cel", VitalSign.TEMPERATURE),
    Quantity.WEIGHT: _Code("29463-7", "kg", None),
    Quantity.BMI: _Code("39156-5", "kg/m2", None),
}
_GLUCOSE_CODES = {
    "mg/dL": _Code("41653-7", "mg/dL", VitalSign.GLUCOSE),
    "mmol/L": _Code("14743-9", "mmol/L", VitalSign.GLUCOSE),
}


def vital_observations(reading: HealthReading) -> list[VitalObservation]:
    return [_observation(value) for value in reading.values]


def _observation(observed: Observed) -> VitalObservation:
    if observed.quantity is Quantity.GLUCOSE:
        code = _GLUCOSE_CODES[observed.unit]
        return VitalObservation(code.code, observed.value, code.unit, code.sign)
    code = _CODES[observed.quantity]
    return VitalObservation(code.code, _converted(observed, code.unit), code.unit, code.sign)


def _converted(observed: Observed, unit: str) -> float:
    """The value in `unit`, rounded one decimal finer than the device's own resolution
    so that converting never moves a reading across a threshold the device could not."""
    value, given = observed.value, observed.unit
    if given == unit:
        return value
    match (given, unit):
        case ("kPa", "mm[Hg]"):
            return round(value * KPA_TO_MMHG, 1)
        case ("[degF]", "Cel"):
            return round((value - 32) * 5 / 9, 2)
        case ("[lb_av]", "kg"):
            return round(value * LB_TO_KG, 3)
    raise ValueError(f"no conversion from {given} to {unit}")
