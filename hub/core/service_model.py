"""A service request's lifecycle as the hub needs it: its statuses, the steps staff take, and
which step may follow which.

requested -> accepted -> assigned (a provider, a promised window) -> arrived -> completed,
or cancelled (with a reason and by whom) from any open status. Steps go forward only;
accepting may be skipped (assigning accepts), arriving may not (completed needs arrived),
and an assigned request may be assigned again (another provider, another window).

The one module to swap for the shared gateway/services/lifecycle.py once it exists: the
status and step values are the wire's strings.
"""

from __future__ import annotations

from enum import StrEnum


class ServiceStatus(StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    ASSIGNED = "assigned"
    ARRIVED = "arrived"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def open(self) -> bool:
        return self not in (ServiceStatus.COMPLETED, ServiceStatus.CANCELLED)


class ServiceStep(StrEnum):
    """What staff do to a request; each step's value is the status it leads to."""

    ACCEPTED = "accepted"
    ASSIGNED = "assigned"
    ARRIVED = "arrived"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def status(self) -> ServiceStatus:
        return ServiceStatus(self.value)


class CancelledBy(StrEnum):
    SENIOR = "senior"
    FAMILY = "family"
    STAFF = "staff"


# Which steps each status allows.
NEXT_STEPS: dict[ServiceStatus, frozenset[ServiceStep]] = {
    ServiceStatus.REQUESTED: frozenset(
        {ServiceStep.ACCEPTED, ServiceStep.ASSIGNED, ServiceStep.CANCELLED}
    ),
    ServiceStatus.ACCEPTED: frozenset({ServiceStep.ASSIGNED, ServiceStep.CANCELLED}),
    ServiceStatus.ASSIGNED: frozenset(
        {ServiceStep.ASSIGNED, ServiceStep.ARRIVED, ServiceStep.CANCELLED}
    ),
    ServiceStatus.ARRIVED: frozenset({ServiceStep.COMPLETED, ServiceStep.CANCELLED}),
    ServiceStatus.COMPLETED: frozenset(),
    ServiceStatus.CANCELLED: frozenset(),
}

# What a step out of order needs first, for the refusal's words.
_NEEDS: dict[ServiceStep, str] = {
    ServiceStep.ACCEPTED: "a request not yet accepted",
    ServiceStep.ASSIGNED: "a request not yet arrived",
    ServiceStep.ARRIVED: "a provider assigned first",
    ServiceStep.COMPLETED: "the provider to have arrived first",
    ServiceStep.CANCELLED: "an open request",
}


class ServiceStepRefused(ValueError):
    """A step that does not fit the request's status; str() says why (shown to staff)."""


def check_service_step(status: ServiceStatus, step: ServiceStep) -> None:
    if not status.open:
        raise ServiceStepRefused(f"this request is {status} already")
    if step not in NEXT_STEPS[status]:
        raise ServiceStepRefused(f"{step} needs {_NEEDS[step]}; this request is {status}")
