"""What the service desk asks the host to do. The host carries each one out."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .catalogue import ServiceType
from .lifecycle import ServiceAction, ServiceStep
from .phrases import Phrase
from .request import ServiceRequest
from .wire import ServiceMessage


@dataclass(frozen=True, slots=True)
class SendToHub:
    """Queue a message in the outbox (a new message id each time); `request_id` lets the host
    tell the desk when the hub acked a `service.requested` (HubReceived)."""

    type: ServiceMessage
    body: dict[str, Any]
    request_id: str


class ServiceMoment(StrEnum):
    """What happened to a request besides a staff step or a household action."""

    REQUESTED = "requested"
    REPORTED = "reported"  # the hub acked it


type ServiceChange = ServiceMoment | ServiceStep | ServiceAction


@dataclass(frozen=True, slots=True)
class ServiceChanged:
    """A request was made or changed (for HA's events and sensors): a copy of it as it
    stands now, and what happened."""

    request: ServiceRequest
    what: ServiceChange


@dataclass(frozen=True, slots=True)
class Announce:
    """Say a phrase in the home (TTS), rendered in the household's language by the host."""

    phrase: Phrase
    service: ServiceType
    request_id: str
    params: dict[str, str] = field(default_factory=dict)


type ServiceEffect = SendToHub | ServiceChanged | Announce
