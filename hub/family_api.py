"""The family portal: a family member sees their own household only (status, who is coming,
alarm history, vitals, devices), never another's and never medical details or staff notes.
The household comes from the session, not from the request, so no URL can name another."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aiohttp import web

from .accounts import Role
from .auth import STATIC_DIR, allow, session_of
from .context import HUB_CONTEXT
from .household_view import alarm_for_family, recent_vitals
from .http_json import not_found

FAMILY_ALARMS = 50


@allow(Role.FAMILY)
async def family_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "family.html", headers={"Cache-Control": "no-store"})


@allow(Role.FAMILY)
async def family_household(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    household_id = session_of(request).user.household_id
    assert household_id is not None  # accounts: family members always have one

    def read() -> dict[str, Any] | None:
        household = hub.store.registry.household(household_id)
        if household is None:
            return None
        now = hub.clock()
        return {
            "household": {"name": household.name, "address": household.address},
            "gateway_ids": [g.id for g in hub.store.household_gateways(household_id)],
            "residents": [
                {"id": r.id, "name": r.name, "age": r.age(now)}
                for r in hub.store.registry.residents(household_id)
            ],
            "alarms": [
                alarm_for_family(a) for a in hub.store.household_alarms(household_id, FAMILY_ALARMS)
            ],
            "vitals": recent_vitals(hub.store, household_id, now),
            "devices": [asdict(d) for d in hub.store.registry.devices(household_id)],
        }

    view = await hub.db(read)
    if view is None:
        raise not_found("household")
    gateway_ids = view.pop("gateway_ids")
    view["online"] = any(gateway_id in hub.connections for gateway_id in gateway_ids)
    return web.json_response(view)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/family", family_page)
    app.router.add_get("/api/v1/family/household", family_household)
