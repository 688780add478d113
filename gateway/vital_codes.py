"""The care center's thresholds (LOINC codes, each in its own unit) as the safety engine's
vital-sign ranges (in the units of `gateway.safety.settings.DEFAULT_VITAL_RANGES`).

The hub speaks LOINC because its records are FHIR; the engine speaks `VitalSign` because
that is what a household sensor can be recognised as. The unit of each code is fixed here
and in docs/wire-contract.md, so a bound never changes meaning on the way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .protocol import VitalBounds, widest_bounds
from .safety.roles import VitalSign
from .safety.settings import VitalRange

# Glucose is 180.16 g/mol: 1 mmol/L is 18.016 mg/dL.
MG_DL_PER_MMOL_L_GLUCOSE = 18.016


@dataclass(frozen=True, slots=True)
class VitalCode:
    sign: VitalSign
    unit: str  # UCUM: the unit the care center's bounds of this code are in
    to_engine: float = 1.0  # factor to the engine's unit


VITAL_CODES: dict[str, VitalCode] = {
    "8867-4": VitalCode(VitalSign.HEART_RATE, "/min"),
    "59408-5": VitalCode(VitalSign.SPO2, "%"),
    "2708-6": VitalCode(VitalSign.SPO2, "%"),
    "8480-6": VitalCode(VitalSign.SYSTOLIC, "mm[Hg]"),
    "8462-4": VitalCode(VitalSign.DIASTOLIC, "mm[Hg]"),
    # LOINC 41653-7 is glucose by mass (mg/dL); the engine's glucose is mmol/L.
    "41653-7": VitalCode(VitalSign.GLUCOSE, "mg/dL", 1 / MG_DL_PER_MMOL_L_GLUCOSE),
    "14743-9": VitalCode(VitalSign.GLUCOSE, "mmol/L"),
    "8310-5": VitalCode(VitalSign.TEMPERATURE, "Cel"),
}


def vital_ranges(thresholds: Mapping[str, VitalBounds]) -> dict[VitalSign, VitalRange]:
    """The engine's range of each sign the care center set a bound for. Codes not known here
    are left out (the caller may log them). Two codes of one sign (SpO2 by 59408-5 and
    2708-6) are merged widest, as the residents of one household are."""
    per_code: list[dict[str, VitalBounds]] = []
    for code, bounds in thresholds.items():
        known = VITAL_CODES.get(code)
        if known is not None:
            per_code.append({known.sign.value: _converted(bounds, known.to_engine)})
    return {
        VitalSign(sign): VitalRange(bounds.low, bounds.high)
        for sign, bounds in widest_bounds(per_code).items()
    }


def _converted(bounds: VitalBounds, factor: float) -> VitalBounds:
    if factor == 1.0:
        return bounds
    # Two decimals: more than a meter shows, so a converted bound never moves a reading
    # across it (70 mg/dL is 3.89 mmol/L; a meter reads 3.8 or 3.9).
    return VitalBounds(
        None if bounds.low is None else round(bounds.low * factor, 2),
        None if bounds.high is None else round(bounds.high * factor, 2),
    )
