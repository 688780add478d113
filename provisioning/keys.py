"""Ed25519 keys as short text, and detached signatures over bytes.

Keys travel in JSON (enrollment) and live in HA's config storage, so they are kept as base64 of the
raw 32-byte encodings: no PEM framing to mangle, nothing to parse but the key itself.

Verification, the hub's per-message cost, runs on libsodium (PyNaCl): on the hub's machine it is
about twice as fast as OpenSSL's and releases the GIL. Signing and key generation stay on
`cryptography`; both libraries implement the same RFC 8032 Ed25519.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

# A key that checks signatures: what `verifying_key_from_text` gives, or cryptography's own.
type AnyPublicKey = VerifyKey | Ed25519PublicKey


class KeyFormatError(ValueError):
    """A key or signature text is not base64 of the expected length."""


class SignatureInvalid(ValueError):
    """The signature does not match the data for this public key."""


def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _decode(text: str, length: int, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, AttributeError) as err:
        raise KeyFormatError(f"{what} is not base64") from err
    if len(raw) != length:
        raise KeyFormatError(f"{what} must be {length} bytes, got {len(raw)}")
    return raw


def private_key_to_text(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return base64.b64encode(raw).decode("ascii")


def private_key_from_text(text: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_decode(text, 32, "private key"))


def public_key_to_text(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def public_key_from_text(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_decode(text, 32, "public key"))


def verifying_key_from_text(text: str) -> VerifyKey:
    """A public key for checking signatures, parsed once and reused for every message."""
    return VerifyKey(_decode(text, 32, "public key"))


def sign(key: Ed25519PrivateKey, data: bytes) -> str:
    return base64.b64encode(key.sign(data)).decode("ascii")


def verify(key: AnyPublicKey, data: bytes, signature: str) -> None:
    """Raise SignatureInvalid unless `signature` is `key`'s signature over `data`."""
    try:
        raw = _decode(signature, 64, "signature")
    except KeyFormatError as err:
        raise SignatureInvalid(str(err)) from err
    try:
        if isinstance(key, VerifyKey):
            key.verify(data, raw)
        else:
            key.verify(raw, data)
    except (InvalidSignature, BadSignatureError) as err:
        raise SignatureInvalid("signature does not match") from err
