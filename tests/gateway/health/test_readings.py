"""Decoded measurements as readings: units, device time, flags, the duplicate key, LOINC."""

# A monitor's clock is naive wall time in the home's zone: naive datetimes are the point here.
# ruff: noqa: DTZ001

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gateway.ble import (
    BloodPressureMeasurement,
    BloodPressureStatus,
    GlucoseMeasurement,
    GlucoseSensorStatus,
    GlucoseUnit,
    HeartRateMeasurement,
    PlxMeasurementStatus,
    PlxSpotCheck,
    PressureUnit,
    PulseRateRange,
    TemperatureMeasurement,
    TemperatureUnit,
    WeightMeasurement,
    WeightUnit,
)
from gateway.health.readings import HealthReading, Quantity, heart_rate_reading, reading_of
from gateway.health.seen import SeenReadings
from gateway.health.vitals import vital_observations
from gateway.vital_signs import VitalSign

SHANGHAI = ZoneInfo("Asia/Shanghai")
RECEIVED = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def test_cuff_reading_keeps_values_flags_and_the_device_time_in_the_home_zone() -> None:
    cuff = BloodPressureMeasurement(
        165,
        100,
        122,
        PressureUnit.MMHG,
        datetime(2026, 11, 22, 9, 55),  # the cuff's wall clock, Shanghai time
        92,
        1,
        BloodPressureStatus(
            irregular_pulse=True, pulse_rate_range=PulseRateRange.ABOVE_UPPER_LIMIT
        ),
    )
    reading = reading_of(cuff, RECEIVED, SHANGHAI)
    assert reading is not None
    assert reading.measured_at == datetime(2026, 11, 22, 1, 55, tzinfo=UTC)
    assert reading.device_time
    assert reading.flags == ("irregular_pulse", "pulse_rate_above_range")
    assert [(v.quantity, v.value, v.unit) for v in reading.values] == [
        (Quantity.SYSTOLIC, 165, "mm[Hg]"),
        (Quantity.DIASTOLIC, 100, "mm[Hg]"),
        (Quantity.MEAN_ARTERIAL, 122, "mm[Hg]"),
        (Quantity.PULSE, 92, "/min"),
    ]
    vitals = {(o.code, o.value, o.unit, o.sign) for o in vital_observations(reading)}
    assert ("8480-6", 165, "mm[Hg]", VitalSign.SYSTOLIC) in vitals
    assert ("8867-4", 92, "/min", VitalSign.HEART_RATE) in vitals


def test_kpa_cuff_reaches_the_care_center_in_mmhg() -> None:
    cuff = BloodPressureMeasurement(16.8, 12.1, None, PressureUnit.KPA, None, 80)
    reading = reading_of(cuff, RECEIVED, SHANGHAI)
    assert reading is not None
    systolic = vital_observations(reading)[0]
    assert (systolic.code, systolic.value, systolic.unit) == ("8480-6", 126.0, "mm[Hg]")


def test_a_device_clock_that_was_never_set_gives_way_to_the_receive_time() -> None:
    for wrong in (datetime(2000, 1, 1, 0, 0), datetime(2026, 11, 22, 11, 0)):  # 2000; 1 h ahead
        reading = reading_of(TemperatureMeasurement(37.2, timestamp=wrong), RECEIVED, SHANGHAI)
        assert reading is not None
        assert reading.measured_at == RECEIVED
        assert not reading.device_time
        assert "device_clock_wrong" in reading.flags
        assert reading.key is None


def test_fahrenheit_thermometer_and_pound_scale_convert_for_the_care_center() -> None:
    fever = reading_of(
        TemperatureMeasurement(101.3, TemperatureUnit.FAHRENHEIT), RECEIVED, SHANGHAI
    )
    assert fever is not None
    assert fever.values[0].unit == "[degF]"  # the entity shows what the device said
    assert [(o.code, o.value, o.unit) for o in vital_observations(fever)] == [
        ("8310-5", 38.5, "Cel")
    ]
    scale = reading_of(WeightMeasurement(138.0, WeightUnit.LB), RECEIVED, SHANGHAI)
    assert scale is not None
    assert [(o.code, o.value, o.unit) for o in vital_observations(scale)] == [
        ("29463-7", 62.596, "kg")
    ]


def test_glucose_keeps_the_meter_unit_with_the_matching_loinc_code() -> None:
    for unit, code, ucum in (
        (GlucoseUnit.MG_DL, "41653-7", "mg/dL"),
        (GlucoseUnit.MMOL_L, "14743-9", "mmol/L"),
    ):
        record = GlucoseMeasurement(
            7, datetime(2026, 11, 22, 7, 30), 15, 5.4, unit, context_follows=False
        )
        reading = reading_of(record, RECEIVED, SHANGHAI)
        assert reading is not None
        assert reading.measured_at == datetime(2026, 11, 21, 23, 45, tzinfo=UTC)  # base + 15 min
        assert reading.sequence == 7
        assert [(o.code, o.unit) for o in vital_observations(reading)] == [(code, ucum)]


def test_untrusted_readings_are_recorded_but_flagged() -> None:
    strip = GlucoseMeasurement(
        8,
        datetime(2026, 11, 22, 9, 0),
        None,
        2.1,
        GlucoseUnit.MMOL_L,
        sensor_status=GlucoseSensorStatus.SAMPLE_SIZE_INSUFFICIENT,
    )
    reading = reading_of(strip, RECEIVED, SHANGHAI)
    assert reading is not None
    assert reading.flags == ("sample_size_insufficient",)
    assert not reading.trusted
    demo = PlxSpotCheck(
        88, 70, None, measurement_status=PlxMeasurementStatus.DATA_FOR_DEMONSTRATION
    )
    demo_reading = reading_of(demo, RECEIVED, SHANGHAI)
    assert demo_reading is not None
    assert not demo_reading.trusted


def test_a_measurement_without_any_value_is_no_reading() -> None:
    assert reading_of(WeightMeasurement(None), RECEIVED, SHANGHAI) is None
    assert reading_of(BloodPressureMeasurement(None, None, None), RECEIVED, SHANGHAI) is None


def test_the_same_stored_record_has_the_same_key_and_another_one_does_not() -> None:
    def cuff(systolic: int, minute: int) -> BloodPressureMeasurement:
        return BloodPressureMeasurement(
            systolic, 80, None, timestamp=datetime(2026, 11, 22, 9, minute)
        )

    first = reading_of(cuff(120, 1), RECEIVED, SHANGHAI)
    again = reading_of(cuff(120, 1), RECEIVED + timedelta(hours=1), SHANGHAI)
    later = reading_of(cuff(120, 2), RECEIVED, SHANGHAI)
    assert first
    assert again
    assert later
    assert first.key == again.key != later.key
    seen = SeenReadings()
    assert seen.add(str(first.key))
    assert not seen.add(str(again.key))
    assert seen.add(str(later.key))


def test_seen_readings_forget_the_oldest_first() -> None:
    seen = SeenReadings(limit=3)
    for key in "abcd":
        seen.add(key)
    assert "a" not in seen
    assert seen.keys() == ["b", "c", "d"]
    assert SeenReadings(seen.keys(), limit=3).keys() == ["b", "c", "d"]


@pytest.mark.parametrize(
    ("samples", "expected"),
    [
        ([HeartRateMeasurement(70, True), HeartRateMeasurement(72, True)], 71),
        ([HeartRateMeasurement(0, False), HeartRateMeasurement(64, None)], 64),
        ([HeartRateMeasurement(90, False)], None),  # off the skin: no reading
    ],
)
def test_a_strap_stream_gives_one_reading_from_samples_on_the_skin(
    samples: list[HeartRateMeasurement], expected: float | None
) -> None:
    reading = heart_rate_reading(samples, RECEIVED)
    if expected is None:
        assert reading is None
    else:
        assert reading is not None
        assert reading.values[0].value == expected
        assert not reading.device_time


def test_a_reading_waiting_on_disk_comes_back_whole_and_garbage_is_refused() -> None:
    cuff = BloodPressureMeasurement(
        150, 95, None, timestamp=datetime(2026, 11, 22, 9, 0), status=BloodPressureStatus(True)
    )
    reading = reading_of(cuff, RECEIVED, SHANGHAI)
    assert reading is not None
    assert HealthReading.from_json(reading.to_json()) == reading
    with pytest.raises(ValueError, match="not a saved reading"):
        HealthReading.from_json({"profile": "blood_pressure"})
