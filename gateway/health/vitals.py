"""A reading as the care center records it: LOINC codes in each code's own UCUM unit.

The hub's records are FHIR and its thresholds are per LOINC code, so each value leaves the
home in the unit its code is defined in (docs/wire-contract.md), converted here once:
a kPa cuff, a degF thermometer and a pound scale read the same at the care center as any
other. Glucose keeps the meter's unit, because LOINC has a code for each (41653-7 mg/dL,
14743-9 mmol/L) and converting would invent precision the meter does not have.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..vital_signs import (
    BODY_MASS_INDEX,
    BODY_TEMPERATURE,
    BODY_WEIGHT,
    DIASTOLIC,
    GLUCOSE_MASS,
    GLUCOSE_MOLES,
    HEART_RATE,
    MEAN_ARTERIAL_PRESSURE,
    SPO2_PULSE_OXIMETRY,
    SYSTOLIC,
    LoincCode,
    VitalSign,
)
from .readings import HealthReading, Observed, Quantity

KPA_TO_MMHG = 7.500617  # 1 kPa in mm[Hg]
LB_TO_KG = 0.45359237  # the international avoirdupois pound


@dataclass(frozen=True, slots=True)
class VitalObservation:
    code: str  # LOINC
    value: float
    unit: str  # UCUM, the code's own unit
    sign: VitalSign | None  # what the safety engine judges it as, if anything


_CODES: dict[Quantity, LoincCode] = {
    Quantity.SYSTOLIC: SYSTOLIC,
    Quantity.DIASTOLIC: DIASTOLIC,
    Quantity.MEAN_ARTERIAL: MEAN_ARTERIAL_PRESSURE,
    Quantity.PULSE: HEART_RATE,
    Quantity.HEART_RATE: HEART_RATE,
    # A pulse oximeter's reading, so the code that says so.
    Quantity.SPO2: SPO2_PULSE_OXIMETRY,
    Quantity.TEMPERATURE: BODY_TEMPERATURE,
    Quantity.WEIGHT: BODY_WEIGHT,
    Quantity.BMI: BODY_MASS_INDEX,
}
_GLUCOSE_CODES = {code.unit: code for code in (GLUCOSE_MASS, GLUCOSE_MOLES)}


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
