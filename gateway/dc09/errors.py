"""Typed DC-09 errors, each with a short `reason` token for counters and logs.

All are `ValueError`s: a caller that only cares "was this input bad" can catch that.
"""

from __future__ import annotations

from typing import ClassVar


class Dc09Error(ValueError):
    """Anything wrong with a DC-09 message as received."""

    reason: ClassVar[str] = "invalid"


class FramingError(Dc09Error):
    """No frame: LF/CR, header, id token, brackets or non-ASCII bytes."""

    reason = "framing"


class CrcError(Dc09Error):
    """The CRC the frame declares (`expected`) differs from the one computed (`actual`)."""

    reason = "crc"

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(f"CRC declared {expected:04X}, computed {actual:04X}")
        self.expected = expected
        self.actual = actual


class LengthError(Dc09Error):
    """The `0LLL` length field (`declared`) differs from the measured length (`actual`)."""

    reason = "length"

    def __init__(self, declared: int, actual: int) -> None:
        super().__init__(f"length declared {declared}, actual {actual}")
        self.declared = declared
        self.actual = actual


class DecryptError(Dc09Error):
    """Ciphertext not hex or not whole blocks, or the plaintext makes no sense (wrong key)."""

    reason = "decrypt"


class MissingKeyError(Dc09Error):
    """The frame is encrypted but there is no key for its account."""

    reason = "no_key"


class TimestampError(Dc09Error):
    """A timestamp is present but is not `_HH:MM:SS,MM-DD-YYYY` or not a real moment."""

    reason = "timestamp"


class DataError(Dc09Error):
    """A Contact ID or SIA DCS data block is malformed."""

    reason = "data"
