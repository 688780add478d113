"""A household's gateway as the hub meets it on the wire: enrolled with a one-time code, then
signed envelopes on the gateway WebSocket, each waited for until the hub acks it. For browser
tests that need the hub's real ingest path (and its live feed) without a Home Assistant."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Self

import aiohttp

from gateway.link import GatewayCredentials, enroll
from gateway.protocol import Envelope, MessageType, acked_ids

from ..conftest import RunningHub


class HouseholdLink:
    def __init__(self, hub: RunningHub, credentials: GatewayCredentials) -> None:
        self._hub = hub
        self.credentials = credentials
        self._seq = 0
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None

    @classmethod
    async def enrolled(cls, hub: RunningHub, name: str, address: str) -> Self:
        household = await hub.add_household(name, address)
        async with aiohttp.ClientSession() as session:
            code = await hub.enrollment_code(household.id)
            credentials = await enroll(session, hub.url, code, "gw")
        return cls(hub, credentials)

    @property
    def household_id(self) -> str:
        return self.credentials.household_id

    async def __aenter__(self) -> Self:
        self._session = aiohttp.ClientSession()
        self._ws = await self._session.ws_connect(f"{self._hub.url}/api/v1/gateway")
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._session is not None:
            await self._session.close()

    async def send(
        self, type_: MessageType, body: dict[str, Any], sent: datetime | None = None
    ) -> None:
        """One message, sent at `sent` by the gateway's clock; returns once the hub acked it."""
        assert self._ws is not None, "use `async with`"
        self._seq += 1
        message = Envelope.new(
            self.credentials.gateway_id, self._seq, type_, body, sent or datetime.now(UTC)
        ).signed(self.credentials.signing_key())
        await self._ws.send_str(message.to_json())
        while True:
            reply = Envelope.from_json((await self._ws.receive(timeout=5)).data)
            if reply.type == MessageType.NAK:
                raise AssertionError(f"hub refused {type_}: {reply.body}")
            if reply.type == MessageType.ACK and message.id in acked_ids(reply.body):
                return
