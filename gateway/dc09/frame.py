"""One SIA DC-09 frame: build and parse the bytes, AES-CBC, timestamps (docs/dc09.md).

Wire form: <LF><crc><0LLL>"<id>"<seq>[R<rcvr>]L<line>[#<acct>][<data>]<x-data>*<timestamp><CR>
CRC and length cover the bytes from the first `"` to the last byte before <CR>.
"""

from __future__ import annotations

import binascii
import re
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .crc import crc16
from .errors import (
    CrcError,
    DecryptError,
    FramingError,
    LengthError,
    MissingKeyError,
    TimestampError,
)

# A sane cap: real frames are well under 300 bytes; this bounds work on hostile input.
MAX_FRAME_BYTES = 2048

_BLOCK = 16
_KEY_SIZES = (16, 24, 32)
# The pad must never hold `|`, `[` or `]` (they delimit the plaintext); letters and digits
# are also safe for receivers that parse the pad with a regex (pysiaalarm).
_PAD_ALPHABET = string.ascii_letters + string.digits
_PAD_FORBIDDEN = frozenset("|[]")

_HEX = "[0-9A-Fa-f]"
_ID_TOKEN = re.compile(r'"(?P<star>\*)?(?P<id>[^"]*)"')
# Standard order is R then L; pysiaalarm's NAK writes L0R0, so that order is read too.
_FIELDS = rf"""
    (?P<seq>[0-9]{{4}})
    (?:
        (?:R(?P<rcv>{_HEX}{{1,6}}))?L(?P<line>{_HEX}{{1,6}})
      | L(?P<line_b>{_HEX}{{1,6}})R(?P<rcv_b>{_HEX}{{1,6}})
    )
"""
_HEADER = re.compile(rf"{_FIELDS}(?:\#(?P<acct>{_HEX}{{3,16}}))?\[", re.VERBOSE)
# A NAK's "A0" stands in for the account. "L1A0[" could also be line 1A0, so for a NAK the
# A-form is tried first (the line then gives back its trailing "A0"); other ids never have it.
_NAK_HEADER = re.compile(rf"{_FIELDS}A{_HEX}{{1,16}}\[", re.VERBOSE)
_CRC_FIELD = re.compile(rf"{_HEX}{{4}}")
_LENGTH_FIELD = re.compile(rf"0{_HEX}{{3}}")
_TIMESTAMP = re.compile(r"_?([0-9]{2}):([0-9]{2}):([0-9]{2}),([0-9]{2})-([0-9]{2})-([0-9]{4})")
_XDATA = re.compile(r"\[([^\[\]]*)\]")
_HEX_FIELD = re.compile(rf"{_HEX}{{1,6}}")
_ACCOUNT_FIELD = re.compile(rf"{_HEX}{{3,16}}")


class MessageId(StrEnum):
    SIA_DCS = "SIA-DCS"
    ADM_CID = "ADM-CID"
    NULL = "NULL"
    ACK = "ACK"
    NAK = "NAK"
    DUH = "DUH"
    RSP = "RSP"


@dataclass(frozen=True, slots=True)
class Frame:
    """A DC-09 message, already decrypted; `encrypted` says how it travels."""

    id: MessageId
    sequence: int  # 0..9999
    line: str = "0"  # hex, without the L
    receiver: str | None = "0"  # hex, without the R; None: field absent
    account: str | None = None  # hex, without '#'; None: absent (and NAK's "A0")
    data: str = ""  # between the brackets, e.g. "#1234|1101 01 015"
    extended: tuple[str, ...] = ()  # x-data without brackets, e.g. ("H10:15:00,11-22-2026",)
    timestamp: datetime | None = None  # aware, UTC, whole seconds
    encrypted: bool = False


# --- timestamps ---------------------------------------------------------------------------


def format_timestamp(moment: datetime) -> str:
    """`_HH:MM:SS,MM-DD-YYYY` in UTC; microseconds dropped. A naive datetime is refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("DC-09 timestamps need an aware datetime")
    utc = moment.astimezone(UTC)
    # Not strftime: %Y is not zero-padded for years < 1000 on every platform.
    return (
        f"_{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d},"
        f"{utc.month:02d}-{utc.day:02d}-{utc.year:04d}"
    )


def parse_timestamp(text: str) -> datetime:
    """The inverse of `format_timestamp` (the leading `_` is optional); aware UTC."""
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        raise TimestampError(f"not a DC-09 timestamp: {text!r}")
    hour, minute, second, month, day, year = (int(part) for part in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError as exc:
        raise TimestampError(f"not a real moment: {text!r}") from exc


# --- AES ----------------------------------------------------------------------------------


def _cipher(key: bytes) -> Cipher[modes.CBC]:
    if len(key) not in _KEY_SIZES:
        raise ValueError(f"AES key must be 16, 24 or 32 bytes, not {len(key)}")
    # DC-09 fixes the IV at zero; freshness comes from the random pad and the timestamp.
    return Cipher(algorithms.AES(key), modes.CBC(bytes(_BLOCK)))


def _make_pad(rest_length: int, pad: str | None) -> str:
    """A pad so that len(pad + "|" + rest) is a whole number of blocks."""
    if pad is None:
        length = -(rest_length + 1) % _BLOCK or _BLOCK
        return "".join(secrets.choice(_PAD_ALPHABET) for _ in range(length))
    if any(ch in _PAD_FORBIDDEN or not ch.isascii() or not ch.isprintable() for ch in pad):
        raise ValueError(f"pad may not hold |, [, ] or non-printable characters: {pad!r}")
    if (len(pad) + 1 + rest_length) % _BLOCK:
        raise ValueError("pad does not fill the plaintext to a multiple of 16 bytes")
    return pad


def _encrypt(key: bytes, plaintext: str) -> str:
    encryptor = _cipher(key).encryptor()
    sealed = encryptor.update(plaintext.encode("ascii")) + encryptor.finalize()
    return sealed.hex().upper()


def _decrypt(key: bytes, ciphertext: str) -> str:
    if len(key) not in _KEY_SIZES:
        # A misconfigured key is this frame's failure, not a crash of the receiver.
        raise DecryptError(f"AES key must be 16, 24 or 32 bytes, not {len(key)}")
    if not ciphertext or len(ciphertext) % (2 * _BLOCK):
        raise DecryptError("ciphertext is not a whole number of AES blocks")
    try:
        sealed = binascii.unhexlify(ciphertext)
    except (binascii.Error, ValueError) as exc:
        raise DecryptError("ciphertext is not hex") from exc
    decryptor = _cipher(key).decryptor()
    plain = decryptor.update(sealed) + decryptor.finalize()
    # A wrong key yields noise: almost surely some byte outside printable ASCII.
    if any(byte < 0x20 or byte > 0x7E for byte in plain):
        raise DecryptError("plaintext is not printable ASCII (wrong key?)")
    return plain.decode("ascii")


def _strip_pad(plaintext: str) -> str:
    """Drop the pad: up to the first `|` (DC-09), or leading filler (pysiaalarm's `000…]`)."""
    bar, close = plaintext.find("|"), plaintext.find("]")
    if close < 0:
        raise DecryptError("no ']' in the plaintext (wrong key?)")
    if 0 <= bar < close:
        return plaintext[bar + 1 :]
    hash_ = plaintext.find("#")
    start = hash_ if 0 <= hash_ < close else close
    return plaintext[start:]


# --- the part after '[' -------------------------------------------------------------------


def _parse_content(
    text: str, error: type[FramingError] | type[DecryptError]
) -> tuple[str, tuple[str, ...], datetime | None]:
    """`data]` then `[x-data]`* then an optional timestamp, nothing else."""
    close = text.find("]")
    if close < 0:
        raise error("no ']' closing the data")
    data = text[:close]
    if "[" in data:
        raise error("'[' inside the data block")
    position = close + 1
    extended: list[str] = []
    while match := _XDATA.match(text, position):
        extended.append(match.group(1))
        position = match.end()
    tail = text[position:]
    if not tail:
        return data, tuple(extended), None
    if not tail.startswith("_"):
        raise error(f"unexpected text after the data: {tail[:20]!r}")
    return data, tuple(extended), parse_timestamp(tail)


# --- encode -------------------------------------------------------------------------------


def _header(frame: Frame) -> str:
    if not 0 <= frame.sequence <= 9999:
        raise ValueError(f"sequence out of range: {frame.sequence}")
    if not _HEX_FIELD.fullmatch(frame.line):
        raise ValueError(f"line must be 1-6 hex digits: {frame.line!r}")
    message_id = MessageId(frame.id)  # a plain "ACK" string works too
    star = "*" if frame.encrypted else ""
    parts = [f'"{star}{message_id.value}"{frame.sequence:04d}']
    if frame.receiver is not None:
        if not _HEX_FIELD.fullmatch(frame.receiver):
            raise ValueError(f"receiver must be 1-6 hex digits: {frame.receiver!r}")
        parts.append(f"R{frame.receiver.upper()}")
    parts.append(f"L{frame.line.upper()}")
    if frame.account is not None:
        if not _ACCOUNT_FIELD.fullmatch(frame.account):
            raise ValueError(f"account must be 3-16 hex digits: {frame.account!r}")
        parts.append(f"#{frame.account.upper()}")
    elif message_id is MessageId.NAK:
        parts.append("A0")  # the standard's placeholder: a NAK answers no particular account
    parts.append("[")
    return "".join(parts)


def _content(frame: Frame) -> str:
    """`data]` + `[x]`… + timestamp: the part after '[' before encryption."""
    if "[" in frame.data or "]" in frame.data:
        raise ValueError(f"data may not hold brackets: {frame.data!r}")
    for item in frame.extended:
        if "[" in item or "]" in item:
            raise ValueError(f"x-data may not hold brackets: {item!r}")
    blocks = "".join(f"[{item}]" for item in frame.extended)
    stamp = format_timestamp(frame.timestamp) if frame.timestamp is not None else ""
    return f"{frame.data}]{blocks}{stamp}"


def encode_frame(frame: Frame, key: bytes | None = None, *, pad: str | None = None) -> bytes:
    """The frame's bytes: LF, CRC, 0LLL, body, CR. Encrypted frames need a key and a timestamp.

    `pad` fixes the encryption pad (tests with known answers); by default it is random.
    """
    content = _content(frame)
    if frame.encrypted:
        if key is None:
            raise ValueError("an encrypted frame needs a key")
        if frame.timestamp is None:
            raise ValueError("an encrypted frame needs a timestamp")
        content = _encrypt(key, f"{_make_pad(len(content), pad)}|{content}")
    body = _header(frame) + content
    if not (body.isascii() and body.isprintable()):
        raise ValueError("a DC-09 frame is printable ASCII only")
    raw = body.encode("ascii")
    if len(raw) + 10 > MAX_FRAME_BYTES:
        raise ValueError(f"frame longer than {MAX_FRAME_BYTES} bytes")
    return b"\n%04X0%03X%s\r" % (crc16(raw), len(raw), raw)


# --- decode -------------------------------------------------------------------------------


def _no_key(_account: str | None) -> bytes | None:
    return None


def _checked_body(raw: bytes) -> str:
    """The span from the first `"` on, after the CRC and then the length check."""
    if len(raw) > MAX_FRAME_BYTES:
        raise FramingError(f"longer than {MAX_FRAME_BYTES} bytes")
    if not raw.isascii():
        raise FramingError("not ASCII")
    # A UDP datagram carries LF..CR; a TCP line reader may have eaten either.
    if raw.startswith(b"\n"):
        raw = raw[1:]
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    text = raw.decode("ascii")
    if len(text) < 9 or text[8] != '"':
        raise FramingError('no <crc><0LLL>" prefix')
    crc_field, length_field, body = text[:4], text[4:8], text[8:]
    if not _CRC_FIELD.fullmatch(crc_field):
        raise FramingError(f"CRC field not hex: {crc_field!r}")
    if not _LENGTH_FIELD.fullmatch(length_field):
        raise FramingError(f"length field not 0LLL: {length_field!r}")
    declared_crc, actual_crc = int(crc_field, 16), crc16(raw[8:])
    if declared_crc != actual_crc:
        raise CrcError(declared_crc, actual_crc)
    declared_length = int(length_field, 16)
    if declared_length != len(body):
        raise LengthError(declared_length, len(body))
    if not body.isprintable():
        raise FramingError("control characters inside the frame")
    return body


def decode_frame(raw: bytes, key_for: Callable[[str | None], bytes | None] = _no_key) -> Frame:
    """Parse one frame (leading LF and trailing CR optional). Checks CRC, then length, then
    the header; decrypts with `key_for(account)`. Raises only `Dc09Error` subclasses."""
    body = _checked_body(raw)
    token = _ID_TOKEN.match(body)
    if token is None:
        raise FramingError(f"no id token: {body[:20]!r}")
    try:
        message_id = MessageId(token["id"])
    except ValueError as exc:
        raise FramingError(f"unknown id token: {token['id']!r}") from exc
    match = None
    if message_id is MessageId.NAK:
        match = _NAK_HEADER.match(body, token.end())
    match = match or _HEADER.match(body, token.end())
    if match is None:
        raise FramingError(f"bad header: {body[:40]!r}")
    encrypted = token["star"] is not None
    line = (match["line"] or match["line_b"]).upper()
    receiver = match["rcv"] or match["rcv_b"]
    acct = match.groupdict().get("acct")
    account = acct.upper() if acct else None
    rest = body[match.end() :]

    if encrypted:
        key = key_for(account)
        if key is None:
            raise MissingKeyError(f"encrypted frame and no key for account {account}")
        plaintext = _strip_pad(_decrypt(key, rest))
        data, extended, timestamp = _parse_content(plaintext, DecryptError)
    else:
        data, extended, timestamp = _parse_content(rest, FramingError)
    return Frame(
        id=message_id,
        sequence=int(match["seq"]),
        line=line,
        receiver=receiver.upper() if receiver else None,
        account=account,
        data=data,
        extended=extended,
        timestamp=timestamp,
        encrypted=encrypted,
    )


# --- responses ----------------------------------------------------------------------------


def ack_for(frame: Frame, now: datetime, key: bytes | None) -> bytes:
    """ACK echoing seq/R/L/#acct; `*ACK` with an encrypted timestamp when the frame was."""
    encrypted = frame.encrypted and key is not None
    ack = Frame(
        id=MessageId.ACK,
        sequence=frame.sequence,
        line=frame.line,
        receiver=frame.receiver,
        account=frame.account,
        timestamp=now if encrypted else None,
        encrypted=encrypted,
    )
    return encode_frame(ack, key if encrypted else None)


def nak(now: datetime, receiver: str = "0", line: str = "0") -> bytes:
    """`"NAK"0000R0L0A0[]_ts`: never encrypted; the timestamp lets the sender fix its clock."""
    return encode_frame(
        Frame(id=MessageId.NAK, sequence=0, line=line, receiver=receiver, timestamp=now)
    )


def duh_for(frame: Frame) -> bytes:
    """DUH ("don't understand") echoing seq/R/L/#acct; never encrypted."""
    return encode_frame(
        Frame(
            id=MessageId.DUH,
            sequence=frame.sequence,
            line=frame.line,
            receiver=frame.receiver,
            account=frame.account,
        )
    )
