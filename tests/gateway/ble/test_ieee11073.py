"""IEEE 11073-20601 SFLOAT / FLOAT: known answers, special values, round trips.

Trap tests name the mistake a public parser is known to make; each one would pass with the
wrong implementation if the assertion were written the naive way.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.ble import BleDecodeError, BleEncodeError
from gateway.ble.ieee11073 import (
    FLOAT_NAN,
    FLOAT_NEGATIVE_INFINITY,
    FLOAT_NRES,
    FLOAT_POSITIVE_INFINITY,
    FLOAT_RESERVED,
    SFLOAT_NAN,
    SFLOAT_NEGATIVE_INFINITY,
    SFLOAT_NRES,
    SFLOAT_POSITIVE_INFINITY,
    SFLOAT_RESERVED,
    SpecialValue,
    decode_float32,
    decode_sfloat,
    encode_float32,
    encode_sfloat,
    float32_parts,
    float32_special,
    read_float32,
    read_sfloat,
    sfloat_parts,
    sfloat_special,
)
from tests.gateway.ble._helpers import (
    FLOAT_SPECIAL_RAWS,
    SFLOAT_SPECIAL_RAWS,
    float32_values,
    sfloat_values,
)

# --- known answers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0x0078, 120.0),  # exponent 0, mantissa 120
        (0xF4B0, 120.0),  # exponent -1, mantissa 1200
        (0xF06B, 10.7),  # exponent -1, mantissa 107 (kPa)
        (0x0000, 0.0),
        (0xE3E8, 10.0),  # exponent -2, mantissa 1000
        (0x1001, 10.0),  # exponent 1, mantissa 1
        (0x7001, 10_000_000.0),  # largest exponent +7
        (0x8001, 1e-8),  # smallest exponent -8
        (0x07FD, 2045.0),  # largest ordinary mantissa at exponent 0
        (0x0803 ^ 0x0000, -2045.0),  # 0x803: most negative ordinary mantissa at exponent 0
        (0xB05F, 0.00095),  # 95 mg/dL as kg/L: mantissa 95, exponent -5
    ],
)
def test_sfloat_known_answers(raw: int, expected: float) -> None:
    assert decode_sfloat(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0xFF00016E, 36.6),  # exponent -1, mantissa 366
        (0xFF0003DA, 98.6),  # exponent -1, mantissa 986
        (0x00000025, 37.0),
        (0xFE000E4A, 36.58),  # exponent -2, mantissa 3658
        (0x02000001, 100.0),
    ],
)
def test_float32_known_answers(raw: int, expected: float) -> None:
    assert decode_float32(raw) == expected


def test_decoded_values_are_exact_decimals() -> None:
    # mantissa * 10.0 ** exponent gives 0.30000000000000004-style noise for some pairs;
    # the decoder must return the double nearest the decimal the device meant.
    for mantissa in range(-2045, 2046):
        for exponent in (-3, -2, -1):
            raw = ((exponent & 0xF) << 12) | (mantissa & 0xFFF)
            assert decode_sfloat(raw) == float(f"{mantissa}e{exponent}")


def test_scale_exponent_converts_units_exactly() -> None:
    # kg/L -> mg/dL is x 10^5: 95 x 10^-5 kg/L is exactly 95.0 mg/dL, not 94.99999999999999.
    assert decode_sfloat(0xB05F, scale_exponent=5) == 95.0
    assert encode_sfloat(95.0, scale_exponent=5) == 0xB05F
    # 7 x 10^-5 kg/L: the binary multiplication a naive parser does gives 7.000000000000001.
    assert 7 * 10.0**-5 * 100000 != 7.0
    assert decode_sfloat(0xB007, scale_exponent=5) == 7.0
    for mantissa in range(1, 2046):  # every whole mg/dL sent as kg/L x 10^-5
        assert decode_sfloat(0xB000 | mantissa, scale_exponent=5) == float(mantissa)


def test_read_helpers() -> None:
    assert read_sfloat(b"\x00\xb0\xf4", 1) == 120.0
    assert read_float32(b"\x6e\x01\x00\xff") == 36.6
    with pytest.raises(BleDecodeError):
        read_sfloat(b"\x00", 0)
    with pytest.raises(BleDecodeError):
        read_float32(b"\x00\x00\x00\x00", 1)


def test_out_of_range_raw_is_a_decode_error() -> None:
    with pytest.raises(BleDecodeError):
        decode_sfloat(0x10000)
    with pytest.raises(BleDecodeError):
        decode_float32(-1)


# --- special values -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (SFLOAT_NAN, SpecialValue.NAN),
        (SFLOAT_NRES, SpecialValue.NRES),
        (SFLOAT_POSITIVE_INFINITY, SpecialValue.POSITIVE_INFINITY),
        (SFLOAT_NEGATIVE_INFINITY, SpecialValue.NEGATIVE_INFINITY),
        (SFLOAT_RESERVED, SpecialValue.RESERVED),
    ],
)
def test_sfloat_special_values_are_no_value(raw: int, kind: SpecialValue) -> None:
    # Trap: special values read as numbers (2047, 2048, -2046), as float('nan') or as
    # +/-infinity. "No value" must be None so no threshold or average ever sees it.
    assert decode_sfloat(raw) is None
    assert sfloat_special(raw) is kind


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (FLOAT_NAN, SpecialValue.NAN),
        (FLOAT_NRES, SpecialValue.NRES),
        (FLOAT_POSITIVE_INFINITY, SpecialValue.POSITIVE_INFINITY),
        (FLOAT_NEGATIVE_INFINITY, SpecialValue.NEGATIVE_INFINITY),
        (FLOAT_RESERVED, SpecialValue.RESERVED),
    ],
)
def test_float32_special_values_are_no_value(raw: int, kind: SpecialValue) -> None:
    assert decode_float32(raw) is None
    assert float32_special(raw) is kind


def test_trap_float_nres_and_reserved_not_swapped() -> None:
    # Trap: tables that label 0x00800001 as NRes. NRes is mantissa -2^23 (0x00800000);
    # -(2^23 - 1) (0x00800001) is reserved for future use. Same pattern for SFLOAT.
    assert float32_special(0x00800000) is SpecialValue.NRES
    assert float32_special(0x00800001) is SpecialValue.RESERVED
    assert sfloat_special(0x0800) is SpecialValue.NRES
    assert sfloat_special(0x0801) is SpecialValue.RESERVED
    assert float32_special(0x00800002) is SpecialValue.NEGATIVE_INFINITY
    assert sfloat_special(0x0802) is SpecialValue.NEGATIVE_INFINITY


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0x17FF, 20470.0),  # mantissa 2047 x 10^1
        (0xF7FF, 204.7),  # mantissa 2047 x 10^-1
        (0x1800, -20480.0),  # mantissa -2048 x 10^1
        (0x27FE, 204600.0),  # mantissa 2046 x 10^2
        (0xE802, -20.46),  # mantissa -2046 x 10^-2
        (0x1801, -20470.0),  # mantissa -2047 x 10^1
    ],
)
def test_trap_special_mantissa_with_nonzero_exponent_is_a_number(raw: int, expected: float) -> None:
    # Trap: masking off the exponent before the special-value check. IEEE 11073-20601
    # Annex F defines each special value as "exponent 0, mantissa ..." (NaN: exponent 0,
    # mantissa +(2^11 - 1) -> 0x07FF), so the same mantissa with any other exponent is an
    # ordinary number: 0x17FF is 2047 x 10^1 = 20470.
    assert decode_sfloat(raw) == expected
    assert sfloat_special(raw) is None


def test_trap_float_special_mantissa_with_nonzero_exponent_is_a_number() -> None:
    assert decode_float32(0x017FFFFF) == 83886070.0  # 8388607 x 10^1
    assert decode_float32(0xFF800000) == -838860.8  # -8388608 x 10^-1


def test_trap_sfloat_is_not_an_unsigned_integer() -> None:
    # Trap: reading the SFLOAT as uint16 (0xF4B0 = 62640) instead of mantissa 1200,
    # exponent -1.
    assert decode_sfloat(0xF4B0) == 120.0
    assert decode_sfloat(0xF4B0) != 0xF4B0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0x0FFF, -1.0),  # mantissa 0xFFF is -1, not 4095
        (0xFF9C, -10.0),  # exponent -1, mantissa 0xF9C = -100
        (0x0C18, -1000.0),  # mantissa 0xC18 = -1000
        (0xF803, -204.5),  # exponent -1, mantissa 0x803 = -2045
    ],
)
def test_trap_sfloat_negative_mantissa_is_sign_extended(raw: int, expected: float) -> None:
    # Trap: the 12-bit mantissa taken as unsigned (no sign extension).
    assert decode_sfloat(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0x00FFFFFF, -1.0),  # 24-bit mantissa 0xFFFFFF is -1
        (0xFFFFFF9C, -10.0),  # exponent -1, mantissa -100
        (0xFEFFF1B6, -36.58),  # exponent -2, mantissa -3658
    ],
)
def test_trap_float32_negative_mantissa_is_sign_extended(raw: int, expected: float) -> None:
    # Trap: the 24-bit mantissa taken as unsigned.
    assert decode_float32(raw) == expected


def test_trap_negative_exponents() -> None:
    # Trap: the 4-bit / 8-bit exponent taken as unsigned (0xF = 15 instead of -1).
    assert sfloat_parts(0xF4B0) == (1200, -1)
    assert sfloat_parts(0x8001) == (1, -8)
    assert decode_sfloat(0x8001) == 1e-8
    assert float32_parts(0x80000001) == (1, -128)
    assert decode_float32(0x80000001) == 1e-128
    assert float32_parts(0x7F000001) == (1, 127)


# --- encoding ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "raw"),
    [
        (120.0, 0x0078),  # exponent 0 is the smallest magnitude that fits
        (120.5, 0xF4B5),  # 1205 x 10^-1
        (36.6, 0xF16E),
        (0.0, 0x0000),
        (-1.0, 0x0FFF),
        (20000.0, 0x17D0),  # 2000 x 10^1: 20000 does not fit 12 bits
        (20470.0, 0x17FF),  # 2047 x 10^1: an ordinary number with exponent 1
        (None, SFLOAT_NAN),
        (math.nan, SFLOAT_NAN),
        (math.inf, SFLOAT_POSITIVE_INFINITY),
        (-math.inf, SFLOAT_NEGATIVE_INFINITY),
    ],
)
def test_encode_sfloat(value: float | None, raw: int) -> None:
    assert encode_sfloat(value) == raw


def test_encode_sfloat_explicit_exponent() -> None:
    assert encode_sfloat(120.0, exponent=-1) == 0xF4B0
    assert encode_sfloat(95.0, exponent=-5, scale_exponent=5) == 0xB05F
    with pytest.raises(BleEncodeError):
        encode_sfloat(120.05, exponent=-1)  # not a whole number of tenths
    with pytest.raises(BleEncodeError):
        encode_sfloat(1.0, exponent=8)  # exponent out of range
    with pytest.raises(BleEncodeError):
        encode_sfloat(2047.0, exponent=0)  # would be NaN on the wire


@pytest.mark.parametrize("value", [2047.0, 2046.0, -2046.0, -2047.0, -2048.0, 12345.0, 0.123456])
def test_encode_sfloat_rejects_unrepresentable(value: float) -> None:
    # 2047 etc. at exponent 0 are the special patterns and no other exponent is exact.
    with pytest.raises(BleEncodeError):
        encode_sfloat(value)


def test_encode_float32() -> None:
    assert encode_float32(36.6) == 0xFF00016E
    assert encode_float32(98.6, exponent=-1) == 0xFF0003DA
    assert encode_float32(None) == FLOAT_NAN
    with pytest.raises(BleEncodeError):
        encode_float32(8388607.0)  # the NaN mantissa at exponent 0, no other exact exponent
    with pytest.raises(BleEncodeError):
        encode_float32(0.1 + 0.2)  # 0.30000000000000004 has 17 significant digits


# --- round trips --------------------------------------------------------------------------


@given(sfloat_values())
def test_sfloat_round_trip(value: float) -> None:
    assert decode_sfloat(encode_sfloat(value)) == value


@given(float32_values())
def test_float32_round_trip(value: float) -> None:
    assert decode_float32(encode_float32(value)) == value


def test_sfloat_every_raw_value_round_trips_with_its_exponent() -> None:
    # Exhaustive: all 65536 patterns; re-encoding with the same exponent gives the same bits.
    for raw in range(0x10000):
        value = decode_sfloat(raw)
        if raw in SFLOAT_SPECIAL_RAWS:
            assert value is None
            continue
        assert value is not None
        _, exponent = sfloat_parts(raw)
        assert encode_sfloat(value, exponent=exponent) == raw
        assert decode_sfloat(encode_sfloat(value)) == value


@given(st.integers(0, 0xFFFFFFFF))
def test_float32_raw_round_trips_with_its_exponent(raw: int) -> None:
    value = decode_float32(raw)
    if raw in FLOAT_SPECIAL_RAWS:
        assert value is None
        return
    assert value is not None
    _, exponent = float32_parts(raw)
    assert encode_float32(value, exponent=exponent) == raw
    assert decode_float32(encode_float32(value)) == value


@given(st.integers(-2045, 2045))
def test_encoder_picks_smallest_exponent_magnitude(mantissa: int) -> None:
    raw = encode_sfloat(float(mantissa))
    assert sfloat_parts(raw) == (mantissa, 0)
