"""Battery Level (0x2A19): one uint8, percent 0..100."""

from __future__ import annotations

from gateway.ble._reader import Reader
from gateway.ble.errors import BleEncodeError

BATTERY_LEVEL = "Battery Level"
_MAX_PERCENT = 100


def decode_battery_level(data: bytes | bytearray) -> int:
    """Decode Battery Level; 101..255 are not a percentage, so they are rejected."""
    reader = Reader(data, BATTERY_LEVEL)
    level = reader.u8("battery level")
    reader.end()
    if level > _MAX_PERCENT:
        raise reader.fail(f"battery level {level} outside 0..{_MAX_PERCENT}")
    return level


def encode_battery_level(level: int) -> bytes:
    """Encode Battery Level."""
    if not 0 <= level <= _MAX_PERCENT:
        raise BleEncodeError(BATTERY_LEVEL, f"battery level {level} outside 0..{_MAX_PERCENT}")
    return bytes((level,))
