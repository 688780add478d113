"""The care center's LOINC thresholds as the engine's ranges, over the household's own."""

from __future__ import annotations

import pytest

from gateway.alarms import AlarmKind
from gateway.protocol import VitalBounds, widest_bounds
from gateway.safety.engine import SafetyEngine
from gateway.safety.observations import VitalReading
from gateway.safety.settings import DEFAULT_VITAL_RANGES, SafetySettings, VitalRange
from gateway.safety.vital_units import VITAL_CODES, UnknownUnitError, to_engine_unit, vital_ranges
from gateway.vital_signs import VitalSign

from .safety.conftest import T0


def test_each_code_maps_to_its_sign_in_the_engines_unit() -> None:
    ranges = vital_ranges(
        {
            "8867-4": VitalBounds(45, 120),
            "8480-6": VitalBounds(None, 160),
            "8462-4": VitalBounds(55, 95),
            "41653-7": VitalBounds(70, 180),  # mg/dL
            "8310-5": VitalBounds(35.5, 38),
            "9279-1": VitalBounds(8, 25),  # respiratory rate: no household sensor for it
        }
    )
    assert ranges == {
        VitalSign.HEART_RATE: VitalRange(45, 120),
        VitalSign.SYSTOLIC: VitalRange(None, 160),
        VitalSign.DIASTOLIC: VitalRange(55, 95),
        VitalSign.GLUCOSE: VitalRange(3.89, 9.99),  # mmol/L
        VitalSign.TEMPERATURE: VitalRange(35.5, 38),
    }


def test_two_codes_of_one_sign_merge_widest() -> None:
    ranges = vital_ranges({"59408-5": VitalBounds(92), "2708-6": VitalBounds(90, 100)})
    assert ranges == {VitalSign.SPO2: VitalRange(90, None)}
    glucose = vital_ranges({"14743-9": VitalBounds(4.0, 8.0), "41653-7": VitalBounds(90, 200)})
    assert glucose == {VitalSign.GLUCOSE: VitalRange(4.0, 11.1)}


@pytest.mark.parametrize(
    ("center", "expected"),
    [
        (VitalRange(50, 100), VitalRange(50, 100)),  # both bounds replaced
        (VitalRange(None, 160), VitalRange(90, 160)),  # the household's low stays
        (VitalRange(None, 80), VitalRange(None, 80)),  # ... unless it would cross the center's
        (VitalRange(200, None), VitalRange(200, None)),
    ],
)
def test_center_bounds_take_precedence_bound_by_bound(
    center: VitalRange, expected: VitalRange
) -> None:
    local = SafetySettings()
    settings = local.with_center_ranges({VitalSign.SYSTOLIC: center})
    assert settings.vital_ranges[VitalSign.SYSTOLIC] == expected
    others = {s: r for s, r in settings.vital_ranges.items() if s is not VitalSign.SYSTOLIC}
    assert others == {s: r for s, r in DEFAULT_VITAL_RANGES.items() if s is not VitalSign.SYSTOLIC}
    assert local.vital_ranges == DEFAULT_VITAL_RANGES  # a new settings object, not a change


def test_engine_alarms_on_the_center_range() -> None:
    local = SafetySettings()
    center = vital_ranges({"8867-4": VitalBounds(50, 100)})
    engine = SafetyEngine(local.with_center_ranges(center), T0)
    engine.handle(VitalReading("sensor.hr", VitalSign.HEART_RATE, 110, "bpm"), T0)
    (alarm,) = engine.book.open_alarms()
    assert (alarm.kind, alarm.source) == (AlarmKind.VITALS, "heart_rate 110 bpm high")


# Readings in the engine's units


@pytest.mark.parametrize(
    ("sign", "value", "unit", "expected"),
    [
        (VitalSign.GLUCOSE, 120, "mg/dL", 6.66),
        (VitalSign.GLUCOSE, 70, "mg/dL", 3.89),  # the converted bound of 70 mg/dL, exactly
        (VitalSign.GLUCOSE, 5.4, "mmol/L", 5.4),
        (VitalSign.TEMPERATURE, 100.4, "[degF]", 38.0),
        (VitalSign.TEMPERATURE, 98.6, "°F", 37.0),
        (VitalSign.TEMPERATURE, 36.6, "Cel", 36.6),
        (VitalSign.TEMPERATURE, 36.6, "°C", 36.6),
        (VitalSign.SYSTOLIC, 16, "kPa", 120.01),
        (VitalSign.DIASTOLIC, 10.7, "kPa", 80.26),
        (VitalSign.SYSTOLIC, 128, "mm[Hg]", 128),
        (VitalSign.SYSTOLIC, 128, "mmHg", 128),
        (VitalSign.HEART_RATE, 72, "/min", 72),
        (VitalSign.HEART_RATE, 72, "bpm", 72),
        (VitalSign.SPO2, 97, "%", 97),
        (VitalSign.GLUCOSE, 5.4, "", 5.4),  # '' is the engine's unit already
        (VitalSign.TEMPERATURE, 37.25, "", 37.25),
    ],
)
def test_to_engine_unit(sign: VitalSign, value: float, unit: str, expected: float) -> None:
    assert to_engine_unit(sign, value, unit) == expected


def test_a_reading_in_its_engine_unit_is_not_rounded() -> None:
    assert to_engine_unit(VitalSign.GLUCOSE, 5.555, "mmol/L") == 5.555


@pytest.mark.parametrize(
    ("sign", "unit"),
    [
        (VitalSign.GLUCOSE, "g/L"),
        (VitalSign.GLUCOSE, "mm[Hg]"),  # a unit, but not glucose's
        (VitalSign.HEART_RATE, "%"),
        (VitalSign.TEMPERATURE, "K"),
        (VitalSign.SPO2, "1"),
        (VitalSign.SYSTOLIC, "cmH2O"),
    ],
)
def test_a_unit_a_sign_is_never_measured_in_is_refused(sign: VitalSign, unit: str) -> None:
    with pytest.raises(UnknownUnitError):
        to_engine_unit(sign, 1.0, unit)


def test_every_code_of_the_contract_is_readable_in_its_own_unit() -> None:
    for code in VITAL_CODES.values():
        converted = to_engine_unit(code.sign, 100.0, code.unit)
        assert converted == round(100.0 * code.to_engine, 2)


# Each resident's own ranges


def test_a_residents_ranges_lie_over_the_households_options_not_over_the_others() -> None:
    local = SafetySettings(
        vital_ranges={**DEFAULT_VITAL_RANGES, VitalSign.SYSTOLIC: VitalRange(95)}
    )
    grandma = vital_ranges({"8480-6": VitalBounds(None, 140)})
    grandpa = vital_ranges({"8480-6": VitalBounds(None, 170), "8867-4": VitalBounds(50, 100)})
    widest = vital_ranges(
        widest_bounds(
            [
                {"8480-6": VitalBounds(None, 140)},
                {"8480-6": VitalBounds(None, 170), "8867-4": VitalBounds(50, 100)},
            ]
        )
    )
    settings = local.with_center_ranges(widest, {"A": grandma, "B": grandpa})
    assert settings.vital_ranges[VitalSign.SYSTOLIC] == VitalRange(95, 170)
    assert settings.vital_range(VitalSign.SYSTOLIC) == VitalRange(95, 170)
    assert settings.vital_range(VitalSign.SYSTOLIC, "A") == VitalRange(95, 140)
    assert settings.vital_range(VitalSign.SYSTOLIC, "B") == VitalRange(95, 170)
    # Grandma has no heart-rate bounds of her own: the household's option, not grandpa's.
    assert settings.vital_range(VitalSign.HEART_RATE, "A") == VitalRange(40, 130)
    assert settings.vital_range(VitalSign.HEART_RATE, "B") == VitalRange(50, 100)
    assert settings.vital_range(VitalSign.HEART_RATE) == VitalRange(50, 100)
    assert settings.vital_range(VitalSign.HEART_RATE, "nobody we know") == VitalRange(50, 100)
    # Without residents (an older hub): nobody has ranges of their own.
    assert local.with_center_ranges(widest).resident_vital_ranges == {}
