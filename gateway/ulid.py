"""ULIDs: time-ordered, unique ids minted where an alarm or message is born."""

from __future__ import annotations

import os
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_ulid(now_ms: int | None = None) -> str:
    """48 bits of milliseconds then 80 random bits, as 26 Crockford base32 characters."""
    millis = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    value = (millis << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 0x1F])
        value >>= 5
    return "".join(reversed(chars))


def is_ulid(text: object) -> bool:
    return isinstance(text, str) and len(text) == 26 and all(ch in _CROCKFORD for ch in text)
