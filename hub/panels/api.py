"""Panel accounts over HTTP (docs/hub-api.md, "Alarm panels"): supervisors and admins map a
DC-09 account to a household. Audited like registry changes; the key is never returned (an
account says `encrypted: true`) and never audited or logged."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.dc09.credentials import KeyFormat

from ..core.audit import AuditAction
from ..core.context import HUB_CONTEXT
from ..core.panel_store import PanelAccountError, normalize_account, parse_key
from ..infra.http_json import bad_request, json_object, not_found, query_limit
from ..policy import SUPERVISORS, allow
from ..web.access import actor, session_of
from .service import PANELS

PANEL_FIELDS = ("account", "household_id", "key", "key_format", "label")


@allow(*SUPERVISORS)
async def list_panels(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    panels = await hub.db(hub.store.panels.accounts)
    return web.json_response({"panels": [panel.as_dict() for panel in panels]})


@allow(*SUPERVISORS)
async def add_panel(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    payload = await json_object(request)
    unknown = sorted(set(payload) - set(PANEL_FIELDS))
    if unknown:
        raise bad_request(f"unknown fields: {', '.join(unknown)}")
    household_id = payload.get("household_id")
    label = payload.get("label") or ""
    if not isinstance(household_id, str) or not household_id:
        raise bad_request("household_id is required")
    if not isinstance(label, str):
        raise bad_request("label must be text")
    try:
        account = normalize_account(payload.get("account"))
        key = parse_key(payload.get("key"), payload.get("key_format", KeyFormat.HEX))
    except PanelAccountError as err:
        raise bad_request(str(err)) from None
    who = actor(session_of(request).user)

    def add() -> dict[str, Any]:
        now = hub.clock()
        panel = hub.store.panels.add(account, household_id, now, key=key, label=label)
        detail = f"created: household {household_id}, {'encrypted' if key else 'in clear'}"
        hub.store.audit.append(who, AuditAction.REGISTRY_CHANGE, f"panel:{account}", now, detail)
        return {"panel": panel.as_dict()}

    try:
        result = await hub.db(add)
    except PanelAccountError as err:
        raise bad_request(str(err)) from None
    except KeyError:
        raise bad_request("household_id names no household") from None
    await request.app[PANELS].reload()  # the listener knows it from now on
    return web.json_response(result, status=201)


@allow(*SUPERVISORS)
async def get_panel(request: web.Request) -> web.Response:
    """The account and its newest events (`limit`, default 50)."""
    hub = request.app[HUB_CONTEXT]
    account = request.match_info["account"]
    limit = query_limit(request, 50, 1000)

    def read() -> dict[str, Any] | None:
        panel = hub.store.panels.get(account)
        if panel is None:
            return None
        return {"panel": panel.as_dict(), "events": hub.store.panels.log_entries(account, limit)}

    found = await hub.db(read)
    if found is None:
        raise not_found("such panel")
    return web.json_response(found)


@allow(*SUPERVISORS)
async def delete_panel(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    account = request.match_info["account"]
    who = actor(session_of(request).user)

    def remove() -> dict[str, Any] | None:
        panel = hub.store.panels.remove(account)
        if panel is None:
            return None
        hub.store.audit.append(
            who, AuditAction.REGISTRY_CHANGE, f"panel:{panel.account}", hub.clock(), "deleted"
        )
        return {"panel": panel.as_dict()}

    removed = await hub.db(remove)
    if removed is None:
        raise not_found("such panel")
    await request.app[PANELS].reload()  # refused (DUH) from now on
    return web.json_response(removed)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/panels", list_panels)
    app.router.add_post("/api/v1/panels", add_panel)
    app.router.add_get("/api/v1/panels/{account}", get_panel)
    app.router.add_delete("/api/v1/panels/{account}", delete_panel)
