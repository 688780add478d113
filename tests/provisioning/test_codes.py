"""Enrollment codes are typable, forgiving of format, strict about content."""

import pytest

from provisioning import codes


def test_new_codes_are_grouped_and_unique() -> None:
    minted = {codes.new_enrollment_code() for _ in range(500)}
    assert len(minted) == 500
    for code in minted:
        groups = code.split("-")
        assert [len(group) for group in groups] == [4, 4, 4]
        assert set(code.replace("-", "")) <= set(codes.ALPHABET)


def test_typing_variations_normalize_to_the_same_digest() -> None:
    code = codes.new_enrollment_code()
    typed = f"  {code.replace('-', ' ').lower()} "
    assert codes.normalize_code(typed) == code
    assert codes.code_digest(typed) == codes.code_digest(code)


@pytest.mark.parametrize(
    "text", ["", "ABCD-EFGH", "ABCD-EFGH-JKMN-P", "ABCD-EFGH-JKM0", "ABCD-EFGH-JKM!"]
)
def test_malformed_codes_are_rejected_with_an_example(text: str) -> None:
    with pytest.raises(codes.MalformedCode, match="like ABCD-ABCD-ABCD"):
        codes.normalize_code(text)


def test_lookalike_characters_never_appear() -> None:
    assert not set("01ILOUV") & set(codes.ALPHABET)
