"""The hub end of a gateway's WebSocket: check every envelope, store, then ack.

Order matters: parse -> known, unrevoked gateway -> signature -> freshness -> dedupe + commit ->
ack. A gateway deletes a message only on our ack, so an ack is sent only after the commit.
Nothing one gateway sends can break the handler of another: every failure is a nak or a close.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from aiohttp import WebSocketError, WSCloseCode, WSMessage, WSMsgType, web
from nacl.signing import VerifyKey

from gateway.alarms import AlarmClearedBody, AlarmEventBody, RaisedAlarm, utc_iso
from gateway.protocol import (
    GATEWAY_WS_PATH,
    MAX_AGE_SECONDS,
    MAX_AHEAD_SECONDS,
    MAX_MESSAGE_BYTES,
    DeviceStatusBody,
    Envelope,
    MessageType,
    NakReason,
    ProtocolError,
    config_body,
    parse_alarm_cleared,
    parse_alarm_event,
    parse_alarm_raised,
    parse_device_status,
    parse_service_event,
    parse_service_requested,
    parse_vital,
)
from provisioning import keys

from ..core.context import HUB_CONTEXT, HubContext
from ..core.desk_model import AlarmRow, OutboundMessage
from ..core.messages import ReceivedMessage
from ..core.registry import DeviceState, RegistryStore
from ..core.service_store import ServiceError, ServiceRefused
from ..core.storage import AlarmRejected, Gateway
from ..policy import public
from .config import HouseholdConfig, household_config
from .links import GATEWAYS, Links

_LOGGER = logging.getLogger(__name__)
_PIPELINE = 256  # frames of one connection in progress at once
_CLOSING_REASONS = {NakReason.UNKNOWN_GATEWAY, NakReason.REVOKED, NakReason.BAD_SIGNATURE}
# ULIDs per ack envelope: 26 characters plus quotes and comma each keeps it far below 64 KiB.
MAX_ACK_IDS = 1000

# One signature for the store's record_* methods; each gets the body its parser made.
type _Recorder = Callable[[Gateway, str, Any, datetime], AlarmRow | None]


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why `admit` refused a frame: what the nak says; a revoked gateway, for its card."""

    message_id: str
    reason: NakReason
    detail: str
    revoked: Gateway | None = None

    @property
    def closes(self) -> bool:
        return self.reason in _CLOSING_REASONS


class GatewayConnection:
    def __init__(
        self, hub: HubContext, links: Links, ws: web.WebSocketResponse, remote: str | None
    ) -> None:
        self.hub = hub
        self.links = links
        self.ws = ws
        self.remote = remote
        self.gateway: Gateway | None = None
        self.seq = 0
        self._send_lock = asyncio.Lock()
        self._background: set[asyncio.Task[None]] = set()
        self._verify_keys: dict[str, VerifyKey] = {}  # public key text -> parsed key
        self._acks: list[str] = []  # committed, ack not sent yet
        self._ack_flush: asyncio.Task[None] | None = None

    async def reply(self, type_: MessageType, body: dict[str, object]) -> None:
        envelope = Envelope.new(
            self.gateway.id if self.gateway else "", self.seq + 1, type_, body, self.hub.clock()
        )
        await self._send(envelope)

    async def push(self, message: OutboundMessage) -> None:
        """A hub -> gateway message under its stored id, so the gateway's ack names it."""
        envelope = Envelope(
            gw=message.gateway_id,
            seq=self.seq + 1,
            sent=utc_iso(self.hub.clock()),
            id=message.id,
            type=message.type,
            body=message.body,
        )
        await self._send(envelope)

    async def _send(self, envelope: Envelope) -> None:
        async with self._send_lock:  # many messages of this connection are handled at once
            self.seq += 1
            envelope = replace(envelope, seq=self.seq)
            await self.ws.send_str(envelope.signed(self.hub.hub_key).to_json())

    async def reject(self, message_id: str, reason: NakReason, detail: str) -> None:
        self.hub.rejections[reason.value] += 1
        _LOGGER.warning(
            "Rejected message %s from %s (gateway %s): %s %s",
            message_id or "?",
            self.remote,
            self.gateway.id if self.gateway else "?",
            reason.value,
            detail,
        )
        await self.reply(
            MessageType.NAK,
            {"id": message_id, "reason": reason.value, "server_time": utc_iso(self.hub.clock())},
        )

    async def admit(self, text: str) -> Envelope | Refusal:
        """The checks of one frame: parse, known gateway, signature, not revoked, fresh.

        Run by the reader one frame at a time (a gateway not in memory is looked up before
        the next frame is read), so the accepted frames reach the database in arrival order.
        """
        try:
            envelope = Envelope.from_json(text)
        except ProtocolError as err:
            return Refusal("", err.reason, err.detail)
        try:
            gateway = await self._authenticate(envelope)
        except ProtocolError as err:
            return Refusal(envelope.id, err.reason, err.detail)
        if gateway.revoked:
            return Refusal(envelope.id, NakReason.REVOKED, "this gateway was revoked", gateway)
        self.gateway = gateway
        skew = (envelope.sent_at() - self.hub.clock()).total_seconds()
        if not -MAX_AGE_SECONDS <= skew <= MAX_AHEAD_SECONDS:
            return Refusal(envelope.id, NakReason.STALE, f"sent {skew:+.1f} s from hub time")
        self._heard(envelope)
        return envelope

    async def process(self, envelope: Envelope) -> bool:
        """Store an admitted message, then ack it. The first await of every path is its
        database job, so jobs are queued in the order `admit` passed the frames."""
        if envelope.type == MessageType.ACK:
            # The gateway confirms a staff step or config: nothing to ack back.
            await self._outbound_acked(envelope)
            return True
        try:
            await self._dispatch(envelope)
        except ProtocolError as err:
            await self.reject(envelope.id, err.reason, err.detail)
            return True
        self._ack_soon(envelope.id)
        assert self.gateway is not None
        if envelope.type == MessageType.HELLO and self.links.first_hello(envelope.id):
            # Only a fresh hello makes this the gateway's push channel: a replayed one
            # (within the freshness window) must not divert staff steps to a replayer.
            self.links.connections[self.gateway.id] = self
            await self.acks_sent()  # the hello's ack first, then what follows it
            await self._greet()
        return True

    async def refuse(self, refusal: Refusal) -> bool:
        """Nak a frame that failed `admit`; False when the connection must close."""
        if refusal.revoked is not None:
            await self._refused_revoked(refusal.revoked)
        await self.reject(refusal.message_id, refusal.reason, refusal.detail)
        return not refusal.closes

    def _ack_soon(self, message_id: str) -> None:
        """Acks of messages committed together leave in one envelope: one signed ack per
        message was half of the hub's CPU under load. The flush is a task, so it runs after
        the other messages of the same commit have added their ids."""
        self._acks.append(message_id)
        if self._ack_flush is None:
            self._ack_flush = asyncio.create_task(self._flush_acks())

    async def _flush_acks(self) -> None:
        try:
            while self._acks:
                ids, self._acks = self._acks[:MAX_ACK_IDS], self._acks[MAX_ACK_IDS:]
                await self.reply(MessageType.ACK, {"ids": ids})
        except (ConnectionResetError, RuntimeError) as err:
            # Committed but not acked: the gateway resends, and gets a duplicate's ack.
            _LOGGER.info("Gateway %s went away before its acks: %s", self.remote, err)
            self._acks.clear()
        finally:
            self._ack_flush = None

    async def acks_sent(self) -> None:
        """Wait until every ack queued so far went out (or could not)."""
        while (flush := self._ack_flush) is not None:
            await flush

    def _heard(self, envelope: Envelope) -> None:
        """Any authentic, fresh message proves the link; a lost one is back."""
        assert self.gateway is not None
        hub, gateway = self.hub, self.gateway
        depth = envelope.body.get("outbox_depth")
        depth = depth if isinstance(depth, int) and not isinstance(depth, bool) else None
        if self.links.supervisor.heard(gateway, hub.clock(), depth):
            # Not awaited: `admit` must not wait on the database for a known gateway.
            task = asyncio.create_task(self._clear_link_lost(gateway))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _clear_link_lost(self, gateway: Gateway) -> None:
        alarm = await self.hub.db(self.hub.store.clear_link_lost, gateway.id, self.hub.clock())
        if alarm is not None:
            self.hub.live.publish({"type": "alarm", "alarm": alarm.as_dict()})

    async def _greet(self) -> None:
        """After hello: the config, then every staff step it missed while away."""
        assert self.gateway is not None
        await self.send_config(await household_config(self.hub, self.gateway.household_id))
        for message in await self.hub.db(self.hub.store.pending_outbound, self.gateway.id):
            await self.push(message)

    async def send_config(self, config: HouseholdConfig) -> None:
        """Not stored and not acked: every hello gets a fresh one, which repairs a lost push."""
        assert self.gateway is not None
        interval = self.links.supervisor.interval(self.gateway).total_seconds()
        body = config_body(interval, config.thresholds, config.residents, config.services)
        await self.reply(MessageType.CONFIG, body)

    async def _outbound_acked(self, envelope: Envelope) -> None:
        assert self.gateway is not None
        message_id = envelope.body.get("id")
        if isinstance(message_id, str):
            await self.hub.db(
                self.hub.store.ack_outbound, self.gateway.id, message_id, self.hub.clock()
            )

    async def _authenticate(self, envelope: Envelope) -> Gateway:
        if self.gateway is not None and envelope.gw != self.gateway.id:
            raise ProtocolError(NakReason.UNKNOWN_GATEWAY, "one connection carries one gateway")
        store = self.hub.store
        gateway = store.cached_gateway(envelope.gw) or await self.hub.db(store.gateway, envelope.gw)
        if gateway is None:
            raise ProtocolError(NakReason.UNKNOWN_GATEWAY, f"no gateway {envelope.gw!r}")
        key = self._verify_keys.get(gateway.public_key)
        if key is None:
            key = self._verify_keys[gateway.public_key] = keys.verifying_key_from_text(
                gateway.public_key
            )
        envelope.verify(key)
        return gateway

    async def _refused_revoked(self, gateway: Gateway) -> None:
        """The screen must say why a household went quiet: a revoked gateway's refusal is a
        link_lost work item naming the revocation (raised once)."""
        hub = self.hub
        self.links.supervisor.forget(gateway.id)
        if gateway.id in await hub.db(hub.store.open_link_lost):
            return
        alarm = await hub.db(
            hub.store.raise_link_lost,
            gateway,
            "gateway revoked: its messages are refused",
            hub.clock(),
        )
        hub.live.publish({"type": "alarm", "alarm": alarm.as_dict()})

    async def _dispatch(self, envelope: Envelope) -> None:
        assert self.gateway is not None
        if envelope.type in (MessageType.HEARTBEAT, MessageType.HELLO):
            return  # heard already; the supervisor flushes last-heard times in batches
        if envelope.type == MessageType.VITAL:
            vital = parse_vital(envelope.body)
            await self.hub.db(
                self.hub.store.record_vital, self.gateway, envelope.id, vital, self.hub.clock()
            )
            return
        if envelope.type == MessageType.DEVICE_STATUS:
            status = parse_device_status(envelope.body)
            await self.hub.db(
                _record_device_status,
                self.hub.store.registry,
                self.gateway.household_id,
                status,
                self.hub.clock(),
            )
            return
        if envelope.type == MessageType.SERVICE_REQUESTED:
            await self._service_requested(envelope)
            return
        if envelope.type == MessageType.SERVICE_EVENT:
            await self._service_event(envelope)
            return
        store = self.hub.store
        record: _Recorder
        body: RaisedAlarm | AlarmEventBody | AlarmClearedBody
        if envelope.type == MessageType.ALARM_RAISED:
            raised = parse_alarm_raised(envelope.body)
            # Both times are the gateway's: its clock error cancels out of how long it held it.
            held_for = envelope.sent_at() - raised.occurred_at
            record = functools.partial(store.record_alarm_raised, held_for=held_for)
            body = raised
        elif envelope.type == MessageType.ALARM_EVENT:
            record, body = store.record_alarm_event, parse_alarm_event(envelope.body)
        elif envelope.type == MessageType.ALARM_CLEARED:
            record, body = store.record_alarm_cleared, parse_alarm_cleared(envelope.body)
        else:
            raise ProtocolError(NakReason.UNSUPPORTED, f"message type {envelope.type!r}")
        try:
            alarm = await self.hub.db(record, self.gateway, envelope.id, body, self.hub.clock())
        except AlarmRejected as err:
            # Rolled back, nothing stored; resending would not help, so a nak, not a close.
            raise ProtocolError(NakReason.MALFORMED, str(err)) from err
        if alarm is not None:  # None: a duplicate, the screens have it already
            self.hub.live.publish({"type": "alarm", "alarm": alarm.as_dict()})

    async def _service_requested(self, envelope: Envelope) -> None:
        """Stored in the service tables, never as an alarm nor on the alarm feed; a resend of
        the same request id is stored once (the store's dedup) and acked again."""
        assert self.gateway is not None
        body = parse_service_requested(envelope.body)
        try:
            await self.hub.db(
                functools.partial(
                    self.hub.store.services.record_requested,
                    note=body.note,
                    source_name=body.source_name,
                    happened_at=body.occurred_at,
                    gateway_id=self.gateway.id,
                ),
                self.gateway.household_id,
                body.request_id,
                body.service,
                self.hub.clock(),
            )
        except (ServiceError, ServiceRefused) as err:
            # Rolled back, nothing stored; the reason is for the household desk to show.
            raise ProtocolError(NakReason.MALFORMED, str(err)) from err

    async def _service_event(self, envelope: Envelope) -> None:
        """The household cancels, confirms, repeats or rates its request, once per message.
        A refused event (another household's id, a rating before completion, a step out of
        order) is acked and logged, never stored: resending it would not help."""
        assert self.gateway is not None
        event = parse_service_event(envelope.body)
        message = ReceivedMessage(self.gateway.id, envelope.id, MessageType.SERVICE_EVENT.value)
        try:
            await self.hub.db(
                self.hub.store.services.household_event,
                self.gateway.household_id,
                event,
                self.hub.clock(),
                message,
            )
        except (ServiceError, ServiceRefused) as err:
            _LOGGER.warning(
                "service.event %s from gateway %s refused: %s",
                event.action.value,
                self.gateway.id,
                err,
            )


@public  # every envelope is signed by an enrolled gateway's key
async def gateway_socket(request: web.Request) -> web.WebSocketResponse:
    """Frames are stored concurrently (a gateway pipelines up to a few hundred unacked
    messages, and their commits share fsyncs), yet they reach the database thread in arrival
    order: the reader admits one frame at a time and each admitted frame's first await queues
    its database job, so an alarm.event never overtakes the alarm.raised it belongs to."""
    # aiohttp refuses a frame of exactly max_msg_size; the contract allows MAX_MESSAGE_BYTES.
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=MAX_MESSAGE_BYTES + 1)
    await ws.prepare(request)
    connection = GatewayConnection(
        request.app[HUB_CONTEXT], request.app[GATEWAYS], ws, request.remote
    )
    connection.hub.sockets.add(ws)
    handling: asyncio.Queue[asyncio.Task[bool] | None] = asyncio.Queue(maxsize=_PIPELINE)
    closer = asyncio.create_task(_close_when_refused(handling, ws))
    try:
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                connection.hub.rejections[_frame_rejection(message)] += 1
                continue
            admitted = await connection.admit(message.data)
            if isinstance(admitted, Envelope):
                await handling.put(asyncio.create_task(connection.process(admitted)))
            else:
                await handling.put(asyncio.create_task(connection.refuse(admitted)))
                if admitted.closes:
                    break  # a refused gateway is not read any further
            if closer.done():
                break
    except ConnectionResetError:
        # The gateway went away before our ack; what was committed stays committed, and the
        # gateway resends the unacked message, which the hub then acks as a duplicate.
        _LOGGER.info("Gateway %s disconnected before an ack", connection.remote)
    finally:
        gateway = connection.gateway
        if gateway is not None and connection.links.connections.get(gateway.id) is connection:
            del connection.links.connections[gateway.id]
        if not closer.done():
            await handling.put(None)
        with contextlib.suppress(ConnectionResetError, RuntimeError):
            await closer  # every message read is committed and answered, or failed alone
        await connection.acks_sent()
    await ws.close()
    return ws


def _frame_rejection(message: WSMessage) -> str:
    """Why a frame that is not a text envelope was refused, for the metrics."""
    if message.type == WSMsgType.ERROR:
        error = message.data
        too_big = isinstance(error, WebSocketError) and error.code == WSCloseCode.MESSAGE_TOO_BIG
        return "oversized" if too_big else "protocol_error"
    return "not_text"


async def _close_when_refused(
    handling: asyncio.Queue[asyncio.Task[bool] | None], ws: web.WebSocketResponse
) -> None:
    """Wait for each frame's handling in order; a refused gateway's connection is closed."""
    while (task := await handling.get()) is not None:
        try:
            keep_open = await task
        except (ConnectionResetError, RuntimeError):
            keep_open = False  # the socket went away under a reply
        if not keep_open:
            await ws.close()
            # Drain what was read already so no task is left unawaited.
            while not handling.empty():
                if (rest := handling.get_nowait()) is not None:
                    with contextlib.suppress(Exception):
                        await rest
            return


def _record_device_status(
    registry: RegistryStore, household_id: str, status: DeviceStatusBody, now: datetime
) -> None:
    """On the database thread: a repeated report writes the same rows again, so a duplicate is
    harmless."""
    moment = utc_iso(now)
    registry.record_devices(
        household_id,
        [
            DeviceState(
                id=device.id,
                name=device.name,
                kind=device.kind,
                battery=device.battery,
                last_seen=utc_iso(device.last_seen) if device.last_seen else None,
                state=device.state,
                updated_at=moment,
            )
            for device in status.devices
        ],
        now,
        full=status.full,
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get(GATEWAY_WS_PATH, gateway_socket)
