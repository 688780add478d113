"""A staff step on a work order, from the API to the household: stored with its audit entry
in one commit, and sent to the home's gateways as `service.step` (kept until each acks it,
like the desk's `alarm.*` steps), so the home can say "师傅预计 30 分钟后到"."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gateway.protocol import MessageType, service_step_body
from gateway.services.lifecycle import Rating, ServiceActor, ServiceStep
from gateway.services.wire import MAX_NAME, MAX_REASON, ServiceStepBody

from ..core.audit import AuditAction
from ..core.context import HubContext
from ..core.desk_model import OutboundMessage
from ..core.service_store import ServiceRequest, StepDetails
from ..core.storage import HubStore

# The wire message of every staff step on a service request (hub -> gateway). A gateway of
# an older release does not know it and leaves it unacked: it waits at the hub for an upgrade.
SERVICE_STEP_MESSAGE = MessageType.SERVICE_STEP


async def take_service_step(
    hub: HubContext,
    request_id: str,
    step: ServiceStep,
    staff: str,
    details: StepDetails,
    *,
    staff_name: str = "",
) -> ServiceRequest:
    """KeyError for an unknown request; ServiceRefused / ServiceError as the store says.
    `staff` is the user name (the record's), `staff_name` the name the home is told."""

    def record() -> tuple[ServiceRequest, list[OutboundMessage]]:
        now = hub.clock()
        request, detail = hub.store.services.take_step(
            request_id, step, f"staff:{staff}", now, details
        )
        audit_service(hub, f"staff:{staff}", request.id, now, step.value)
        body = step_message_body(request, step, detail, staff_name or staff, now)
        return request, queue_service_step(hub.store, request.household_id, body, now)

    request, queued = await hub.db(record)
    hub.live.publish_service(request)  # the work-order pages and the family's, at once
    await push_service_step(hub, queued)
    return request


def step_message_body(
    request: ServiceRequest,
    step: ServiceStep,
    detail: dict[str, Any],
    staff_name: str,
    now: datetime,
    *,
    by: ServiceActor = ServiceActor.STAFF,
    rating: Rating | None = None,
) -> dict[str, Any]:
    """What the household is told of a step (docs/wire-contract.md, `service.step`): which
    request, what happened, for an assignment who is coming and when, for a cancellation
    why; `by` the family for what they did on the family page (with their rating). Checked
    as the gateway checks it, so a mistake here never reaches a home."""
    assigned = step is ServiceStep.ASSIGNED
    return service_step_body(
        ServiceStepBody(
            request_id=request.id,
            step=step,
            # The hub keeps longer names and reasons than the wire carries: the home is told
            # their start, never refused the whole step.
            staff_name=staff_name[:MAX_NAME],
            at=now,
            provider_name=str(detail.get("provider", ""))[:MAX_NAME] if assigned else "",
            window_start=_time(detail.get("window_start")) if assigned else None,
            window_end=_time(detail.get("window_end")) if assigned else None,
            reason=str(detail.get("reason", ""))[:MAX_REASON],
            by=by,
            rating=rating,
        )
    )


def _time(text: object) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) and text else None


def queue_service_step(
    store: HubStore, household_id: str, body: dict[str, Any], now: datetime
) -> list[OutboundMessage]:
    """On the database thread, inside the step's commit: one stored message per active
    gateway of the household."""
    return [
        OutboundMessage(
            store.queue_outbound(gateway.id, SERVICE_STEP_MESSAGE, body, now),
            gateway.id,
            SERVICE_STEP_MESSAGE,
            body,
        )
        for gateway in store.household_gateways(household_id)
    ]


async def push_service_step(hub: HubContext, queued: list[OutboundMessage]) -> None:
    """The push to the gateways: at once to a connected one; the others get it after their
    next hello (the gateways slice sends whatever is pending)."""
    for message in queued:
        await hub.gateways.push(message)


def audit_service(hub: HubContext, who: str, request_id: str, now: datetime, what: str) -> None:
    """On the database thread, in the change's own commit."""
    hub.store.audit.append(who, AuditAction.SERVICE_STEP, f"service:{request_id}", now, what)
