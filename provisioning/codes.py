"""One-time enrollment codes: human-typable, stored only as a digest.

An installer reads the code off a sheet or a phone and types it into Home Assistant, so the
alphabet leaves out look-alikes (0/O, 1/I/L, U/V) and the code is grouped like a licence key.
Case, spaces and dashes do not matter when it is typed back.
"""

from __future__ import annotations

import hashlib
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
CODE_LENGTH = 12  # 29**12 ~ 2**58 guesses; codes are also single use, short-lived and rate limited
GROUP = 4


class MalformedCode(ValueError):
    """The text cannot be an enrollment code (wrong length or characters)."""


def new_enrollment_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return format_code(raw)


def format_code(raw: str) -> str:
    return "-".join(raw[i : i + GROUP] for i in range(0, len(raw), GROUP))


def normalize_code(text: str) -> str:
    """The canonical form of what someone typed, or MalformedCode."""
    cleaned = "".join(ch for ch in text.upper() if ch not in " -\t")
    if len(cleaned) != CODE_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        raise MalformedCode(
            f"an enrollment code has {CODE_LENGTH} letters and digits,"
            f" like {format_code('ABCD' * 3)}"
        )
    return format_code(cleaned)


def code_digest(code: str) -> str:
    """What the hub stores: the code itself never touches the disk."""
    return hashlib.sha256(normalize_code(code).encode("ascii")).hexdigest()
