"""What the host tells the service desk: presses and answers at home, and the hub's word."""

from __future__ import annotations

from dataclasses import dataclass

from .catalogue import ServiceType
from .lifecycle import Rating, ServiceActor
from .wire import ServiceStepBody


@dataclass(frozen=True, slots=True)
class ServicePressed:
    """A request for a service from any source: a remote's key, a dashboard button, the
    action, an Assist sentence. `service` may be text from the user (an action's field): the
    desk refuses what the catalogue does not name."""

    source: str
    service: ServiceType | str
    source_name: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class ServiceCancelled:
    """Cancel a request: by id, else the open one of `service`, else the newest open one."""

    actor: ServiceActor
    request_id: str | None = None
    service: ServiceType | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ServiceConfirmed:
    """The senior or family confirm the completed work."""

    request_id: str
    actor: ServiceActor


@dataclass(frozen=True, slots=True)
class ServiceRated:
    request_id: str
    actor: ServiceActor
    rating: Rating


@dataclass(frozen=True, slots=True)
class HubServiceStep:
    """A verified `service.step` from the care center."""

    step: ServiceStepBody


@dataclass(frozen=True, slots=True)
class HubReceived:
    """The hub acked the `service.requested` of this request."""

    request_id: str


@dataclass(frozen=True, slots=True)
class LinkChanged:
    """Whether the link to the hub is up: a request made while it is down is announced as
    kept for later at once, not after the ack wait."""

    up: bool


type ServiceObservation = (
    ServicePressed
    | ServiceCancelled
    | ServiceConfirmed
    | ServiceRated
    | HubServiceStep
    | HubReceived
    | LinkChanged
)
