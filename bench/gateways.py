"""The client side of a gateway link and of a dispatcher's session, for the load processes:
signed envelopes, the hello handshake, and the acks and naks that come back."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp

from gateway.alarms import utc_iso
from gateway.protocol import GATEWAY_WS_PATH, MAX_MESSAGE_BYTES, Envelope, MessageType, acked_ids
from gateway.ulid import new_ulid
from provisioning import keys

from .harness import DISPATCHER, BenchGateway


class Signer:
    """One gateway's side of the envelope: sequence numbers, fresh `sent`, Ed25519."""

    def __init__(self, gateway: BenchGateway) -> None:
        self.gateway_id = gateway.gateway_id
        self._key = keys.private_key_from_text(gateway.private_key)
        self._seq = 0

    def envelope(self, type_: MessageType, body: dict[str, Any]) -> tuple[str, str]:
        """(message id, wire text)."""
        self._seq += 1
        message_id = new_ulid()
        envelope = Envelope(
            gw=self.gateway_id,
            seq=self._seq,
            sent=utc_iso(datetime.now(UTC)),
            id=message_id,
            type=type_.value,
            body=body,
        )
        return message_id, envelope.signed(self._key).to_json()


def new_session() -> aiohttp.ClientSession:
    """No connection limit: every WebSocket holds its connection for its whole life. Cookies
    of 127.0.0.1 are kept (a dispatcher's session)."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), cookie_jar=aiohttp.CookieJar(unsafe=True)
    )


async def sign_in_dispatcher(session: aiohttp.ClientSession, url: str) -> None:
    username, password = DISPATCHER
    async with session.post(
        url + "/api/v1/login", json={"username": username, "password": password}
    ) as response:
        response.raise_for_status()


async def open_link(
    session: aiohttp.ClientSession, url: str, gateway: BenchGateway, timeout: float = 60
) -> tuple[aiohttp.ClientWebSocketResponse, Signer, float]:
    """Connect, say hello, and read up to the hub's `config`: (socket, signer, interval s).
    The socket's receive timeout is 30 s for its whole life; answers() can name another."""
    ws = await session.ws_connect(
        url + GATEWAY_WS_PATH, max_msg_size=MAX_MESSAGE_BYTES, timeout=aiohttp.ClientWSTimeout(30)
    )
    try:
        signer = Signer(gateway)
        _, hello = signer.envelope(MessageType.HELLO, {"software": "bench"})
        await ws.send_str(hello)
        async with asyncio.timeout(timeout):
            while True:
                message = await ws.receive()
                if message.type != aiohttp.WSMsgType.TEXT:
                    raise ConnectionError(f"hub closed the link: {message.type!r}")
                data = json.loads(message.data)
                if data["type"] == MessageType.NAK:
                    raise ConnectionError(f"hello refused: {data['body']}")
                if data["type"] == MessageType.CONFIG:
                    return ws, signer, float(data["body"]["heartbeat_interval"])
    except BaseException:
        await ws.close()
        raise


@dataclass(frozen=True, slots=True)
class Answer:
    """The hub's answer to one message: an ack, or a nak and its reason."""

    message_id: str
    acked: bool
    reason: str  # a nak's; "" for an ack
    at: float  # monotonic, when its frame was read


async def answers(
    ws: aiohttp.ClientWebSocketResponse, timeout: float | None = None
) -> AsyncIterator[list[Answer]]:
    """The acks and naks of each ack or nak frame the hub sends (a batched ack names many ids,
    a nak its one id the same way), until the link ends. `timeout` is how long
    one read may wait (None: the socket's own receive timeout)."""
    while True:
        message = await ws.receive(timeout=timeout)
        now = time.monotonic()  # first thing: the moment this gateway has the answer
        if message.type != aiohttp.WSMsgType.TEXT:
            return
        data = json.loads(message.data)
        if data["type"] not in {MessageType.ACK, MessageType.NAK}:
            continue  # config, and what else the hub may say
        body = data["body"]
        acked = data["type"] == MessageType.ACK
        reason = "" if acked else str(body.get("reason"))
        yield [Answer(message_id, acked, reason, now) for message_id in acked_ids(body)]
