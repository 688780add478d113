"""ULIDs: time-ordered, unique ids minted where an alarm or message is born."""

from __future__ import annotations

import os
import threading
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 80

# Monotonic within a millisecond (the ULID spec's monotonic mode): the next id of the same
# millisecond is the last one's random part plus one, so ids made in a burst (residents added
# together, alarms of one press) sort in the order they were made. A lock: the database thread
# and the event loop both mint.
_lock = threading.Lock()
_last_millis = -1
_last_random = 0


def _next_random(millis: int) -> int:
    global _last_millis, _last_random  # noqa: PLW0603 (one minting state per process)
    with _lock:
        if millis == _last_millis and _last_random + 1 < 1 << _RANDOM_BITS:
            _last_random += 1
        else:
            _last_millis = millis
            _last_random = int.from_bytes(os.urandom(_RANDOM_BITS // 8), "big")
        return _last_random


def new_ulid(now_ms: int | None = None) -> str:
    """48 bits of milliseconds then 80 random bits, as 26 Crockford base32 characters."""
    millis = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    value = (millis << _RANDOM_BITS) | _next_random(millis)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 0x1F])
        value >>= 5
    return "".join(reversed(chars))


def is_ulid(text: object) -> bool:
    return isinstance(text, str) and len(text) == 26 and all(ch in _CROCKFORD for ch in text)
