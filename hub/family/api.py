"""The family portal: a family member sees their own household only (status, who is coming,
alarm history, vitals, devices), never another's and never medical details or staff notes.
The household comes from the session, not from the request, so no URL can name another.
The page itself is kept current by the live feed of hub/family/live.py."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..core.card_devices import household_devices
from ..core.context import HUB_CONTEXT, HubContext
from ..core.household_view import alarm_for_family, recent_vitals
from ..infra.http_json import not_found
from ..policy import Role, allow
from ..web.access import session_of
from ..web.static import page

FAMILY_ALARMS = 50


@allow(Role.FAMILY)
async def family_page(request: web.Request) -> web.FileResponse:
    return page("family.html")


@allow(Role.FAMILY)
async def family_household(request: web.Request) -> web.Response:
    view = await family_view(request.app[HUB_CONTEXT], family_household_id(request))
    if view is None:
        raise not_found("household")
    view.pop("gateway_ids")
    return web.json_response(view)


def family_household_id(request: web.Request) -> str:
    household_id = session_of(request).user.household_id
    assert household_id is not None  # accounts: family members always have one
    return household_id


async def family_view(hub: HubContext, household_id: str) -> dict[str, Any] | None:
    """Everything the family page shows (with `gateway_ids`, for the caller's use only);
    None for an unknown household."""

    def read() -> dict[str, Any] | None:
        home = _home(hub, household_id)
        if home is None:
            return None
        alarms = hub.store.household_alarms(household_id, FAMILY_ALARMS)
        return {**home, "alarms": [alarm_for_family(a) for a in alarms]}

    return _with_online(hub, await hub.db(read))


async def home_view(hub: HubContext, household_id: str) -> dict[str, Any] | None:
    """The family view without its alarms (those are kept current by the live feed)."""
    return _with_online(hub, await hub.db(_home, hub, household_id))


def online(hub: HubContext, gateway_ids: list[str]) -> bool:
    """Whether one of the household's gateways is connected to this hub now."""
    return any(hub.gateways.is_connected(gateway_id) for gateway_id in gateway_ids)


def _home(hub: HubContext, household_id: str) -> dict[str, Any] | None:
    """On the database thread."""
    store = hub.store
    household = store.registry.household(household_id)
    if household is None:
        return None
    now = hub.clock()
    return {
        "household": {"name": household.name, "address": household.address},
        "gateway_ids": [g.id for g in store.household_gateways(household_id)],
        "gateway_last_seen": store.gateway_last_seen(household_id),
        "residents": [
            {"id": r.id, "name": r.name, "age": r.age(now)}
            for r in store.registry.residents(household_id)
        ],
        "vitals": recent_vitals(store, household_id, now),
        # As the household's open alarms leave them, like the alarm card's
        # (hub/core/card_devices.py).
        "devices": household_devices(store, household_id),
    }


def _with_online(hub: HubContext, view: dict[str, Any] | None) -> dict[str, Any] | None:
    if view is not None:
        view["online"] = online(hub, view["gateway_ids"])
    return view


def add_routes(app: web.Application) -> None:
    app.router.add_get("/family", family_page)
    app.router.add_get("/api/v1/family/household", family_household)
