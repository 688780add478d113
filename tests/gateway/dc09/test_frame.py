"""DC-09 frames: hand-built known answers, every error, responses, round trips and fuzzing."""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.dc09 import (
    CrcError,
    Dc09Error,
    DecryptError,
    Frame,
    FramingError,
    LengthError,
    MessageId,
    MissingKeyError,
    TimestampError,
    ack_for,
    decode_frame,
    duh_for,
    encode_frame,
    format_timestamp,
    nak,
    parse_timestamp,
)
from gateway.dc09.frame import MAX_FRAME_BYTES

from ...hub.dc09_examples import crc16_arc as bitwise_crc

KEY16 = b"0123456789ABCDEF"
KEY24 = b"0123456789ABCDEF01234567"
KEY32 = b"0123456789ABCDEF0123456789ABCDEF"
MOMENT = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
STAMP = "_03:04:05,01-02-2024"


def wrap(body: str, *, lf: bool = True, cr: bool = True) -> bytes:
    """LF, CRC, 0LLL, body, CR, computed here."""
    raw = body.encode("ascii")
    head = f"{bitwise_crc(raw):04X}0{len(raw):03X}".encode()
    return (b"\n" if lf else b"") + head + raw + (b"\r" if cr else b"")


def aes_hex(key: bytes, plaintext: str) -> str:
    encryptor = Cipher(algorithms.AES(key), modes.CBC(bytes(16))).encryptor()
    return (encryptor.update(plaintext.encode()) + encryptor.finalize()).hex().upper()


def keyed(key: bytes) -> Callable[[str | None], bytes | None]:
    return lambda _account: key


CID = Frame(
    id=MessageId.ADM_CID,
    sequence=1,
    account="1234",
    data="#1234|1101 01 015",
    timestamp=MOMENT,
)


# --- known answers --------------------------------------------------------------------------


def test_encode_plain_known_answer() -> None:
    expected = wrap(f'"ADM-CID"0001R0L0#1234[#1234|1101 01 015]{STAMP}')
    assert encode_frame(CID) == expected
    assert decode_frame(expected) == CID


def test_encode_optional_fields_absent() -> None:
    frame = Frame(MessageId.NULL, 42, line="A1", receiver=None)
    assert encode_frame(frame) == wrap('"NULL"0042LA1[]')
    assert decode_frame(wrap('"NULL"0042LA1[]')) == frame


def test_encode_extended_data() -> None:
    frame = replace(CID, extended=("H10:15:00,11-22-2026", "S Main St."))
    body = f'"ADM-CID"0001R0L0#1234[#1234|1101 01 015][H10:15:00,11-22-2026][S Main St.]{STAMP}'
    assert encode_frame(frame) == wrap(body)
    assert decode_frame(wrap(body)) == frame


@pytest.mark.parametrize("key", [KEY16, KEY24, KEY32])
def test_encode_encrypted_known_answer(key: bytes) -> None:
    content = f"#1234|1101 01 015]{STAMP}"  # 38 characters: a 9-character pad fills 48
    pad = "ABCDEFGHI"
    frame = replace(CID, encrypted=True)
    expected = wrap(f'"*ADM-CID"0001R0L0#1234[{aes_hex(key, f"{pad}|{content}")}')
    assert encode_frame(frame, key, pad=pad) == expected
    assert decode_frame(expected, keyed(key)) == frame


def test_random_pad_fills_whole_blocks_and_differs() -> None:
    frame = replace(CID, encrypted=True)
    first, second = encode_frame(frame, KEY16), encode_frame(frame, KEY16)
    assert first != second  # the random pad makes equal events look different on the wire
    for raw in (first, second):
        hex_part = raw.split(b"[", 1)[1].rstrip(b"\r")
        assert len(hex_part) % 32 == 0
        assert decode_frame(raw, keyed(KEY16)) == frame


@pytest.mark.parametrize("length", range(0, 40))
def test_random_pad_length_is_1_to_16(length: int) -> None:
    frame = Frame(MessageId.SIA_DCS, 3, data="x" * length, timestamp=MOMENT, encrypted=True)
    raw = encode_frame(frame, KEY16)
    hex_part = raw.split(b"[", 1)[1].rstrip(b"\r").decode()
    decryptor = Cipher(algorithms.AES(KEY16), modes.CBC(bytes(16))).decryptor()
    plain = (decryptor.update(bytes.fromhex(hex_part)) + decryptor.finalize()).decode()
    pad = plain.split("|", 1)[0]
    assert 1 <= len(pad) <= 16
    assert set(pad) <= set(string.ascii_letters + string.digits)
    assert decode_frame(raw, keyed(KEY16)) == frame


def test_decode_pysiaalarm_style_zero_pad_without_bar() -> None:
    # Some receivers pad with "0" and leave out the "|" (pysiaalarm's encrypted ACK).
    plain = f"]{STAMP}".rjust(32, "0")
    raw = wrap(f'"*ACK"0001R0L0#1234[{aes_hex(KEY16, plain)}')
    frame = decode_frame(raw, keyed(KEY16))
    assert (frame.id, frame.data, frame.timestamp, frame.encrypted) == (
        MessageId.ACK,
        "",
        MOMENT,
        True,
    )


def test_decode_pad_may_hold_any_character_but_bar_and_brackets() -> None:
    # Other senders' pads are random: "#", "_" or "0" in them must not confuse the split.
    plain = f"#0_9#x|#1234|1101 01 015]{STAMP}".rjust(48, "#")
    raw = wrap(f'"*ADM-CID"0001R0L0#1234[{aes_hex(KEY16, plain)}')
    assert decode_frame(raw, keyed(KEY16)) == replace(CID, encrypted=True)


def test_missing_lf_and_cr_tolerated() -> None:
    body = f'"ADM-CID"0001R0L0#1234[#1234|1101 01 015]{STAMP}'
    for lf in (True, False):
        for cr in (True, False):
            assert decode_frame(wrap(body, lf=lf, cr=cr)) == CID


def test_lowercase_hex_is_normalised() -> None:
    raw = wrap('"SIA-DCS"0002R1aL2b#12ab[#12AB|NRP]')
    frame = decode_frame(raw)
    assert (frame.receiver, frame.line, frame.account) == ("1A", "2B", "12AB")
    lower_crc = raw[:1] + raw[1:5].lower() + raw[5:]
    assert decode_frame(lower_crc) == frame


def test_header_variants() -> None:
    no_receiver = decode_frame(wrap('"ACK"0005L3#1234[]'))
    assert (no_receiver.receiver, no_receiver.line, no_receiver.account) == (None, "3", "1234")
    no_account = decode_frame(wrap('"NULL"0000R0L0[]'))
    assert (no_account.sequence, no_account.account) == (0, None)
    # pysiaalarm's NAK puts L before R.
    swapped = decode_frame(wrap(f'"NAK"0000L5R6A0[]{STAMP}'))
    assert (swapped.line, swapped.receiver, swapped.account) == ("5", "6", None)


def test_nak_a0_is_not_part_of_the_line() -> None:
    frame = decode_frame(wrap(f'"NAK"0000R0L1A0A0[]{STAMP}'))
    assert (frame.line, frame.account) == ("1A0", None)
    # Outside a NAK, hex after L is line: "L1A0" is line 1A0.
    assert decode_frame(wrap('"NULL"0001R0L1A0[]')).line == "1A0"


# --- timestamps -----------------------------------------------------------------------------


def test_format_timestamp_converts_to_utc_and_drops_microseconds() -> None:
    beijing = timezone(timedelta(hours=8))
    moment = datetime(2024, 1, 2, 11, 4, 5, 987654, tzinfo=beijing)
    assert format_timestamp(moment) == STAMP


def test_format_timestamp_refuses_naive() -> None:
    with pytest.raises(ValueError, match="aware"):
        format_timestamp(datetime(2024, 1, 2, 3, 4, 5))  # noqa: DTZ001


def test_parse_timestamp_with_and_without_underscore() -> None:
    assert parse_timestamp(STAMP) == MOMENT
    assert parse_timestamp(STAMP[1:]) == MOMENT
    assert parse_timestamp(STAMP).tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    ["", "_", "_3:04:05,01-02-2024", "_25:00:00,01-02-2024", "_03:04:05,02-30-2024", "_ab"],
)
def test_parse_timestamp_refuses(text: str) -> None:
    with pytest.raises(TimestampError):
        parse_timestamp(text)


@given(st.datetimes(timezones=st.just(UTC)))
def test_timestamp_round_trip(moment: datetime) -> None:
    assert parse_timestamp(format_timestamp(moment)) == moment.replace(microsecond=0)


# --- errors, one bad input each -------------------------------------------------------------

GOOD_BODY = f'"ADM-CID"0001R0L0#1234[#1234|1101 01 015]{STAMP}'


def test_bad_crc() -> None:
    raw = bytearray(wrap(GOOD_BODY))
    raw[1:5] = b"0000" if raw[1:5] != b"0000" else b"0001"
    with pytest.raises(CrcError) as caught:
        decode_frame(bytes(raw))
    assert caught.value.actual == bitwise_crc(GOOD_BODY.encode())
    assert caught.value.expected == int(raw[1:5], 16)
    assert caught.value.reason == "crc"


def test_wrong_length() -> None:
    raw = GOOD_BODY.encode()
    frame = b"\n%04X0%03X%s\r" % (bitwise_crc(raw), len(raw) + 1, raw)
    with pytest.raises(LengthError) as caught:
        decode_frame(frame)
    assert (caught.value.declared, caught.value.actual) == (len(raw) + 1, len(raw))
    assert caught.value.reason == "length"


def test_crc_is_checked_before_length() -> None:
    raw = GOOD_BODY.encode()
    frame = b"\n%04X0%03X%s\r" % (bitwise_crc(raw) ^ 1, len(raw) + 1, raw)
    with pytest.raises(CrcError):
        decode_frame(frame)


def test_length_is_checked_before_header() -> None:
    raw = b'"ADM-CID"01R0L0[]'
    with pytest.raises(LengthError):
        decode_frame(b"\n%04X0%03X%s\r" % (bitwise_crc(raw), len(raw) + 5, raw))


@pytest.mark.parametrize(
    "body",
    [
        '"ADM-CID"01R0L0#1234[#1234|1101 01 015]',  # sequence not 4 digits
        '"ADM-CID"0001R0#1234[#1234|1101 01 015]',  # no L
        '"ADM-CID"0001R0L0#12[#1234|1101 01 015]',  # account too short
        '"ADM-CID"0001R0L0#1234#1234|1101 01 015]',  # no [
        '"ADM-CID"0001R0L0#1234[#1234|1101 01 015',  # no ]
        '"ADM-CID"0001R0L0#1234[#1234|1101 01 015]garbage',  # trailing text
        '"ADM-CID"0001R0L0#1234[#12[34|1101 01 015]',  # [ inside the data
        '"ADM-CID"0001R0L0#1234[#1234|1101 01 015][open',  # unclosed x-data
        "ADM-CID0001R0L0#1234[]",  # no quotes
    ],
)
def test_bad_header_or_body(body: str) -> None:
    with pytest.raises(FramingError) as caught:
        decode_frame(wrap(body))
    assert caught.value.reason == "framing"


@pytest.mark.parametrize("token", ["FOO", "ADM_CID", "adm-cid", "", "**ACK"])
def test_bad_id_token(token: str) -> None:
    with pytest.raises(FramingError, match="id token"):
        decode_frame(wrap(f'"{token}"0001R0L0#1234[]'))


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\n\r",
        b"\nBB3D0010\r",
        b'\nXYZW0010"NULL"0000R0L0[]\r',  # CRC not hex
        b'\n1234X010"NULL"0000R0L0[]\r',  # length not 0LLL
        b'\n12341010"NULL"0000R0L0[]\r',  # length not starting with 0
    ],
)
def test_bad_prefix(raw: bytes) -> None:
    with pytest.raises(FramingError):
        decode_frame(raw)


def test_non_ascii_is_framing() -> None:
    with pytest.raises(FramingError, match="ASCII"):
        decode_frame(wrap('"ADM-CID"0001R0L0#1234[]').replace(b"[]", b"[\xc3\xa9]"))


def test_control_characters_are_framing() -> None:
    with pytest.raises(FramingError, match="control"):
        decode_frame(wrap('"ADM-CID"0001R0L0#1234[#1234|\t101 01 015]'))


def test_oversized_is_framing() -> None:
    with pytest.raises(FramingError, match="longer"):
        decode_frame(wrap('"SIA-DCS"0001R0L0#1234[' + "x" * MAX_FRAME_BYTES + "]"))


def test_encrypted_without_key() -> None:
    raw = encode_frame(replace(CID, encrypted=True), KEY16)
    with pytest.raises(MissingKeyError) as caught:
        decode_frame(raw)
    assert caught.value.reason == "no_key"


def test_key_for_is_asked_with_the_account() -> None:
    asked: list[str | None] = []

    def key_for(account: str | None) -> bytes | None:
        asked.append(account)
        return KEY16

    decode_frame(encode_frame(replace(CID, encrypted=True), KEY16), key_for)
    assert asked == ["1234"]


@pytest.mark.parametrize("wrong", [KEY24, b"F" * 16, KEY16[::-1]])
def test_wrong_key(wrong: bytes) -> None:
    raw = encode_frame(replace(CID, encrypted=True), KEY16)
    with pytest.raises(DecryptError) as caught:
        decode_frame(raw, keyed(wrong))
    assert caught.value.reason == "decrypt"


def test_key_of_bad_size_from_key_for() -> None:
    raw = encode_frame(replace(CID, encrypted=True), KEY16)
    with pytest.raises(DecryptError, match="16, 24 or 32"):
        decode_frame(raw, keyed(b"short"))


def test_non_hex_ciphertext() -> None:
    with pytest.raises(DecryptError, match="hex"):
        decode_frame(wrap('"*ADM-CID"0001R0L0#1234[' + "G" * 32), keyed(KEY16))


@pytest.mark.parametrize("hex_length", [0, 2, 30, 34, 48])
def test_ciphertext_not_whole_blocks(hex_length: int) -> None:
    with pytest.raises(DecryptError, match="blocks"):
        decode_frame(wrap('"*ADM-CID"0001R0L0#1234[' + "A" * hex_length), keyed(KEY16))


def test_plaintext_without_closing_bracket() -> None:
    body = '"*ADM-CID"0001R0L0#1234[' + aes_hex(KEY16, "pad|#1234|1101 01 015".ljust(32, "x"))
    with pytest.raises(DecryptError, match=r"\]"):
        decode_frame(wrap(body), keyed(KEY16))


def test_plaintext_with_trailing_garbage() -> None:
    plain = "pad|#1234|1101 01 015]".ljust(32, "x")
    body = '"*ADM-CID"0001R0L0#1234[' + aes_hex(KEY16, plain)
    with pytest.raises(DecryptError, match="after the data"):
        decode_frame(wrap(body), keyed(KEY16))


def test_encrypted_without_timestamp_decodes() -> None:
    # The receiver, not the codec, NAKs this (DC-09 wants a timestamp on encrypted messages).
    plain = "ABCDEFGHIJKLM|#1234|1101 01 015]"
    raw = wrap('"*ADM-CID"0001R0L0#1234[' + aes_hex(KEY16, plain))
    assert decode_frame(raw, keyed(KEY16)) == replace(CID, timestamp=None, encrypted=True)


@pytest.mark.parametrize(
    "stamp", ["_25:04:05,01-02-2024", "_03:04:05,13-02-2024", "_03:04:05", "_now"]
)
def test_bad_timestamp(stamp: str) -> None:
    with pytest.raises(TimestampError) as caught:
        decode_frame(wrap(f'"ADM-CID"0001R0L0#1234[#1234|1101 01 015]{stamp}'))
    assert caught.value.reason == "timestamp"


def test_bad_timestamp_encrypted() -> None:
    plain = "pad|#1234|1101 01 015]_99:04:05,01-02-2024".rjust(48, "p")
    raw = wrap('"*ADM-CID"0001R0L0#1234[' + aes_hex(KEY16, plain))
    with pytest.raises(TimestampError):
        decode_frame(raw, keyed(KEY16))


# --- encode refuses what it cannot put on the wire ------------------------------------------


@pytest.mark.parametrize(
    ("frame", "key"),
    [
        (replace(CID, encrypted=True), None),
        (replace(CID, encrypted=True, timestamp=None), KEY16),
        (replace(CID, encrypted=True), b"0123456789"),
        (replace(CID, timestamp=datetime(2024, 1, 2)), None),  # noqa: DTZ001
        (replace(CID, sequence=10000), None),
        (replace(CID, sequence=-1), None),
        (replace(CID, line=""), None),
        (replace(CID, line="1234567"), None),
        (replace(CID, line="G"), None),
        (replace(CID, receiver="XYZ"), None),
        (replace(CID, account="12"), None),
        (replace(CID, account="12345678901234567"), None),
        (replace(CID, data="a]b"), None),
        (replace(CID, extended=("[x",)), None),
        (replace(CID, data="caf\u00e9"), None),
        (replace(CID, data="tab\t"), None),
        (replace(CID, data="x" * MAX_FRAME_BYTES), None),
    ],
)
def test_encode_refuses(frame: Frame, key: bytes | None) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        encode_frame(frame, key)


@pytest.mark.parametrize("pad", ["ABCDEFGH|", "ABCDEFGH[", "ABCDEFGH]", "ABCDEFGHIJ", "\x01" * 9])
def test_encode_refuses_bad_pad(pad: str) -> None:
    with pytest.raises(ValueError, match="pad"):
        encode_frame(replace(CID, encrypted=True), KEY16, pad=pad)


# --- responses ------------------------------------------------------------------------------


def test_ack_plain() -> None:
    event = Frame(MessageId.SIA_DCS, 7, line="2", receiver="1", account="1234", data="x")
    assert ack_for(event, MOMENT, None) == wrap('"ACK"0007R1L2#1234[]')
    assert ack_for(event, MOMENT, KEY16) == wrap('"ACK"0007R1L2#1234[]')  # plain stays plain


def test_ack_echoes_absent_fields() -> None:
    event = Frame(MessageId.NULL, 9, line="5", receiver=None)
    assert ack_for(event, MOMENT, None) == wrap('"ACK"0009L5[]')


@pytest.mark.parametrize("key", [KEY16, KEY24, KEY32])
def test_ack_encrypted(key: bytes) -> None:
    event = replace(CID, sequence=77, encrypted=True)
    raw = ack_for(event, MOMENT + timedelta(microseconds=5), key)
    assert raw.startswith(b"\n")
    assert b'"*ACK"0077R0L0#1234[' in raw
    ack = decode_frame(raw, keyed(key))
    assert ack == Frame(MessageId.ACK, 77, account="1234", timestamp=MOMENT, encrypted=True)


def test_ack_for_encrypted_frame_without_key_is_plain() -> None:
    event = replace(CID, encrypted=True)
    assert ack_for(event, MOMENT, None) == wrap('"ACK"0001R0L0#1234[]')


def test_nak_known_answer() -> None:
    assert nak(MOMENT) == wrap(f'"NAK"0000R0L0A0[]{STAMP}')
    assert nak(MOMENT, receiver="12", line="3") == wrap(f'"NAK"0000R12L3A0[]{STAMP}')
    assert decode_frame(nak(MOMENT)) == Frame(MessageId.NAK, 0, timestamp=MOMENT)


def test_duh_known_answer() -> None:
    event = Frame(MessageId.ADM_CID, 12, line="4", receiver="3", account="ABC", encrypted=True)
    assert duh_for(event) == wrap('"DUH"0012R3L4#ABC[]')


# --- round trips and fuzzing ----------------------------------------------------------------

HEX_UPPER = "0123456789ABCDEF"
SAFE_TEXT = "".join(ch for ch in map(chr, range(0x20, 0x7F)) if ch not in "[]")
keys = st.sampled_from([16, 24, 32]).flatmap(lambda n: st.binary(min_size=n, max_size=n))
timestamps = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=datetime(2099, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
).map(lambda moment: moment.replace(microsecond=0))


@st.composite
def frames(draw: st.DrawFn, *, encrypted: bool = False) -> Frame:
    return Frame(
        id=draw(st.sampled_from(MessageId)),
        sequence=draw(st.integers(0, 9999)),
        line=draw(st.text(HEX_UPPER, min_size=1, max_size=6)),
        receiver=draw(st.none() | st.text(HEX_UPPER, min_size=1, max_size=6)),
        account=draw(st.none() | st.text(HEX_UPPER, min_size=3, max_size=16)),
        data=draw(st.text(SAFE_TEXT, max_size=80)),
        extended=tuple(draw(st.lists(st.text(SAFE_TEXT, max_size=30), max_size=3))),
        timestamp=draw(timestamps if encrypted else st.none() | timestamps),
        encrypted=encrypted,
    )


@given(frames())
def test_round_trip_plain(frame: Frame) -> None:
    raw = encode_frame(frame)
    assert raw.startswith(b"\n")
    assert raw.endswith(b"\r")
    assert int(raw[1:5], 16) == bitwise_crc(raw[9:-1])
    assert int(raw[5:9], 16) == len(raw) - 10
    assert decode_frame(raw) == frame


@given(frames(encrypted=True), keys)
def test_round_trip_encrypted(frame: Frame, key: bytes) -> None:
    raw = encode_frame(frame, key)
    assert int(raw[1:5], 16) == bitwise_crc(raw[9:-1])
    assert decode_frame(raw, keyed(key)) == frame


@given(st.binary(max_size=400))
def test_fuzz_bytes(raw: bytes) -> None:
    try:
        result = decode_frame(raw, keyed(KEY16))
    except Dc09Error:
        return
    assert isinstance(result, Frame)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    frames(encrypted=True) | frames(),
    st.lists(st.tuples(st.integers(0, 500), st.sampled_from(SAFE_TEXT + "[]")), max_size=4),
    st.booleans(),
)
def test_fuzz_mutated_frames(frame: Frame, edits: list[tuple[int, str]], right_key: bool) -> None:
    """Valid frames with characters changed and CRC/length fixed up: past the outer checks."""
    body = bytearray(encode_frame(frame, KEY16)[9:-1])
    for position, char in edits:
        if body:
            body[position % len(body)] = ord(char)
    try:
        result = decode_frame(wrap(body.decode()), keyed(KEY16 if right_key else KEY24))
    except Dc09Error:
        return
    assert isinstance(result, Frame)
