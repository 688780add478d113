"""Ed25519 keys round-trip as text and signatures bind to the exact bytes."""

from collections.abc import Callable

import pytest

from provisioning import keys


@pytest.mark.parametrize("parse", [keys.public_key_from_text, keys.verifying_key_from_text])
def test_key_text_round_trip_signs_and_verifies(parse: Callable[[str], keys.AnyPublicKey]) -> None:
    """OpenSSL signs; both OpenSSL and libsodium (the hub's fast path) verify the same way."""
    private = keys.new_private_key()
    restored = keys.private_key_from_text(keys.private_key_to_text(private))
    public = parse(keys.public_key_to_text(private.public_key()))
    signature = keys.sign(restored, b"help")
    keys.verify(public, b"help", signature)
    with pytest.raises(keys.SignatureInvalid):
        keys.verify(public, b"help!", signature)
    with pytest.raises(keys.SignatureInvalid):
        keys.verify(
            parse(keys.public_key_to_text(keys.new_private_key().public_key())), b"help", signature
        )


def test_other_keys_signature_is_refused() -> None:
    signature = keys.sign(keys.new_private_key(), b"data")
    with pytest.raises(keys.SignatureInvalid):
        keys.verify(keys.new_private_key().public_key(), b"data", signature)


@pytest.mark.parametrize("parse", [keys.public_key_from_text, keys.verifying_key_from_text])
@pytest.mark.parametrize("text", ["", "not base64!", "QUJD", "A" * 44])
def test_bad_key_text_is_a_typed_error(parse: Callable[[str], object], text: str) -> None:
    with pytest.raises(keys.KeyFormatError):
        parse(text)


@pytest.mark.parametrize("signature", ["", "%%%", "QUJD"])
def test_garbage_signature_is_invalid_not_a_crash(signature: str) -> None:
    with pytest.raises(keys.SignatureInvalid):
        keys.verify(keys.new_private_key().public_key(), b"data", signature)
