"""The family's side of life services on a real hub (issue 20): the family cancels an open
request of its household with a reason, confirms a completed one with a rating; each is stored
with who and when, audited, and sent to the home's gateway as a `service.step` by the family.
Every refusal is a typed JSON answer that changes nothing; another household's request answers
exactly as a missing one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from gateway.protocol import Envelope, MessageType, parse_service_step
from gateway.services.catalogue import ServiceType
from gateway.services.lifecycle import Rating, ServiceActor, ServiceStep
from gateway.ulid import new_ulid
from hub.core.storage import Gateway
from hub.policy import Role
from hub.services.steps import SERVICE_STEP_MESSAGE
from hub.web.access import CSRF_HEADER

from ..conftest import RunningHub, cookie_session
from .seed import enrolled_gateway
from .test_gateway_ws import _credentials, _reply
from .test_json_refusals import BODIES
from .test_service_ingest import _acked, _request
from .test_services_api import Caller, _caller, _outbound, _provider, _requested, _window

FAMILY = "/api/v1/family/services"
STAFF = "/api/v1/services"


async def _completed(hub: RunningHub, staff: Caller, request_id: str) -> None:
    provider_id = await _provider(staff, ["repair", "drain", "meal"])
    steps: list[dict[str, Any]] = [
        {"step": "assigned", "provider_id": provider_id, **_window(hub)},
        {"step": "arrived"},
        {"step": "completed"},
    ]
    for step in steps:
        status, body = await staff.call("POST", f"{STAFF}/requests/{request_id}/steps", step)
        assert status == 200, body


async def _state(hub: RunningHub, request_id: str, gateway: Gateway) -> tuple[object, ...]:
    """Everything a refused call must leave as it was."""
    store = hub.context.store
    return (
        await hub.context.db(store.services.request, request_id),
        await hub.context.db(store.services.steps, request_id),
        len(await hub.context.db(store.audit.entries)),
        await _outbound(hub, gateway.id),
    )


async def test_the_family_cancels_an_open_request_with_a_reason(hub_server: RunningHub) -> None:
    gateway = await enrolled_gateway(hub_server, "Zhou household")
    request_id = (await _requested(hub_server, gateway, "meal")).request.id
    async with cookie_session() as session:
        family = await _caller(hub_server, session, Role.FAMILY, gateway.household_id)
        username = (await family.call("GET", "/api/v1/me"))[1]["user"]["username"]
        status, body = await family.call(
            "POST", f"{FAMILY}/{request_id}/cancel", {"reason": "  已经订了外卖  "}
        )
        assert status == 200, body
        assert (body["request"]["status"], body["request"]["cancelled_by"]) == (
            "cancelled",
            "family",
        )
        assert body["request"]["cancel_reason"] == "已经订了外卖"
        assert "accepted_by" not in body["request"]  # the family's view, not the staff's
        status, listed = await family.call("GET", FAMILY)
        assert (listed["open"], [r["id"] for r in listed["past"]]) == ([], [request_id])
        status, again = await family.call(
            "POST", f"{FAMILY}/{request_id}/cancel", {"reason": "again"}
        )
        assert (status, again["error"]) == (409, "step_refused")
    context = hub_server.context
    stored = await context.db(context.store.services.request, request_id)
    assert stored is not None
    assert (stored.status, stored.cancelled_by, stored.cancelled_at is not None) == (
        "cancelled",
        "family",
        True,
    )
    last = (await context.db(context.store.services.steps, request_id))[-1]
    assert (last["action"], last["actor"], last["detail"]["by"]) == (
        "cancelled",
        f"family:{username}",
        "family",
    )
    (entry,) = [
        e for e in await context.db(context.store.audit.entries) if e.action == "service_step"
    ]
    assert (entry.actor, entry.subject, entry.detail) == (
        last["actor"],
        f"service:{request_id}",
        "cancelled by family",
    )
    ((kind, wire),) = await _outbound(hub_server, gateway.id)
    assert kind == SERVICE_STEP_MESSAGE
    step = parse_service_step(wire)
    assert (step.request_id, step.step, step.by, step.reason) == (
        request_id,
        ServiceStep.CANCELLED,
        ServiceActor.FAMILY,
        "已经订了外卖",
    )
    assert step.staff_name  # who, as the home is told


async def test_the_family_confirms_and_rates_a_completed_request(hub_server: RunningHub) -> None:
    gateway = await enrolled_gateway(hub_server, "Zhou household")
    request_id = (await _requested(hub_server, gateway, "repair")).request.id
    async with cookie_session() as staff_session, cookie_session() as session:
        staff = await _caller(hub_server, staff_session, Role.SUPERVISOR)
        family = await _caller(hub_server, session, Role.FAMILY, gateway.household_id)
        status, body = await family.call("POST", f"{FAMILY}/{request_id}/confirm", {"rating": 4})
        assert (status, body["error"]) == (409, "not_rateable")
        await _completed(hub_server, staff, request_id)
        status, body = await family.call(
            "POST", f"{FAMILY}/{request_id}/confirm", {"rating": 4, "comment": "师傅很准时"}
        )
        assert status == 200, body
        assert (body["request"]["rating"], body["request"]["rating_comment"]) == (4, "师傅很准时")
        status, ratings = await staff.call(
            "GET", f"{STAFF}/providers/{body['request']['provider_id']}/ratings"
        )
        assert (ratings["count"], ratings["ratings"][0]["rating"]) == (1, 4)  # staff see it
    context = hub_server.context
    stored = await context.db(context.store.services.request, request_id)
    assert stored is not None
    assert (stored.rating, stored.rating_comment, stored.rated_at is not None) == (
        4,
        "师傅很准时",
        True,
    )
    last = (await context.db(context.store.services.steps, request_id))[-1]
    assert (last["action"], last["detail"]) == ("rated", {"rating": 4, "comment": "师傅很准时"})
    assert last["actor"].startswith("family:")
    audited = [e.detail for e in await context.db(context.store.audit.entries)]
    assert "confirmed, rated 4" in audited
    kind, wire = (await _outbound(hub_server, gateway.id))[-1]
    step = parse_service_step(wire)
    assert (kind, step.step, step.by, step.rating) == (
        SERVICE_STEP_MESSAGE,
        ServiceStep.COMPLETED,
        ServiceActor.FAMILY,
        Rating(4, "师傅很准时"),
    )


async def test_a_connected_gateway_gets_the_familys_step_at_once(hub_server: RunningHub) -> None:
    async with aiohttp.ClientSession() as session, cookie_session() as family_session:
        credentials = await _credentials(hub_server, session)
        request_id = new_ulid()
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            hello = Envelope.new(
                credentials.gateway_id, 1, MessageType.HELLO, {}, datetime.now(UTC)
            ).signed(credentials.signing_key())
            await _acked(ws, credentials, hello)
            assert (await _reply(ws, credentials.hub_key())).type == MessageType.CONFIG
            await _acked(ws, credentials, _request(credentials, 2, request_id, ServiceType.DRAIN))
            family = await _caller(
                hub_server, family_session, Role.FAMILY, credentials.household_id
            )
            status, _ = await family.call(
                "POST", f"{FAMILY}/{request_id}/cancel", {"reason": "邻居帮忙通好了"}
            )
            assert status == 200
            pushed = await _reply(ws, credentials.hub_key())
            assert pushed.type == MessageType.SERVICE_STEP
            step = parse_service_step(pushed.body)
            assert (step.request_id, step.by, step.reason) == (
                request_id,
                ServiceActor.FAMILY,
                "邻居帮忙通好了",
            )


BAD_CANCELS: list[object] = [
    {},
    {"reason": ""},
    {"reason": "   "},
    {"reason": 5},
    {"reason": "长" * 201},
    {"reason": "ok", "by": "staff"},  # the family cannot say it was someone else
    [],
]
BAD_CONFIRMS: list[object] = [
    {},
    {"rating": 0},
    {"rating": 6},
    {"rating": 4.5},
    {"rating": 4.0},
    {"rating": "4"},
    {"rating": True},
    {"rating": None},
    {"rating": 4, "comment": "长" * 201},
    {"rating": 4, "comment": 7},
    {"rating": 4, "stars": 5},
    "4",
]


async def test_refusals_are_typed_and_change_nothing(hub_server: RunningHub) -> None:
    ours = await enrolled_gateway(hub_server, "Zhou household")
    theirs = await enrolled_gateway(hub_server, "Wu household")
    open_id = (await _requested(hub_server, ours, "repair")).request.id
    done_id = (await _requested(hub_server, ours, "drain")).request.id
    their_id = (await _requested(hub_server, theirs, "meal")).request.id
    their_done = (await _requested(hub_server, theirs, "repair")).request.id
    async with cookie_session() as staff_session, cookie_session() as session:
        staff = await _caller(hub_server, staff_session, Role.ADMIN)
        await _completed(hub_server, staff, done_id)
        await _completed(hub_server, staff, their_done)
        family = await _caller(hub_server, session, Role.FAMILY, ours.household_id)
        before = {
            rid: await _state(hub_server, rid, gw)
            for rid, gw in ((open_id, ours), (done_id, ours), (their_id, theirs))
        } | {their_done: await _state(hub_server, their_done, theirs)}

        for payload in BAD_CANCELS:
            status, body = await family.call("POST", f"{FAMILY}/{open_id}/cancel", payload)  # type: ignore[arg-type]
            assert (status, body["error"]) == (400, "bad_request"), payload
            assert body["message"]
        for payload in BAD_CONFIRMS:
            status, body = await family.call("POST", f"{FAMILY}/{done_id}/confirm", payload)  # type: ignore[arg-type]
            assert (status, body["error"]) == (400, "bad_request"), payload
        # Not completed: no rating; completed: no cancellation.
        status, body = await family.call("POST", f"{FAMILY}/{open_id}/confirm", {"rating": 5})
        assert (status, body["error"]) == (409, "not_rateable")
        status, body = await family.call("POST", f"{FAMILY}/{done_id}/cancel", {"reason": "x"})
        assert (status, body["error"]) == (409, "step_refused")

        # Another household's request, open or completed, is exactly a missing one.
        missing = new_ulid()
        for verb, payload in (("cancel", {"reason": "x"}), ("confirm", {"rating": 5})):
            answers = set()
            for rid in (their_id, their_done, missing, "not-even-a-ulid"):
                status, body = await family.call("POST", f"{FAMILY}/{rid}/{verb}", payload)
                answers.add((status, tuple(sorted(body.items()))))
            assert len(answers) == 1, answers
            ((status, body_items),) = answers
            assert (status, dict(body_items)["error"]) == (404, "not_found")
        answers = set()
        for rid in (their_id, missing):
            async with session.get(hub_server.url + f"{FAMILY}/{rid}") as answer:
                answers.add((answer.status, await answer.text()))
        assert len(answers) == 1
        assert next(iter(answers))[0] == 404
        status, listed = await family.call("GET", FAMILY)
        assert {r["id"] for r in listed["open"] + listed["past"]} == {open_id, done_id}

        # Bodies no parser should choke on: a typed 400, never a 500.
        for name, raw in BODIES.items():
            for rid, verb in ((open_id, "cancel"), (done_id, "confirm"), (their_id, "cancel")):
                async with session.post(
                    hub_server.url + f"{FAMILY}/{rid}/{verb}",
                    data=raw,
                    headers={CSRF_HEADER: family.csrf, "Content-Type": "application/json"},
                ) as answer:
                    refused = await answer.json()
                    assert (answer.status, refused["error"]) == (400, "bad_request"), name

        after = {
            rid: await _state(hub_server, rid, gw)
            for rid, gw in (
                (open_id, ours),
                (done_id, ours),
                (their_id, theirs),
                (their_done, theirs),
            )
        }
    assert after == before


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN])
async def test_staff_act_through_their_own_routes_not_the_familys(
    hub_server: RunningHub, role: Role
) -> None:
    gateway = await enrolled_gateway(hub_server, "Zhou household")
    request_id = (await _requested(hub_server, gateway, "meal")).request.id
    async with cookie_session() as session:
        staff = await _caller(hub_server, session, role)
        status, body = await staff.call("POST", f"{FAMILY}/{request_id}/cancel", {"reason": "x"})
        assert (status, body["error"]) == (403, "forbidden")
    stored = await hub_server.context.db(hub_server.context.store.services.request, request_id)
    assert stored is not None
    assert stored.open


async def test_a_long_staff_reason_or_provider_name_is_cut_on_the_wire_not_a_server_error(
    hub_server: RunningHub,
) -> None:
    """The store keeps up to 500 characters of a reason and 200 of an organisation; the wire
    carries 200 and 100. The home hears their start; the step is never a 500."""
    gateway = await enrolled_gateway(hub_server, "Zhou household")
    assigned = (await _requested(hub_server, gateway, "repair")).request.id
    cancelled = (await _requested(hub_server, gateway, "meal")).request.id
    async with cookie_session() as session:
        staff = await _caller(hub_server, session, Role.ADMIN)
        provider_id = await _provider(staff, ["repair"], name="长" * 150)
        status, body = await staff.call(
            "POST",
            f"{STAFF}/requests/{assigned}/steps",
            {"step": "assigned", "provider_id": provider_id, **_window(hub_server)},
        )
        assert status == 200, body
        status, body = await staff.call(
            "POST",
            f"{STAFF}/requests/{cancelled}/steps",
            {"step": "cancelled", "reason": "因" * 300},
        )
        assert status == 200, body
        assert body["request"]["cancel_reason"] == "因" * 300
    steps = [parse_service_step(wire) for _, wire in await _outbound(hub_server, gateway.id)]
    assert [(s.provider_name, s.reason) for s in steps] == [("长" * 100, ""), ("", "因" * 200)]
