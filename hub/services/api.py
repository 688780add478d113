"""Work orders over HTTP (docs/hub-api.md, "Service requests"): staff list and open them,
take a request by phone, move each through its steps, and record the household's rating.
A lane of its own: nothing here touches the alarm queue, its feed or its endpoints."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.services.catalogue import SERVICE_NAMES
from gateway.services.lifecycle import ServiceActor, ServiceStep
from gateway.ulid import new_ulid

from ..core.context import HUB_CONTEXT
from ..core.service_store import (
    MAX_NOTE,
    RecordedService,
    RecordOutcome,
    ServiceRequest,
    StepDetails,
    service_type,
)
from ..infra.http_json import bad_request, json_object, only_fields, optional_text, query_limit
from ..policy import STAFF, Role, allow
from ..web.access import actor, session_of
from .answers import body_time, service_call, service_refusals
from .steps import audit_service, take_service_step

STEP_FIELDS = ("step", "note", "provider_id", "window_start", "window_end", "reason", "by")
CALL_FIELDS = ("household_id", "service", "note")
RATING_FIELDS = ("rating", "comment")


@allow(*STAFF, Role.FAMILY)
async def catalogue(request: web.Request) -> web.Response:
    """The services with their names in both languages."""
    services = [
        {"service": kind.value, "zh": names.zh, "en": names.en}
        for kind, names in SERVICE_NAMES.items()
    ]
    return web.json_response({"services": services})


@allow(*STAFF)
async def list_work_orders(request: web.Request) -> web.Response:
    """Open work orders first (longest waiting first), then closed ones, newest first;
    `?open=1`: the open ones only."""
    hub = request.app[HUB_CONTEXT]
    limit = query_limit(request, 500, 1000)
    include_closed = request.query.get("open") not in ("1", "true")
    orders = await hub.db(
        lambda: hub.store.services.work_orders(include_closed=include_closed, limit=limit)
    )
    return web.json_response({"requests": [order.as_dict() for order in orders]})


@allow(*STAFF)
async def work_order(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    request_id = request.match_info["request_id"]

    def read() -> dict[str, Any]:
        found = hub.store.services.request(request_id)
        if found is None:
            raise KeyError(request_id)
        return {"request": found.as_dict(), "steps": hub.store.services.steps(found.id)}

    return web.json_response(await service_call(hub, read, "such request"))


@allow(*STAFF)
async def take_call(request: web.Request) -> web.Response:
    """A senior asked by phone: staff record the request for them (a hub-made id)."""
    hub = request.app[HUB_CONTEXT]
    payload = only_fields(await json_object(request), CALL_FIELDS)
    household_id = payload.get("household_id")
    if not isinstance(household_id, str) or not household_id:
        raise bad_request("household_id is required")
    service = payload.get("service")
    note = optional_text(payload, "note", MAX_NOTE)
    who = actor(session_of(request).user)

    def record() -> RecordedService:
        now = hub.clock()
        recorded = hub.store.services.record_requested(
            household_id, new_ulid(), service_type(service), now, note=note, actor=who
        )
        audit_service(hub, who, recorded.request.id, now, f"taken by phone: {recorded.outcome}")
        return recorded

    recorded = await service_call(hub, record, "such household")
    if recorded.outcome is not RecordOutcome.ALREADY_HAD:
        hub.live.publish_service(recorded.request)
    return web.json_response(
        {"request": recorded.request.as_dict(), "outcome": recorded.outcome.value}, status=201
    )


@allow(*STAFF)
async def post_step(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    payload = only_fields(await json_object(request), STEP_FIELDS)
    try:
        step = ServiceStep(str(payload.get("step")))
    except ValueError:
        raise bad_request(f"step must be one of {', '.join(ServiceStep)}") from None
    try:
        cancelled_by = ServiceActor(str(payload.get("by") or ServiceActor.STAFF))
    except ValueError:
        raise bad_request(f"by must be one of {', '.join(ServiceActor)}") from None
    provider_id = payload.get("provider_id")
    if provider_id is not None and not isinstance(provider_id, str):
        raise bad_request("provider_id must be text")
    details = StepDetails(
        note=optional_text(payload, "note", MAX_NOTE),
        provider_id=provider_id or None,
        window_start=body_time(payload, "window_start"),
        window_end=body_time(payload, "window_end"),
        reason=optional_text(payload, "reason", MAX_NOTE),
        cancelled_by=cancelled_by,
    )
    user = session_of(request).user

    with service_refusals("such request"):
        found = await take_service_step(
            hub,
            request.match_info["request_id"],
            step,
            user.username,
            details,
            staff_name=user.display_name,
        )
    return web.json_response({"request": found.as_dict()})


@allow(*STAFF)
async def post_rating(request: web.Request) -> web.Response:
    """The senior's or family's rating, as they gave it to staff (1-5, a comment)."""
    hub = request.app[HUB_CONTEXT]
    payload = only_fields(await json_object(request), RATING_FIELDS)
    rating = payload.get("rating")
    comment = optional_text(payload, "comment", MAX_NOTE)
    request_id = request.match_info["request_id"]
    who = actor(session_of(request).user)

    def rate() -> ServiceRequest:
        now = hub.clock()
        rated = hub.store.services.rate(request_id, rating, comment, who, now)
        audit_service(hub, who, rated.id, now, f"rated {rating}")
        return rated

    rated = await service_call(hub, rate, "such request")
    hub.live.publish_service(rated)
    return web.json_response({"request": rated.as_dict()})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/services/catalogue", catalogue)
    app.router.add_get("/api/v1/services/requests", list_work_orders)
    app.router.add_post("/api/v1/services/requests", take_call)
    app.router.add_get("/api/v1/services/requests/{request_id}", work_order)
    app.router.add_post("/api/v1/services/requests/{request_id}/steps", post_step)
    app.router.add_post("/api/v1/services/requests/{request_id}/rating", post_rating)
