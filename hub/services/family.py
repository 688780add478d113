"""The family's side of its own household's service requests (the family page): open and
past, what, when, who is coming and when, with no staff names or staff notes; and what the
family may do to them: cancel an open one with a reason, confirm a completed one with a
rating (1-5, a comment). The household comes from the session: another household's request
reads, and refuses, exactly as no request (404).

Each change is stored with who and when and its audit entry in one commit, and sent to the
home's gateways as a `service.step` `by` the family (docs/wire-contract.md), so the home
knows and can say so."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from gateway.services.lifecycle import MAX_COMMENT, InvalidRating, Rating, ServiceActor, ServiceStep
from gateway.services.wire import MAX_NAME, MAX_REASON

from ..core.accounts import User
from ..core.context import HUB_CONTEXT, HubContext
from ..core.desk_model import OutboundMessage
from ..core.service_store import HOUSEHOLD_ACTOR, ServiceRequest, StepDetails
from ..infra.http_json import bad_request, json_object, not_found, only_fields, optional_text
from ..policy import Role, allow
from ..web.access import actor, session_of
from .answers import service_refusals
from .steps import audit_service, push_service_step, queue_service_step, step_message_body

FAMILY_REQUESTS = 50
CANCEL_FIELDS = ("reason",)
CONFIRM_FIELDS = ("rating", "comment")
NO_SUCH_REQUEST = "such request"


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
        raise not_found(NO_SUCH_REQUEST)
    return web.json_response(view)


@allow(Role.FAMILY)
async def family_cancel(request: web.Request) -> web.Response:
    """`{reason}`: the family cancels an open request of its household (409 when it is
    completed or cancelled already)."""
    payload = only_fields(await json_object(request), CANCEL_FIELDS)
    reason = optional_text(payload, "reason", MAX_REASON)
    if not reason:
        raise bad_request("reason is required: say why the request is cancelled")
    details = StepDetails(reason=reason, cancelled_by=ServiceActor.FAMILY)

    def change(hub: HubContext, who: str, now: datetime) -> tuple[ServiceRequest, dict[str, Any]]:
        return hub.store.services.take_step(
            request.match_info["request_id"], ServiceStep.CANCELLED, who, now, details
        )

    found = await _family_change(request, change, ServiceStep.CANCELLED, "cancelled by family")
    return web.json_response({"request": found.for_family()})


@allow(Role.FAMILY)
async def family_confirm(request: web.Request) -> web.Response:
    """`{rating, comment?}`: the family confirms the completed work and rates it, 1 to 5 (a
    later rating replaces it; 409 when the request is not completed)."""
    payload = only_fields(await json_object(request), CONFIRM_FIELDS)
    stars = payload.get("rating")
    comment = optional_text(payload, "comment", MAX_COMMENT)
    try:
        if type(stars) is not int:  # 4.0, "4" and true are not stars
            raise InvalidRating("not a whole number")
        rating = Rating(stars, comment)
    except InvalidRating:
        raise bad_request("rating must be a whole number from 1 to 5") from None

    def change(hub: HubContext, who: str, now: datetime) -> tuple[ServiceRequest, dict[str, Any]]:
        rated = hub.store.services.rate(
            request.match_info["request_id"], rating.stars, rating.comment, who, now
        )
        return rated, {}

    found = await _family_change(
        request, change, ServiceStep.COMPLETED, f"confirmed, rated {rating.stars}", rating
    )
    return web.json_response({"request": found.for_family()})


async def _family_change(
    request: web.Request,
    change: Callable[[HubContext, str, datetime], tuple[ServiceRequest, dict[str, Any]]],
    step: ServiceStep,
    audited: str,
    rating: Rating | None = None,
) -> ServiceRequest:
    """One commit on the database thread: the household check, the store's change (with who
    and when), its audit entry and the `service.step` for each of the home's gateways; then
    the push to those connected. Refusals as the API's (404 for another household's)."""
    hub = request.app[HUB_CONTEXT]
    household_id = _household_id(request)
    user = session_of(request).user
    who = actor(user)
    request_id = request.match_info["request_id"]

    def record() -> tuple[ServiceRequest, list[OutboundMessage]]:
        known = hub.store.services.request(request_id)
        if known is None or known.household_id != household_id:
            raise KeyError(request_id)  # the same answer for another household's
        now = hub.clock()
        changed, detail = change(hub, who, now)
        audit_service(hub, who, changed.id, now, audited)
        body = step_message_body(
            changed, step, detail, _name(user), now, by=ServiceActor.FAMILY, rating=rating
        )
        return changed, queue_service_step(hub.store, household_id, body, now)

    with service_refusals(NO_SUCH_REQUEST):
        changed, queued = await hub.db(record)
    hub.live.publish_service(changed)  # the work-order pages and the family's other pages
    await push_service_step(hub, queued)
    return changed


def _name(user: User) -> str:
    """Who the home is told acted: the family member's name as the account has it."""
    return (user.display_name.strip() or user.username)[:MAX_NAME].strip() or "family"


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
    app.router.add_post("/api/v1/family/services/{request_id}/cancel", family_cancel)
    app.router.add_post("/api/v1/family/services/{request_id}/confirm", family_confirm)
