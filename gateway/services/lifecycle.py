"""The life of a service request (docs/wire-contract.md, Service requests), apart from alarms.

A request is `requested` at home, then care-center staff move it on: accepted -> assigned (a
provider and a promised window) -> arrived -> completed, or cancel it. The household, the hub's
tables and its screens share this one lifecycle, so its values never change.

Rules of the table below, and why:
- Assigning a provider accepts the request: staff may go from requested straight to assigned
  (a dispatcher who picks up the phone and books the plumber need not click twice).
- Nobody arrives unassigned: arrived needs assigned first, and completed needs arrived, since
  the household is told who comes and when, and the report measures arrival against the window.
  This holds for every service (the hub's hub/core/service_model.py has the same table).
- assigned -> assigned is a reassignment (another provider, or a new window); the household is
  told again.
- Any open request may be cancelled, with a reason, by the senior, the family or staff.
- completed and cancelled are final. Confirming and rating a completed request are events on
  it (`ServiceAction`), not statuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ServiceStatus(StrEnum):
    """Where a request stands, in lifecycle order; cancelled is the other way out."""

    REQUESTED = "requested"
    ACCEPTED = "accepted"
    ASSIGNED = "assigned"
    ARRIVED = "arrived"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def open(self) -> bool:
        return self not in FINAL_STATUSES


FINAL_STATUSES = frozenset({ServiceStatus.COMPLETED, ServiceStatus.CANCELLED})

NEXT_STATUSES: dict[ServiceStatus, frozenset[ServiceStatus]] = {
    ServiceStatus.REQUESTED: frozenset(
        {ServiceStatus.ACCEPTED, ServiceStatus.ASSIGNED, ServiceStatus.CANCELLED}
    ),
    ServiceStatus.ACCEPTED: frozenset({ServiceStatus.ASSIGNED, ServiceStatus.CANCELLED}),
    ServiceStatus.ASSIGNED: frozenset(
        {ServiceStatus.ASSIGNED, ServiceStatus.ARRIVED, ServiceStatus.CANCELLED}
    ),
    ServiceStatus.ARRIVED: frozenset({ServiceStatus.COMPLETED, ServiceStatus.CANCELLED}),
    ServiceStatus.COMPLETED: frozenset(),
    ServiceStatus.CANCELLED: frozenset(),
}


def can_step(status: ServiceStatus, to: ServiceStatus) -> bool:
    """Whether a request may move from `status` to `to` in one step."""
    return to in NEXT_STATUSES[status]


class ServiceStep(StrEnum):
    """What care-center staff do to a request (the `step` of a `service.step`). The value is
    also the status it moves the request to."""

    ACCEPTED = "accepted"
    ASSIGNED = "assigned"
    ARRIVED = "arrived"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def status(self) -> ServiceStatus:
        return ServiceStatus(self.value)


class ServiceActor(StrEnum):
    """Who did something to a request."""

    SENIOR = "senior"
    FAMILY = "family"
    STAFF = "staff"


# Everyone may cancel an open request. The household's people cancel through a
# `service.event` and staff through a `service.step`.
CANCELLERS = frozenset(ServiceActor)
HOUSEHOLD_ACTORS = frozenset({ServiceActor.SENIOR, ServiceActor.FAMILY})


def may_cancel(actor: ServiceActor, status: ServiceStatus) -> bool:
    return actor in CANCELLERS and status.open


class ServiceAction(StrEnum):
    """What the household says about a request after it asked: the `action` of a
    `service.event`."""

    REPEATED = "repeated"  # the same service key pressed again while the request is open
    CANCELLED = "cancelled"
    CONFIRMED = "confirmed"  # the senior or family confirm the completed work
    RATED = "rated"


MIN_STARS = 1
MAX_STARS = 5
MAX_COMMENT = 200


class InvalidRating(ValueError):
    """Stars outside 1-5 (or not a whole number), or a comment that is too long."""


@dataclass(frozen=True, slots=True)
class Rating:
    """The household's rating of a completed request: 1-5 stars and an optional comment."""

    stars: int
    comment: str = ""

    def __post_init__(self) -> None:
        # bool is an int in Python; True stars is a mistake, not 1.
        if type(self.stars) is not int or not MIN_STARS <= self.stars <= MAX_STARS:
            raise InvalidRating(f"stars must be a whole number {MIN_STARS} to {MAX_STARS}")
        if len(self.comment) > MAX_COMMENT:
            raise InvalidRating(f"comment must be at most {MAX_COMMENT} characters")


def may_rate(status: ServiceStatus) -> bool:
    """Only completed work is confirmed or rated."""
    return status is ServiceStatus.COMPLETED
