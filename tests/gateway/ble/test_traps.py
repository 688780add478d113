"""Traps that public BLE health parsers are known to fall into, one test each, plus the
length rules: truncated optional fields and trailing bytes are rejected, reserved flag bits
are ignored.

(SFLOAT/FLOAT traps - unsigned reads, sign extension, negative exponents, special values,
NRes vs reserved, special mantissas with nonzero exponents - are in test_ieee11073.py.)
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gateway.ble import (
    BleDecodeError,
    GlucoseUnit,
    HeartRateMeasurement,
    WeightMeasurement,
    WeightUnit,
    decode_blood_pressure,
    decode_blood_pressure_feature,
    decode_glucose_context,
    decode_glucose_measurement,
    decode_heart_rate,
    decode_plx_continuous,
    decode_plx_spot_check,
    decode_temperature,
    decode_weight,
    encode_heart_rate,
    encode_weight,
)

# --- Heart rate ----------------------------------------------------------------------------


def test_trap_heart_rate_uint16_flag() -> None:
    # Trap: always reading the heart rate as uint8. With flag bit 0 set the value is a
    # uint16: 0x012C = 300 bpm, not 0x2C = 44 bpm (and the 0x01 would shift every later field).
    data = bytes([0x01, 0x2C, 0x01])  # flags: uint16 | heart rate 300
    assert decode_heart_rate(data).bpm == 300
    data = bytes([0x11, 0x48, 0x00, 0x00, 0x04])  # uint16 72, RR 1024
    assert decode_heart_rate(data) == HeartRateMeasurement(72, rr_intervals_s=(1.0,))


def test_trap_rr_intervals_are_1024ths_of_a_second() -> None:
    # Trap: treating RR-intervals as milliseconds. The unit is 1/1024 s: raw 1024 is 1.0 s
    # (60 bpm), not 1.024 s; raw 800 is 0.78125 s, not 0.8 s.
    data = bytes([0x10, 0x3C, 0x00, 0x04, 0x20, 0x03])  # uint8 60, RR 1024, RR 800
    assert decode_heart_rate(data).rr_intervals_s == (1.0, 0.78125)
    # Encoding rounds seconds to the nearest 1/1024 s, as the strap does.
    encoded = encode_heart_rate(HeartRateMeasurement(60, rr_intervals_s=(0.8,)))
    assert encoded == bytes([0x10, 0x3C, 0x33, 0x03])  # round(0.8 x 1024) = 819


def test_heart_rate_odd_rr_byte_is_rejected() -> None:
    with pytest.raises(BleDecodeError, match="RR-interval"):
        decode_heart_rate(bytes([0x10, 0x3C, 0x00, 0x04, 0x20]))


def test_heart_rate_rr_flag_with_no_intervals_is_accepted() -> None:
    # Some straps set the RR flag in a notification that carries none: an empty tuple.
    assert decode_heart_rate(bytes([0x10, 0x3C])).rr_intervals_s == ()


# --- Glucose ----------------------------------------------------------------------------------


def test_trap_glucose_kg_per_liter_is_converted_to_mg_per_dl() -> None:
    # Trap: reporting the raw SFLOAT (0.00095) as mg/dL, or multiplying in binary floating
    # point (7e-05 * 100000 = 7.000000000000001). 1 kg/L = 100000 mg/dL, applied exactly.
    data = bytes(
        [
            0x02,  # flags: concentration present, kg/L
            0x01, 0x00,  # sequence 1
            0xE8, 0x07, 0x01, 0x01, 0x00, 0x00, 0x00,  # base time 2024-01-01 00:00:00
            0x5F, 0xB0,  # 95 x 10^-5 kg/L
            0x11,  # capillary whole blood, finger
        ]
    )  # fmt: skip
    reading = decode_glucose_measurement(data)
    assert reading.concentration == 95.0
    assert reading.unit is GlucoseUnit.MG_DL
    seven = data[:10] + bytes([0x07, 0xB0, 0x11])  # 7 x 10^-5 kg/L
    assert decode_glucose_measurement(seven).concentration == 7.0


def test_trap_glucose_mol_per_liter_is_converted_to_mmol_per_liter() -> None:
    # 1 mol/L = 1000 mmol/L: 0.0053 mol/L is 5.3 mmol/L (not 0.0053, not 5.300000000000001).
    data = bytes(
        [
            0x06,  # flags: concentration present, mol/L
            0x01, 0x00,  # sequence 1
            0xE8, 0x07, 0x01, 0x01, 0x00, 0x00, 0x00,  # base time
            0x35, 0xC0,  # 53 x 10^-4 mol/L
            0x11,  # type/location
        ]
    )  # fmt: skip
    assert decode_glucose_measurement(data).concentration == 5.3


def test_trap_glucose_context_extended_flags_shift_the_fields() -> None:
    # Trap: ignoring flag bit 7. The extended-flags byte sits right after the sequence number
    # and every later field moves by one.
    data = bytes([0x82, 0x01, 0x00, 0x00, 0x03])  # flags: meal, extended | seq 1 | ext 0 | fasting
    context = decode_glucose_context(data)
    assert context.extended_flags == 0
    assert context.meal is not None
    assert context.meal.name == "FASTING"


# --- Weight ------------------------------------------------------------------------------------


def test_trap_weight_resolution_is_5_grams() -> None:
    # Trap: using 0.01 kg (or 0.1 kg) per step for SI weight. The SI resolution is 0.005 kg:
    # raw 14001 is 70.005 kg, not 140.01 kg; imperial is 0.01 lb per step.
    assert decode_weight(bytes([0x00, 0xB1, 0x36])).weight == 70.005
    assert decode_weight(bytes([0x01, 0xB1, 0x36])).weight == 140.01
    assert encode_weight(WeightMeasurement(70.005)) == bytes([0x00, 0xB1, 0x36])


def test_trap_weight_unsuccessful_is_not_a_weight() -> None:
    # Trap: reporting 0xFFFF as 327.675 kg. It means "measurement unsuccessful".
    assert decode_weight(bytes([0x00, 0xFF, 0xFF])).weight is None
    assert decode_weight(bytes([0x01, 0xFF, 0xFF])) == WeightMeasurement(None, WeightUnit.LB)


def test_trap_height_resolution_depends_on_unit() -> None:
    # SI height is 0.001 m per step; imperial is 0.1 inch per step.
    si = decode_weight(bytes([0x08, 0xB0, 0x36, 0xE5, 0x00, 0xE6, 0x06]))
    imperial = decode_weight(bytes([0x09, 0xB0, 0x36, 0xE5, 0x00, 0x8F, 0x02]))
    assert (si.bmi, si.height) == (22.9, 1.766)
    assert (imperial.bmi, imperial.height) == (22.9, 65.5)


# --- length rules -----------------------------------------------------------------------------

BP_MIN = bytes([0x00, 0x78, 0x00, 0x50, 0x00, 0x5D, 0x00])
SPOT_MIN = bytes([0x00, 0x61, 0x00, 0x48, 0x00])
CONT_MIN = bytes([0x00, 0x61, 0x00, 0x48, 0x00])
GLUCOSE_MIN = bytes([0x00, 0x01, 0x00, 0xE8, 0x07, 0x01, 0x01, 0x00, 0x00, 0x00])
CONTEXT_MIN = bytes([0x00, 0x01, 0x00])
HR_MIN = bytes([0x00, 0x48])
TEMP_MIN = bytes([0x00, 0x6E, 0x01, 0x00, 0xFF])
WEIGHT_MIN = bytes([0x00, 0xB0, 0x36])

MINIMAL: list[tuple[Callable[[bytes], object], bytes, int]] = [
    # decoder, the shortest valid value, every flag bit that adds a field
    (decode_blood_pressure, BP_MIN, 0x1E),
    (decode_plx_spot_check, SPOT_MIN, 0x0F),
    (decode_plx_continuous, CONT_MIN, 0x1F),
    (decode_glucose_measurement, GLUCOSE_MIN, 0x0B),
    (decode_glucose_context, CONTEXT_MIN, 0xDF),
    (decode_heart_rate, HR_MIN, 0x08),
    (decode_temperature, TEMP_MIN, 0x06),
    (decode_weight, WEIGHT_MIN, 0x0E),
]
IDS = [decoder.__name__ for decoder, _, _ in MINIMAL]


@pytest.mark.parametrize(("decode", "data", "_bits"), MINIMAL, ids=IDS)
def test_trailing_bytes_are_rejected(
    decode: Callable[[bytes], object], data: bytes, _bits: int
) -> None:
    # A payload longer than its flags say is a broken device (or a mis-parsed flag): reject.
    decode(data)
    with pytest.raises(BleDecodeError, match="trailing"):
        decode(data + b"\x00")


@pytest.mark.parametrize(("decode", "data", "bits"), MINIMAL, ids=IDS)
def test_every_truncation_is_rejected(
    decode: Callable[[bytes], object], data: bytes, bits: int
) -> None:
    for cut in range(len(data)):
        with pytest.raises(BleDecodeError):
            decode(data[:cut])
    # Each optional field announced by a flag but missing: truncated, not a crash.
    for bit in range(8):
        if bits & (1 << bit):
            with pytest.raises(BleDecodeError, match="truncated"):
                decode(bytes([data[0] | (1 << bit)]) + data[1:])


@pytest.mark.parametrize(
    ("decode", "data", "reserved"),
    [
        (decode_blood_pressure, BP_MIN, 0xE0),
        (decode_plx_spot_check, SPOT_MIN, 0xE0),
        (decode_plx_continuous, CONT_MIN, 0xE0),
        (decode_glucose_measurement, GLUCOSE_MIN, 0xE0),
        (decode_temperature, TEMP_MIN, 0xF8),
        (decode_weight, WEIGHT_MIN, 0xF0),
        (decode_heart_rate, HR_MIN, 0xE0),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_reserved_flag_bits_are_ignored(
    decode: Callable[[bytes], object], data: bytes, reserved: int
) -> None:
    # Future spec versions define these bits; an older collector must still read the value.
    assert decode(bytes([data[0] | reserved]) + data[1:]) == decode(data)


def test_feature_must_be_two_bytes() -> None:
    for data in (b"", b"\x01", b"\x01\x00\x00"):
        with pytest.raises(BleDecodeError):
            decode_blood_pressure_feature(data)


def test_error_names_characteristic_and_reason() -> None:
    with pytest.raises(BleDecodeError) as caught:
        decode_blood_pressure(BP_MIN[:4])
    assert caught.value.characteristic == "Blood Pressure Measurement"
    assert "diastolic" in caught.value.reason
    assert isinstance(caught.value, ValueError)
