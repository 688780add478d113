"""A DC-09 sender built from the standard's examples, for testing the hub's panel listener.

Independent of our codec on purpose (no `gateway.dc09` here): frames are put together by
hand from ANSI/SIA DC-09's message format, with this module's own CRC-16/ARC and AES-CBC, so
a mistake shared by our codec and our receiver cannot hide itself.

    <LF><crc><0LLL>"<id>"<seq>[R<rcvr>]L<line>[#<acct>][<data>]<x-data>*<timestamp><CR>

The standard's own example, `"SIA-DCS"0002R1L232#78919[#78919|NFA129][S123Main St.,
55123]_11:10:00,10-12-2019`, is `standard_example()` with the time replaced by now.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_PAD_CHARACTERS = string.ascii_letters + string.digits  # never '|', '[' or ']'


def crc16_arc(data: bytes) -> int:
    """CRC-16/ARC bit by bit: polynomial 0x8005 reflected (0xA001), initial value 0."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def timestamp(moment: datetime) -> str:
    """`_HH:MM:SS,MM-DD-YYYY` in UTC."""
    utc = moment.astimezone(UTC)
    return f"_{utc:%H:%M:%S},{utc:%m-%d-%Y}"


def wrap(body: str) -> bytes:
    """LF, CRC and 0LLL over `body` (from the first quote on), the body, CR."""
    raw = body.encode("ascii")
    return b"\n" + f"{crc16_arc(raw):04X}0{len(raw):03X}".encode() + raw + b"\r"


def header(
    message_id: str,
    sequence: int,
    account: str | None,
    *,
    line: str = "0",
    receiver: str | None = None,
    encrypted: bool = False,
) -> str:
    star = "*" if encrypted else ""
    rcvr = f"R{receiver}" if receiver is not None else ""
    acct = f"#{account}" if account is not None else ""
    return f'"{star}{message_id}"{sequence:04d}{rcvr}L{line}{acct}['


def seal(key: bytes, content: str, pad: str | None = None) -> str:
    """Uppercase hex of AES-CBC (IV zero) over `pad|content`, filled to whole 16-byte blocks."""
    if pad is None:
        size = -(len(content) + 1) % 16 or 16
        pad = "".join(secrets.choice(_PAD_CHARACTERS) for _ in range(size))
    plaintext = f"{pad}|{content}".encode("ascii")
    assert len(plaintext) % 16 == 0, "the pad must fill the plaintext to whole blocks"
    encryptor = Cipher(algorithms.AES(key), modes.CBC(bytes(16))).encryptor()
    return (encryptor.update(plaintext) + encryptor.finalize()).hex().upper()


def unseal(key: bytes, ciphertext: str) -> str:
    """The content after the pad's `|` (or after a pysiaalarm-style 0-pad)."""
    decryptor = Cipher(algorithms.AES(key), modes.CBC(bytes(16))).decryptor()
    plain = (decryptor.update(bytes.fromhex(ciphertext)) + decryptor.finalize()).decode("ascii")
    return plain.split("|", 1)[1] if "|" in plain else plain.lstrip("0")


def message(
    message_id: str,
    sequence: int,
    account: str,
    data: str,
    *,
    now: datetime | None = None,
    key: bytes | None = None,
    line: str = "0",
    receiver: str | None = None,
    extended: str = "",
) -> bytes:
    """Any event or NULL frame: `data` is what goes between the brackets. With `key` it is
    encrypted (and then needs `now`: an encrypted frame carries a timestamp)."""
    content = f"{data}]{extended}{timestamp(now) if now else ''}"
    if key is not None:
        assert now is not None, "an encrypted frame carries a timestamp"
        content = seal(key, content)
    head = header(
        message_id, sequence, account, line=line, receiver=receiver, encrypted=key is not None
    )
    return wrap(head + content)


def contact_id(
    account: str,
    event: str = "1101 01 015",
    sequence: int = 1,
    *,
    now: datetime | None = None,
    key: bytes | None = None,
) -> bytes:
    """`"ADM-CID"0001L0#1234[#1234|1101 01 015]` (+ timestamp): Contact ID, here a new (1)
    personal emergency (101) of partition 01, zone 015."""
    return message("ADM-CID", sequence, account, f"#{account}|{event}", now=now, key=key)


def sia_dcs(
    account: str,
    event: str = "Nri1/QA15",
    sequence: int = 1,
    *,
    now: datetime | None = None,
    key: bytes | None = None,
) -> bytes:
    return message("SIA-DCS", sequence, account, f"#{account}|{event}", now=now, key=key)


def null(
    account: str, sequence: int = 1, *, now: datetime | None = None, key: bytes | None = None
) -> bytes:
    """A link test: `"NULL"0001L0#1234[]`."""
    return message("NULL", sequence, account, "", now=now, key=key)


def standard_example(now: datetime, sequence: int = 2) -> bytes:
    """The standard's SIA DCS example: fire alarm (FA) zone 129 of account 78919, with an
    x-data block, receiver 1 and line 232."""
    return message(
        "SIA-DCS",
        sequence,
        "78919",
        "#78919|NFA129",
        now=now,
        line="232",
        receiver="1",
        extended="[S123Main St., 55123]",
    )


@dataclass(frozen=True, slots=True)
class Reply:
    """A receiver's answer, read by this module alone."""

    id: str  # ACK, NAK, DUH
    encrypted: bool
    sequence: int
    receiver: str | None
    line: str
    account: str | None
    timestamp: datetime | None
    crc_ok: bool
    length_ok: bool


_REPLY = re.compile(
    r'\n(?P<crc>[0-9A-F]{4})0(?P<length>[0-9A-F]{3})(?P<body>"(?P<star>\*?)(?P<id>[A-Z]+)"'
    r"(?P<seq>[0-9]{4})(?:R(?P<rcv>[0-9A-F]+))?L(?P<line>[0-9A-F]+?)"
    r"(?:#(?P<acct>[0-9A-F]+)|A0)?\[(?P<rest>[^\r]*))\r"
)
_STAMP = re.compile(r"_(\d\d):(\d\d):(\d\d),(\d\d)-(\d\d)-(\d{4})$")


def parse_reply(raw: bytes, key: bytes | None = None) -> Reply:
    match = _REPLY.fullmatch(raw.decode("ascii"))
    assert match is not None, f"not a DC-09 reply: {raw!r}"
    body = match["body"].encode("ascii")
    rest = match["rest"]
    if match["star"]:
        assert key is not None, "an encrypted reply needs the key"
        rest = unseal(key, rest)
    stamp = _STAMP.search(rest)
    moment = None
    if stamp:
        hour, minute, second, month, day, year = (int(part) for part in stamp.groups())
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    return Reply(
        id=match["id"],
        encrypted=bool(match["star"]),
        sequence=int(match["seq"]),
        receiver=match["rcv"],
        line=match["line"],
        account=match["acct"],
        timestamp=moment,
        crc_ok=int(match["crc"], 16) == crc16_arc(body),
        length_ok=int(match["length"], 16) == len(body),
    )


# Sending, as a panel does


async def send_tcp(port: int, *frames: bytes, host: str = "127.0.0.1") -> list[bytes]:
    """Each frame on one connection, waiting for each answer (up to its CR)."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        answers = []
        for raw in frames:
            writer.write(raw)
            await writer.drain()
            answers.append(await asyncio.wait_for(reader.readuntil(b"\r"), 5))
        return answers
    finally:
        writer.close()
        await writer.wait_closed()


class _Answer(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.answer: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        if not self.answer.done():
            self.answer.set_result(data)


async def send_udp(port: int, datagram: bytes, host: str = "127.0.0.1") -> bytes:
    """One datagram, and the answer sent back to its address."""
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(_Answer, remote_addr=(host, port))
    try:
        transport.sendto(datagram)
        return await asyncio.wait_for(protocol.answer, 5)
    finally:
        transport.close()
