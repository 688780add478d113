"""Request/response channels to one DC-09 receiver: a TCP connection or a connected UDP socket.

A channel only moves bytes: `send` one frame, `receive` the next answer (a frame, or what a
receiver wrote in its place). Making sense of an answer is the sender's job.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Protocol

from ..dc09.frame import MAX_FRAME_BYTES
from .settings import ReceiverAddress, Transport

_READ_SIZE = 4096
_CLOSE_WAIT = 1.0  # seconds
_QUEUED_DATAGRAMS = 64  # a flood of datagrams must not grow memory; answers are one or two


class Channel(Protocol):
    address: ReceiverAddress

    async def send(self, data: bytes) -> None: ...

    async def receive(self) -> bytes:
        """The next answer; raises OSError (ConnectionError) when the channel broke."""
        ...

    async def close(self) -> None: ...


async def open_channel(address: ReceiverAddress) -> Channel:
    """Connect (TCP) or bind a socket connected to the receiver (UDP). Raises OSError."""
    if address.transport is Transport.TCP:
        return await TcpChannel.open(address)
    return await UdpChannel.open(address)


def split_answers(buffer: bytes) -> tuple[list[bytes], bytes]:
    """Cut a TCP byte stream into answers; returns them and what is left to complete.

    Frames run from LF to CR. Some receivers write an answer that is not a frame and has no
    CR (pysiaalarm's bare `"NAK"`): a remainder that does not start a frame is taken whole.
    """
    answers: list[bytes] = []
    while (end := buffer.find(b"\r")) >= 0:
        answers.append(buffer[: end + 1])
        buffer = buffer[end + 1 :]
    if buffer and not buffer.startswith(b"\n"):
        answers.append(buffer)
        buffer = b""
    if len(buffer) > MAX_FRAME_BYTES:
        buffer = b""  # no CR in sight: not a frame, drop it rather than grow
    return answers, buffer


class TcpChannel:
    """One TCP connection, kept open across messages."""

    def __init__(
        self, address: ReceiverAddress, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.address = address
        self._reader = reader
        self._writer = writer
        self._buffer = b""
        self._answers: deque[bytes] = deque()

    @classmethod
    async def open(cls, address: ReceiverAddress) -> TcpChannel:
        reader, writer = await asyncio.open_connection(address.host, address.port)
        return cls(address, reader, writer)

    async def send(self, data: bytes) -> None:
        self._writer.write(data)
        await self._writer.drain()

    async def receive(self) -> bytes:
        while not self._answers:
            chunk = await self._reader.read(_READ_SIZE)
            if not chunk:
                raise ConnectionResetError("the receiver closed the connection")
            answers, self._buffer = split_answers(self._buffer + chunk)
            self._answers.extend(answers)
        return self._answers.popleft()

    async def close(self) -> None:
        self._writer.close()
        # Bounded: a peer that stopped reading must not hold up a failover.
        with contextlib.suppress(OSError):
            async with asyncio.timeout(_CLOSE_WAIT):
                await self._writer.wait_closed()


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.items: asyncio.Queue[bytes | OSError] = asyncio.Queue(_QUEUED_DATAGRAMS)

    def _put(self, item: bytes | OSError) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.items.put_nowait(item)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        # The socket is connected: the kernel only passes datagrams from the receiver.
        self._put(data)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable arrives here as ConnectionRefusedError.
        self._put(exc if isinstance(exc, OSError) else OSError(str(exc)))

    def connection_lost(self, exc: Exception | None) -> None:
        self._put(ConnectionResetError("the UDP socket was closed"))


class UdpChannel:
    """A UDP socket connected to the receiver: one datagram per attempt, answers from it only."""

    def __init__(
        self, address: ReceiverAddress, transport: asyncio.DatagramTransport, datagrams: _Datagrams
    ) -> None:
        self.address = address
        self._transport = transport
        self._datagrams = datagrams

    @classmethod
    async def open(cls, address: ReceiverAddress) -> UdpChannel:
        loop = asyncio.get_running_loop()
        transport, datagrams = await loop.create_datagram_endpoint(
            _Datagrams, remote_addr=(address.host, address.port)
        )
        return cls(address, transport, datagrams)

    async def send(self, data: bytes) -> None:
        self._transport.sendto(data)

    async def receive(self) -> bytes:
        item = await self._datagrams.items.get()
        if isinstance(item, OSError):
            raise item
        return item

    async def close(self) -> None:
        self._transport.close()
