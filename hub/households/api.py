"""The household registry over HTTP: staff read it, supervisors and admins change it
(docs/hub-api.md). Every change is audited with the field names it touched, never the
values (they are personal data)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC
from typing import Any

from aiohttp import web

from gateway.alarms import utc_iso

from ..core.audit import AuditAction
from ..core.context import HUB_CONTEXT, HubContext
from ..core.household_view import household_for_staff, resident_for_staff
from ..core.registry import RegistryError
from ..core.storage import ENROLLMENT_CODE_LIFETIME
from ..infra.http_json import bad_request, json_object, not_found, only_fields
from ..policy import STAFF, SUPERVISORS, allow
from ..web.access import actor, session_of

HOUSEHOLD_FIELDS = ("name", "address", "building", "unit", "grid_area", "notes")
RESIDENT_FIELDS = (
    "name",
    "birth_year",
    "conditions",
    "medications",
    "allergies",
    "mobility",
    "thresholds",
)


@allow(*STAFF)
async def list_households(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    households = await hub.db(hub.store.registry.households)
    return web.json_response({"households": [asdict(h) for h in households]})


@allow(*STAFF)
async def get_household(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    household_id = request.match_info["household_id"]
    viewer = actor(session_of(request).user)

    def read() -> dict[str, Any]:
        now = hub.clock()
        view = household_for_staff(hub.store, household_id, now)
        hub.store.audit.append(viewer, AuditAction.VIEW_MEDICAL, f"household:{household_id}", now)
        return view

    return web.json_response(await _registry_call(hub, read, "household"))


@allow(*SUPERVISORS)
async def create_household(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    fields = only_fields(await json_object(request), HOUSEHOLD_FIELDS)
    who = actor(session_of(request).user)

    def create() -> dict[str, Any]:
        values = {"name": "", "address": "", **fields}
        if not isinstance(values["address"], str) or not values["address"].strip():
            raise RegistryError("address is required")
        created = hub.store.create_household("", "", hub.clock())
        # Validation lives in update_household; a refusal rolls the insert back with it.
        household = hub.store.registry.update_household(created.id, **values)
        hub.store.audit.registry_change(
            who, f"household:{household.id}", hub.clock(), "created", fields
        )
        return {"household": asdict(household)}

    return web.json_response(await _registry_call(hub, create, "household"), status=201)


@allow(*SUPERVISORS)
async def patch_household(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    household_id = request.match_info["household_id"]
    fields = only_fields(await json_object(request), HOUSEHOLD_FIELDS)
    who = actor(session_of(request).user)

    def change() -> dict[str, Any]:
        household = hub.store.registry.update_household(household_id, **fields)
        hub.store.audit.registry_change(
            who, f"household:{household_id}", hub.clock(), "changed", fields
        )
        return {"household": asdict(household)}

    return web.json_response(await _registry_call(hub, change, "household"))


@allow(*SUPERVISORS)
async def add_resident(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    household_id = request.match_info["household_id"]
    fields = only_fields(await json_object(request), RESIDENT_FIELDS)
    who = actor(session_of(request).user)

    def add() -> dict[str, Any]:
        now = hub.clock()
        details = dict(fields)
        name = details.pop("name", "")
        resident = hub.store.registry.add_resident(household_id, name, now, **details)
        hub.store.audit.registry_change(
            who, f"resident:{resident.id}", hub.clock(), "created", fields
        )
        return {"resident": resident_for_staff(resident, now)}

    result = await _registry_call(hub, add, "household")
    # A new resident, with or without thresholds: the home's monitor picker lists them.
    await hub.gateways.push_config(household_id)
    return web.json_response(result, status=201)


@allow(*SUPERVISORS)
async def patch_resident(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    resident_id = request.match_info["resident_id"]
    fields = only_fields(await json_object(request), RESIDENT_FIELDS)
    who = actor(session_of(request).user)

    def change() -> tuple[str, dict[str, Any]]:
        now = hub.clock()
        resident = hub.store.registry.update_resident(resident_id, now, **fields)
        hub.store.audit.registry_change(
            who, f"resident:{resident_id}", hub.clock(), "changed", fields
        )
        return resident.household_id, {"resident": resident_for_staff(resident, now)}

    household_id, result = await _registry_call(hub, change, "resident")
    if "thresholds" in fields or "name" in fields:
        # The home's safety engine alarms on the new bounds from its next reading on; the
        # monitor picker shows the new name.
        await hub.gateways.push_config(household_id)
    return web.json_response(result)


@allow(*SUPERVISORS)
async def put_contacts(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    household_id = request.match_info["household_id"]
    contacts = (await json_object(request)).get("contacts")
    if not isinstance(contacts, list) or not all(isinstance(c, dict) for c in contacts):
        raise bad_request("contacts must be a list of {name, phone, relation}")
    who = actor(session_of(request).user)

    def replace() -> dict[str, Any]:
        stored = hub.store.registry.set_contacts(household_id, contacts)
        hub.store.audit.append(
            who,
            AuditAction.REGISTRY_CHANGE,
            f"household:{household_id}",
            hub.clock(),
            f"contacts replaced ({len(stored)})",
        )
        return {"contacts": [asdict(c) for c in stored]}

    return web.json_response(await _registry_call(hub, replace, "household"))


@allow(*SUPERVISORS)
async def enrollment_code(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    household_id = request.match_info["household_id"]
    who = actor(session_of(request).user)

    def mint() -> dict[str, Any]:
        now = hub.clock()
        code = hub.store.mint_enrollment_code(household_id, now)
        hub.store.audit.append(
            who, AuditAction.REGISTRY_CHANGE, f"household:{household_id}", now, "enrollment code"
        )
        expires = (now + ENROLLMENT_CODE_LIFETIME).astimezone(UTC)
        return {"code": code, "expires_at": utc_iso(expires)}

    return web.json_response(await _registry_call(hub, mint, "household"), status=201)


async def _registry_call[T](hub: HubContext, function: Callable[[], T], what: str) -> T:
    """Run a registry change on the database thread; its refusals become 400 / 404."""
    try:
        return await hub.db(function)
    except RegistryError as err:
        raise bad_request(str(err)) from None
    except KeyError:
        raise not_found(what) from None


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/households", list_households)
    app.router.add_post("/api/v1/households", create_household)
    app.router.add_get("/api/v1/households/{household_id}", get_household)
    app.router.add_patch("/api/v1/households/{household_id}", patch_household)
    app.router.add_post("/api/v1/households/{household_id}/residents", add_resident)
    app.router.add_put("/api/v1/households/{household_id}/contacts", put_contacts)
    app.router.add_post("/api/v1/households/{household_id}/enrollment-code", enrollment_code)
    app.router.add_patch("/api/v1/residents/{resident_id}", patch_resident)
