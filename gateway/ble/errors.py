"""Errors raised by the Bluetooth SIG characteristic codecs."""

from __future__ import annotations


class BleDecodeError(ValueError):
    """Bytes from a device that do not form a valid characteristic value.

    The only exception a ``decode_*`` function raises, for any input: callers can drop the
    reading and log ``str(err)`` without guarding against struct/IndexError/datetime errors.
    """

    def __init__(self, characteristic: str, reason: str) -> None:
        super().__init__(f"{characteristic}: {reason}")
        self.characteristic = characteristic
        self.reason = reason


class BleEncodeError(ValueError):
    """A value that cannot be put on the wire (out of range, not representable exactly)."""

    def __init__(self, characteristic: str, reason: str) -> None:
        super().__init__(f"{characteristic}: {reason}")
        self.characteristic = characteristic
        self.reason = reason
