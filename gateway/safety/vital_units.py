"""Readings and the care center's bounds in the safety engine's units (those of
`DEFAULT_VITAL_RANGES`: /min, %, mm[Hg], mmol/L, Cel).

The hub speaks LOINC because its records are FHIR; the engine speaks `VitalSign` because
that is what a household sensor can be recognised as. The code, sign and unit of each are
in `gateway.vital_signs`; what is here is only the way to the engine's unit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..protocol import VitalBounds, widest_bounds
from ..vital_signs import LOINC_CODES, VitalSign
from .settings import VitalRange

# Glucose is 180.16 g/mol: 1 mmol/L is 18.016 mg/dL.
MG_DL_PER_MMOL_L_GLUCOSE = 18.016
# 1 atm is 101.325 kPa and 760 mmHg.
MM_HG_PER_KPA = 760 / 101.325


@dataclass(frozen=True, slots=True)
class VitalCode:
    sign: VitalSign
    unit: str  # UCUM: the unit the care center's bounds of this code are in
    to_engine: float = 1.0  # factor to the engine's unit


# The engine's glucose is mmol/L; every other code's unit already is the engine's.
_TO_ENGINE: dict[str, float] = {"mg/dL": 1 / MG_DL_PER_MMOL_L_GLUCOSE}

# The codes the engine judges: those with a sign.
VITAL_CODES: dict[str, VitalCode] = {
    code: VitalCode(loinc.sign, loinc.unit, _TO_ENGINE.get(loinc.unit, 1.0))
    for code, loinc in LOINC_CODES.items()
    if loinc.sign is not None
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


class UnknownUnitError(ValueError):
    """A reading in a unit that is not one of its sign's (or not a unit at all)."""


# The units a reading of each sign may come in: UCUM codes (the wire's) and Home Assistant's
# spellings (what household sensors show), matched without case, each with its way to the
# engine's unit (that of `DEFAULT_VITAL_RANGES`: /min, %, mm[Hg], mmol/L, Cel).
def _same(value: float) -> float:
    return value


def _kpa(value: float) -> float:
    return value * MM_HG_PER_KPA


def _mg_dl(value: float) -> float:
    return value / MG_DL_PER_MMOL_L_GLUCOSE


def _fahrenheit(value: float) -> float:
    return (value - 32) * 5 / 9


_PRESSURE: dict[str, Callable[[float], float]] = {"mm[hg]": _same, "mmhg": _same, "kpa": _kpa}
_UNITS: dict[VitalSign, dict[str, Callable[[float], float]]] = {
    VitalSign.HEART_RATE: {"/min": _same, "{beats}/min": _same, "bpm": _same, "beats/min": _same},
    VitalSign.SPO2: {"%": _same},
    VitalSign.SYSTOLIC: _PRESSURE,
    VitalSign.DIASTOLIC: _PRESSURE,
    VitalSign.GLUCOSE: {"mmol/l": _same, "mg/dl": _mg_dl},
    VitalSign.TEMPERATURE: {"cel": _same, "°c": _same, "[degf]": _fahrenheit, "°f": _fahrenheit},
}


def to_engine_unit(sign: VitalSign, value: float, unit: str) -> float:
    """`value` of `sign` measured in `unit` (UCUM, or as Home Assistant spells it; '' means
    the engine's unit already), in the engine's unit, so the ranges judge what was meant: a
    120 mg/dL glucose is 6.66 mmol/L, 100.4 [degF] is 38.0 Cel, 16 kPa is 120.01 mm[Hg].

    UnknownUnitError for a unit the sign is never measured in: the caller must not guess.
    A converted value is rounded to two decimals, as the converted bounds are
    (`vital_ranges`), so a reading exactly on a bound in its own unit stays on it.
    """
    if unit == "":
        return value
    convert = _UNITS.get(sign, {}).get(unit.strip().casefold())
    if convert is None:
        raise UnknownUnitError(f"{sign.value} is not measured in {unit[:20]!r}")
    return value if convert is _same else round(convert(value), 2)
