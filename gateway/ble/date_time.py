"""Date Time (0x2A08) and Current Time (0x2A2B).

Date Time is 7 bytes: year uint16 (1582..9999, 0 = unknown), month, day (0 = unknown),
hours, minutes, seconds. Decoded as a *naive* datetime: the device's wall clock; the time zone
is not on the wire. Current Time is Exact Time 256 (Date Time, Day of Week, Fractions256) plus
Adjust Reason, 10 bytes; collectors write it to set a device clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Flag

from gateway.ble._reader import Reader, Writer, date_time_from_fields, date_time_to_fields
from gateway.ble.errors import BleDecodeError

DATE_TIME = "Date Time"
CURRENT_TIME = "Current Time"

_DATE_TIME_SIZE = 7


class AdjustReason(Flag):
    """Why the clock was last adjusted (Current Time 'Adjust Reason'; bits 4-7 reserved)."""

    NONE = 0
    MANUAL_TIME_UPDATE = 0x01
    EXTERNAL_REFERENCE_TIME_UPDATE = 0x02
    CHANGE_OF_TIME_ZONE = 0x04
    CHANGE_OF_DST = 0x08


_ADJUST_MASK = 0x0F


@dataclass(frozen=True, slots=True)
class CurrentTime:
    """A decoded Current Time value.

    ``time`` is None when the date is unknown. Its microseconds carry ``fractions256``
    (1/256 s steps), rounded up so that re-encoding gives the same fraction back.
    ``day_of_week``: 1 = Monday .. 7 = Sunday, 0 = unknown (kept as sent, not checked
    against the date: devices get it wrong and it carries no clinical value).
    """

    time: datetime | None
    day_of_week: int
    fractions256: int
    adjust_reason: AdjustReason


def decode_date_time(data: bytes | bytearray, offset: int = 0) -> datetime | None:
    """Decode the 7-byte Date Time structure at ``data[offset:]`` (a field inside a larger
    value, so bytes after it are the caller's business; see ``decode_date_time_value``).

    None when year, month or day is 0 (unknown); ``BleDecodeError`` when out of range.
    """
    if offset < 0 or len(data) < offset + _DATE_TIME_SIZE:
        raise BleDecodeError(
            DATE_TIME, f"needs {_DATE_TIME_SIZE} bytes at offset {offset}, have {len(data)}"
        )
    return date_time_from_fields(
        bytes(data[offset : offset + _DATE_TIME_SIZE]), DATE_TIME, "date time"
    )


def decode_date_time_value(data: bytes | bytearray) -> datetime | None:
    """Decode a whole Date Time characteristic value: exactly 7 bytes."""
    reader = Reader(data, DATE_TIME)
    value = reader.date_time("date time")
    reader.end()
    return value


def encode_date_time(value: datetime | None) -> bytes:
    """Encode a Date Time (7 bytes); None -> all zero ("unknown").

    The wall-clock fields are used as they are (tzinfo ignored, microseconds dropped).
    """
    return date_time_to_fields(value, DATE_TIME, "date time")


def _microseconds(fractions256: int) -> int:
    # Ceiling: floor(ceil(f * 10^6 / 256) * 256 / 10^6) == f, so encode(decode(x)) keeps it.
    return -(-fractions256 * 1_000_000 // 256)


def _fractions256(microsecond: int) -> int:
    return microsecond * 256 // 1_000_000


def decode_current_time(data: bytes | bytearray) -> CurrentTime:
    """Decode Current Time (0x2A2B): exactly 10 bytes."""
    reader = Reader(data, CURRENT_TIME)
    when = reader.date_time("date time")
    day_of_week = reader.u8("day of week")
    fractions = reader.u8("fractions256")
    adjust = reader.u8("adjust reason")
    reader.end()
    if day_of_week > 7:
        raise reader.fail(f"day of week {day_of_week} outside 0..7")
    if when is not None:
        when = when.replace(microsecond=_microseconds(fractions))
    # Reserved adjust-reason bits are ignored, not an error.
    return CurrentTime(when, day_of_week, fractions, AdjustReason(adjust & _ADJUST_MASK))


def encode_current_time(when: datetime, adjust_reason: AdjustReason = AdjustReason.NONE) -> bytes:
    """Current Time value that sets a device clock to ``when``'s wall-clock time.

    Pass local time (the device shows it to the resident); tzinfo is ignored.
    """
    writer = Writer(CURRENT_TIME)
    writer.date_time(when, "date time")
    writer.u8(when.isoweekday(), "day of week")
    writer.u8(_fractions256(when.microsecond), "fractions256")
    writer.u8(adjust_reason.value, "adjust reason")
    return writer.bytes()


def encode_current_time_value(value: CurrentTime) -> bytes:
    """Exact inverse of ``decode_current_time``."""
    writer = Writer(CURRENT_TIME)
    writer.date_time(value.time, "date time")
    writer.u8(value.day_of_week, "day of week")
    writer.u8(value.fractions256, "fractions256")
    writer.u8(value.adjust_reason.value, "adjust reason")
    return writer.bytes()
