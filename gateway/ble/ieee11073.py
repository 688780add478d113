"""IEEE 11073-20601 SFLOAT (16 bit) and FLOAT (32 bit) medical number formats.

SFLOAT: 4-bit signed exponent (high nibble) and 12-bit signed mantissa; FLOAT: 8-bit signed
exponent (high byte) and 24-bit signed mantissa. Value = mantissa x 10^exponent, a *decimal*
number: 120.0 mmHg is mantissa 1200, exponent -1 (0xF4B0), never a binary fraction.

Special values (IEEE 11073-20601 Annex F.8/F.9) are defined as exponent 0 with a reserved
mantissa: NaN = +(2^(n-1) - 1), NRes = -2^(n-1), +INF = +(2^(n-1) - 2), -INF = -(2^(n-1) - 2),
reserved for future use = -(2^(n-1) - 1), n = mantissa bits. Only exponent 0 makes them
special: 0x17FF is mantissa 2047 x 10^1 = 20470, an ordinary number. All of them decode to
``None`` ("no value"): a NaN float would poison averages and alarm thresholds silently.
"""

from __future__ import annotations

import math
from decimal import Decimal
from enum import Enum

from gateway.ble.errors import BleDecodeError, BleEncodeError


class SpecialValue(Enum):
    """The five reserved IEEE 11073 patterns (exponent 0 only)."""

    NAN = "NaN"
    NRES = "NRes"  # "not at this resolution": the value does not fit the format
    POSITIVE_INFINITY = "+INF"
    NEGATIVE_INFINITY = "-INF"
    RESERVED = "reserved"


# Raw wire patterns (exponent 0 + reserved mantissa).
SFLOAT_NAN = 0x07FF
SFLOAT_NRES = 0x0800
SFLOAT_POSITIVE_INFINITY = 0x07FE
SFLOAT_NEGATIVE_INFINITY = 0x0802
SFLOAT_RESERVED = 0x0801

FLOAT_NAN = 0x007FFFFF
FLOAT_NRES = 0x00800000
FLOAT_POSITIVE_INFINITY = 0x007FFFFE
FLOAT_NEGATIVE_INFINITY = 0x00800002
FLOAT_RESERVED = 0x00800001

_SFLOAT_SPECIAL = {
    SFLOAT_NAN: SpecialValue.NAN,
    SFLOAT_NRES: SpecialValue.NRES,
    SFLOAT_POSITIVE_INFINITY: SpecialValue.POSITIVE_INFINITY,
    SFLOAT_NEGATIVE_INFINITY: SpecialValue.NEGATIVE_INFINITY,
    SFLOAT_RESERVED: SpecialValue.RESERVED,
}
_FLOAT_SPECIAL = {
    FLOAT_NAN: SpecialValue.NAN,
    FLOAT_NRES: SpecialValue.NRES,
    FLOAT_POSITIVE_INFINITY: SpecialValue.POSITIVE_INFINITY,
    FLOAT_NEGATIVE_INFINITY: SpecialValue.NEGATIVE_INFINITY,
    FLOAT_RESERVED: SpecialValue.RESERVED,
}


class _Format:
    """Bit layout of one of the two formats."""

    __slots__ = ("exp_bits", "mant_bits", "name", "special")

    def __init__(
        self, name: str, exp_bits: int, mant_bits: int, special: dict[int, SpecialValue]
    ) -> None:
        self.name = name
        self.exp_bits = exp_bits
        self.mant_bits = mant_bits
        self.special = special

    @property
    def total_bits(self) -> int:
        return self.exp_bits + self.mant_bits

    @property
    def mant_min(self) -> int:
        return -(1 << (self.mant_bits - 1))

    @property
    def mant_max(self) -> int:
        return (1 << (self.mant_bits - 1)) - 1

    @property
    def exp_min(self) -> int:
        return -(1 << (self.exp_bits - 1))

    @property
    def exp_max(self) -> int:
        return (1 << (self.exp_bits - 1)) - 1

    def split(self, raw: int) -> tuple[int, int]:
        if not 0 <= raw < (1 << self.total_bits):
            raise BleDecodeError(self.name, f"raw value {raw:#x} is not {self.total_bits} bits")
        mantissa = raw & ((1 << self.mant_bits) - 1)
        exponent = raw >> self.mant_bits
        # Both fields are two's complement: sign-extend (reading them unsigned turns 0xF4B0
        # = 120.0 into 62640, the classic parser bug).
        if mantissa >= 1 << (self.mant_bits - 1):
            mantissa -= 1 << self.mant_bits
        if exponent >= 1 << (self.exp_bits - 1):
            exponent -= 1 << self.exp_bits
        return mantissa, exponent

    def join(self, mantissa: int, exponent: int) -> int:
        return ((exponent & ((1 << self.exp_bits) - 1)) << self.mant_bits) | (
            mantissa & ((1 << self.mant_bits) - 1)
        )

    def is_special_pair(self, mantissa: int, exponent: int) -> bool:
        return exponent == 0 and self.join(mantissa, 0) in self.special


_SFLOAT = _Format("SFLOAT", 4, 12, _SFLOAT_SPECIAL)
_FLOAT = _Format("FLOAT", 8, 24, _FLOAT_SPECIAL)


def _decode(fmt: _Format, raw: int, scale_exponent: int) -> float | None:
    if raw in fmt.special:
        return None
    mantissa, exponent = fmt.split(raw)
    # Decimal arithmetic, then one correctly rounded conversion: 1200 x 10^-1 -> 120.0 and
    # 95 x 10^(-5 + 5) -> 95.0 exactly, where mantissa * 10.0**exponent would give
    # 120.00000000000001 for some inputs.
    return float(Decimal(mantissa).scaleb(exponent + scale_exponent))


def _encode(fmt: _Format, value: float | None, exponent: int | None, scale_exponent: int) -> int:
    if value is None or math.isnan(value):
        return fmt.join(fmt.mant_max, 0)  # NaN
    if math.isinf(value):
        special = SpecialValue.POSITIVE_INFINITY if value > 0 else SpecialValue.NEGATIVE_INFINITY
        return next(raw for raw, kind in fmt.special.items() if kind is special)
    # str() is the shortest decimal that round-trips the double: 120.5 -> "120.5", so the
    # mantissa/exponent pair is the decimal the caller meant, not the binary approximation.
    exact = Decimal(str(value)).scaleb(-scale_exponent)
    candidates: list[int]
    if exponent is not None:
        if not fmt.exp_min <= exponent <= fmt.exp_max:
            raise BleEncodeError(
                fmt.name, f"exponent {exponent} outside {fmt.exp_min}..{fmt.exp_max}"
            )
        candidates = [exponent]
    else:
        # Smallest exponent magnitude first: 0, -1, 1, -2, 2, ...
        candidates = sorted(range(fmt.exp_min, fmt.exp_max + 1), key=lambda e: (abs(e), e))
    for exp in candidates:
        scaled = exact.scaleb(-exp)
        if scaled != scaled.to_integral_value():
            continue
        mantissa = int(scaled)
        if not fmt.mant_min <= mantissa <= fmt.mant_max:
            continue
        if fmt.is_special_pair(mantissa, exp):
            continue  # would read back as NaN/INF/NRes, not as this number
        return fmt.join(mantissa, exp)
    where = f"with exponent {exponent}" if exponent is not None else "with any exponent"
    raise BleEncodeError(
        fmt.name,
        f"{value} is not exactly representable {where} "
        f"(mantissa {fmt.mant_min}..{fmt.mant_max} excluding the special values)",
    )


def decode_sfloat(raw: int, *, scale_exponent: int = 0) -> float | None:
    """Decode a 16-bit SFLOAT; ``None`` for NaN, NRes, +/-INF and reserved.

    ``scale_exponent`` multiplies by 10^scale_exponent exactly (unit conversion without
    binary rounding: kg/L -> mg/dL is ``scale_exponent=5``).
    """
    return _decode(_SFLOAT, raw, scale_exponent)


def encode_sfloat(
    value: float | None, exponent: int | None = None, *, scale_exponent: int = 0
) -> int:
    """Encode ``value`` (None/NaN -> NaN) as a 16-bit SFLOAT.

    Picks the exponent of smallest magnitude that represents ``value`` exactly, or uses
    ``exponent``; raises ``BleEncodeError`` when no exact representation exists.
    ``scale_exponent`` divides by 10^scale_exponent first (the inverse of decoding).
    """
    return _encode(_SFLOAT, value, exponent, scale_exponent)


def decode_float32(raw: int, *, scale_exponent: int = 0) -> float | None:
    """Decode a 32-bit FLOAT; ``None`` for NaN, NRes, +/-INF and reserved."""
    return _decode(_FLOAT, raw, scale_exponent)


def encode_float32(
    value: float | None, exponent: int | None = None, *, scale_exponent: int = 0
) -> int:
    """Encode ``value`` (None/NaN -> NaN) as a 32-bit FLOAT; see ``encode_sfloat``."""
    return _encode(_FLOAT, value, exponent, scale_exponent)


def sfloat_parts(raw: int) -> tuple[int, int]:
    """(mantissa, exponent) of a 16-bit SFLOAT, both sign-extended."""
    return _SFLOAT.split(raw)


def float32_parts(raw: int) -> tuple[int, int]:
    """(mantissa, exponent) of a 32-bit FLOAT, both sign-extended."""
    return _FLOAT.split(raw)


def sfloat_special(raw: int) -> SpecialValue | None:
    """Which special value ``raw`` is, or None for an ordinary number."""
    return _SFLOAT_SPECIAL.get(raw)


def float32_special(raw: int) -> SpecialValue | None:
    """Which special value ``raw`` is, or None for an ordinary number."""
    return _FLOAT_SPECIAL.get(raw)


def read_sfloat(data: bytes | bytearray, offset: int = 0) -> float | None:
    """Decode the little-endian SFLOAT at ``data[offset:offset + 2]``."""
    if offset < 0 or len(data) < offset + 2:
        raise BleDecodeError("SFLOAT", f"needs 2 bytes at offset {offset}, have {len(data)}")
    return decode_sfloat(int.from_bytes(data[offset : offset + 2], "little"))


def read_float32(data: bytes | bytearray, offset: int = 0) -> float | None:
    """Decode the little-endian FLOAT at ``data[offset:offset + 4]``."""
    if offset < 0 or len(data) < offset + 4:
        raise BleDecodeError("FLOAT", f"needs 4 bytes at offset {offset}, have {len(data)}")
    return decode_float32(int.from_bytes(data[offset : offset + 4], "little"))
