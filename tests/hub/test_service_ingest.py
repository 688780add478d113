"""The gateway ingest of service requests: stored in the service tables, acked after commit."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import aiohttp
import pytest

from gateway.protocol import (
    Envelope,
    HubConfig,
    MessageType,
    acked_ids,
    parse_config,
    parse_service_step,
)
from gateway.services.catalogue import ServiceType
from gateway.services.lifecycle import (
    Rating,
    ServiceAction,
    ServiceActor,
    ServiceStatus,
    ServiceStep,
)
from gateway.services.wire import ServiceEventBody, ServiceRequestedBody
from gateway.ulid import new_ulid
from hub.core.service_store import StepDetails
from hub.policy import Role
from hub.services.steps import take_service_step
from hub.web.access import CSRF_HEADER

from ..conftest import RunningHub, cookie_session
from .test_gateway_ws import _alarm, _credentials, _reply


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


def _event(credentials, seq: int, body: ServiceEventBody) -> Envelope:
    return Envelope.new(
        credentials.gateway_id, seq, MessageType.SERVICE_EVENT, body.to_body(), datetime.now(UTC)
    ).signed(credentials.signing_key())


async def _acked(ws, credentials, message: Envelope) -> None:
    await ws.send_str(message.to_json())
    reply = await _reply(ws, credentials.hub_key())
    assert acked_ids(reply.body) == [message.id]


async def test_events_cancel_and_bad_ones_are_acked_and_change_nothing(
    hub_server: RunningHub,
) -> None:
    """A rating before completion and another household's id are acked (resending would not
    help) and change nothing; a cancellation by the family closes the request with its reason."""
    async with aiohttp.ClientSession() as session:
        credentials = await _credentials(hub_server, session)
        other = await _credentials(hub_server, session)
        context = hub_server.context
        request_id = new_ulid()
        now = datetime.now(UTC)
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            await _acked(ws, credentials, _request(credentials, 1, request_id, ServiceType.DRAIN))
            early = ServiceEventBody(
                request_id, ServiceAction.RATED, ServiceActor.FAMILY, now, Rating(5, "good")
            )
            await _acked(ws, credentials, _event(credentials, 2, early))
            confirmed = ServiceEventBody(
                request_id, ServiceAction.CONFIRMED, ServiceActor.SENIOR, now
            )
            await _acked(ws, credentials, _event(credentials, 3, confirmed))
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            foreign = ServiceEventBody(
                request_id, ServiceAction.CANCELLED, ServiceActor.FAMILY, now, reason="x"
            )
            await _acked(ws, other, _event(other, 1, foreign))
        stored = await context.db(context.store.services.request, request_id)
        assert stored is not None
        assert stored.status is ServiceStatus.REQUESTED
        assert stored.rating is None
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            cancel = ServiceEventBody(
                request_id, ServiceAction.CANCELLED, ServiceActor.FAMILY, now, reason="fixed it"
            )
            await _acked(ws, credentials, _event(credentials, 4, cancel))
    stored = await context.db(context.store.services.request, request_id)
    assert stored is not None
    assert stored.status is ServiceStatus.CANCELLED
    steps = await context.db(context.store.services.steps, request_id)
    assert [s["action"] for s in steps] == ["requested", "confirmed", "cancelled"]
    assert steps[-1]["detail"] == {"reason": "fixed it", "by": "family"}


async def test_a_resent_event_counts_once(hub_server: RunningHub) -> None:
    """The household's ack was lost, so it sends the same `service.event` again: one more
    press is counted once, like a resent alarm event."""
    async with aiohttp.ClientSession() as session:
        credentials = await _credentials(hub_server, session)
        context = hub_server.context
        request_id = new_ulid()
        now = datetime.now(UTC)
        repeated = _event(
            credentials,
            2,
            ServiceEventBody(request_id, ServiceAction.REPEATED, ServiceActor.SENIOR, now),
        )
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            await _acked(ws, credentials, _request(credentials, 1, request_id, ServiceType.MEAL))
            await _acked(ws, credentials, repeated)
            await _acked(ws, credentials, repeated)
    stored = await context.db(context.store.services.request, request_id)
    assert stored is not None
    assert stored.count == 2
    steps = await context.db(context.store.services.steps, request_id)
    assert [s["action"] for s in steps] == ["requested", "repeated"]


async def test_a_staff_step_reaches_the_gateway_and_its_ack_marks_it_delivered(
    hub_server: RunningHub,
) -> None:
    async with aiohttp.ClientSession() as session:
        credentials = await _credentials(hub_server, session)
        context = hub_server.context
        request_id = new_ulid()
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            # A hello makes the connection the one staff steps are pushed to; config follows.
            hello = Envelope.new(
                credentials.gateway_id, 1, MessageType.HELLO, {}, datetime.now(UTC)
            ).signed(credentials.signing_key())
            await _acked(ws, credentials, hello)
            assert (await _reply(ws, credentials.hub_key())).type == MessageType.CONFIG
            await _acked(ws, credentials, _request(credentials, 3, request_id, ServiceType.REPAIR))
            await take_service_step(
                context, request_id, ServiceStep.ACCEPTED, "disp", StepDetails()
            )
            step = await _reply(ws, credentials.hub_key())
            assert step.type == MessageType.SERVICE_STEP
            assert parse_service_step(step.body).step is ServiceStep.ACCEPTED
            pending = await context.db(context.store.pending_outbound, credentials.gateway_id)
            assert [m.id for m in pending] == [step.id]
            ack = Envelope.new(
                credentials.gateway_id, 4, MessageType.ACK, {"id": step.id}, datetime.now(UTC)
            ).signed(credentials.signing_key())
            await ws.send_str(ack.to_json())
            for _ in range(250):  # the ack has no reply: poll through the database thread
                if not await context.db(context.store.pending_outbound, credentials.gateway_id):
                    break
                await asyncio.sleep(0.02)
            assert not await context.db(context.store.pending_outbound, credentials.gateway_id)


async def test_config_carries_the_entitled_services_on_hello_and_on_change(
    hub_server: RunningHub,
) -> None:
    """No list while the household may use every service (the default, as an older hub
    sent); the list after a supervisor narrows it, pushed to the connected gateway."""
    async with cookie_session() as session:
        csrf = await hub_server.sign_in(session, Role.SUPERVISOR)
        credentials = await _credentials(hub_server, session)
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            hello = Envelope.new(
                credentials.gateway_id, 1, MessageType.HELLO, {}, datetime.now(UTC)
            ).signed(credentials.signing_key())
            await _acked(ws, credentials, hello)
            config = await _reply(ws, credentials.hub_key())
            assert "services" not in config.body
            assert parse_config(config.body)[0].services is None
            url = f"{hub_server.url}/api/v1/households/{credentials.household_id}/services"
            async with session.put(
                url, json={"services": ["repair", "drain"]}, headers={CSRF_HEADER: csrf}
            ) as response:
                assert response.status == 200, await response.text()
            pushed = await _reply(ws, credentials.hub_key())
    assert pushed.type == MessageType.CONFIG
    assert pushed.body["services"] == ["drain", "repair"]
    assert parse_config(pushed.body) == (
        HubConfig(
            pushed.body["heartbeat_interval"], {}, (), (ServiceType.DRAIN, ServiceType.REPAIR)
        ),
        [],
    )


async def test_an_alarm_in_a_batch_of_200_requests_is_on_the_dispatch_feed_and_they_are_not(
    hub_server: RunningHub,
) -> None:
    async with cookie_session() as session:
        await hub_server.sign_in(session)
        credentials = await _credentials(hub_server, session)
        services = list(ServiceType)
        requests = [
            _request(credentials, seq, new_ulid(), services[seq % len(services)])
            for seq in range(1, 201)
        ]
        alarm = _alarm(credentials, 201)
        batch = [*requests[:100], alarm, *requests[100:]]
        async with (
            session.ws_connect(f"{hub_server.url}/api/v1/dispatch/live") as screen,
            session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws,
        ):
            assert (await screen.receive_json(timeout=5))["alarms"] == []
            for message in batch:  # pipelined: one group commit may hold them all
                await ws.send_str(message.to_json())
            acked: set[str] = set()
            while len(acked) < len(batch):
                reply = await _reply(ws, credentials.hub_key())
                assert reply.type == MessageType.ACK
                acked.update(acked_ids(reply.body))
            assert acked == {m.id for m in batch}
            published = await screen.receive_json(timeout=5)
            assert published["type"] == "alarm"
            assert published["alarm"]["id"] == alarm.body["alarm_id"]
            with pytest.raises(TimeoutError):  # nothing else: the requests are not alarms
                await screen.receive_json(timeout=0.5)
        context = hub_server.context
        stored = await context.db(
            context.store.services.household_requests, credentials.household_id
        )
        # Nine services, 200 presses: one request per service, the rest counted into it.
        assert len(stored) == len(services)
        assert sum(r.count for r in stored) == 200
