"""Every caller against every life-services route, with real ids and the exact answer each
gets: dispatcher, supervisor, admin, a family member of the request's household, one of
another household, and nobody signed in. Written out by hand on purpose: a route whose access
drifts, or a new route missing here, fails. (tests/hub/test_access.py checks the same routes'
policies beside every other route of the hub, with placeholder ids.)"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import pytest

from hub.policy import Role
from hub.web.access import CSRF_HEADER

from ..conftest import RunningHub, cookie_session
from .seed import enrolled_gateway
from .test_access import EXPECTED
from .test_family_services import _completed
from .test_services_api import _caller, _provider, _requested


class Caller(StrEnum):
    DISPATCHER = "dispatcher"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    FAMILY = "family of the household"
    OTHER_FAMILY = "family of another household"
    ANONYMOUS = "anonymous"


D, S, A, F, OTHER, N = (
    Caller.DISPATCHER,
    Caller.SUPERVISOR,
    Caller.ADMIN,
    Caller.FAMILY,
    Caller.OTHER_FAMILY,
    Caller.ANONYMOUS,
)


def answers(
    staff: int, *, dispatcher: int | None = None, family: int = 403, other_family: int | None = None
) -> dict[Caller, int]:
    """`staff`: what a supervisor and an admin get; a dispatcher the same unless given."""
    return {
        D: staff if dispatcher is None else dispatcher,
        S: staff,
        A: staff,
        F: family,
        OTHER: family if other_family is None else other_family,
        N: 401,
    }


# (method, path, body) -> each caller's status. Bodies: none where the route reads none; an
# empty object where a refusal of the body (400) shows the caller got past the access check;
# a valid one on the family's routes, so their own household's request is changed (200) and
# another's answers as no request (404). The DELETE runs last: it deactivates the provider.
TABLE: list[tuple[str, str, Any, dict[Caller, int]]] = [
    ("GET", "/api/v1/services/catalogue", None, answers(200, family=200)),
    ("GET", "/api/v1/services/requests", None, answers(200)),
    ("POST", "/api/v1/services/requests", {}, answers(400)),
    ("GET", "/api/v1/services/requests/{request}", None, answers(200)),
    ("POST", "/api/v1/services/requests/{request}/steps", {}, answers(400)),
    ("POST", "/api/v1/services/requests/{request}/rating", {}, answers(400)),
    ("GET", "/api/v1/services/providers", None, answers(200)),
    ("POST", "/api/v1/services/providers", {}, answers(400, dispatcher=403)),
    ("PATCH", "/api/v1/services/providers/{provider}", {}, answers(200, dispatcher=403)),
    ("GET", "/api/v1/services/providers/{provider}/ratings", None, answers(200, dispatcher=403)),
    ("GET", "/api/v1/households/{household}/services", None, answers(200, dispatcher=403)),
    ("PUT", "/api/v1/households/{household}/services", {}, answers(400, dispatcher=403)),
    ("GET", "/api/v1/family/services", None, answers(403, family=200)),
    ("GET", "/api/v1/family/services/{request}", None, answers(403, family=200, other_family=404)),
    (
        "POST",
        "/api/v1/family/services/{request}/cancel",
        {"reason": "家里人自己修好了"},
        answers(403, family=200, other_family=404),
    ),
    (
        "POST",
        "/api/v1/family/services/{completed}/confirm",
        {"rating": 5, "comment": "很好"},
        answers(403, family=200, other_family=404),
    ),
    ("DELETE", "/api/v1/services/providers/{provider}", None, answers(200, dispatcher=403)),
]


def test_the_table_names_every_route_of_the_slice() -> None:
    service_routes = {
        (method, path)
        for method, path in EXPECTED
        # The slice's API; its page and live socket (a GET upgrade) have tests of their own.
        if path.startswith(("/api/v1/services", "/api/v1/family/services"))
        or path == "/api/v1/households/household_id/services"
        if not path.endswith("/live")
    }
    named = {
        (method, path.replace("{completed}", "request_id").replace("{", "").replace("}", "_id"))
        for method, path, _, _ in TABLE
    }
    assert service_routes - named == set()


@pytest.mark.parametrize("caller", list(Caller), ids=lambda caller: caller.name.lower())
async def test_each_caller_against_each_service_route(
    hub_server: RunningHub, caller: Caller
) -> None:
    ours = await enrolled_gateway(hub_server, "Zhou household")
    theirs = await enrolled_gateway(hub_server, "Wu household")
    request_id = (await _requested(hub_server, ours, "meal")).request.id
    completed_id = (await _requested(hub_server, ours, "repair")).request.id
    async with cookie_session() as admin_session, cookie_session() as session:
        admin = await _caller(hub_server, admin_session, Role.ADMIN)
        provider_id = await _provider(admin, ["repair", "meal"])
        await _completed(hub_server, admin, completed_id)
        csrf = ""
        if caller in (F, OTHER):
            household = ours if caller is F else theirs
            csrf = await hub_server.sign_in(
                session, Role.FAMILY, household_id=household.household_id
            )
        elif caller is not N:
            csrf = await hub_server.sign_in(session, Role(caller.value))
        ids = {
            "request": request_id,
            "completed": completed_id,
            "provider": provider_id,
            "household": ours.household_id,
        }
        got = {}
        for method, template, body, _ in TABLE:
            path = template.format(**ids)
            async with session.request(
                method, hub_server.url + path, json=body, headers={CSRF_HEADER: csrf}
            ) as answer:
                got[(method, template)] = answer.status
                if answer.status >= 400:
                    refusal = await answer.json()  # every refusal is typed JSON
                    assert isinstance(refusal.get("error"), str), (method, path, refusal)
        want = {(method, template): expected[caller] for method, template, _, expected in TABLE}
        assert got == want
    stored = await hub_server.context.db(hub_server.context.store.services.request, request_id)
    assert stored is not None
    assert stored.cancelled_by == ("family" if caller is F else None)
