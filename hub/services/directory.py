"""The provider directory and households' entitlements over HTTP: staff read the directory
(to assign), supervisors and admins change it and see ratings per provider. Audited like the
registry: which fields, never their values."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.services.catalogue import ServiceType

from ..core.audit import AuditAction
from ..core.context import HUB_CONTEXT
from ..core.service_store import PROVIDER_FIELDS, service_list
from ..infra.http_json import bad_request, json_object, only_fields
from ..policy import STAFF, SUPERVISORS, allow
from ..web.access import actor, session_of
from .answers import service_call

PATCH_FIELDS = (*PROVIDER_FIELDS, "active")


@allow(*STAFF)
async def list_providers(request: web.Request) -> web.Response:
    """`?active=1`: only those staff may assign now."""
    hub = request.app[HUB_CONTEXT]
    active_only = request.query.get("active") in ("1", "true")
    providers = await hub.db(lambda: hub.store.services.providers(active_only=active_only))
    return web.json_response({"providers": [p.as_dict() for p in providers]})


@allow(*SUPERVISORS)
async def add_provider(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    fields = only_fields(await json_object(request), PROVIDER_FIELDS)
    who = actor(session_of(request).user)

    def add() -> dict[str, Any]:
        now = hub.clock()
        provider = hub.store.services.add_provider(now, **fields)
        hub.store.audit.registry_change(
            who, f"provider:{provider.id}", hub.clock(), "created", fields
        )
        return {"provider": provider.as_dict()}

    return web.json_response(await service_call(hub, add, "provider"), status=201)


@allow(*SUPERVISORS)
async def patch_provider(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    provider_id = request.match_info["provider_id"]
    fields = only_fields(await json_object(request), PATCH_FIELDS)
    who = actor(session_of(request).user)

    def change() -> dict[str, Any]:
        provider = hub.store.services.update_provider(provider_id, hub.clock(), **fields)
        hub.store.audit.registry_change(
            who, f"provider:{provider_id}", hub.clock(), "changed", fields
        )
        return {"provider": provider.as_dict()}

    return web.json_response(await service_call(hub, change, "such provider"))


@allow(*SUPERVISORS)
async def delete_provider(request: web.Request) -> web.Response:
    """Deactivates: no longer assignable; its requests and ratings stay."""
    hub = request.app[HUB_CONTEXT]
    provider_id = request.match_info["provider_id"]
    who = actor(session_of(request).user)

    def deactivate() -> dict[str, Any]:
        provider = hub.store.services.deactivate_provider(provider_id, hub.clock())
        hub.store.audit.append(
            who, AuditAction.REGISTRY_CHANGE, f"provider:{provider_id}", hub.clock(), "deactivated"
        )
        return {"provider": provider.as_dict()}

    return web.json_response(await service_call(hub, deactivate, "such provider"))


@allow(*SUPERVISORS)
async def provider_ratings(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    provider_id = request.match_info["provider_id"]

    def read() -> dict[str, Any]:
        provider = hub.store.services.provider(provider_id)
        if provider is None:
            raise KeyError(provider_id)
        rated = hub.store.services.provider_ratings(provider_id)
        ratings = [
            {
                "request_id": r.id,
                "service": r.service.value,
                "household_id": r.household_id,
                "rating": r.rating,
                "comment": r.rating_comment,
                "rated_at": r.rated_at,
                "completed_at": r.completed_at,
            }
            for r in rated
        ]
        average = round(sum(r.rating or 0 for r in rated) / len(rated), 2) if rated else None
        return {
            "provider": provider.as_dict(),
            "count": len(rated),
            "average": average,
            "ratings": ratings,
        }

    return web.json_response(await service_call(hub, read, "such provider"))


@allow(*SUPERVISORS)
async def get_entitlement(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    household_id = request.match_info["household_id"]

    def read() -> dict[str, Any]:
        if hub.store.registry.household(household_id) is None:
            raise KeyError(household_id)
        return _entitlement(household_id, hub.store.services.entitlement(household_id))

    return web.json_response(await service_call(hub, read, "household"))


@allow(*SUPERVISORS)
async def put_entitlement(request: web.Request) -> web.Response:
    """`{services: [...]}`: only these; `{services: null}`: every service (the default)."""
    hub = request.app[HUB_CONTEXT]
    household_id = request.match_info["household_id"]
    payload = only_fields(await json_object(request), ("services",))
    if "services" not in payload:
        raise bad_request("services is required (a list, or null for every service)")
    who = actor(session_of(request).user)

    def change() -> dict[str, Any]:
        raw = payload["services"]
        services = None if raw is None else service_list(raw)
        now = hub.clock()
        hub.store.services.set_entitlement(household_id, services, now)
        what = "all" if services is None else ", ".join(services) or "none"
        hub.store.audit.append(
            who, AuditAction.REGISTRY_CHANGE, f"household:{household_id}", now, f"services: {what}"
        )
        return _entitlement(household_id, services)

    answer = await service_call(hub, change, "household")
    await hub.gateways.push_config(household_id)  # the home learns what it may ask for
    return web.json_response(answer)


def _entitlement(household_id: str, services: tuple[ServiceType, ...] | None) -> dict[str, Any]:
    allowed = list(ServiceType) if services is None else list(services)
    return {"household_id": household_id, "all": services is None, "services": allowed}


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/services/providers", list_providers)
    app.router.add_post("/api/v1/services/providers", add_provider)
    app.router.add_patch("/api/v1/services/providers/{provider_id}", patch_provider)
    app.router.add_delete("/api/v1/services/providers/{provider_id}", delete_provider)
    app.router.add_get("/api/v1/services/providers/{provider_id}/ratings", provider_ratings)
    app.router.add_get("/api/v1/households/{household_id}/services", get_entitlement)
    app.router.add_put("/api/v1/households/{household_id}/services", put_entitlement)
