"""The household's service desk: observations in, effects out, timers as deadlines.

Like the safety engine it never waits and does no I/O; the host calls `handle` for each
observation, `tick` at `next_deadline()`, carries out `take_effects()` and stores `to_dict()`.
It shares nothing with the alarm desk: a request for a plumber never becomes an alarm.

Refusals are exceptions (ServiceRefused) raised before anything changes, so a refused
observation leaves the desk exactly as it was.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from ..ulid import new_ulid
from .catalogue import ServiceType
from .effects import (
    Announce,
    SendToHub,
    ServiceChange,
    ServiceChanged,
    ServiceEffect,
    ServiceMoment,
)
from .lifecycle import (
    HOUSEHOLD_ACTORS,
    ServiceAction,
    ServiceActor,
    ServiceStatus,
    ServiceStep,
    can_step,
    may_rate,
)
from .observations import (
    HubReceived,
    HubServiceStep,
    LinkChanged,
    ServiceCancelled,
    ServiceConfirmed,
    ServiceObservation,
    ServicePressed,
    ServiceRated,
)
from .phrases import Phrase
from .request import ServiceRequest
from .wire import (
    MAX_COUNT,
    MAX_NOTE,
    ServiceEventBody,
    ServiceMessage,
    ServiceRequestedBody,
    ServiceStepBody,
)

# How long the hub may take to ack before the home says the request waits for the link.
ACK_WAIT = timedelta(seconds=5)
KEPT_CLOSED = 50  # closed requests kept for the history shown at home, newest
DEFAULT_CANCEL_REASON = "cancelled at home"
_STORAGE_VERSION = 1


class ServiceRefused(Exception):
    """An observation the desk refuses; nothing changed."""


class UnknownService(ServiceRefused):
    def __init__(self, service: str) -> None:
        super().__init__(f"no such service: {service[:40]!r}")
        self.service = service


class NotEntitled(ServiceRefused):
    def __init__(self, service: ServiceType) -> None:
        super().__init__(f"this household is not offered {service.value}")
        self.service = service


class UnknownRequest(ServiceRefused):
    def __init__(self, request_id: str | None) -> None:
        super().__init__(f"no such request here: {request_id!r}")
        self.request_id = request_id


class NotCompleted(ServiceRefused):
    """Confirming or rating a request that is not completed."""

    def __init__(self, request: ServiceRequest) -> None:
        super().__init__(f"request {request.id} is {request.status.value}, not completed")
        self.request_id = request.id
        self.status = request.status


class StepOutOfOrder(ServiceRefused):
    def __init__(self, request: ServiceRequest, to: ServiceStatus) -> None:
        super().__init__(f"request {request.id} cannot go from {request.status.value} to {to}")
        self.request_id = request.id
        self.status = request.status
        self.to = to


class NotAllowed(ServiceRefused):
    """Someone acting where they may not (staff through the household's own actions)."""


class ServiceDesk:
    def __init__(
        self,
        saved: dict[str, Any] | None = None,
        *,
        entitled: frozenset[ServiceType] | None = None,
    ) -> None:
        """`entitled`: the services the care center offers this household, from the hub's
        config; None until it is known, and then every service is allowed."""
        saved = saved or {}
        self.entitled = entitled
        # Whether the hub has said (kept, so a home restarting offline still knows).
        self.entitlement_known = entitled is not None
        if "entitled" in saved:
            self.entitled = _entitled(saved["entitled"])
            self.entitlement_known = True
        self.link_up = True  # until the host says otherwise; the ack wait covers the rest
        self._requests: dict[str, ServiceRequest] = {
            data["id"]: ServiceRequest.from_dict(data) for data in saved.get("requests", [])
        }
        self._effects: list[ServiceEffect] = []

    # The host's side

    def handle(self, observation: ServiceObservation, now: datetime) -> None:
        match observation:
            case ServicePressed():
                self._pressed(observation, now)
            case ServiceCancelled():
                self._cancelled(observation, now)
            case ServiceConfirmed(request_id, actor):
                self._confirmed(self._request(request_id), actor, now)
            case ServiceRated(request_id, actor, rating):
                request = self._request(request_id)
                self._household_actor(actor)
                if not may_rate(request.status):
                    raise NotCompleted(request)
                request.rating = rating
                self._event(request, ServiceAction.RATED, actor, now)
                self._say(request, Phrase.RATED)
            case HubServiceStep(step):
                self._stepped(step, now)
            case HubReceived(request_id):
                self._received(request_id, now)
            case LinkChanged(up):
                self.link_up = up

    def tick(self, now: datetime) -> None:
        for request in self._requests.values():
            if request.ack_due is not None and request.ack_due <= now:
                request.ack_due = None
                self._say(request, Phrase.QUEUED_OFFLINE)

    def next_deadline(self) -> datetime | None:
        return min((r.ack_due for r in self._requests.values() if r.ack_due), default=None)

    def entitle(self, services: Iterable[ServiceType] | None) -> bool:
        """The hub's config said what the household may ask for (None: every service, as an
        older hub says it). True when that is news: the first word, or a change."""
        entitled = None if services is None else frozenset(services)
        news = not self.entitlement_known or entitled != self.entitled
        self.entitled, self.entitlement_known = entitled, True
        return news

    def offered(self) -> frozenset[ServiceType]:
        """The services the household may ask for now."""
        return frozenset(ServiceType) if self.entitled is None else self.entitled

    def take_effects(self) -> list[ServiceEffect]:
        effects, self._effects = self._effects, []
        return effects

    def open_requests(self) -> list[ServiceRequest]:
        return [r for r in self._requests.values() if r.open]

    def requests(self) -> list[ServiceRequest]:
        """Every request kept, oldest first (ULIDs sort by time)."""
        return [self._requests[key] for key in sorted(self._requests)]

    def get(self, request_id: str) -> ServiceRequest | None:
        return self._requests.get(request_id)

    def to_dict(self) -> dict[str, Any]:
        saved: dict[str, Any] = {
            "version": _STORAGE_VERSION,
            "requests": [request.to_dict() for request in self.requests()],
        }
        if self.entitlement_known:  # absent: the hub has not said yet
            entitled = self.entitled
            saved["entitled"] = None if entitled is None else sorted(s.value for s in entitled)
        return saved

    # Household

    def _pressed(self, pressed: ServicePressed, now: datetime) -> None:
        service = self._service(pressed.service)
        note = pressed.note.strip()[:MAX_NOTE]
        open_one = next((r for r in self.open_requests() if r.service is service), None)
        if open_one is not None:  # the same key again: the same request, counted
            open_one.count = min(open_one.count + 1, MAX_COUNT)
            if note and not open_one.note:
                open_one.note = note
            self._event(open_one, ServiceAction.REPEATED, ServiceActor.SENIOR, now)
            self._say(open_one, Phrase.REPEATED)
            return
        request = ServiceRequest(
            id=new_ulid(),
            service=service,
            source=pressed.source,
            requested_at=now,
            source_name=pressed.source_name.strip(),
            note=note,
            updated_at=now,
        )
        self._requests[request.id] = request
        body = ServiceRequestedBody(
            request.id,
            service,
            now,
            request.source,
            request.source_name,
            request.note,
            request.count,
        )
        self._emit(SendToHub(ServiceMessage.REQUESTED, body.to_body(), request.id))
        self._changed(request, ServiceMoment.REQUESTED)
        if self.link_up:
            request.ack_due = now + ACK_WAIT
        else:
            self._say(request, Phrase.QUEUED_OFFLINE)

    def _cancelled(self, cancel: ServiceCancelled, now: datetime) -> None:
        self._household_actor(cancel.actor)
        if cancel.request_id is not None:
            request = self._request(cancel.request_id)
        else:
            candidates = [
                r
                for r in self.open_requests()
                if cancel.service is None or r.service is cancel.service
            ]
            if not candidates:
                raise UnknownRequest(None)
            request = max(candidates, key=lambda r: r.id)
        if not request.open:
            raise StepOutOfOrder(request, ServiceStatus.CANCELLED)
        request.status = ServiceStatus.CANCELLED
        request.cancelled_by = cancel.actor
        request.reason = cancel.reason.strip()[:MAX_NOTE] or DEFAULT_CANCEL_REASON
        request.ack_due = None
        self._event(request, ServiceAction.CANCELLED, cancel.actor, now, reason=request.reason)
        self._say(request, Phrase.CANCELLED_AT_HOME)
        self._forget_old()

    def _confirmed(self, request: ServiceRequest, actor: ServiceActor, now: datetime) -> None:
        self._household_actor(actor)
        if not may_rate(request.status):
            raise NotCompleted(request)
        request.confirmed_by = actor
        self._event(request, ServiceAction.CONFIRMED, actor, now)
        self._say(request, Phrase.CONFIRMED)

    # Care center

    def _received(self, request_id: str, now: datetime) -> None:
        request = self._requests.get(request_id)
        if request is None or request.reported:
            return  # an ack for a request long forgotten, or a second ack: nothing to say
        self._reported(request, now)
        if request.status is ServiceStatus.REQUESTED:  # a staff step already said more
            self._say(request, Phrase.RECEIVED)

    def _reported(self, request: ServiceRequest, now: datetime) -> None:
        request.reported = True
        request.ack_due = None
        request.updated_at = now
        self._changed(request, ServiceMoment.REPORTED)

    def _stepped(self, step: ServiceStepBody, now: datetime) -> None:
        request = self._request(step.request_id)
        if step.by is not ServiceActor.STAFF:
            self._family_stepped(request, step, now)
            return
        to = step.step.status
        if not can_step(request.status, to):
            raise StepOutOfOrder(request, to)
        if not request.reported:  # a step means the hub has it, even if its ack was lost
            request.reported = True
            request.ack_due = None
        request.status = to
        request.staff_name = step.staff_name
        request.updated_at = now
        if step.step is ServiceStep.ASSIGNED:
            request.provider_name = step.provider_name
            request.window_start, request.window_end = step.window_start, step.window_end
        if step.step is ServiceStep.CANCELLED:
            request.cancelled_by = ServiceActor.STAFF
            request.reason = step.reason
        self._changed(request, step.step)
        self._say_step(request, step.step, now)
        self._forget_old()

    def _family_stepped(
        self, request: ServiceRequest, step: ServiceStepBody, now: datetime
    ) -> None:
        """The family acted on the family page: a cancellation, or a confirmation of the
        completed work with their rating. Nothing goes back to the hub (it has it); the home
        is told, so the senior knows."""
        if step.step is ServiceStep.CANCELLED:
            if not request.open:
                raise StepOutOfOrder(request, ServiceStatus.CANCELLED)
            request.status = ServiceStatus.CANCELLED
            request.cancelled_by = step.by
            request.reason = step.reason
            request.ack_due = None
            request.updated_at = now
            self._changed(request, ServiceAction.CANCELLED)
            self._say(request, Phrase.CANCELLED_BY_FAMILY, reason=request.reason)
            self._forget_old()
            return
        if not may_rate(request.status):
            raise NotCompleted(request)
        request.confirmed_by = step.by
        if step.rating is not None:
            request.rating = step.rating
        request.updated_at = now
        self._changed(request, ServiceAction.CONFIRMED)
        self._say(request, Phrase.CONFIRMED_BY_FAMILY)

    def _say_step(self, request: ServiceRequest, step: ServiceStep, now: datetime) -> None:
        match step:
            case ServiceStep.ACCEPTED:
                self._say(request, Phrase.ACCEPTED)
            case ServiceStep.ASSIGNED:
                self._say_assigned(request, now)
            case ServiceStep.ARRIVED:
                self._say(request, Phrase.ARRIVED)
            case ServiceStep.COMPLETED:
                self._say(request, Phrase.COMPLETED)
            case ServiceStep.CANCELLED:
                self._say(request, Phrase.CANCELLED_BY_STAFF, reason=request.reason)

    def _say_assigned(self, request: ServiceRequest, now: datetime) -> None:
        provider = request.provider_name
        start, end = request.window_start, request.window_end
        if start is not None and start > now:
            self._say(
                request, Phrase.ASSIGNED_ETA, provider=provider, minutes=_minutes(start - now)
            )
        elif end is not None and end > now:
            self._say(
                request, Phrase.ASSIGNED_WITHIN, provider=provider, minutes=_minutes(end - now)
            )
        else:  # no window, or one already past: no time to promise
            self._say(request, Phrase.ASSIGNED, provider=provider)

    # Helpers

    def _service(self, service: ServiceType | str) -> ServiceType:
        try:
            chosen = ServiceType(service)
        except ValueError as err:
            raise UnknownService(str(service)) from err
        if self.entitled is not None and chosen not in self.entitled:
            raise NotEntitled(chosen)
        return chosen

    def _request(self, request_id: str) -> ServiceRequest:
        request = self._requests.get(request_id)
        if request is None:
            raise UnknownRequest(request_id)
        return request

    @staticmethod
    def _household_actor(actor: ServiceActor) -> None:
        if actor not in HOUSEHOLD_ACTORS:
            raise NotAllowed(f"{actor.value} acts through the care center, not at home")

    def _event(
        self,
        request: ServiceRequest,
        action: ServiceAction,
        actor: ServiceActor,
        now: datetime,
        *,
        reason: str = "",
    ) -> None:
        request.updated_at = now
        rating = request.rating if action is ServiceAction.RATED else None
        body = ServiceEventBody(request.id, action, actor, now, rating, reason)
        self._emit(SendToHub(ServiceMessage.EVENT, body.to_body(), request.id))
        self._changed(request, action)

    def _changed(self, request: ServiceRequest, what: ServiceChange) -> None:
        self._emit(ServiceChanged(replace(request), what))

    def _say(self, request: ServiceRequest, phrase: Phrase, **params: str) -> None:
        self._emit(Announce(phrase, request.service, request.id, params))

    def _emit(self, effect: ServiceEffect) -> None:
        self._effects.append(effect)

    def _forget_old(self) -> None:
        closed = [r for r in self.requests() if not r.open]
        for request in closed[:-KEPT_CLOSED]:
            del self._requests[request.id]


def _entitled(saved: list[str] | None) -> frozenset[ServiceType] | None:
    """A saved entitlement; a service this release does not know (a newer one saved it) is
    dropped, not the list."""
    if saved is None:
        return None
    known = {service.value for service in ServiceType}
    return frozenset(ServiceType(value) for value in saved if value in known)


def _minutes(span: timedelta) -> str:
    return str(max(1, math.ceil(span.total_seconds() / 60)))
