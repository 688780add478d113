"""CRC-16/ARC of DC-09 against its check value and a plain bitwise reference."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gateway.dc09.crc import crc16

from ...hub.dc09_examples import crc16_arc as bitwise_crc


def test_check_value() -> None:
    assert crc16(b"123456789") == 0xBB3D


def test_empty_is_zero() -> None:
    assert crc16(b"") == 0


def test_a_dc09_body() -> None:
    # DC-09's CRC covers the frame from the first quote on.
    body = b'"ADM-CID"0001L0#1234[#1234|1101 01 015]'
    assert crc16(body) == bitwise_crc(body)


@given(st.binary(max_size=300))
def test_matches_bitwise_reference(data: bytes) -> None:
    assert crc16(data) == bitwise_crc(data)
    assert 0 <= crc16(data) <= 0xFFFF
