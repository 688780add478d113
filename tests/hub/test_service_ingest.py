"""The gateway ingest of service requests: stored in the service tables, acked after commit."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp

from gateway.protocol import Envelope, MessageType, acked_ids
from gateway.services.catalogue import ServiceType
from gateway.services.wire import ServiceRequestedBody
from gateway.ulid import new_ulid

from ..conftest import RunningHub
from .test_gateway_ws import _credentials, _reply


def _request(credentials, seq: int, request_id: str, service: ServiceType) -> Envelope:
    body = ServiceRequestedBody(request_id, service, datetime.now(UTC), "remote:1").to_body()
    return Envelope.new(
        credentials.gateway_id, seq, MessageType.SERVICE_REQUESTED, body, datetime.now(UTC)
    ).signed(credentials.signing_key())


async def test_a_request_is_stored_once_and_acked_and_a_refusal_is_a_nak(
    hub_server: RunningHub,
) -> None:
    async with aiohttp.ClientSession() as session:
        credentials = await _credentials(hub_server, session)
        context = hub_server.context
        await context.db(
            context.store.services.set_entitlement,
            credentials.household_id,
            (ServiceType.REPAIR,),
            datetime.now(UTC),
        )
        request_id = new_ulid()
        first = _request(credentials, 1, request_id, ServiceType.REPAIR)
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            for message in (first, first):  # a lost ack: sent again, stored once
                await ws.send_str(message.to_json())
                reply = await _reply(ws, credentials.hub_key())
                assert acked_ids(reply.body) == [message.id]
            refused = _request(credentials, 2, new_ulid(), ServiceType.MEAL)
            await ws.send_str(refused.to_json())
            reply = await _reply(ws, credentials.hub_key())
            assert reply.type == MessageType.NAK
    stored = await context.db(context.store.services.household_requests, credentials.household_id)
    assert [(r.id, r.service, r.count) for r in stored] == [(request_id, ServiceType.REPAIR, 1)]
