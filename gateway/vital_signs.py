"""The vital-sign vocabulary that household, integration and care center share: each LOINC
code a reading travels under, its UCUM unit, and the vital sign the safety engine judges it as.

One table, so that a code never means one unit at home and another at the hub
(docs/wire-contract.md). It imports nothing of the project: the safety engine, the health
codecs and the hub all build on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class VitalSign(StrEnum):
    """What a household sensor can be recognised as, and what the engine has ranges for."""

    HEART_RATE = "heart_rate"
    SPO2 = "spo2"
    SYSTOLIC = "systolic"
    DIASTOLIC = "diastolic"
    GLUCOSE = "glucose"
    TEMPERATURE = "temperature"


@dataclass(frozen=True, slots=True)
class LoincCode:
    code: str
    unit: str  # UCUM: the unit values and care-center bounds of this code are in
    sign: VitalSign | None  # what the safety engine judges it as; None: recorded only
    display: str | None  # LOINC's display, as FHIR exports carry it (None: none given)


HEART_RATE = LoincCode("8867-4", "/min", VitalSign.HEART_RATE, "Heart rate")
SPO2 = LoincCode("2708-6", "%", VitalSign.SPO2, "Oxygen saturation in Arterial blood")
SPO2_PULSE_OXIMETRY = LoincCode(
    "59408-5", "%", VitalSign.SPO2, "Oxygen saturation in Arterial blood by Pulse oximetry"
)
SYSTOLIC = LoincCode("8480-6", "mm[Hg]", VitalSign.SYSTOLIC, "Systolic blood pressure")
DIASTOLIC = LoincCode("8462-4", "mm[Hg]", VitalSign.DIASTOLIC, "Diastolic blood pressure")
MEAN_ARTERIAL_PRESSURE = LoincCode("8478-0", "mm[Hg]", None, None)
BODY_TEMPERATURE = LoincCode("8310-5", "Cel", VitalSign.TEMPERATURE, "Body temperature")
# Glucose has a code per unit: a reading keeps the meter's unit, since converting would
# invent precision the meter does not have.
GLUCOSE_MASS = LoincCode(
    "41653-7",
    "mg/dL",
    VitalSign.GLUCOSE,
    "Glucose [Mass/volume] in Capillary blood by Glucometer",
)
GLUCOSE_MOLES = LoincCode("14743-9", "mmol/L", VitalSign.GLUCOSE, None)
BODY_WEIGHT = LoincCode("29463-7", "kg", None, "Body weight")
BODY_MASS_INDEX = LoincCode("39156-5", "kg/m2", None, "Body mass index (BMI) [Ratio]")
# Members of FHIR R4's vital-signs table that no household device sends yet.
RESPIRATORY_RATE = LoincCode("9279-1", "/min", None, "Respiratory rate")
BODY_HEIGHT = LoincCode("8302-2", "cm", None, "Body height")
HEAD_CIRCUMFERENCE = LoincCode("9843-4", "cm", None, "Head Occipital-frontal circumference")

LOINC_CODES: dict[str, LoincCode] = {
    loinc.code: loinc
    for loinc in (
        HEART_RATE,
        SPO2,
        SPO2_PULSE_OXIMETRY,
        SYSTOLIC,
        DIASTOLIC,
        MEAN_ARTERIAL_PRESSURE,
        BODY_TEMPERATURE,
        GLUCOSE_MASS,
        GLUCOSE_MOLES,
        BODY_WEIGHT,
        BODY_MASS_INDEX,
        RESPIRATORY_RATE,
        BODY_HEIGHT,
        HEAD_CIRCUMFERENCE,
    )
}
