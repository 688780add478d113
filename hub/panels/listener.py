"""The hub's DC-09 listener: TCP and UDP on one port number (docs/dc09.md).

TCP: a connection carries many frames, each ending in CR; frames are answered in order.
UDP: one frame per datagram, answered to the sender's address.

Every frame goes through `PanelHandler.answer`: the receiver checks it; an accepted event is
stored durably first (on the hub's database thread), then remembered, then acked, because a
panel deletes an event on our ACK. If storing fails, nothing is sent and the panel retries.

Abuse limits: a line longer than the longest frame is answered NAK and its connection closed;
a connection idle for IDLE_TIMEOUT is closed; at most MAX_CONNECTIONS connections and
MAX_DATAGRAMS datagrams in progress at once (more are dropped, counted).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from gateway.dc09.frame import MAX_FRAME_BYTES, nak
from gateway.dc09.receiver import Dc09Receiver, Verdict

from ..core.context import HubContext
from .ingest import ingest

_LOGGER = logging.getLogger(__name__)
MAX_LINE = MAX_FRAME_BYTES + 2  # the longest frame the codec reads, with its LF and CR
IDLE_TIMEOUT = 300.0  # s; panels that keep a connection open poll well within this
MAX_CONNECTIONS = 1000
MAX_DATAGRAMS = 1000
_READ = 4096
_BIND_ATTEMPTS = 5  # port 0: TCP picks a port, UDP must get the same number


class PanelHandler:
    """One frame in, the answer out (None: send nothing)."""

    def __init__(self, hub: HubContext, receiver: Dc09Receiver, keep: timedelta) -> None:
        self.hub = hub
        self.receiver = receiver
        self._keep = keep  # how long the database's copy counts for duplicates

    async def answer(self, raw: bytes, peer: str) -> bytes | None:
        outcome = self.receiver.check(raw)
        message = outcome.message
        if outcome.verdict == Verdict.ACCEPT:
            assert message is not None
            try:
                await ingest(self.hub, message, self._keep)
            except Exception:  # not stored: no ACK, the panel sends it again
                self.receiver.counters["store_failed"] += 1
                _LOGGER.exception(
                    "Panel %s: storing message %04d failed; not acked",
                    message.account.account,
                    message.frame.sequence,
                )
                return None
            self.receiver.remember(message)
        elif message is not None:  # a duplicate or a NULL poll: the panel is alive
            await self._heard(message.account.account)
        elif outcome.verdict in (Verdict.NAK, Verdict.DUH):
            # The peer's address and the reason; never the frame (it may carry a key's work).
            _LOGGER.info(
                "DC-09 frame from %s refused: %s %s",
                peer,
                outcome.verdict.value,
                outcome.reason,
                extra={"event": "dc09_refused", "reason": outcome.reason},
            )
        return outcome.response

    async def _heard(self, account: str) -> None:
        try:
            await self.hub.db(self.hub.store.panels.touch, account, self.hub.clock())
        except Exception:  # a last-heard time is not worth a lost answer
            _LOGGER.exception("Panel %s: could not record it as heard", account)


class PanelListener:
    def __init__(
        self,
        handler: PanelHandler,
        host: str,
        port: int,
        *,
        idle_timeout: float = IDLE_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.handler = handler
        self.host = host
        self.port = port  # the bound port after `start` (port 0: a free one)
        self._idle = idle_timeout
        self._max_connections = max_connections
        self._server: asyncio.Server | None = None
        self._udp: asyncio.DatagramTransport | None = None
        self._tasks: set[asyncio.Task[None]] = set()  # connections and datagrams in progress
        self._connections = 0

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        for attempt in range(_BIND_ATTEMPTS):
            server = await asyncio.start_server(self._serve, self.host, self.port)
            port = server.sockets[0].getsockname()[1]
            try:
                udp, _ = await loop.create_datagram_endpoint(
                    lambda: _Datagrams(self), local_addr=(self.host, port)
                )
            except OSError:
                server.close()
                await server.wait_closed()
                if self.port != 0 or attempt == _BIND_ATTEMPTS - 1:
                    raise
                continue
            self._server, self._udp, self.port = server, udp, port
            break
        _LOGGER.info("DC-09 listener on %s:%d (TCP and UDP)", self.host, self.port)

    async def close(self) -> None:
        if self._udp is not None:
            self._udp.close()
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._server is not None:
            await self._server.wait_closed()

    def track(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if self._connections >= self._max_connections or task is None:
            self.handler.receiver.counters["connection_refused"] += 1
            writer.close()
            return
        self._connections += 1
        self.track(task)
        peer = _peer(writer.get_extra_info("peername"))
        try:
            await self._read_frames(reader, writer, peer)
        except (TimeoutError, ConnectionError):
            pass  # idle too long, or the panel went away: it reconnects when it has news
        finally:
            self._connections -= 1
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _read_frames(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str
    ) -> None:
        buffer = bytearray()
        while True:
            async with asyncio.timeout(self._idle):
                chunk = await reader.read(_READ)
            if not chunk:
                return
            buffer += chunk
            while (end := buffer.find(b"\r")) >= 0:
                line = bytes(buffer[: end + 1])
                del buffer[: end + 1]
                # A frame starts at its LF: noise before it (a half frame after a reset) is
                # dropped, so the frame after it is still read.
                start = line.rfind(b"\n")
                if start > 0:
                    if line[:start].strip():  # not just the LF of a CR LF before this frame
                        self.handler.receiver.counters["noise"] += 1
                    line = line[start:]
                response = await self.handler.answer(line, peer)
                if response is not None:
                    writer.write(response)
                    await writer.drain()
            if len(buffer) > MAX_LINE:
                self.handler.receiver.counters["oversized"] += 1
                _LOGGER.info("DC-09 connection from %s sent an oversized line: closed", peer)
                writer.write(nak(self.handler.hub.clock()))
                await writer.drain()
                return


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, listener: PanelListener) -> None:
        self._listener = listener
        self._transport: asyncio.DatagramTransport | None = None
        self._in_progress = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.DatagramTransport)
        self._transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        if self._in_progress >= MAX_DATAGRAMS:
            self._listener.handler.receiver.counters["datagram_dropped"] += 1
            return
        self._in_progress += 1
        self._listener.track(asyncio.create_task(self._answer(data, addr)))

    async def _answer(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        try:
            response = await self._listener.handler.answer(data, _peer(addr))
            transport = self._transport
            if response is not None and transport is not None and not transport.is_closing():
                transport.sendto(response, addr)
        finally:
            self._in_progress -= 1


def _peer(address: object) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return "?"
