"""Device Information service strings: manufacturer (0x2A29), model (0x2A24), serial
(0x2A25), firmware (0x2A26) and hardware (0x2A27) revision. UTF-8 without a length field.
"""

from __future__ import annotations

from gateway.ble.errors import BleDecodeError, BleEncodeError

DEVICE_INFORMATION_STRING = "Device Information string"


def decode_utf8_string(
    data: bytes | bytearray, characteristic: str = DEVICE_INFORMATION_STRING
) -> str:
    """Decode a UTF-8 string value. Trailing NULs (C-style padding that many devices
    send) are trimmed; invalid UTF-8 is rejected rather than replaced, because a garbled
    serial number would silently bind readings to the wrong device record.
    """
    try:
        return bytes(data).rstrip(b"\x00").decode("utf-8")
    except UnicodeDecodeError as err:
        raise BleDecodeError(characteristic, f"invalid UTF-8 at byte {err.start}") from None


def encode_utf8_string(value: str) -> bytes:
    """Encode a UTF-8 string value (no terminator)."""
    if value.endswith("\x00"):
        raise BleEncodeError(DEVICE_INFORMATION_STRING, "trailing NUL would be trimmed on decode")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as err:
        raise BleEncodeError(DEVICE_INFORMATION_STRING, f"not encodable as UTF-8: {err}") from None
