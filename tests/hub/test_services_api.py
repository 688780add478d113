"""Life services at the care center (issue 20), on a real hub: a request's whole life through
the work-order API, the store's record of a requested service (once per id, a repeat counts),
every refusal, the provider directory and entitlements, the family's read, the lane that
never mixes with the alarm queue, and the migration of an existing database."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gateway.alarms import utc_iso
from gateway.protocol import parse_service_step
from gateway.services.lifecycle import ServiceStep
from gateway.ulid import new_ulid
from hub.core.schema import MIGRATIONS, migrate
from hub.core.service_store import RecordedService, RecordOutcome, ServiceRefused
from hub.core.storage import Gateway, HubStore
from hub.policy import Role
from hub.services.steps import SERVICE_STEP_MESSAGE
from hub.web.access import CSRF_HEADER

from ..conftest import RunningHub, cookie_session
from .seed import enrolled_gateway

API = "/api/v1/services"


class Caller:
    def __init__(self, hub: RunningHub, session: aiohttp.ClientSession, csrf: str) -> None:
        self.hub, self.session, self.csrf = hub, session, csrf

    async def call(
        self, method: str, path: str, payload: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        async with self.session.request(
            method, self.hub.url + path, json=payload, headers={CSRF_HEADER: self.csrf}
        ) as answer:
            return answer.status, await answer.json()


async def _caller(
    hub: RunningHub, session: aiohttp.ClientSession, role: Role, household_id: str | None = None
) -> Caller:
    return Caller(hub, session, await hub.sign_in(session, role, household_id=household_id))


async def _requested(
    hub: RunningHub, gateway: Gateway, service: str, request_id: str | None = None, **extra: Any
) -> RecordedService:
    """What the gateway ingest will do with a `service.requested`."""
    store = hub.context.store
    return await hub.context.db(
        lambda: store.services.record_requested(
            gateway.household_id,
            request_id or new_ulid(),
            service,
            hub.context.clock(),
            gateway_id=gateway.id,
            **extra,
        )
    )


async def _provider(caller: Caller, services: list[str], name: str = "Anju Repairs") -> str:
    status, body = await caller.call(
        "POST",
        f"{API}/providers",
        {
            "organisation": name,
            "contact_name": "Wang Gong",
            "contact_phone": "+86 138-0000-0000",
            "services": services,
            "service_area": "Blocks 1-9",
        },
    )
    assert status == 201, body
    return str(body["provider"]["id"])


def _window(hub: RunningHub) -> dict[str, str]:
    now = hub.context.clock()
    return {
        "window_start": utc_iso(now + timedelta(minutes=20)),
        "window_end": utc_iso(now + timedelta(minutes=40)),
    }


async def _outbound(hub: RunningHub, gateway_id: str) -> list[tuple[str, dict[str, Any]]]:
    pending = await hub.context.db(hub.context.store.pending_outbound, gateway_id)
    return [(message.type, message.body) for message in pending]


async def test_the_whole_life_of_a_request(hub_server: RunningHub) -> None:
    gateway = await enrolled_gateway(hub_server, "Chen household")
    recorded = await _requested(
        hub_server, gateway, "repair", note="水管漏水", source_name="Remote key 2"
    )
    assert recorded.outcome is RecordOutcome.CREATED
    request_id = recorded.request.id
    async with cookie_session() as staff_session, cookie_session() as family_session:
        supervisor = await _caller(hub_server, staff_session, Role.SUPERVISOR)
        family = await _caller(hub_server, family_session, Role.FAMILY, gateway.household_id)
        provider_id = await _provider(supervisor, ["repair", "drain"])

        status, body = await supervisor.call("GET", f"{API}/requests")
        assert status == 200
        [order] = body["requests"]
        assert (order["id"], order["status"], order["service"], order["open"]) == (
            request_id,
            "requested",
            "repair",
            True,
        )
        assert (order["household_name"], order["note"], order["source_name"]) == (
            "Chen household",
            "水管漏水",
            "Remote key 2",
        )

        status, body = await supervisor.call(
            "POST", f"{API}/requests/{request_id}/steps", {"step": "accepted"}
        )
        assert (status, body["request"]["status"]) == (200, "accepted"), body
        window = _window(hub_server)
        status, body = await supervisor.call(
            "POST",
            f"{API}/requests/{request_id}/steps",
            {"step": "assigned", "provider_id": provider_id, **window, "note": "师傅带配件"},
        )
        assert status == 200, body
        assigned = body["request"]
        assert (assigned["status"], assigned["provider_id"], assigned["provider_name"]) == (
            "assigned",
            provider_id,
            "Anju Repairs",
        )
        assert (assigned["window_start"], assigned["window_end"]) == (
            window["window_start"],
            window["window_end"],
        )
        status, body = await family.call("GET", "/api/v1/family/services")
        assert status == 200
        assert [r["id"] for r in body["open"]] == [request_id]
        assert body["past"] == []
        assert "assigned_by" not in body["open"][0]

        for step in ("arrived", "completed"):
            status, body = await supervisor.call(
                "POST", f"{API}/requests/{request_id}/steps", {"step": step}
            )
            assert (status, body["request"]["status"]) == (200, step), body
        status, body = await supervisor.call(
            "POST", f"{API}/requests/{request_id}/rating", {"rating": 5, "comment": "很及时"}
        )
        assert (status, body["request"]["rating"], body["request"]["rating_comment"]) == (
            200,
            5,
            "很及时",
        )

        status, body = await supervisor.call("GET", f"{API}/requests/{request_id}")
        assert status == 200
        done = body["request"]
        assert done["status"] == "completed"
        assert done["open"] is False
        for column in ("accepted_at", "assigned_at", "arrived_at", "completed_at", "rated_at"):
            assert done[column], column
        assert [s["action"] for s in body["steps"]] == [
            "requested",
            "accepted",
            "assigned",
            "arrived",
            "completed",
            "rated",
        ]
        assert body["steps"][0]["actor"] == "household"
        assert body["steps"][2]["detail"]["contact_phone"] == "+86 138-0000-0000"

        status, body = await supervisor.call("GET", f"{API}/providers/{provider_id}/ratings")
        assert (status, body["count"], body["average"]) == (200, 1, 5.0)
        assert body["ratings"][0]["request_id"] == request_id

        status, body = await family.call("GET", "/api/v1/family/services")
        assert (body["open"], [r["id"] for r in body["past"]]) == ([], [request_id])
        status, body = await family.call("GET", f"/api/v1/family/services/{request_id}")
        assert status == 200
        assert {s["actor"] for s in body["steps"]} == {"household", "staff"}
        assigned_step = body["steps"][2]
        assert "note" not in assigned_step["detail"]  # a staff note stays with staff

    # Every staff step went to the household's gateway as service.step, in order.
    sent = await _outbound(hub_server, gateway.id)
    assert [(type_, body["step"]) for type_, body in sent] == [
        (SERVICE_STEP_MESSAGE, step) for step in ("accepted", "assigned", "arrived", "completed")
    ]
    assert sent[1][1]["window_start"] == window["window_start"]
    assert sent[1][1]["provider_name"] == "Anju Repairs"
    # Each as the household's gateway reads it.
    assert [parse_service_step(body).step for _, body in sent] == [
        ServiceStep.ACCEPTED,
        ServiceStep.ASSIGNED,
        ServiceStep.ARRIVED,
        ServiceStep.COMPLETED,
    ]
    entries = await hub_server.context.db(
        hub_server.context.store.audit.entries, f"service:{request_id}"
    )
    assert [e.detail for e in reversed(entries)] == [
        "accepted",
        "assigned",
        "arrived",
        "completed",
        "rated 5",
    ]
    assert {e.action for e in entries} == {"service_step"}


async def test_a_request_is_recorded_once_and_a_repeat_counts(hub_server: RunningHub) -> None:
    gateway = await enrolled_gateway(hub_server, "Zhou household")
    other = await enrolled_gateway(hub_server, "Sun household")
    first_id, second_id = new_ulid(), new_ulid()
    first = await _requested(hub_server, gateway, "drain", first_id)
    again = await _requested(hub_server, gateway, "drain", first_id)
    assert again.outcome is RecordOutcome.ALREADY_HAD
    assert again.request.count == 1
    repeat = await _requested(hub_server, gateway, "drain", second_id)
    assert (repeat.outcome, repeat.request.id, repeat.request.count) == (
        RecordOutcome.REPEATED,
        first.request.id,
        2,
    )
    resent = await _requested(hub_server, gateway, "drain", second_id)
    assert (resent.outcome, resent.request.count) == (RecordOutcome.ALREADY_HAD, 2)
    meal = await _requested(hub_server, gateway, "meal")
    assert meal.outcome is RecordOutcome.CREATED
    assert meal.request.id != first.request.id
    with pytest.raises(ServiceRefused) as refused:
        await _requested(hub_server, other, "drain", first_id)
    assert refused.value.code == "id_taken"
    # The lane of its own: no alarm was made of any of it.
    assert await hub_server.open_alarms() == []


async def test_refusals(hub_server: RunningHub) -> None:
    gateway = await enrolled_gateway(hub_server, "Wu household")
    neighbour = await enrolled_gateway(hub_server, "Zheng household")
    async with cookie_session() as staff_session, cookie_session() as family_session:
        supervisor = await _caller(hub_server, staff_session, Role.SUPERVISOR)
        family = await _caller(hub_server, family_session, Role.FAMILY, gateway.household_id)
        cleaner = await _provider(supervisor, ["cleaning"], "Clean Co")
        household_id = gateway.household_id

        # Unknown service type: from the API and from the ingest.
        status, body = await supervisor.call(
            "POST", f"{API}/requests", {"household_id": household_id, "service": "massage"}
        )
        assert (status, body["error"]) == (400, "bad_request")
        assert "service must be one of" in body["message"]
        with pytest.raises(ValueError, match="service must be one of"):
            await _requested(hub_server, gateway, "massage")

        # A service the household is not entitled to.
        status, body = await supervisor.call(
            "PUT", f"/api/v1/households/{household_id}/services", {"services": ["meal", "repair"]}
        )
        assert (status, body["all"], body["services"]) == (200, False, ["meal", "repair"])
        status, body = await supervisor.call(
            "POST", f"{API}/requests", {"household_id": household_id, "service": "bathing"}
        )
        assert (status, body["error"]) == (409, "not_entitled"), body
        with pytest.raises(ServiceRefused):
            await _requested(hub_server, gateway, "bathing")
        status, body = await supervisor.call("GET", f"/api/v1/households/{household_id}/services")
        assert body["services"] == ["meal", "repair"]

        status, body = await supervisor.call(
            "POST", f"{API}/requests", {"household_id": household_id, "service": "repair"}
        )
        assert (status, body["outcome"]) == (201, "created"), body
        request_id = body["request"]["id"]
        steps = f"{API}/requests/{request_id}/steps"

        # A step out of order: arrived before assigned, completed before arrived.
        for step in ("arrived", "completed"):
            status, body = await supervisor.call("POST", steps, {"step": step})
            assert (status, body["error"]) == (409, "step_refused"), body
        # A provider who does not offer the service; no provider; no window; unknown provider.
        status, body = await supervisor.call(
            "POST", steps, {"step": "assigned", "provider_id": cleaner, **_window(hub_server)}
        )
        assert (status, body["error"]) == (409, "provider_refused"), body
        status, body = await supervisor.call("POST", steps, {"step": "assigned"})
        assert (status, body["error"]) == (400, "bad_request")
        status, body = await supervisor.call(
            "POST", steps, {"step": "assigned", "provider_id": cleaner}
        )
        assert (status, body["error"]) == (400, "bad_request")
        status, body = await supervisor.call(
            "POST", steps, {"step": "assigned", "provider_id": "nobody", **_window(hub_server)}
        )
        assert (status, body["error"]) == (400, "bad_request")
        # A rating of a request that is not completed.
        status, body = await supervisor.call(
            "POST", f"{API}/requests/{request_id}/rating", {"rating": 4}
        )
        assert (status, body["error"]) == (409, "not_rateable"), body
        status, body = await supervisor.call(
            "POST", f"{API}/requests/{request_id}/rating", {"rating": 9}
        )
        assert (status, body["error"]) == (400, "bad_request")
        # Bad fields.
        for payload in ({"step": "teleported"}, {"step": "accepted", "extra": 1}):
            status, body = await supervisor.call("POST", steps, payload)
            assert (status, body["error"]) == (400, "bad_request"), payload
        # A cancellation needs a reason; with one it closes the request for good.
        status, body = await supervisor.call("POST", steps, {"step": "cancelled"})
        assert (status, body["error"]) == (400, "bad_request")
        status, body = await supervisor.call(
            "POST", steps, {"step": "cancelled", "reason": "fixed it himself", "by": "senior"}
        )
        assert status == 200, body
        cancelled = body["request"]
        assert (cancelled["status"], cancelled["cancelled_by"], cancelled["cancel_reason"]) == (
            "cancelled",
            "senior",
            "fixed it himself",
        )
        status, body = await supervisor.call("POST", steps, {"step": "accepted"})
        assert (status, body["error"]) == (409, "step_refused")
        # Unknown requests and households.
        status, body = await supervisor.call(
            "POST", f"{API}/requests/nope/steps", {"step": "accepted"}
        )
        assert (status, body["error"]) == (404, "not_found")
        status, body = await supervisor.call("GET", f"{API}/requests/nope")
        assert status == 404
        status, body = await supervisor.call(
            "POST", f"{API}/requests", {"household_id": "nope", "service": "repair"}
        )
        assert status == 404

        # Another household's request: the family reads it as no request at all.
        theirs = await _requested(hub_server, neighbour, "meal")
        status, body = await family.call("GET", f"/api/v1/family/services/{theirs.request.id}")
        assert (status, body["error"]) == (404, "not_found")
        status, body = await family.call("GET", "/api/v1/family/services")
        assert [r["id"] for r in body["open"] + body["past"]] == [request_id]

        # Back to every service.
        status, body = await supervisor.call(
            "PUT", f"/api/v1/households/{household_id}/services", {"services": None}
        )
        assert (status, body["all"]) == (200, True)
        assert (await _requested(hub_server, gateway, "bathing")).outcome is RecordOutcome.CREATED
    # Nothing of this reached the alarm desk's endpoints.
    async with cookie_session() as session:
        dispatcher = await _caller(hub_server, session, Role.DISPATCHER)
        since = utc_iso(hub_server.context.clock() - timedelta(hours=1))
        status, body = await dispatcher.call("GET", f"/api/v1/alarms?since={since}")
        assert (status, body["alarms"]) == (200, [])


async def test_providers_are_managed_by_supervisors_and_audited(hub_server: RunningHub) -> None:
    gateway = await enrolled_gateway(hub_server, "Lin household")
    async with cookie_session() as session, cookie_session() as dispatcher_session:
        admin = await _caller(hub_server, session, Role.ADMIN)
        dispatcher = await _caller(hub_server, dispatcher_session, Role.DISPATCHER)
        provider_id = await _provider(admin, ["meal"], "Canteen 3")
        status, body = await admin.call(
            "PATCH", f"{API}/providers/{provider_id}", {"services": ["meal", "shopping"]}
        )
        assert (status, body["provider"]["services"]) == (200, ["meal", "shopping"])
        for payload in (
            {"organisation": ""},
            {"services": ["meal", "flying"]},
            {"contact_phone": "call me"},
            {"active": "yes"},
            {"colour": "red"},
        ):
            status, body = await admin.call("PATCH", f"{API}/providers/{provider_id}", payload)
            assert (status, body["error"]) == (400, "bad_request"), payload
        status, body = await admin.call("POST", f"{API}/providers", {"contact_name": "x"})
        assert (status, body["error"]) == (400, "bad_request")
        status, body = await dispatcher.call("GET", f"{API}/providers")
        assert [p["organisation"] for p in body["providers"]] == ["Canteen 3"]

        status, body = await admin.call("DELETE", f"{API}/providers/{provider_id}")
        assert (status, body["provider"]["active"]) == (200, False)
        status, body = await dispatcher.call("GET", f"{API}/providers?active=1")
        assert body["providers"] == []
        # A deactivated provider is not assigned.
        request_id = (await _requested(hub_server, gateway, "meal")).request.id
        status, body = await dispatcher.call(
            "POST",
            f"{API}/requests/{request_id}/steps",
            {"step": "assigned", "provider_id": provider_id, **_window(hub_server)},
        )
        assert (status, body["error"]) == (409, "provider_refused")
        status, body = await admin.call("PATCH", f"{API}/providers/{provider_id}", {"active": True})
        assert (status, body["provider"]["active"]) == (200, True)
        status, body = await admin.call("DELETE", f"{API}/providers/unknown")
        assert status == 404
    entries = await hub_server.context.db(
        hub_server.context.store.audit.entries, f"provider:{provider_id}"
    )
    assert [e.detail for e in reversed(entries)] == [
        "created: contact_name, contact_phone, organisation, service_area, services",
        "changed: services",
        "deactivated",
        "changed: active",
    ]


async def test_open_work_orders_come_first(hub_server: RunningHub) -> None:
    gateway = await enrolled_gateway(hub_server, "Xu household")
    first = (await _requested(hub_server, gateway, "meal")).request.id
    second = (await _requested(hub_server, gateway, "repair")).request.id
    third = (await _requested(hub_server, gateway, "shopping")).request.id
    async with cookie_session() as session:
        dispatcher = await _caller(hub_server, session, Role.DISPATCHER)
        await dispatcher.call(
            "POST", f"{API}/requests/{first}/steps", {"step": "cancelled", "reason": "duplicate"}
        )
        status, body = await dispatcher.call("GET", f"{API}/requests")
        assert [r["id"] for r in body["requests"]] == [second, third, first]
        status, body = await dispatcher.call("GET", f"{API}/requests?open=1")
        assert (status, [r["id"] for r in body["requests"]]) == (200, [second, third])
        status, body = await dispatcher.call("GET", f"{API}/catalogue")
        assert status == 200
        assert {"service": "drain", "zh": "下水疏通", "en": "Drain unblocking"} in body["services"]


def test_an_existing_database_upgrades_and_keeps_its_alarms(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    old = sqlite3.connect(path, isolation_level=None)
    migrate(old, target=10)
    old.execute(
        "INSERT INTO households (id, name, address, created_at) VALUES ('h1', 'Old', 'Road', 'x')"
    )
    old.execute(
        "INSERT INTO alarms (id, household_id, gateway_id, kind, severity, status, source,"
        " occurred_at, received_at, last_seen, happened_at) VALUES ('a1', 'h1', 'g', 'fall',"
        " 'critical', 'new', 's', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z',"
        " '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')"
    )
    old.close()
    upgraded = HubStore(path)
    try:
        assert upgraded.schema_version == len(MIGRATIONS) == 11
        assert upgraded.alarm("a1") is not None
        tables = set(upgraded.db.table_names())
        assert {
            "service_providers",
            "service_entitlements",
            "service_requests",
            "service_request_aliases",
            "service_request_steps",
        } <= tables
        recorded = upgraded.services.record_requested(
            "h1", new_ulid(), "call_back", datetime.now(UTC)
        )
        assert recorded.outcome is RecordOutcome.CREATED
        assert upgraded.services.entitlement("h1") is None  # the default: every service
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            upgraded.db.execute("DELETE FROM service_request_steps")
    finally:
        upgraded.close()


STAFF_ROLES = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})
SUPERVISING = frozenset({Role.SUPERVISOR, Role.ADMIN})
# Every route of the slice with real ids, and who may call it (tests/hub/test_access.py walks
# them with placeholder ids beside every other route of the hub).
ROLE_TABLE: list[tuple[str, str, frozenset[Role]]] = [
    ("GET", "/api/v1/services/catalogue", frozenset(Role)),
    ("GET", "/api/v1/services/requests", STAFF_ROLES),
    ("POST", "/api/v1/services/requests", STAFF_ROLES),
    ("GET", "/api/v1/services/requests/{request}", STAFF_ROLES),
    ("POST", "/api/v1/services/requests/{request}/steps", STAFF_ROLES),
    ("POST", "/api/v1/services/requests/{request}/rating", STAFF_ROLES),
    ("GET", "/api/v1/services/providers", STAFF_ROLES),
    ("POST", "/api/v1/services/providers", SUPERVISING),
    ("PATCH", "/api/v1/services/providers/{provider}", SUPERVISING),
    ("GET", "/api/v1/services/providers/{provider}/ratings", SUPERVISING),
    ("GET", "/api/v1/households/{household}/services", SUPERVISING),
    ("PUT", "/api/v1/households/{household}/services", SUPERVISING),
    ("DELETE", "/api/v1/services/providers/{provider}", SUPERVISING),
    ("GET", "/api/v1/family/services", frozenset({Role.FAMILY})),
    ("GET", "/api/v1/family/services/{request}", frozenset({Role.FAMILY})),
    ("POST", "/api/v1/family/services/{request}/cancel", frozenset({Role.FAMILY})),
    ("POST", "/api/v1/family/services/{request}/confirm", frozenset({Role.FAMILY})),
]


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
async def test_every_role_against_every_service_route(hub_server: RunningHub, role: Role) -> None:
    gateway = await enrolled_gateway(hub_server, "Table household")
    request_id = (await _requested(hub_server, gateway, "repair")).request.id
    async with cookie_session() as admin_session, cookie_session() as session:
        admin = await _caller(hub_server, admin_session, Role.ADMIN)
        provider_id = await _provider(admin, ["repair"])
        household = gateway.household_id if role is Role.FAMILY else None
        caller = await _caller(hub_server, session, role, household)
        ids = {"request": request_id, "provider": provider_id, "household": gateway.household_id}
        for method, template, allowed in ROLE_TABLE:
            path = template.format(**ids)
            async with session.request(
                method, hub_server.url + path, headers={CSRF_HEADER: caller.csrf}
            ) as answer:
                status = answer.status
            if role in allowed:
                assert status in (200, 400), (role, method, path, status)  # 400: no body
            else:
                assert status == 403, (role, method, path, status)
