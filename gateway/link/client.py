"""One WebSocket from the gateway to its hub, carrying signed envelopes until each is acked.

The link is the transport of a `DeliveryQueue` (delivery.py): every message waits in the
durable outbox until the hub acks it, so a link outage, a hub restart or a killed gateway loses
nothing. Messages go out in the outbox's priority order with a bounded number in flight, so an
alarm raised during a long backlog overtakes the queued vitals. The link itself connects,
signs, sends, and takes the hub's acks, naks, config and commands.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import aiohttp

from ..alarms import utc_iso
from ..protocol import (
    GATEWAY_WS_PATH,
    MAX_MESSAGE_BYTES,
    STEP_OF_MESSAGE,
    Envelope,
    HubConfig,
    MessageType,
    NakReason,
    ProtocolError,
    acked_ids,
    parse_config,
    parse_time,
)
from ..ulid import new_ulid
from .credentials import GatewayCredentials
from .delivery import DeliveryQueue, Pump
from .outbox import Outbox, OutboxMessage, Priority

_LOGGER = logging.getLogger(__name__)

_IN_FLIGHT = 200  # unacked messages on the wire at once; bounds a reconnect's resend
# Reconnect: exponential from 1 s with jitter (0.5-1x), so a whole community's gateways do not
# reconnect in step after a hub restart. Capped at 30 s: a hub back from an outage has every
# gateway again within half a minute, and link_lost clears for all of them.
_BACKOFF_FIRST = 1.0
_BACKOFF_MAX = 30.0
# An alarm waiting in the outbox must not sit out a long backoff: it retries every few seconds,
# and an alarm raised during the wait starts an attempt at once (after a jitter of up to 1 s).
_BACKOFF_MAX_ALARM = 5.0
_URGENT_JITTER = 1.0
_REFUSED_RETRY = 300.0  # a refused gateway retries slowly, in case the hub fixes its record


# Hub -> gateway messages handed to the host (staff steps on alarms and on service requests,
# test requests); the link acks them.
HUB_COMMANDS = frozenset({*STEP_OF_MESSAGE, MessageType.TEST_REQUEST, MessageType.SERVICE_STEP})
_SEEN_COMMANDS = 1000  # ids remembered to drop a command the hub resends after a reconnect


class LinkState(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    REFUSED = "refused"  # the hub does not accept this gateway's credential


class HubLink:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        credentials: GatewayCredentials,
        outbox: Outbox,
        heartbeat_interval: float = 60.0,
    ) -> None:
        self._session = session
        self._credentials = credentials
        self._signing_key = credentials.signing_key()
        self._hub_key = credentials.hub_key()
        self._heartbeat_interval = heartbeat_interval
        self._ssl = credentials.ssl_context()
        self._queue = DeliveryQueue(outbox, self, name="hub")
        self._heartbeats: set[str] = set()
        self.last_heartbeat: datetime | None = None  # the hub's ack of our last heartbeat
        self._status_listeners: list[Callable[[], None]] = []
        self._queue.add_depth_listener(lambda _depth: self._status_changed())
        self._reached_hub = False  # this connection attempt heard the hub
        self._failures = 0  # connection attempts in a row that never heard the hub
        self._clock_offset = timedelta(0)
        self._listeners: list[Callable[[LinkState], None]] = []
        self._command_listeners: list[Callable[[HubCommand], None]] = []
        self._config_listeners: list[Callable[[HubConfig], None]] = []
        self._seen_commands: dict[str, None] = {}  # insertion-ordered, bounded
        self.state = LinkState.DISCONNECTED
        self.refusal: str | None = None

    @property
    def outbox(self) -> Outbox:
        return self._queue.outbox

    @property
    def outbox_depth(self) -> int:
        return self._queue.depth

    def add_status_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Called when the outbox depth or the last heartbeat changes (for entities)."""
        self._status_listeners.append(listener)
        return lambda: self._status_listeners.remove(listener)

    def _status_changed(self) -> None:
        for listener in list(self._status_listeners):
            listener()

    def add_state_listener(self, listener: Callable[[LinkState], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def add_command_listener(self, listener: Callable[[HubCommand], None]) -> Callable[[], None]:
        """Staff steps and test requests from the care center, each delivered once."""
        self._command_listeners.append(listener)
        return lambda: self._command_listeners.remove(listener)

    def add_config_listener(self, listener: Callable[[HubConfig], None]) -> Callable[[], None]:
        """The care center's config (thresholds), after each hello and when staff change it."""
        self._config_listeners.append(listener)
        return lambda: self._config_listeners.remove(listener)

    @property
    def heartbeat_interval(self) -> float:
        return self._heartbeat_interval

    def start(self) -> None:
        """Run the link in a task of its own; hosts with task tracking (HA) await `run`."""
        self._queue.start()

    async def stop(self) -> None:
        """Stop the link, whoever started it (`start`, or a host awaiting `run`); returns once
        the outbox is idle: the caller may close it next."""
        await self._queue.stop()
        self._set_state(LinkState.DISCONNECTED)

    async def run(self) -> None:
        """Keep the link up until cancelled."""
        await self._queue.run()

    def send(self, type_: MessageType, body: dict[str, Any]) -> str:
        """Queue a message for the hub and return its id at once, without blocking the event
        loop; resent until the hub acks it. The commit follows on the outbox's thread, ahead
        of anything queued later; `send_durably` returns only once it is on disk."""
        return self._queue.put_nowait(type_.value, body)

    async def send_durably(self, type_: MessageType, body: dict[str, Any]) -> str:
        """Queue a message for the hub; returns its id once it is on disk."""
        return await self._queue.put(type_.value, body)

    async def wait_delivered(self, message_id: str, timeout: float) -> None:
        """Wait until the hub acked `message_id` (returns at once if it already did)."""
        await self._queue.wait_delivered(message_id, timeout)

    def _now(self) -> datetime:
        return datetime.now(UTC) + self._clock_offset

    def _set_state(self, state: LinkState) -> None:
        if state != self.state:
            self.state = state
            for listener in list(self._listeners):
                listener(state)

    # The transport the delivery queue drives

    @property
    def window(self) -> int:
        return _IN_FLIGHT

    async def begin(self) -> None:
        self._failures = 0

    async def serve(self, pump: Pump) -> None:
        """One connection attempt; the queue's pump runs while it is up."""
        self._set_state(LinkState.CONNECTING)
        self._reached_hub = False
        try:
            await self._connection(pump)
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            _LOGGER.info("Hub link to %s failed: %s", self._credentials.hub_url, err)

    async def pause(self) -> None:
        if self._reached_hub:
            self._failures = 0  # a link that worked and dropped starts the backoff afresh
        if self.state == LinkState.REFUSED:
            await asyncio.sleep(_REFUSED_RETRY)
            return
        self._set_state(LinkState.DISCONNECTED)
        await self._back_off(self._failures)
        self._failures += 1

    async def end(self) -> None:
        self._set_state(LinkState.DISCONNECTED)

    async def _back_off(self, failures: int) -> None:
        """Wait before the next attempt; an alarm queued meanwhile cuts the wait short."""
        alarm_queued = self._queue.new_message_event(urgent=True)  # before the count: none missed
        alarm_waiting = (await self._queue.depth_by_priority())[Priority.ALARM] > 0
        cap = _BACKOFF_MAX_ALARM if alarm_waiting else _BACKOFF_MAX
        delay = min(cap, _BACKOFF_FIRST * 2**failures) * random.uniform(0.5, 1.0)  # noqa: S311
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await alarm_queued.wait()
                await asyncio.sleep(random.uniform(0, _URGENT_JITTER))  # noqa: S311

    async def _connection(self, pump: Pump) -> None:
        url = self._credentials.hub_url.rstrip("/") + GATEWAY_WS_PATH
        async with self._session.ws_connect(
            url,
            heartbeat=30,
            max_msg_size=MAX_MESSAGE_BYTES + 1,
            ssl=self._ssl if self._ssl else True,
        ) as ws:
            connection = _Connection(self, ws)
            await connection.open()
            try:
                await pump(connection)
            finally:
                await connection.close()

    # What goes on the wire

    def _envelope(self, seq: int, type_: MessageType, body: dict[str, Any], id_: str) -> str:
        return (
            Envelope(
                gw=self._credentials.gateway_id,
                seq=seq,
                sent=utc_iso(self._now()),
                id=id_,
                type=type_.value,
                body=body,
            )
            .signed(self._signing_key)
            .to_json()
        )

    def _heartbeat(self) -> tuple[str, dict[str, Any]]:
        """A new heartbeat's id and body; its ack sets `last_heartbeat`."""
        heartbeat_id = new_ulid()
        self._heartbeats.add(heartbeat_id)
        return heartbeat_id, {"outbox_depth": self.outbox_depth}

    # From the hub

    def _heard(self, text: str) -> Envelope | None:
        """Take in one message from the hub; None if it fails the checks (ignored)."""
        try:
            envelope = Envelope.from_json(text)
            envelope.verify(self._hub_key)
        except ProtocolError as err:
            _LOGGER.warning("Ignoring a message from the hub that fails checks: %s", err)
            return None
        if self.state != LinkState.CONNECTED:
            self.refusal = None
            self._reached_hub = True
            self._set_state(LinkState.CONNECTED)
        self._handle(envelope)
        return envelope

    def _handle(self, envelope: Envelope) -> None:
        message_id = str(envelope.body.get("id", ""))
        if envelope.type in HUB_COMMANDS:
            self._command(envelope)
        elif envelope.type == MessageType.CONFIG:
            self._configured(envelope.body)
        elif envelope.type == MessageType.ACK:
            self._acked(acked_ids(envelope.body))
        elif envelope.type == MessageType.NAK:
            self._nakked(message_id, envelope.body)

    def _configured(self, body: dict[str, Any]) -> None:
        config, problems = parse_config(body)
        for problem in problems:  # the rest of the config still applies
            _LOGGER.warning("Ignoring part of the hub's config: %s", problem)
        if config.heartbeat_interval is not None:
            self._heartbeat_interval = config.heartbeat_interval
            self._queue.wake()  # the connection's wait picks up the new interval
        for listener in list(self._config_listeners):
            try:
                listener(config)
            except Exception:
                _LOGGER.exception("A listener failed on the hub's config")

    def _acked(self, message_ids: list[str]) -> None:
        stored = []
        for message_id in message_ids:
            if message_id in self._heartbeats:
                self._heartbeats.discard(message_id)
                self.last_heartbeat = datetime.now(UTC)
            else:
                stored.append(message_id)
        self._queue.acked(stored)  # one outbox commit for the hub's whole batch
        self._status_changed()

    def _nakked(self, message_id: str, body: dict[str, Any]) -> None:
        reason = body.get("reason")
        self._heartbeats.discard(message_id)
        if reason == NakReason.STALE:
            # The hub's clock is the reference (SIA DC-09): learn the offset, send again.
            try:
                server_time = parse_time(body.get("server_time"), "server_time")
            except ProtocolError:
                return
            self._clock_offset = server_time - datetime.now(UTC)
            self._queue.resend(message_id)
        elif reason in (NakReason.UNKNOWN_GATEWAY, NakReason.REVOKED, NakReason.BAD_SIGNATURE):
            self.refusal = str(reason)
            self._set_state(LinkState.REFUSED)
        elif self._queue.rejected(message_id, ProtocolError(NakReason.MALFORMED, str(body))):
            # Resending a message the hub found malformed would block the queue forever;
            # it is logged whole (minus the body: it may hold health data) and dropped.
            _LOGGER.error("Hub rejected message %s for good: %s", message_id, reason)

    def _command(self, envelope: Envelope) -> None:
        if envelope.id in self._seen_commands:
            return
        self._seen_commands[envelope.id] = None
        if len(self._seen_commands) > _SEEN_COMMANDS:
            del self._seen_commands[next(iter(self._seen_commands))]
        command = HubCommand(envelope.id, MessageType(envelope.type), envelope.body)
        for listener in list(self._command_listeners):
            try:
                listener(command)
            except Exception:
                _LOGGER.exception("A listener failed on hub command %s", envelope.type)


class _Connection:
    """One WebSocket to the hub: a session of the delivery queue. Numbers what it sends, reads
    in a task of its own, and sends a heartbeat when the line was quiet for an interval."""

    def __init__(self, link: HubLink, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._link = link
        self._ws = ws
        self._seq = 0
        self._last_sent = 0.0  # loop time
        self._reader: asyncio.Task[None] | None = None

    async def open(self) -> None:
        """Say hello, then listen."""
        await self._send(MessageType.HELLO, {"software": "eldercare-gateway"}, new_ulid())
        self._last_sent = asyncio.get_running_loop().time()
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def transmit(self, message: OutboxMessage) -> None:
        await self._send(MessageType(message.type), message.body, message.id)
        self._last_sent = asyncio.get_running_loop().time()

    async def wait(self, wake: asyncio.Event) -> bool:
        reader = self._reader
        assert reader is not None  # open() runs before the pump
        if not reader.done():
            loop = asyncio.get_running_loop()
            interval = self._link.heartbeat_interval
            if loop.time() - self._last_sent >= interval:
                heartbeat_id, body = self._link._heartbeat()
                await self._send(MessageType.HEARTBEAT, body, heartbeat_id)
                self._last_sent = loop.time()
            waiter = asyncio.create_task(wake.wait())
            try:
                await asyncio.wait(
                    {waiter, reader},
                    timeout=max(0.0, self._last_sent + interval - loop.time()),
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                waiter.cancel()  # also when the link itself is cancelled (unload)
        if not reader.done():
            return True
        if (err := reader.exception()) is not None:
            raise err
        return False  # the hub closed the connection, or refused us

    async def _send(self, type_: MessageType, body: dict[str, Any], message_id: str) -> None:
        self._seq += 1
        await self._ws.send_str(self._link._envelope(self._seq, type_, body, message_id))

    async def _read(self) -> None:
        link = self._link
        async for message in self._ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            envelope = link._heard(message.data)
            if envelope is not None and envelope.type in HUB_COMMANDS:
                # Acked after the host has it; a lost ack means a resend, dropped as seen.
                await self._send(MessageType.ACK, {"id": envelope.id}, new_ulid())
            if link.state == LinkState.REFUSED:
                return


@dataclass(frozen=True, slots=True)
class HubCommand:
    """A verified message from the care center for the household: a staff step or a test."""

    id: str
    type: MessageType
    body: dict[str, Any]
