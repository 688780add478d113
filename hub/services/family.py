"""The family's read of its own household's service requests (the family page comes later):
open and past, what, when, who is coming and when; no staff names or staff notes. The
household comes from the session: another household's request reads as no request."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..core.context import HUB_CONTEXT
from ..core.service_store import HOUSEHOLD_ACTOR
from ..infra.http_json import not_found
from ..policy import Role, allow
from ..web.access import session_of

FAMILY_REQUESTS = 50


@allow(Role.FAMILY)
async def family_requests(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    household_id = _household_id(request)
    found = await hub.db(hub.store.services.household_requests, household_id, FAMILY_REQUESTS)
    return web.json_response(
        {
            "open": [r.for_family() for r in found if r.open],
            "past": [r.for_family() for r in found if not r.open],
        }
    )


@allow(Role.FAMILY)
async def family_request(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    household_id = _household_id(request)
    request_id = request.match_info["request_id"]

    def read() -> dict[str, Any] | None:
        found = hub.store.services.request(request_id)
        if found is None or found.household_id != household_id:
            return None
        steps = [_family_step(step) for step in hub.store.services.steps(found.id)]
        return {"request": found.for_family(), "steps": steps}

    view = await hub.db(read)
    if view is None:
        raise not_found("such request")
    return web.json_response(view)


def _household_id(request: web.Request) -> str:
    household_id = session_of(request).user.household_id
    assert household_id is not None  # accounts: family members always have one
    return household_id


def _family_step(step: dict[str, Any]) -> dict[str, Any]:
    """Who by kind only (staff, household, family), and staff notes left out."""
    who = str(step["actor"]).split(":", 1)[0]
    detail = dict(step["detail"])
    if who != HOUSEHOLD_ACTOR:
        detail.pop("note", None)
    return {"at": step["at"], "actor": who, "action": step["action"], "detail": detail}


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/family/services", family_requests)
    app.router.add_get("/api/v1/family/services/{request_id}", family_request)
