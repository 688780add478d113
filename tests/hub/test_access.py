"""Who may call what, on a real hub: every route of the app against every role, sign-in with
its rate limit, cookie flags, CSRF, cross-origin refusals, idle timeout."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web

from hub.core.accounts import IDLE_TIMEOUT
from hub.policy import Role, policy_of
from hub.web.access import CSRF_HEADER, SESSION_COOKIE

from ..conftest import RunningHub, cookie_session

ANONYMOUS = None
CALLERS: list[Role | None] = [ANONYMOUS, *Role]


def _routes(hub: RunningHub) -> list[tuple[str, str, web.AbstractRoute]]:
    app = hub._runner.app  # type: ignore[union-attr]
    routes = []
    for route in app.router.routes():
        if route.method == "HEAD" or isinstance(route.resource, web.StaticResource):
            continue
        assert route.resource is not None
        path = route.resource.canonical.replace("{", "").replace("}", "")  # ids: any text
        routes.append((route.method, path, route))
    # Sign-out last: it ends the session the other requests use.
    return sorted(routes, key=lambda item: item[1] == "/api/v1/logout")


PUBLIC = "public"
STAFF = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})
EVERYONE = frozenset(Role)
SUPERVISORS = frozenset({Role.SUPERVISOR, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})
FAMILY = frozenset({Role.FAMILY})
# The access table, written down here on purpose rather than read from the code: a route
# whose policy drifts from it, or a new route missing from it, fails the test.
EXPECTED: dict[tuple[str, str], frozenset[Role] | str] = {
    ("GET", "/"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/api/v1/login"): PUBLIC,
    ("POST", "/api/v1/logout"): EVERYONE,
    ("GET", "/api/v1/me"): EVERYONE,
    ("GET", "/dispatch"): STAFF,
    ("GET", "/api/v1/dispatch/live"): STAFF,
    ("POST", "/api/v1/enroll"): PUBLIC,  # the one-time code is the credential
    ("GET", "/api/v1/ca"): PUBLIC,
    ("GET", "/api/v1/gateway"): PUBLIC,  # every envelope is signed
    ("GET", "/metrics"): PUBLIC,  # the metrics token instead of a session (tested apart)
    ("GET", "/vendor/plotly.min.js"): PUBLIC,  # a library file, no data
    ("GET", "/api/v1/alarms"): STAFF,
    ("GET", "/api/v1/alarms/alarm_id"): STAFF,
    ("POST", "/api/v1/alarms/alarm_id/steps"): STAFF,
    ("POST", "/api/v1/alarms/alarm_id/notes"): STAFF,
    ("GET", "/api/v1/households"): STAFF,
    ("POST", "/api/v1/households"): SUPERVISORS,
    ("GET", "/api/v1/households/household_id"): STAFF,
    ("PATCH", "/api/v1/households/household_id"): SUPERVISORS,
    ("POST", "/api/v1/households/household_id/residents"): SUPERVISORS,
    ("PUT", "/api/v1/households/household_id/contacts"): SUPERVISORS,
    ("POST", "/api/v1/households/household_id/enrollment-code"): SUPERVISORS,
    ("PATCH", "/api/v1/residents/resident_id"): SUPERVISORS,
    ("GET", "/api/v1/households/household_id/vitals.fhir"): SUPERVISORS,
    ("GET", "/api/v1/users"): ADMINS,
    ("POST", "/api/v1/users"): ADMINS,
    ("POST", "/api/v1/users/username/disable"): ADMINS,
    ("POST", "/api/v1/users/username/password"): ADMINS,
    ("POST", "/api/v1/users/username/unlock"): SUPERVISORS,
    ("GET", "/api/v1/audit"): SUPERVISORS,
    ("GET", "/api/v1/reports/sla"): SUPERVISORS,
    ("GET", "/api/v1/reports/sla.csv"): SUPERVISORS,
    ("GET", "/api/v1/reports/services.csv"): SUPERVISORS,
    ("GET", "/family"): FAMILY,
    ("GET", "/api/v1/family/household"): FAMILY,
    ("GET", "/api/v1/family/live"): FAMILY,
    ("GET", "/api/v1/panels"): SUPERVISORS,
    ("POST", "/api/v1/panels"): SUPERVISORS,
    ("GET", "/api/v1/panels/account"): SUPERVISORS,
    ("DELETE", "/api/v1/panels/account"): SUPERVISORS,
    ("GET", "/api/v1/services/catalogue"): EVERYONE,
    ("GET", "/api/v1/services/requests"): STAFF,
    ("POST", "/api/v1/services/requests"): STAFF,
    ("GET", "/api/v1/services/requests/request_id"): STAFF,
    ("POST", "/api/v1/services/requests/request_id/steps"): STAFF,
    ("POST", "/api/v1/services/requests/request_id/rating"): STAFF,
    ("GET", "/api/v1/services/providers"): STAFF,
    ("POST", "/api/v1/services/providers"): SUPERVISORS,
    ("PATCH", "/api/v1/services/providers/provider_id"): SUPERVISORS,
    ("DELETE", "/api/v1/services/providers/provider_id"): SUPERVISORS,
    ("GET", "/api/v1/services/providers/provider_id/ratings"): SUPERVISORS,
    ("GET", "/services"): STAFF,
    ("GET", "/api/v1/services/live"): STAFF,
    ("GET", "/api/v1/households/household_id/services"): SUPERVISORS,
    ("PUT", "/api/v1/households/household_id/services"): SUPERVISORS,
    ("GET", "/api/v1/family/services"): FAMILY,
    ("GET", "/api/v1/family/services/request_id"): FAMILY,
    ("POST", "/api/v1/family/services/request_id/cancel"): FAMILY,
    ("POST", "/api/v1/family/services/request_id/confirm"): FAMILY,
}


async def test_every_route_is_in_the_access_table_and_declares_a_policy(
    hub_server: RunningHub,
) -> None:
    routes = _routes(hub_server)
    assert {(method, path) for method, path, _ in routes} == set(EXPECTED)
    assert [path for _, path, route in routes if policy_of(route.handler) is None] == []


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.value if c else "anonymous")
async def test_every_role_against_every_route(hub_server: RunningHub, caller: Role | None) -> None:
    household = await hub_server.add_household()
    async with cookie_session() as session:
        csrf = ""
        if caller is not None:
            family_of = household.id if caller == Role.FAMILY else None
            csrf = await hub_server.sign_in(session, caller, household_id=family_of)
        for method, path, _ in _routes(hub_server):
            allowed = EXPECTED[(method, path)]
            async with session.request(
                method, hub_server.url + path, headers={CSRF_HEADER: csrf}, allow_redirects=False
            ) as answer:
                status = answer.status
            where = (caller, method, path, status)
            if allowed == PUBLIC:
                assert status not in (401, 403) or path == "/metrics", where
            elif caller is None:
                assert status in (401, 302), where  # 302: a page sends a browser to sign in
            elif caller not in allowed:
                assert status == 403, where
            else:
                assert status not in (401, 403), where


async def test_sign_in_sets_a_strict_http_only_cookie_and_audits(hub_server: RunningHub) -> None:
    username, password = await hub_server.add_user(Role.DISPATCHER)
    async with cookie_session() as session:
        async with session.post(
            hub_server.url + "/api/v1/login", json={"username": username, "password": password}
        ) as answer:
            assert answer.status == 200
            cookie = answer.cookies[SESSION_COOKIE]
            body = await answer.json()
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Strict"
        assert cookie["path"] == "/"
        assert not cookie["secure"]  # plain loopback http; set behind TLS
        assert body["user"]["role"] == "dispatcher"
        assert "password" not in str(body)
        async with session.get(hub_server.url + "/api/v1/me") as answer:
            assert (await answer.json())["user"]["username"] == username
    entries = await hub_server.context.db(hub_server.context.store.audit.entries)
    assert [(e.actor, e.action) for e in entries] == [(f"staff:{username}", "login")]


async def test_wrong_passwords_are_throttled_per_user(hub_server: RunningHub) -> None:
    username, password = await hub_server.add_user(Role.DISPATCHER)
    other, other_password = await hub_server.add_user(Role.DISPATCHER)
    async with aiohttp.ClientSession() as session:

        async def attempt(name: str, secret: str) -> aiohttp.ClientResponse:
            async with session.post(
                hub_server.url + "/api/v1/login", json={"username": name, "password": secret}
            ) as answer:
                await answer.read()
                return answer

        for _ in range(5):
            assert (await attempt(username, "guess number n")).status == 401
        throttled = await attempt(username, password)  # even the right one, for now
        assert throttled.status == 429
        assert 0 < int(throttled.headers["Retry-After"]) <= 15 * 60
        assert (await attempt(other, other_password)).status == 200  # others sign in
        assert (await attempt("nobody", "whatever it is")).status == 401  # same answer as wrong
    entries = await hub_server.context.db(hub_server.context.store.audit.entries)
    assert [e.action for e in entries].count("login_failed") == 6


@pytest.mark.parametrize(
    "payload", [None, [], {"username": 1, "password": "x"}, {"username": "x" * 65, "password": "x"}]
)
async def test_garbage_sign_in_is_a_clear_refusal(hub_server: RunningHub, payload: object) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(hub_server.url + "/api/v1/login", json=payload) as answer,
    ):
        assert (answer.status, (await answer.json())["error"]) == (400, "bad_request")


async def test_state_changes_need_the_csrf_token_and_our_origin(hub_server: RunningHub) -> None:
    async with cookie_session() as session:
        csrf = await hub_server.sign_in(session)
        async with session.post(hub_server.url + "/api/v1/logout") as answer:
            assert (answer.status, (await answer.json())["error"]) == (403, "csrf")
        foreign = {CSRF_HEADER: csrf, "Origin": "http://evil.example"}
        async with session.post(hub_server.url + "/api/v1/logout", headers=foreign) as answer:
            assert (answer.status, (await answer.json())["error"]) == (403, "cross_origin")
        # Cross-site WebSocket hijacking: a page elsewhere opening the live queue.
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(
                hub_server.url + "/api/v1/dispatch/live", origin="http://evil.example"
            )
        assert refused.value.status == 403
        async with session.post(
            hub_server.url + "/api/v1/logout", headers={CSRF_HEADER: csrf}
        ) as answer:
            assert answer.status == 200
        async with session.get(hub_server.url + "/api/v1/me") as answer:
            assert answer.status == 401  # signed out for good


async def test_an_idle_session_ends(hub_server: RunningHub) -> None:
    context = hub_server.context
    real_clock = context.clock
    async with cookie_session() as session:
        await hub_server.sign_in(session)
        context.clock = lambda: real_clock() + IDLE_TIMEOUT - timedelta(seconds=5)
        async with session.get(hub_server.url + "/api/v1/me") as answer:
            assert answer.status == 200  # activity just before the timeout renews it
        context.clock = lambda: real_clock() + 2 * IDLE_TIMEOUT
        async with session.get(hub_server.url + "/api/v1/me") as answer:
            assert answer.status == 401
