"""Round-trip properties: decode(encode(x)) == x for every codec pair (hypothesis)."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from gateway.ble import (
    AdjustReason,
    BloodPressureFeature,
    BloodPressureMeasurement,
    BloodPressureStatus,
    Carbohydrate,
    CarbohydrateId,
    CurrentTime,
    GlucoseContext,
    GlucoseHealth,
    GlucoseMeasurement,
    GlucoseSensorStatus,
    GlucoseTester,
    GlucoseType,
    GlucoseUnit,
    HeartRateMeasurement,
    Meal,
    Medication,
    MedicationId,
    MedicationUnit,
    PlxContinuous,
    PlxDeviceSensorStatus,
    PlxMeasurementStatus,
    PlxSpotCheck,
    PressureUnit,
    PulseRateRange,
    RacpNumberOfRecords,
    RacpOpcode,
    RacpRequest,
    RacpResponse,
    RacpResponseCode,
    SampleLocation,
    SpO2PulseRate,
    TemperatureMeasurement,
    TemperatureType,
    TemperatureUnit,
    WeightMeasurement,
    WeightUnit,
    decode_battery_level,
    decode_blood_pressure,
    decode_blood_pressure_feature,
    decode_current_time,
    decode_date_time,
    decode_glucose_context,
    decode_glucose_measurement,
    decode_heart_rate,
    decode_intermediate_cuff_pressure,
    decode_plx_continuous,
    decode_plx_spot_check,
    decode_racp_request,
    decode_racp_response,
    decode_temperature,
    decode_utf8_string,
    decode_weight,
    encode_battery_level,
    encode_blood_pressure,
    encode_blood_pressure_feature,
    encode_current_time,
    encode_current_time_value,
    encode_date_time,
    encode_glucose_context,
    encode_glucose_measurement,
    encode_heart_rate,
    encode_intermediate_cuff_pressure,
    encode_plx_continuous,
    encode_plx_spot_check,
    encode_racp_request,
    encode_racp_response,
    encode_report_records_from,
    encode_temperature,
    encode_utf8_string,
    encode_weight,
)
from tests.gateway.ble._helpers import (
    device_times,
    float32_values,
    optional_device_times,
    optional_sfloat,
)

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)


def _flags[F: (PlxMeasurementStatus, PlxDeviceSensorStatus, GlucoseSensorStatus)](
    kind: type[F],
) -> st.SearchStrategy[F]:
    members = [member for member in kind if member.value]
    return st.lists(st.sampled_from(members), unique=True).map(
        lambda chosen: kind(sum(member.value for member in chosen))
    )


bp_status = st.builds(
    BloodPressureStatus,
    body_movement=st.booleans(),
    cuff_too_loose=st.booleans(),
    irregular_pulse=st.booleans(),
    pulse_rate_range=st.sampled_from(PulseRateRange),
    improper_position=st.booleans(),
)
blood_pressure = st.builds(
    BloodPressureMeasurement,
    systolic=optional_sfloat(),
    diastolic=optional_sfloat(),
    mean_arterial=optional_sfloat(),
    unit=st.sampled_from(PressureUnit),
    timestamp=optional_device_times,
    pulse_rate=optional_sfloat(),
    user_id=st.one_of(st.none(), u8),
    status=st.one_of(st.none(), bp_status),
)


@given(blood_pressure)
def test_blood_pressure(value: BloodPressureMeasurement) -> None:
    assert decode_blood_pressure(encode_blood_pressure(value)) == value
    assert decode_intermediate_cuff_pressure(encode_intermediate_cuff_pressure(value)) == value


@given(st.builds(BloodPressureFeature, *[st.booleans()] * 9))
def test_blood_pressure_feature(value: BloodPressureFeature) -> None:
    assert decode_blood_pressure_feature(encode_blood_pressure_feature(value)) == value


optional_plx_status = st.one_of(st.none(), _flags(PlxMeasurementStatus))
optional_device_status = st.one_of(st.none(), _flags(PlxDeviceSensorStatus))


@given(
    st.builds(
        PlxSpotCheck,
        spo2=optional_sfloat(),
        pulse_rate=optional_sfloat(),
        timestamp=optional_device_times,
        measurement_status=optional_plx_status,
        device_sensor_status=optional_device_status,
        pulse_amplitude_index=optional_sfloat(),
        device_clock_not_set=st.booleans(),
    )
)
def test_plx_spot_check(value: PlxSpotCheck) -> None:
    assert decode_plx_spot_check(encode_plx_spot_check(value)) == value


pair = st.builds(SpO2PulseRate, optional_sfloat(), optional_sfloat())


@given(
    st.builds(
        PlxContinuous,
        spo2=optional_sfloat(),
        pulse_rate=optional_sfloat(),
        fast=st.one_of(st.none(), pair),
        slow=st.one_of(st.none(), pair),
        measurement_status=optional_plx_status,
        device_sensor_status=optional_device_status,
        pulse_amplitude_index=optional_sfloat(),
    )
)
def test_plx_continuous(value: PlxContinuous) -> None:
    assert decode_plx_continuous(encode_plx_continuous(value)) == value


@st.composite
def glucose_measurements(draw: st.DrawFn) -> GlucoseMeasurement:
    unit = draw(st.sampled_from(GlucoseUnit))
    has_block = draw(st.booleans())
    scale = 5 if unit is GlucoseUnit.MG_DL else 3
    return GlucoseMeasurement(
        sequence=draw(u16),
        base_time=draw(optional_device_times),
        time_offset_minutes=draw(st.one_of(st.none(), st.integers(-32768, 32767))),
        concentration=draw(optional_sfloat(scale)) if has_block else None,
        unit=unit,
        sample_type=draw(st.sampled_from(GlucoseType)) if has_block else None,
        sample_location=draw(st.sampled_from(SampleLocation)) if has_block else None,
        sensor_status=draw(st.one_of(st.none(), _flags(GlucoseSensorStatus))),
        context_follows=draw(st.booleans()),
    )


@given(glucose_measurements())
def test_glucose_measurement(value: GlucoseMeasurement) -> None:
    assert decode_glucose_measurement(encode_glucose_measurement(value)) == value


@st.composite
def glucose_contexts(draw: st.DrawFn) -> GlucoseContext:
    has_tester = draw(st.booleans())
    has_exercise = draw(st.booleans())
    medication = None
    if draw(st.booleans()):
        unit = draw(st.sampled_from(MedicationUnit))
        scale = 6 if unit is MedicationUnit.MILLIGRAMS else 3
        medication = Medication(
            draw(st.sampled_from(MedicationId)), draw(optional_sfloat(scale)), unit
        )
    seconds = draw(st.one_of(st.none(), st.integers(0, 0xFFFE)))
    return GlucoseContext(
        sequence=draw(u16),
        carbohydrate=draw(
            st.one_of(
                st.none(),
                st.builds(Carbohydrate, st.sampled_from(CarbohydrateId), optional_sfloat(3)),
            )
        ),
        meal=draw(st.one_of(st.none(), st.sampled_from(Meal))),
        tester=draw(st.sampled_from(GlucoseTester)) if has_tester else None,
        health=draw(st.sampled_from(GlucoseHealth)) if has_tester else None,
        exercise_minutes=seconds / 60 if has_exercise and seconds is not None else None,
        exercise_intensity=draw(u8) if has_exercise else None,
        medication=medication,
        hba1c=draw(optional_sfloat()),
        extended_flags=draw(st.one_of(st.none(), u8)),
    )


@given(glucose_contexts())
def test_glucose_context(value: GlucoseContext) -> None:
    assert decode_glucose_context(encode_glucose_context(value)) == value


@given(u16)
def test_racp_request_from_sequence(sequence: int) -> None:
    assert decode_racp_request(encode_report_records_from(sequence)).min_sequence == sequence


@given(st.builds(RacpRequest, u8, u8, st.binary(max_size=8)))
def test_racp_request(value: RacpRequest) -> None:
    assert decode_racp_request(encode_racp_request(value)) == value


@given(
    st.one_of(
        st.builds(RacpNumberOfRecords, u16),
        st.builds(
            RacpResponse,
            st.one_of(st.sampled_from(RacpOpcode), u8),
            st.sampled_from(RacpResponseCode),
        ),
    )
)
def test_racp_response(value: RacpNumberOfRecords | RacpResponse) -> None:
    assert decode_racp_response(encode_racp_response(value)) == value


@given(
    st.builds(
        HeartRateMeasurement,
        bpm=u16,
        sensor_contact=st.one_of(st.none(), st.booleans()),
        energy_expended_kj=st.one_of(st.none(), u16),
        rr_intervals_s=st.lists(u16.map(lambda raw: raw / 1024), max_size=9).map(tuple),
    )
)
def test_heart_rate(value: HeartRateMeasurement) -> None:
    assert decode_heart_rate(encode_heart_rate(value)) == value


@given(
    st.builds(
        TemperatureMeasurement,
        value=st.one_of(st.none(), float32_values()),
        unit=st.sampled_from(TemperatureUnit),
        timestamp=optional_device_times,
        location=st.one_of(st.none(), st.sampled_from(TemperatureType)),
    )
)
def test_temperature(value: TemperatureMeasurement) -> None:
    assert decode_temperature(encode_temperature(value)) == value


@st.composite
def weights(draw: st.DrawFn) -> WeightMeasurement:
    unit = draw(st.sampled_from(WeightUnit))
    weight_steps = 200 if unit is WeightUnit.KG else 100
    height_steps = 1000 if unit is WeightUnit.KG else 10
    has_bmi = draw(st.booleans())
    raw_weight = draw(st.one_of(st.none(), st.integers(0, 0xFFFE)))
    return WeightMeasurement(
        weight=None if raw_weight is None else raw_weight / weight_steps,
        unit=unit,
        timestamp=draw(optional_device_times),
        user_id=draw(st.one_of(st.none(), u8)),
        bmi=draw(u16) / 10 if has_bmi else None,
        height=draw(u16) / height_steps if has_bmi else None,
    )


@given(weights())
def test_weight(value: WeightMeasurement) -> None:
    assert decode_weight(encode_weight(value)) == value


@given(st.one_of(st.none(), device_times))
def test_date_time(value: datetime | None) -> None:
    assert decode_date_time(encode_date_time(value)) == value


@given(device_times, st.integers(0, 999_999), st.integers(0, 15))
def test_current_time_from_datetime(moment: datetime, micro: int, reason: int) -> None:
    decoded = decode_current_time(encode_current_time(moment.replace(microsecond=micro)))
    assert decoded.time is not None
    # 1/256 s steps: the decoded time is within one step, never later than sent.
    assert decoded.time.replace(microsecond=0) == moment
    assert 0 <= micro - decoded.time.microsecond < 1_000_000 // 256 + 1
    assert decoded.day_of_week == moment.isoweekday()
    adjust = AdjustReason(reason)
    assert decode_current_time(encode_current_time(moment, adjust)).adjust_reason == adjust


@given(optional_device_times, st.integers(0, 7), u8, st.integers(0, 15))
def test_current_time_value(
    moment: datetime | None, day_of_week: int, fractions: int, reason: int
) -> None:
    encoded = encode_current_time_value(
        CurrentTime(moment, day_of_week, fractions, AdjustReason(reason))
    )
    decoded = decode_current_time(encoded)
    assert (decoded.day_of_week, decoded.fractions256) == (day_of_week, fractions)
    assert decoded.adjust_reason == AdjustReason(reason)
    assert encode_current_time_value(decoded) == encoded
    if moment is not None:
        assert decoded.time is not None
        assert decoded.time.replace(microsecond=0) == moment


@given(st.integers(0, 100))
def test_battery_level(level: int) -> None:
    assert decode_battery_level(encode_battery_level(level)) == level


@given(st.text().filter(lambda text: not text.endswith("\x00")))
def test_utf8_string(text: str) -> None:
    try:
        encoded = encode_utf8_string(text)
    except ValueError:
        return  # lone surrogates cannot be UTF-8
    assert decode_utf8_string(encoded) == text
