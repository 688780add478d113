"""The bodies of the service messages of the wire contract (docs/wire-contract.md, Service
requests). gateway.protocol parses and checks them; this package never imports the protocol,
so its message types are named here and gateway.protocol.MessageType carries the same values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from ..alarms import utc_iso
from .catalogue import ServiceType
from .lifecycle import Rating, ServiceAction, ServiceActor, ServiceStep

MAX_NOTE = 200  # what the senior or family add to a request ("kitchen tap")
MAX_NAME = 100  # a source, staff or provider name, as a person typed it
MAX_REASON = 200
MAX_SOURCE = 255  # an HA entity id, the longest source there is
MAX_COUNT = 10_000  # presses of one open request; more is a stuck key, not a person


class ServiceMessage(StrEnum):
    REQUESTED = "service.requested"  # gateway -> hub
    EVENT = "service.event"  # gateway -> hub
    STEP = "service.step"  # hub -> gateway


@dataclass(frozen=True, slots=True)
class ServiceRequestedBody:
    """The body of `service.requested`. Sent again, same `request_id`, with a higher `count`
    when the key is pressed again: the hub stores the request once and keeps the count."""

    request_id: str  # a ULID minted at home
    service: ServiceType
    occurred_at: datetime
    source: str  # stable: which key, button or action
    source_name: str = ""  # what the household calls it, for people
    note: str = ""
    count: int = 1

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "request_id": self.request_id,
            "service": self.service.value,
            "occurred_at": utc_iso(self.occurred_at),
            "source": self.source,
            "count": self.count,
        }
        if self.source_name:
            body["source_name"] = self.source_name
        if self.note:
            body["note"] = self.note
        return body


@dataclass(frozen=True, slots=True)
class ServiceEventBody:
    """The body of `service.event`: something the household did to its request. A `rated`
    event carries the rating; a `cancelled` one its reason."""

    request_id: str
    action: ServiceAction
    actor: ServiceActor
    occurred_at: datetime
    rating: Rating | None = None
    reason: str = ""

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "request_id": self.request_id,
            "action": self.action.value,
            "actor": self.actor.value,
            "occurred_at": utc_iso(self.occurred_at),
        }
        if self.rating is not None:
            body["rating"] = self.rating.stars
            if self.rating.comment:
                body["comment"] = self.rating.comment
        if self.reason:
            body["reason"] = self.reason
        return body


@dataclass(frozen=True, slots=True)
class ServiceStepBody:
    """The body of `service.step` (hub -> gateway): what staff did, who, and for `assigned`
    the provider and the promised arrival window. `by` the family (or senior) when they acted
    at the hub (the family page): a `cancelled`, or a `completed` that confirms the completed
    work, with their `rating` if they gave one; `staff_name` then names that person."""

    request_id: str
    step: ServiceStep
    staff_name: str
    at: datetime
    provider_name: str = ""
    window_start: datetime | None = None
    window_end: datetime | None = None
    reason: str = ""
    by: ServiceActor = ServiceActor.STAFF
    rating: Rating | None = None

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "request_id": self.request_id,
            "step": self.step.value,
            "staff_name": self.staff_name,
            "at": utc_iso(self.at),
        }
        if self.provider_name:
            body["provider_name"] = self.provider_name
        if self.window_start is not None:
            body["window_start"] = utc_iso(self.window_start)
        if self.window_end is not None:
            body["window_end"] = utc_iso(self.window_end)
        if self.reason:
            body["reason"] = self.reason
        if self.by is not ServiceActor.STAFF:  # absent: staff, as before `by` existed
            body["by"] = self.by.value
        if self.rating is not None:
            body["rating"] = self.rating.stars
            if self.rating.comment:
                body["comment"] = self.rating.comment
        return body
