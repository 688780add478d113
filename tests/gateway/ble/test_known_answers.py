"""Known-answer tests: bytes written by hand from the GATT Specification Supplement field
layouts (one comment per byte group), decoded and re-encoded.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from gateway.ble import (
    CHARACTERISTIC_DECODERS,
    AdjustReason,
    BleDecodeError,
    BleEncodeError,
    BloodPressureFeature,
    BloodPressureMeasurement,
    BloodPressureStatus,
    Carbohydrate,
    CarbohydrateId,
    Characteristic,
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
    RacpOperator,
    RacpResponse,
    RacpResponseCode,
    SampleLocation,
    Service,
    SpO2PulseRate,
    TemperatureMeasurement,
    TemperatureType,
    TemperatureUnit,
    WeightMeasurement,
    WeightUnit,
    decode_battery_level,
    decode_blood_pressure,
    decode_blood_pressure_feature,
    decode_characteristic,
    decode_current_time,
    decode_date_time,
    decode_date_time_value,
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
    encode_abort,
    encode_battery_level,
    encode_blood_pressure,
    encode_blood_pressure_feature,
    encode_current_time,
    encode_current_time_value,
    encode_date_time,
    encode_glucose_context,
    encode_glucose_measurement,
    encode_heart_rate,
    encode_plx_continuous,
    encode_plx_spot_check,
    encode_racp_response,
    encode_report_all_records,
    encode_report_number_of_records,
    encode_report_records_from,
    encode_temperature,
    encode_utf8_string,
    encode_weight,
    uuid16,
)
from tests.gateway.ble._helpers import local

# --- Blood Pressure -----------------------------------------------------------------------

BP_120_80_93 = bytes(
    [
        0x1E,  # flags: mmHg, timestamp, pulse rate, user id, measurement status
        0x78, 0x00,  # systolic SFLOAT 120 (exponent 0)
        0x50, 0x00,  # diastolic SFLOAT 80
        0x5D, 0x00,  # mean arterial pressure SFLOAT 93
        0xE8, 0x07, 0x03, 0x0F, 0x08, 0x1E, 0x00,  # timestamp 2024-03-15 08:30:00
        0x48, 0x00,  # pulse rate SFLOAT 72
        0x01,  # user id 1
        0x04, 0x00,  # measurement status: irregular pulse detected (bit 2)
    ]
)  # fmt: skip


def test_blood_pressure_mmhg_with_everything() -> None:
    measurement = decode_blood_pressure(BP_120_80_93)
    assert measurement == BloodPressureMeasurement(
        systolic=120.0,
        diastolic=80.0,
        mean_arterial=93.0,
        unit=PressureUnit.MMHG,
        timestamp=local(2024, 3, 15, 8, 30, 0),
        pulse_rate=72.0,
        user_id=1,
        status=BloodPressureStatus(irregular_pulse=True),
    )
    assert encode_blood_pressure(measurement) == BP_120_80_93


def test_blood_pressure_device_style_exponent() -> None:
    data = bytes(
        [
            0x00,  # flags: mmHg, nothing optional
            0xB0, 0xF4,  # systolic SFLOAT mantissa 1200, exponent -1 = 120.0
            0x20, 0xF3,  # diastolic SFLOAT mantissa 800, exponent -1 = 80.0
            0xA2, 0xF3,  # MAP SFLOAT mantissa 930, exponent -1 = 93.0
        ]
    )  # fmt: skip
    measurement = decode_blood_pressure(data)
    assert (measurement.systolic, measurement.diastolic, measurement.mean_arterial) == (
        120.0,
        80.0,
        93.0,
    )
    assert measurement.timestamp is None
    assert measurement.pulse_rate is None
    assert measurement.user_id is None
    assert measurement.status is None


def test_blood_pressure_kpa() -> None:
    data = bytes(
        [
            0x01,  # flags: kPa
            0xA0, 0xF0,  # systolic SFLOAT 160 x 10^-1 = 16.0 kPa
            0x6B, 0xF0,  # diastolic SFLOAT 107 x 10^-1 = 10.7 kPa
            0x7C, 0xF0,  # MAP SFLOAT 124 x 10^-1 = 12.4 kPa
        ]
    )  # fmt: skip
    measurement = decode_blood_pressure(data)
    assert measurement == BloodPressureMeasurement(16.0, 10.7, 12.4, PressureUnit.KPA)
    assert decode_blood_pressure(encode_blood_pressure(measurement)) == measurement


def test_blood_pressure_status_bits() -> None:
    data = bytes(
        [
            0x10,  # flags: measurement status present
            0x78, 0x00, 0x50, 0x00, 0x5D, 0x00,  # 120 / 80 / 93
            0x3B, 0xFF,  # status: movement, cuff loose, range=3 (bits 3-4), position; 6-15 reserved
        ]
    )  # fmt: skip
    status = decode_blood_pressure(data).status
    assert status == BloodPressureStatus(
        body_movement=True,
        cuff_too_loose=True,
        irregular_pulse=False,
        pulse_rate_range=PulseRateRange.RESERVED,
        improper_position=True,
    )


@pytest.mark.parametrize(
    ("bits", "expected"),
    [
        (0x00, PulseRateRange.WITHIN_RANGE),
        (0x08, PulseRateRange.ABOVE_UPPER_LIMIT),
        (0x10, PulseRateRange.BELOW_LOWER_LIMIT),
        (0x18, PulseRateRange.RESERVED),
    ],
)
def test_blood_pressure_pulse_rate_range(bits: int, expected: PulseRateRange) -> None:
    data = bytes([0x10, 0x78, 0x00, 0x50, 0x00, 0x5D, 0x00, bits, 0x00])
    status = decode_blood_pressure(data).status
    assert status is not None
    assert status.pulse_rate_range is expected


def test_intermediate_cuff_pressure() -> None:
    data = bytes(
        [
            0x00,  # flags: mmHg
            0x8C, 0x00,  # current cuff pressure SFLOAT 140
            0xFF, 0x07,  # diastolic: NaN (unused in intermediate cuff pressure)
            0xFF, 0x07,  # MAP: NaN
        ]
    )  # fmt: skip
    measurement = decode_intermediate_cuff_pressure(data)
    assert measurement.systolic == 140.0
    assert measurement.diastolic is None
    assert measurement.mean_arterial is None


def test_blood_pressure_feature() -> None:
    data = bytes([0x25, 0x00])  # bits 0 (body movement), 2 (irregular pulse), 5 (multiple bond)
    feature = decode_blood_pressure_feature(data)
    assert feature == BloodPressureFeature(
        body_movement_detection=True, irregular_pulse_detection=True, multiple_bond=True
    )
    assert encode_blood_pressure_feature(feature) == data
    # Reserved high bits are ignored, not an error.
    assert decode_blood_pressure_feature(b"\x25\xfe") == feature


# --- Pulse oximeter -------------------------------------------------------------------------

SPOT_CHECK_ALL = bytes(
    [
        0x0F,  # flags: timestamp, measurement status, device & sensor status, PAI
        0x61, 0x00,  # SpO2 SFLOAT 97 %
        0x48, 0x00,  # PR SFLOAT 72 bpm
        0xE8, 0x07, 0x03, 0x0F, 0x0A, 0x05, 0x1E,  # timestamp 2024-03-15 10:05:30
        0x80, 0x01,  # measurement status: validated data (bit 7), fully qualified (bit 8)
        0x20, 0x00, 0x00,  # device & sensor status: low perfusion detected (bit 5)
        0x23, 0xF0,  # pulse amplitude index SFLOAT 35 x 10^-1 = 3.5 %
    ]
)  # fmt: skip


def test_plx_spot_check_with_all_optional_fields() -> None:
    reading = decode_plx_spot_check(SPOT_CHECK_ALL)
    assert reading == PlxSpotCheck(
        spo2=97.0,
        pulse_rate=72.0,
        timestamp=local(2024, 3, 15, 10, 5, 30),
        measurement_status=PlxMeasurementStatus.VALIDATED_DATA
        | PlxMeasurementStatus.FULLY_QUALIFIED_DATA,
        device_sensor_status=PlxDeviceSensorStatus.LOW_PERFUSION_DETECTED,
        pulse_amplitude_index=3.5,
    )
    assert encode_plx_spot_check(reading) == SPOT_CHECK_ALL


def test_plx_spot_check_minimal_and_clock_not_set() -> None:
    data = bytes(
        [
            0x10,  # flags: device clock is not set (bit 4)
            0x62, 0x00,  # SpO2 98
            0xFF, 0x07,  # PR NaN (finger removed)
        ]
    )  # fmt: skip
    reading = decode_plx_spot_check(data)
    assert reading == PlxSpotCheck(98.0, None, device_clock_not_set=True)
    assert encode_plx_spot_check(reading) == data


def test_plx_reserved_status_bits_are_ignored() -> None:
    data = bytes(
        [
            0x06,  # flags: measurement status, device & sensor status
            0x61, 0x00, 0x48, 0x00,  # 97 %, 72 bpm
            0x1F, 0x20,  # status: bits 0-4 reserved (set), bit 13 measurement unavailable
            0x00, 0x80, 0xFF,  # device status: bit 15 sensor disconnected; bits 16-23 reserved
        ]
    )  # fmt: skip
    reading = decode_plx_spot_check(data)
    assert reading.measurement_status is PlxMeasurementStatus.MEASUREMENT_UNAVAILABLE
    assert reading.device_sensor_status is PlxDeviceSensorStatus.SENSOR_DISCONNECTED


def test_plx_continuous_with_fast_and_slow() -> None:
    data = bytes(
        [
            0x13,  # flags: SpO2PR-Fast, SpO2PR-Slow, PAI
            0x60, 0x00, 0x46, 0x00,  # normal: 96 %, 70 bpm
            0x5F, 0x00, 0x48, 0x00,  # fast: 95 %, 72 bpm
            0x61, 0x00, 0x45, 0x00,  # slow: 97 %, 69 bpm
            0x0C, 0xF0,  # PAI 1.2 %
        ]
    )  # fmt: skip
    reading = decode_plx_continuous(data)
    assert reading == PlxContinuous(
        spo2=96.0,
        pulse_rate=70.0,
        fast=SpO2PulseRate(95.0, 72.0),
        slow=SpO2PulseRate(97.0, 69.0),
        pulse_amplitude_index=1.2,
    )
    assert encode_plx_continuous(reading) == data


# --- Glucose ----------------------------------------------------------------------------------

GLUCOSE_95 = bytes(
    [
        0x1B,  # flags: time offset, concentration+type, kg/L, sensor status, context follows
        0x07, 0x00,  # sequence number 7
        0xE8, 0x07, 0x03, 0x0F, 0x07, 0x2D, 0x00,  # base time 2024-03-15 07:45:00
        0x05, 0x00,  # time offset +5 minutes
        0x5F, 0xB0,  # concentration SFLOAT 95 x 10^-5 kg/L = 95 mg/dL
        0x12,  # type capillary plasma (low nibble 2), location finger (high nibble 1)
        0x01, 0x00,  # sensor status: device battery low at time of measurement
    ]
)  # fmt: skip

GLUCOSE_95_CONTEXT = bytes(
    [
        0x5F,  # flags: carbohydrate, meal, tester-health, exercise, medication (kg), HbA1c
        0x07, 0x00,  # sequence number 7 (matches the measurement)
        0x01,  # carbohydrate id: breakfast
        0x2D, 0xD0,  # carbohydrate SFLOAT 45 x 10^-3 kg = 45 g
        0x01,  # meal: preprandial
        0x51,  # tester self (low nibble 1), health: no health issues (high nibble 5)
        0x08, 0x07,  # exercise duration 1800 s = 30 min
        0x32,  # exercise intensity 50 %
        0x01,  # medication id: rapid acting insulin
        0x06, 0xA0,  # medication SFLOAT 6 x 10^-6 kg = 6 mg
        0x41, 0xF0,  # HbA1c SFLOAT 65 x 10^-1 = 6.5 %
    ]
)  # fmt: skip


def test_glucose_measurement_with_time_offset() -> None:
    reading = decode_glucose_measurement(GLUCOSE_95)
    assert reading == GlucoseMeasurement(
        sequence=7,
        base_time=local(2024, 3, 15, 7, 45, 0),
        time_offset_minutes=5,
        concentration=95.0,
        unit=GlucoseUnit.MG_DL,
        sample_type=GlucoseType.CAPILLARY_PLASMA,
        sample_location=SampleLocation.FINGER,
        sensor_status=GlucoseSensorStatus.DEVICE_BATTERY_LOW,
        context_follows=True,
    )
    assert reading.measured_at == local(2024, 3, 15, 7, 50, 0)
    assert encode_glucose_measurement(reading) == GLUCOSE_95


def test_glucose_context() -> None:
    context = decode_glucose_context(GLUCOSE_95_CONTEXT)
    assert context == GlucoseContext(
        sequence=7,
        carbohydrate=Carbohydrate(CarbohydrateId.BREAKFAST, 45.0),
        meal=Meal.PREPRANDIAL,
        tester=GlucoseTester.SELF,
        health=GlucoseHealth.NO_HEALTH_ISSUES,
        exercise_minutes=30.0,
        exercise_intensity=50,
        medication=Medication(MedicationId.RAPID_ACTING_INSULIN, 6.0, MedicationUnit.MILLIGRAMS),
        hba1c=6.5,
    )
    assert encode_glucose_context(context) == GLUCOSE_95_CONTEXT


def test_glucose_context_liters_extended_flags_and_overrun() -> None:
    data = bytes(
        [
            0xA8,  # flags: exercise, medication in liters (bit 5), extended flags (bit 7)
            0x09, 0x00,  # sequence number 9
            0x00,  # extended flags (reserved, comes right after the sequence number)
            0xFF, 0xFF,  # exercise duration: overrun
            0x64,  # intensity 100 %
            # no medication block: bit 4 is clear, so bit 5 has nothing to apply to
        ]
    )  # fmt: skip
    context = decode_glucose_context(data)
    assert context == GlucoseContext(
        sequence=9, exercise_minutes=None, exercise_intensity=100, extended_flags=0
    )
    liters = bytes(
        [
            0x30,  # flags: medication, in liters
            0x0A, 0x00,  # sequence 10
            0x04,  # long acting insulin
            0x05, 0xD0,  # 5 x 10^-3 L = 5 mL
        ]
    )  # fmt: skip
    medication = decode_glucose_context(liters).medication
    assert medication == Medication(
        MedicationId.LONG_ACTING_INSULIN, 5.0, MedicationUnit.MILLILITERS
    )


def test_glucose_mmol_per_liter() -> None:
    data = bytes(
        [
            0x06,  # flags: concentration+type, mol/L
            0x01, 0x00,  # sequence 1
            0xE8, 0x07, 0x01, 0x02, 0x03, 0x04, 0x05,  # base time 2024-01-02 03:04:05
            0x35, 0xC0,  # 53 x 10^-4 mol/L = 5.3 mmol/L
            0xF9,  # type interstitial fluid (9), location not available (15)
        ]
    )  # fmt: skip
    reading = decode_glucose_measurement(data)
    assert reading.concentration == 5.3
    assert reading.unit is GlucoseUnit.MMOL_L
    assert reading.sample_type is GlucoseType.INTERSTITIAL_FLUID
    assert reading.sample_location is SampleLocation.NOT_AVAILABLE
    assert reading.time_offset_minutes is None
    assert reading.measured_at == local(2024, 1, 2, 3, 4, 5)
    assert encode_glucose_measurement(reading) == data


def test_glucose_reserved_type_and_location_are_kept_as_reserved() -> None:
    data = bytes(
        [
            0x02,  # flags: concentration+type, kg/L
            0x02, 0x00,  # sequence 2
            0xE8, 0x07, 0x01, 0x02, 0x03, 0x04, 0x05,  # base time
            0x5F, 0xB0,  # 95 mg/dL
            0x7D,  # type 13 (reserved), location 7 (reserved)
        ]
    )  # fmt: skip
    reading = decode_glucose_measurement(data)
    assert reading.sample_type is GlucoseType.RESERVED
    assert reading.sample_location is SampleLocation.RESERVED
    assert reading.concentration == 95.0


def test_glucose_negative_time_offset_and_unknown_base_time() -> None:
    data = bytes(
        [
            0x01,  # flags: time offset
            0x03, 0x00,  # sequence 3
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  # base time unknown
            0xC4, 0xFF,  # time offset -60 minutes (sint16)
        ]
    )  # fmt: skip
    reading = decode_glucose_measurement(data)
    assert reading.time_offset_minutes == -60
    assert reading.base_time is None
    assert reading.measured_at is None


def test_glucose_measured_at_applies_offset() -> None:
    reading = GlucoseMeasurement(1, local(2024, 12, 31, 23, 30), time_offset_minutes=45)
    assert reading.measured_at == local(2024, 12, 31, 23, 30) + timedelta(minutes=45)


def test_glucose_encode_rejects_half_a_concentration_block() -> None:
    with pytest.raises(BleEncodeError):
        encode_glucose_measurement(
            GlucoseMeasurement(1, None, concentration=95.0, sample_type=GlucoseType.VENOUS_PLASMA)
        )
    with pytest.raises(BleEncodeError):
        encode_glucose_measurement(GlucoseMeasurement(1, None, concentration=95.0))


# --- RACP ---------------------------------------------------------------------------------


def test_racp_requests() -> None:
    # op code 0x01 report stored records, operator 0x01 all records
    assert encode_report_all_records() == bytes([0x01, 0x01])
    # op code 0x01, operator 0x03 >=, filter type 0x01 sequence number, uint16 0x0108
    assert encode_report_records_from(0x0108) == bytes([0x01, 0x03, 0x01, 0x08, 0x01])
    # op code 0x04 report number of stored records, operator 0x01 all records
    assert encode_report_number_of_records() == bytes([0x04, 0x01])
    # op code 0x03 abort operation, operator 0x00 null
    assert encode_abort() == bytes([0x03, 0x00])
    with pytest.raises(BleEncodeError):
        encode_report_records_from(0x10000)


def test_racp_request_decoding_for_devices() -> None:
    request = decode_racp_request(bytes([0x01, 0x03, 0x01, 0x08, 0x01]))
    assert request.opcode is RacpOpcode.REPORT_STORED_RECORDS
    assert request.operator is RacpOperator.GREATER_THAN_OR_EQUAL_TO
    assert request.min_sequence == 0x0108
    assert decode_racp_request(bytes([0x01, 0x01])).min_sequence is None


def test_racp_number_of_records() -> None:
    # op code 0x05, operator 0x00 null, uint16 count 10
    data = bytes([0x05, 0x00, 0x0A, 0x00])
    assert decode_racp_response(data) == RacpNumberOfRecords(10)
    assert encode_racp_response(RacpNumberOfRecords(10)) == data


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (0x01, RacpResponseCode.SUCCESS),
        (0x02, RacpResponseCode.OP_CODE_NOT_SUPPORTED),
        (0x03, RacpResponseCode.INVALID_OPERATOR),
        (0x04, RacpResponseCode.OPERATOR_NOT_SUPPORTED),
        (0x05, RacpResponseCode.INVALID_OPERAND),
        (0x06, RacpResponseCode.NO_RECORDS_FOUND),
        (0x07, RacpResponseCode.ABORT_UNSUCCESSFUL),
        (0x08, RacpResponseCode.PROCEDURE_NOT_COMPLETED),
        (0x09, RacpResponseCode.OPERAND_NOT_SUPPORTED),
        (0x7F, RacpResponseCode.RESERVED),
    ],
)
def test_racp_response_codes(value: int, code: RacpResponseCode) -> None:
    # op code 0x06 response code, operator 0x00, request op code 0x01, response code value
    data = bytes([0x06, 0x00, 0x01, value])
    response = decode_racp_response(data)
    assert response == RacpResponse(RacpOpcode.REPORT_STORED_RECORDS, code)
    assert isinstance(response, RacpResponse)
    assert response.success is (code is RacpResponseCode.SUCCESS)


@pytest.mark.parametrize(
    "data",
    [
        bytes([0x01, 0x01]),  # a request, not a response
        bytes([0x05, 0x01, 0x0A, 0x00]),  # operator must be null
        bytes([0x05, 0x00, 0x0A]),  # truncated count
        bytes([0x06, 0x00, 0x01, 0x01, 0x00]),  # trailing byte
        bytes([0x06]),
    ],
)
def test_racp_response_rejects_malformed(data: bytes) -> None:
    with pytest.raises(BleDecodeError):
        decode_racp_response(data)


# --- Heart rate -------------------------------------------------------------------------------


def test_heart_rate_uint16_with_three_rr_intervals() -> None:
    data = bytes(
        [
            0x17,  # flags: uint16 value, contact supported + detected, RR-intervals
            0x48, 0x00,  # heart rate uint16 72
            0x00, 0x04,  # RR 1024/1024 s = 1.0 s
            0x33, 0x03,  # RR 819/1024 s
            0x66, 0x03,  # RR 870/1024 s
        ]
    )  # fmt: skip
    reading = decode_heart_rate(data)
    assert reading == HeartRateMeasurement(
        bpm=72, sensor_contact=True, rr_intervals_s=(1.0, 819 / 1024, 870 / 1024)
    )
    assert decode_heart_rate(encode_heart_rate(reading)) == reading


def test_heart_rate_uint8_with_energy_and_contact_states() -> None:
    data = bytes(
        [
            0x0C,  # flags: uint8, contact supported but not detected, energy expended
            0x3C,  # heart rate 60
            0x02, 0x01,  # energy expended 258 kJ
        ]
    )  # fmt: skip
    reading = decode_heart_rate(data)
    assert reading == HeartRateMeasurement(60, False, 258)
    assert encode_heart_rate(reading) == data
    # bit 1 without bit 2: contact is not supported -> None, whatever bit 1 says.
    assert decode_heart_rate(bytes([0x02, 0x3C])).sensor_contact is None


# --- Temperature ----------------------------------------------------------------------------


def test_temperature_fahrenheit_with_type() -> None:
    data = bytes(
        [
            0x07,  # flags: Fahrenheit, timestamp, temperature type
            0xDA, 0x03, 0x00, 0xFF,  # FLOAT mantissa 986, exponent -1 = 98.6
            0xE8, 0x07, 0x03, 0x0F, 0x09, 0x00, 0x00,  # timestamp 2024-03-15 09:00:00
            0x06,  # temperature type: mouth
        ]
    )  # fmt: skip
    reading = decode_temperature(data)
    assert reading == TemperatureMeasurement(
        98.6, TemperatureUnit.FAHRENHEIT, local(2024, 3, 15, 9, 0, 0), TemperatureType.MOUTH
    )
    assert encode_temperature(reading) == data


def test_temperature_celsius_minimal_and_reserved_type() -> None:
    data = bytes([0x04, 0x6E, 0x01, 0x00, 0xFF, 0x2A])  # 36.6 C, type 42 (reserved)
    reading = decode_temperature(data)
    assert reading == TemperatureMeasurement(
        36.6, TemperatureUnit.CELSIUS, None, TemperatureType.RESERVED
    )


# --- Weight ---------------------------------------------------------------------------------


def test_weight_imperial_with_bmi_and_height() -> None:
    data = bytes(
        [
            0x0F,  # flags: imperial, timestamp, user id, BMI and height
            0xB1, 0x3A,  # weight 15025 x 0.01 lb = 150.25 lb
            0xE8, 0x07, 0x03, 0x0F, 0x06, 0x3B, 0x3B,  # timestamp 2024-03-15 06:59:59
            0x02,  # user id 2
            0xF3, 0x00,  # BMI 243 x 0.1 = 24.3
            0x8F, 0x02,  # height 655 x 0.1 in = 65.5 in
        ]
    )  # fmt: skip
    reading = decode_weight(data)
    assert reading == WeightMeasurement(
        150.25, WeightUnit.LB, local(2024, 3, 15, 6, 59, 59), 2, 24.3, 65.5
    )
    assert encode_weight(reading) == data


def test_weight_si_and_unsuccessful() -> None:
    data = bytes(
        [
            0x08,  # flags: SI, BMI and height
            0xB0, 0x36,  # weight 14000 x 0.005 kg = 70.0 kg
            0xE5, 0x00,  # BMI 229 x 0.1 = 22.9
            0xE6, 0x06,  # height 1766 x 0.001 m = 1.766 m
        ]
    )  # fmt: skip
    assert decode_weight(data) == WeightMeasurement(70.0, WeightUnit.KG, bmi=22.9, height=1.766)
    # 0xFFFF = measurement unsuccessful: no weight, not 327.675 kg.
    unsuccessful = decode_weight(bytes([0x00, 0xFF, 0xFF]))
    assert unsuccessful.weight is None
    assert encode_weight(unsuccessful) == bytes([0x00, 0xFF, 0xFF])


def test_weight_encode_rejects_out_of_range() -> None:
    with pytest.raises(BleEncodeError):
        encode_weight(WeightMeasurement(400.0))  # 80000 steps > uint16
    with pytest.raises(BleEncodeError):
        encode_weight(WeightMeasurement(70.0, bmi=22.9))  # BMI without height


# --- Date Time, Current Time ---------------------------------------------------------------


def test_date_time() -> None:
    data = bytes([0xE8, 0x07, 0x03, 0x0F, 0x08, 0x1E, 0x2D])  # 2024-03-15 08:30:45
    assert decode_date_time(data) == local(2024, 3, 15, 8, 30, 45)
    assert decode_date_time_value(data) == local(2024, 3, 15, 8, 30, 45)
    assert encode_date_time(local(2024, 3, 15, 8, 30, 45)) == data
    assert decode_date_time(b"\xaa" + data, 1) == local(2024, 3, 15, 8, 30, 45)
    with pytest.raises(BleDecodeError):
        decode_date_time_value(data + b"\x00")  # the characteristic is exactly 7 bytes


@pytest.mark.parametrize(
    "data",
    [
        bytes([0x00, 0x00, 0x03, 0x0F, 0x08, 0x1E, 0x2D]),  # year 0 = unknown
        bytes([0xE8, 0x07, 0x00, 0x0F, 0x08, 0x1E, 0x2D]),  # month 0 = unknown
        bytes([0xE8, 0x07, 0x03, 0x00, 0x08, 0x1E, 0x2D]),  # day 0 = unknown
        bytes(7),
    ],
)
def test_date_time_unknown_is_none(data: bytes) -> None:
    assert decode_date_time(data) is None


@pytest.mark.parametrize(
    "data",
    [
        bytes([0xE8, 0x07, 0x0D, 0x0F, 0x08, 0x1E, 0x2D]),  # month 13
        bytes([0xE8, 0x07, 0x02, 0x1E, 0x08, 0x1E, 0x2D]),  # 30 February
        bytes([0xE8, 0x07, 0x03, 0x0F, 0x18, 0x1E, 0x2D]),  # hour 24
        bytes([0xE8, 0x07, 0x03, 0x0F, 0x08, 0x3C, 0x2D]),  # minute 60
        bytes([0xE8, 0x07, 0x03, 0x0F, 0x08, 0x1E, 0x3C]),  # second 60
        bytes([0x2D, 0x06, 0x03, 0x0F, 0x08, 0x1E, 0x2D]),  # year 1581 < 1582
        bytes([0x10, 0x27, 0x03, 0x0F, 0x08, 0x1E, 0x2D]),  # year 10000
        bytes([0xE8, 0x07, 0x03, 0x0F, 0x08, 0x1E]),  # truncated
    ],
)
def test_date_time_out_of_range_is_a_decode_error(data: bytes) -> None:
    # Not a ValueError from datetime(): a BleDecodeError naming the characteristic.
    with pytest.raises(BleDecodeError) as caught:
        decode_date_time(data)
    assert caught.value.characteristic == "Date Time"


def test_current_time_encode_for_setting_a_clock() -> None:
    moment = local(2024, 3, 15, 12, 34, 56, 500_000)  # a Friday
    data = encode_current_time(moment, AdjustReason.MANUAL_TIME_UPDATE)
    assert data == bytes(
        [
            0xE8, 0x07, 0x03, 0x0F, 0x0C, 0x22, 0x38,  # date time 2024-03-15 12:34:56
            0x05,  # day of week: Friday (1 = Monday)
            0x80,  # fractions256: 128/256 s = 0.5 s
            0x01,  # adjust reason: manual time update
        ]
    )  # fmt: skip
    decoded = decode_current_time(data)
    assert decoded == CurrentTime(
        local(2024, 3, 15, 12, 34, 56, 500_000), 5, 128, AdjustReason.MANUAL_TIME_UPDATE
    )
    assert encode_current_time_value(decoded) == data
    assert encode_current_time(local(2024, 3, 17)) == bytes(
        [0xE8, 0x07, 0x03, 0x11, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00]  # Sunday = 7
    )


def test_current_time_rejects_bad_lengths_and_day_of_week() -> None:
    with pytest.raises(BleDecodeError):
        decode_current_time(bytes(9))
    with pytest.raises(BleDecodeError):
        decode_current_time(bytes(11))
    with pytest.raises(BleDecodeError):
        decode_current_time(bytes([0xE8, 0x07, 0x03, 0x0F, 0, 0, 0, 0x08, 0, 0]))  # day 8


# --- Battery, Device Information, UUIDs ----------------------------------------------------


def test_battery_level() -> None:
    assert decode_battery_level(b"\x00") == 0
    assert decode_battery_level(bytearray(b"\x64")) == 100  # bleak hands over bytearray
    assert encode_battery_level(55) == b"\x37"
    for bad in (b"\x65", b"\xff", b"", b"\x10\x00"):
        with pytest.raises(BleDecodeError):
            decode_battery_level(bad)
    with pytest.raises(BleEncodeError):
        encode_battery_level(101)


def test_device_information_strings() -> None:
    assert decode_utf8_string(b"OMRON HEALTHCARE\x00\x00") == "OMRON HEALTHCARE"
    assert decode_utf8_string("Blutdruckmessgerät".encode()) == "Blutdruckmessgerät"
    assert decode_utf8_string(b"") == ""
    with pytest.raises(BleDecodeError):
        decode_utf8_string(b"\xff\xfeSN")
    with pytest.raises(BleDecodeError):
        decode_utf8_string(b"ab\xc3")  # truncated multi-byte sequence
    assert encode_utf8_string("HEM-7600T") == b"HEM-7600T"
    with pytest.raises(BleEncodeError):
        encode_utf8_string("bad\udc80")


def test_uuids() -> None:
    assert uuid16(0x1810) == "00001810-0000-1000-8000-00805f9b34fb"
    assert uuid16(0x1810) == Service.BLOOD_PRESSURE
    assert Characteristic.BLOOD_PRESSURE_MEASUREMENT.value == "00002a35-0000-1000-8000-00805f9b34fb"
    with pytest.raises(ValueError, match="16-bit"):
        uuid16(0x10000)


def test_registry_and_decode_characteristic() -> None:
    assert set(CHARACTERISTIC_DECODERS) >= {
        uuid16(n)
        for n in (
            0x2A35, 0x2A36, 0x2A49, 0x2A5E, 0x2A5F, 0x2A18, 0x2A34, 0x2A52, 0x2A37, 0x2A1C,
            0x2A9D, 0x2A08, 0x2A2B, 0x2A19, 0x2A29, 0x2A24, 0x2A25, 0x2A26, 0x2A27,
        )
    }  # fmt: skip
    assert all(type(key) is str for key in CHARACTERISTIC_DECODERS)
    assert decode_characteristic(uuid16(0x2A35), BP_120_80_93) == decode_blood_pressure(
        BP_120_80_93
    )
    assert decode_characteristic("2A19", b"\x50") == 80
    assert decode_characteristic(uuid16(0x2A35).upper(), BP_120_80_93) is not None
    with pytest.raises(BleDecodeError) as caught:
        decode_characteristic(uuid16(0x2A29), b"\xff")
    assert caught.value.characteristic == "Manufacturer Name String"
    with pytest.raises(BleDecodeError):
        decode_characteristic(uuid16(0x2A00), b"name")
