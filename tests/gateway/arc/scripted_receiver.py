"""A DC-09 receiver for tests, built on our codec, that answers each frame as it is told.

Each frame it reads takes the next action of its script (ACK when the script is empty): a
proper answer, a NAK with a chosen time, a DUH, silence, an answer to another sequence,
garbage, a bad CRC, a closed connection, or several of these in a row.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from gateway.arc.settings import ReceiverAddress, Transport
from gateway.dc09.errors import Dc09Error
from gateway.dc09.frame import Frame, ack_for, decode_frame, duh_for, nak

HOST = "127.0.0.1"
_DEFAULT_KEY = object()  # "the receiver's own key"

# (frame read, the receiver's key) -> the bytes to write back, or None to close the connection.
Action = Callable[[Frame, bytes | None], Sequence[bytes] | None]


def ack(key: bytes | object | None = _DEFAULT_KEY) -> Action:
    """A proper ACK (`*ACK` when the frame was encrypted), with another key if given."""

    def act(frame: Frame, own: bytes | None) -> list[bytes]:
        chosen = own if key is _DEFAULT_KEY else key
        assert chosen is None or isinstance(chosen, bytes)
        return [ack_for(frame, datetime.now(UTC), chosen)]

    return act


def plain_ack() -> Action:
    """An ACK in clear even when the frame was encrypted (what a forger without the key sends)."""
    return lambda frame, _key: [ack_for(replace(frame, encrypted=False), datetime.now(UTC), None)]


def nak_at(moment: datetime) -> Action:
    """A NAK carrying `moment` as the receiver's time."""
    return lambda _frame, _key: [nak(moment)]


def duh() -> Action:
    return lambda frame, _key: [duh_for(frame)]


def silent() -> Action:
    return lambda _frame, _key: []


def wrong_sequence() -> Action:
    """A proper ACK, but for the next sequence number (a stale or foreign ACK)."""
    return lambda frame, key: ack()(replace(frame, sequence=frame.sequence % 9999 + 1), key)


def garbage() -> Action:
    return lambda _frame, _key: [b"\nthis is no DC-09 frame\r", b"\n\r"]


def bad_crc() -> Action:
    """A proper ACK whose CRC digits are wrong."""

    def act(frame: Frame, key: bytes | None) -> list[bytes]:
        (good,) = ack()(frame, key) or []
        crc = int(good[1:5], 16) ^ 0x1111
        return [b"\n%04X" % crc + good[5:]]

    return act


def close() -> Action:
    return lambda _frame, _key: None


def several(*actions: Action) -> Action:
    """The actions' answers one after the other (a close ends the list)."""

    def act(frame: Frame, key: bytes | None) -> list[bytes] | None:
        answers: list[bytes] = []
        for action in actions:
            more = action(frame, key)
            if more is None:
                return None
            answers.extend(more)
        return answers

    return act


@dataclass(frozen=True, slots=True)
class Heard:
    frame: Frame
    at: float  # loop time


class ScriptedReceiver:
    """One receiver on 127.0.0.1 (TCP or UDP); `port` 0 lets the OS choose."""

    def __init__(self, transport: Transport, key: bytes | None = None, port: int = 0) -> None:
        self.transport = transport
        self.key = key
        self.port = port
        self.script: deque[Action] = deque()
        self.heard: list[Heard] = []
        self.unreadable: list[Dc09Error] = []
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._udp: asyncio.DatagramTransport | None = None

    @property
    def address(self) -> ReceiverAddress:
        return ReceiverAddress(HOST, self.port, self.transport)

    @property
    def frames(self) -> list[Frame]:
        return [heard.frame for heard in self.heard]

    def then(self, *actions: Action) -> ScriptedReceiver:
        """Answer the next frames with `actions`, in order (after those already scripted)."""
        self.script.extend(actions)
        return self

    async def start(self) -> ScriptedReceiver:
        if self.transport is Transport.TCP:
            self._server = await asyncio.start_server(self._serve_tcp, HOST, self.port)
            self.port = self._server.sockets[0].getsockname()[1]
        else:
            loop = asyncio.get_running_loop()
            self._udp, _ = await loop.create_datagram_endpoint(
                lambda: _Datagrams(self), local_addr=(HOST, self.port)
            )
            self.port = self._udp.get_extra_info("sockname")[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()
            self._server = None
        if self._udp is not None:
            self._udp.close()
            self._udp = None

    def answer(self, raw: bytes) -> Sequence[bytes] | None:
        """Read one frame and answer it from the script; unreadable frames get no answer."""
        try:
            frame = decode_frame(raw, lambda _account: self.key)
        except Dc09Error as err:
            self.unreadable.append(err)
            return []
        self.heard.append(Heard(frame, asyncio.get_running_loop().time()))
        action = self.script.popleft() if self.script else ack()
        return action(frame, self.key)

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        buffer = b""
        try:
            while chunk := await reader.read(4096):
                buffer += chunk
                while (end := buffer.find(b"\r")) >= 0:
                    raw, buffer = buffer[: end + 1], buffer[end + 1 :]
                    answers = self.answer(raw)
                    if answers is None:
                        return
                    for data in answers:
                        writer.write(data)
                    await writer.drain()
        except ConnectionError:
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, receiver: ScriptedReceiver) -> None:
        self._receiver = receiver
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.DatagramTransport)
        self._transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        answers = self._receiver.answer(data) or []  # "close" means nothing over UDP
        assert self._transport is not None
        for answer in answers:
            self._transport.sendto(answer, addr)
