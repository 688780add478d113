"""A DC-09 account's identifiers and key as installers type them (docs/dc09.md, "Keys").

One reading for both ends: the gateway's ARC options and the hub's panel accounts.
"""

from __future__ import annotations

import re
from enum import StrEnum

ACCOUNT_PATTERN = re.compile(r"[0-9A-Fa-f]{3,16}")  # the #acct field
NUMBER_PATTERN = re.compile(r"[0-9A-Fa-f]{1,6}")  # the R (receiver) and L (line) fields
KEY_SIZES = (16, 24, 32)  # AES-128/192/256


class KeyFormat(StrEnum):
    HEX = "hex"  # DC-09: the key's bytes as 32/48/64 hex digits
    TEXT = "text"  # some panels and receivers (Ajax, pysiaalarm): the characters are the bytes


class UnknownKeyFormat(ValueError):
    """The key's format is neither hex nor text."""


class InvalidKey(ValueError):
    """The key cannot be used; the message says why and never holds the key."""


def parse_key(text: str, key_format: str = KeyFormat.HEX) -> bytes | None:
    """The key's bytes; None for no key (empty)."""
    text = text.strip()
    if not text:
        return None
    if key_format not in (KeyFormat.HEX, KeyFormat.TEXT):
        raise UnknownKeyFormat("key_format must be hex or text")
    try:
        key = text.encode("ascii") if key_format == KeyFormat.TEXT else bytes.fromhex(text)
    except ValueError:  # UnicodeEncodeError is one
        raise InvalidKey("key must be hex digits (or set key_format text)") from None
    if len(key) not in KEY_SIZES:
        raise InvalidKey("key must be 16, 24 or 32 bytes (AES-128/192/256)")
    return key
