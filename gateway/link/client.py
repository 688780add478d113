"""One WebSocket from the gateway to its hub, carrying signed envelopes until each is acked.

Every message is committed to the durable outbox before `send` returns and leaves it only on
the hub's ack, so a link outage, a hub restart or a killed gateway loses nothing. Messages go
out in the outbox's priority order with a bounded number in flight, so an alarm raised during
a long backlog overtakes the queued vitals.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import aiohttp

from ..alarms import utc_iso
from ..protocol import (
    GATEWAY_WS_PATH,
    MAX_MESSAGE_BYTES,
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
from .outbox import Outbox, Priority, priority_of

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


_Transmit = Callable[[MessageType, dict[str, Any], str], Awaitable[None]]
# Hub -> gateway messages handed to the host (staff steps, test requests); the link acks them.
HUB_COMMANDS = frozenset(
    {
        MessageType.ALARM_ACKNOWLEDGED,
        MessageType.ALARM_DISPATCHED,
        MessageType.ALARM_ON_SITE,
        MessageType.ALARM_RESOLVED,
        MessageType.TEST_REQUEST,
    }
)
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
        self._outbox = outbox
        self._ssl = credentials.ssl_context()
        # Futures of messages sent by this process, for `wait_delivered`.
        self._delivered: dict[str, asyncio.Future[None]] = {}
        self._in_flight: set[str] = set()  # sent on this connection, not acked yet
        self._heartbeats: set[str] = set()
        self.last_heartbeat: datetime | None = None  # the hub's ack of our last heartbeat
        self._status_listeners: list[Callable[[], None]] = []
        self._wakeup = asyncio.Event()
        self._alarm_queued = asyncio.Event()  # cuts a reconnect backoff short
        self._reached_hub = False  # this connection attempt heard the hub
        self._task: asyncio.Task[None] | None = None
        self._running: asyncio.Task[Any] | None = None
        self._clock_offset = timedelta(0)
        self._listeners: list[Callable[[LinkState], None]] = []
        self._command_listeners: list[Callable[[HubCommand], None]] = []
        self._config_listeners: list[Callable[[HubConfig], None]] = []
        self._seen_commands: dict[str, None] = {}  # insertion-ordered, bounded
        self.state = LinkState.DISCONNECTED
        self.refusal: str | None = None

    @property
    def outbox(self) -> Outbox:
        return self._outbox

    @property
    def outbox_depth(self) -> int:
        return self._outbox.depth()

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
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name="eldercare hub link")

    async def stop(self) -> None:
        """Stop the link, whoever started it (`start`, or a host awaiting `run`)."""
        task = self._task or self._running
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = self._running = None
        self._set_state(LinkState.DISCONNECTED)

    def send(self, type_: MessageType, body: dict[str, Any]) -> str:
        """Queue a message for the hub; returns its id once it is on disk. Resent until the
        hub acks it. A synchronous commit on purpose: an alarm is durable when this returns
        (one small WAL write; alarms are rare, bursts use the outbox directly)."""
        message_id = new_ulid()
        thinned = self._outbox.thinned
        self._outbox.put(message_id, type_.value, body, datetime.now(UTC))
        if self._outbox.thinned > thinned:
            _LOGGER.warning(
                "Outbox full: %d old vitals/telemetry dropped", self._outbox.thinned - thinned
            )
        self._delivered[message_id] = asyncio.get_running_loop().create_future()
        self._wakeup.set()
        if priority_of(type_.value) == Priority.ALARM:
            self._alarm_queued.set()
        self._status_changed()
        return message_id

    async def wait_delivered(self, message_id: str, timeout: float) -> None:
        """Wait until the hub acked `message_id` (returns at once if it already did)."""
        future = self._delivered.get(message_id)
        if future is not None:
            await asyncio.wait_for(asyncio.shield(future), timeout)

    def _settle(self, message_id: str, error: Exception | None = None) -> None:
        future = self._delivered.pop(message_id, None)
        if future is None or future.done():
            return
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
            future.add_done_callback(lambda done: done.exception())  # seen: no warning

    def _now(self) -> datetime:
        return datetime.now(UTC) + self._clock_offset

    def _set_state(self, state: LinkState) -> None:
        if state != self.state:
            self.state = state
            for listener in list(self._listeners):
                listener(state)

    async def run(self) -> None:
        """Keep the link up until cancelled."""
        self._running = asyncio.current_task()
        try:
            await self._keep_connected()
        finally:
            self._set_state(LinkState.DISCONNECTED)

    async def _keep_connected(self) -> None:
        failures = 0
        while True:
            self._set_state(LinkState.CONNECTING)
            self._reached_hub = False
            try:
                await self._connection()
            except (aiohttp.ClientError, TimeoutError, OSError) as err:
                _LOGGER.info("Hub link to %s failed: %s", self._credentials.hub_url, err)
            if self._reached_hub:
                failures = 0  # a link that worked and dropped starts the backoff afresh
            if self.state == LinkState.REFUSED:
                await asyncio.sleep(_REFUSED_RETRY)
                continue
            self._set_state(LinkState.DISCONNECTED)
            await self._back_off(failures)
            failures += 1

    async def _back_off(self, failures: int) -> None:
        """Wait before the next attempt; an alarm queued meanwhile cuts the wait short."""
        alarm_waiting = self._outbox.depth_by_priority()[Priority.ALARM] > 0
        cap = _BACKOFF_MAX_ALARM if alarm_waiting else _BACKOFF_MAX
        delay = min(cap, _BACKOFF_FIRST * 2**failures) * random.uniform(0.5, 1.0)  # noqa: S311
        self._alarm_queued.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self._alarm_queued.wait()
                await asyncio.sleep(random.uniform(0, _URGENT_JITTER))  # noqa: S311

    async def _connection(self) -> None:
        url = self._credentials.hub_url.rstrip("/") + GATEWAY_WS_PATH
        async with self._session.ws_connect(
            url,
            heartbeat=30,
            max_msg_size=MAX_MESSAGE_BYTES + 1,
            ssl=self._ssl if self._ssl else True,
        ) as ws:
            seq = 0
            self._in_flight = set()  # a new connection resends everything unacked

            async def transmit(type_: MessageType, body: dict[str, Any], message_id: str) -> None:
                nonlocal seq
                seq += 1
                envelope = Envelope(
                    gw=self._credentials.gateway_id,
                    seq=seq,
                    sent=utc_iso(self._now()),
                    id=message_id,
                    type=type_.value,
                    body=body,
                ).signed(self._signing_key)
                await ws.send_str(envelope.to_json())

            await transmit(MessageType.HELLO, {"software": "eldercare-gateway"}, new_ulid())
            reader = asyncio.create_task(self._read(ws, transmit))
            try:
                await self._write(ws, transmit, reader)
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader

    async def _write(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        transmit: _Transmit,
        reader: asyncio.Task[None],
    ) -> None:
        loop = asyncio.get_running_loop()
        last_sent = loop.time()
        while not reader.done():
            self._wakeup.clear()
            room = _IN_FLIGHT - len(self._in_flight)
            if room > 0:
                for message in self._outbox.peek(room, exclude=self._in_flight):
                    self._in_flight.add(message.id)
                    await transmit(MessageType(message.type), message.body, message.id)
                    last_sent = loop.time()
            if loop.time() - last_sent >= self._heartbeat_interval:
                heartbeat_id = new_ulid()
                self._heartbeats.add(heartbeat_id)
                await transmit(
                    MessageType.HEARTBEAT, {"outbox_depth": self.outbox_depth}, heartbeat_id
                )
                last_sent = loop.time()
            waiter = asyncio.create_task(self._wakeup.wait())
            try:
                await asyncio.wait(
                    {waiter, reader},
                    timeout=max(0.0, last_sent + self._heartbeat_interval - loop.time()),
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                waiter.cancel()  # also when the link itself is cancelled (unload)
        if (err := reader.exception()) is not None:
            raise err

    async def _read(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        transmit: _Transmit,
    ) -> None:
        async for message in ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            try:
                envelope = Envelope.from_json(message.data)
                envelope.verify(self._hub_key)
            except ProtocolError as err:
                _LOGGER.warning("Ignoring a message from the hub that fails checks: %s", err)
                continue
            if self.state != LinkState.CONNECTED:
                self.refusal = None
                self._reached_hub = True
                self._set_state(LinkState.CONNECTED)
            self._handle(envelope)
            if envelope.type in HUB_COMMANDS:
                # Acked after the host has it; a lost ack means a resend, dropped as seen.
                await transmit(MessageType.ACK, {"id": envelope.id}, new_ulid())
            if self.state == LinkState.REFUSED:
                return

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
            self._wakeup.set()  # the writer's wait picks up the new interval
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
        if stored:
            self._in_flight.difference_update(stored)
            self._outbox.ack_many(stored)  # one outbox commit for the hub's whole batch
            for message_id in stored:
                self._settle(message_id)
            self._wakeup.set()  # room in flight: send more
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
            self._in_flight.discard(message_id)
            self._wakeup.set()
        elif reason in (NakReason.UNKNOWN_GATEWAY, NakReason.REVOKED, NakReason.BAD_SIGNATURE):
            self.refusal = str(reason)
            self._set_state(LinkState.REFUSED)
        elif message_id in self._in_flight:
            # Resending a message the hub found malformed would block the queue forever;
            # it is logged whole (minus the body: it may hold health data) and dropped.
            _LOGGER.error("Hub rejected message %s for good: %s", message_id, reason)
            self._in_flight.discard(message_id)
            self._outbox.ack(message_id)
            self._settle(message_id, ProtocolError(NakReason.MALFORMED, str(body)))
            self._wakeup.set()
            self._status_changed()

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


@dataclass(frozen=True, slots=True)
class HubCommand:
    """A verified message from the care center for the household: a staff step or a test."""

    id: str
    type: MessageType
    body: dict[str, Any]
