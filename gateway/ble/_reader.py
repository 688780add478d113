"""Little-endian field reader/writer shared by the codecs.

Every read checks the length first so a truncated payload becomes a ``BleDecodeError`` naming
the characteristic, never an ``IndexError`` or ``struct.error``.
"""

from __future__ import annotations

import math
from datetime import datetime

from gateway.ble import ieee11073
from gateway.ble.errors import BleDecodeError, BleEncodeError


class Reader:
    """A cursor over one characteristic value."""

    __slots__ = ("_data", "_pos", "name")

    def __init__(self, data: bytes | bytearray, name: str) -> None:
        self._data = bytes(data)
        self._pos = 0
        self.name = name

    @property
    def remaining(self) -> int:
        return len(self._data) - self._pos

    def fail(self, reason: str) -> BleDecodeError:
        return BleDecodeError(self.name, reason)

    def take(self, size: int, what: str) -> bytes:
        if self.remaining < size:
            raise self.fail(
                f"truncated {what}: needs {size} byte(s) at offset {self._pos}, "
                f"{self.remaining} left (payload is {len(self._data)} bytes)"
            )
        chunk = self._data[self._pos : self._pos + size]
        self._pos += size
        return chunk

    def u8(self, what: str) -> int:
        return self.take(1, what)[0]

    def u16(self, what: str) -> int:
        return int.from_bytes(self.take(2, what), "little")

    def s16(self, what: str) -> int:
        return int.from_bytes(self.take(2, what), "little", signed=True)

    def u24(self, what: str) -> int:
        return int.from_bytes(self.take(3, what), "little")

    def u32(self, what: str) -> int:
        return int.from_bytes(self.take(4, what), "little")

    def sfloat(self, what: str, scale_exponent: int = 0) -> float | None:
        return ieee11073.decode_sfloat(self.u16(what), scale_exponent=scale_exponent)

    def float32(self, what: str, scale_exponent: int = 0) -> float | None:
        return ieee11073.decode_float32(self.u32(what), scale_exponent=scale_exponent)

    def date_time(self, what: str) -> datetime | None:
        return date_time_from_fields(self.take(7, what), self.name, what)

    def end(self) -> None:
        """Reject bytes after the last flagged field: a wrong-length payload is a broken device."""
        if self.remaining:
            raise self.fail(
                f"{self.remaining} unexpected trailing byte(s) after offset {self._pos} "
                f"(payload is {len(self._data)} bytes)"
            )


class Writer:
    """Builds one characteristic value, range-checking every field."""

    __slots__ = ("_buf", "name")

    def __init__(self, name: str) -> None:
        self._buf = bytearray()
        self.name = name

    def _uint(self, value: int, size: int, what: str, *, signed: bool = False) -> None:
        try:
            self._buf += int(value).to_bytes(size, "little", signed=signed)
        except OverflowError:
            kind = "sint" if signed else "uint"
            raise BleEncodeError(
                self.name, f"{what}={value} does not fit {kind}{size * 8}"
            ) from None

    def u8(self, value: int, what: str) -> None:
        self._uint(value, 1, what)

    def u16(self, value: int, what: str) -> None:
        self._uint(value, 2, what)

    def s16(self, value: int, what: str) -> None:
        self._uint(value, 2, what, signed=True)

    def u24(self, value: int, what: str) -> None:
        self._uint(value, 3, what)

    def u32(self, value: int, what: str) -> None:
        self._uint(value, 4, what)

    def sfloat(self, value: float | None, what: str, scale_exponent: int = 0) -> None:
        try:
            raw = ieee11073.encode_sfloat(value, scale_exponent=scale_exponent)
        except BleEncodeError as err:
            raise BleEncodeError(self.name, f"{what}: {err.reason}") from None
        self.u16(raw, what)

    def float32(self, value: float | None, what: str, scale_exponent: int = 0) -> None:
        try:
            raw = ieee11073.encode_float32(value, scale_exponent=scale_exponent)
        except BleEncodeError as err:
            raise BleEncodeError(self.name, f"{what}: {err.reason}") from None
        self.u32(raw, what)

    def date_time(self, value: datetime | None, what: str) -> None:
        self._buf += date_time_to_fields(value, self.name, what)

    def raw(self, data: bytes) -> None:
        self._buf += data

    def bytes(self) -> bytes:
        return bytes(self._buf)


def fixed_point(raw: int, divisor: int) -> float:
    """``raw / divisor`` correctly rounded: 14001 / 200 is 70.005, not 70.00500000000001."""
    # True division of two ints is correctly rounded in Python, so this is the double nearest
    # the exact decimal the device meant (unlike raw * 0.005, which rounds twice).
    return raw / divisor


def to_fixed_point(value: float, divisor: int, name: str, what: str) -> int:
    """Nearest wire step for ``value`` (a device quantises to its resolution the same way)."""
    scaled = value * divisor
    if not math.isfinite(scaled):
        raise BleEncodeError(name, f"{what}={value} is not a finite number in range")
    return round(scaled)


# Date Time (0x2A08) field ranges from the GATT Specification Supplement.
_YEAR_MIN = 1582
_YEAR_MAX = 9999


def date_time_from_fields(raw: bytes, name: str, what: str) -> datetime | None:
    """Decode the 7-byte Date Time structure; None when year, month or day is 0 (unknown)."""
    year = int.from_bytes(raw[0:2], "little")
    month, day, hours, minutes, seconds = raw[2], raw[3], raw[4], raw[5], raw[6]
    if year == 0 or month == 0 or day == 0:
        # The spec's "not known" values: the device clock was never set.
        return None
    if not _YEAR_MIN <= year <= _YEAR_MAX:
        raise BleDecodeError(name, f"{what}: year {year} outside {_YEAR_MIN}..{_YEAR_MAX}")
    if hours > 23 or minutes > 59 or seconds > 59:
        raise BleDecodeError(
            name, f"{what}: time {hours:02}:{minutes:02}:{seconds:02} out of range"
        )
    try:
        # Naive on purpose: the device's wall clock, its time zone is not on the wire.
        return datetime(year, month, day, hours, minutes, seconds)  # noqa: DTZ001
    except ValueError as err:  # month 13, 30 February, ...
        raise BleDecodeError(name, f"{what}: invalid date {year}-{month}-{day}: {err}") from None


def date_time_to_fields(value: datetime | None, name: str, what: str) -> bytes:
    """Encode a datetime's wall-clock fields (tzinfo ignored); None -> all zero (unknown)."""
    if value is None:
        return bytes(7)
    if not _YEAR_MIN <= value.year <= _YEAR_MAX:
        raise BleEncodeError(name, f"{what}: year {value.year} outside {_YEAR_MIN}..{_YEAR_MAX}")
    return value.year.to_bytes(2, "little") + bytes(
        (value.month, value.day, value.hour, value.minute, value.second)
    )
