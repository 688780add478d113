"""Password hashing with scrypt (hashlib, OpenSSL): no extra dependency, memory-hard.

The stored text carries its own parameters (`scrypt$N$r$p$salt$hash`, base64), so the cost
can be raised later without locking anyone out. Hashing takes about a third of a second and
128 MiB on purpose (OWASP's minimum for scrypt); callers run it off the event loop.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import secrets

SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
_KEY_BYTES = 32
_SALT_BYTES = 16
MIN_LENGTH = 10
MAX_LENGTH = 200  # bounds the work an attacker can ask for


class WeakPassword(ValueError):
    """A new password that does not meet the rules; str() says which."""


def check_new_password(password: str, username: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"a password has at most {MAX_LENGTH} characters")
    if username.casefold() in password.casefold():
        raise WeakPassword("a password must not contain the user name")
    if password != password.strip():
        # Sign-in forgives the trailing whitespace a copy picks up (hub/people/login.py), so a
        # password ending in whitespace would be a trap: docs/hub-api.md, "Signing in".
        raise WeakPassword("a password must not begin or end with a space")


def hash_password(password: str, *, n: int = SCRYPT_N) -> str:
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _scrypt(password, salt, n, SCRYPT_R, SCRYPT_P)
    return "$".join(["scrypt", str(n), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(key)])


def verify_password(password: str, stored: str) -> bool:
    """Constant time in the key comparison; False for any malformed stored text."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key, validate=True)
        actual = _scrypt(password, base64.b64decode(salt, validate=True), int(n), int(r), int(p))
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(actual, expected)


@functools.cache
def dummy_hash() -> str:
    """Checked instead of a real hash when the user name is unknown, so the answer takes as
    long and a caller cannot tell unknown names from wrong passwords by timing."""
    return hash_password(secrets.token_urlsafe(16))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    if len(password) > MAX_LENGTH:
        raise ValueError("password too long")
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=256 * 1024 * 1024,
        dklen=_KEY_BYTES,
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
