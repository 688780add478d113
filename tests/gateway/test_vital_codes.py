"""The care center's LOINC thresholds as the engine's ranges, over the household's own."""

from __future__ import annotations

import pytest

from gateway.alarms import AlarmKind
from gateway.protocol import VitalBounds
from gateway.safety.engine import SafetyEngine
from gateway.safety.observations import VitalReading
from gateway.safety.roles import VitalSign
from gateway.safety.settings import DEFAULT_VITAL_RANGES, SafetySettings, VitalRange
from gateway.vital_codes import vital_ranges

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
