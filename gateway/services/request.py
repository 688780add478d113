"""One service request as the household keeps it, storable as plain JSON (HA storage)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .catalogue import ServiceType
from .lifecycle import Rating, ServiceActor, ServiceStatus


@dataclass(slots=True)
class ServiceRequest:
    id: str  # a ULID minted at home: the request_id on the wire
    service: ServiceType
    source: str
    requested_at: datetime
    source_name: str = ""
    note: str = ""
    count: int = 1  # presses while open
    status: ServiceStatus = ServiceStatus.REQUESTED
    reported: bool = False  # the hub acked the request
    updated_at: datetime | None = None
    staff_name: str = ""
    provider_name: str = ""
    window_start: datetime | None = None
    window_end: datetime | None = None
    cancelled_by: ServiceActor | None = None
    reason: str = ""  # why it was cancelled
    confirmed_by: ServiceActor | None = None
    rating: Rating | None = None
    # When the household is told the request waits for the link, if the hub has not acked.
    ack_due: datetime | None = field(default=None, compare=False)

    @property
    def open(self) -> bool:
        return self.status.open

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "service": self.service.value,
            "source": self.source,
            "requested_at": self.requested_at.isoformat(),
            "source_name": self.source_name,
            "note": self.note,
            "count": self.count,
            "status": self.status.value,
            "reported": self.reported,
            "updated_at": _iso(self.updated_at),
            "staff_name": self.staff_name,
            "provider_name": self.provider_name,
            "window_start": _iso(self.window_start),
            "window_end": _iso(self.window_end),
            "cancelled_by": None if self.cancelled_by is None else self.cancelled_by.value,
            "reason": self.reason,
            "confirmed_by": None if self.confirmed_by is None else self.confirmed_by.value,
            "rating": None
            if self.rating is None
            else {"stars": self.rating.stars, "comment": self.rating.comment},
            "ack_due": _iso(self.ack_due),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ServiceRequest:
        rating = data.get("rating")
        cancelled_by, confirmed_by = data.get("cancelled_by"), data.get("confirmed_by")
        return cls(
            id=data["id"],
            service=ServiceType(data["service"]),
            source=data["source"],
            requested_at=datetime.fromisoformat(data["requested_at"]),
            source_name=data.get("source_name", ""),
            note=data.get("note", ""),
            count=int(data.get("count", 1)),
            status=ServiceStatus(data.get("status", ServiceStatus.REQUESTED)),
            reported=bool(data.get("reported", False)),
            updated_at=_time(data.get("updated_at")),
            staff_name=data.get("staff_name", ""),
            provider_name=data.get("provider_name", ""),
            window_start=_time(data.get("window_start")),
            window_end=_time(data.get("window_end")),
            cancelled_by=None if cancelled_by is None else ServiceActor(cancelled_by),
            reason=data.get("reason", ""),
            confirmed_by=None if confirmed_by is None else ServiceActor(confirmed_by),
            rating=None if rating is None else Rating(rating["stars"], rating.get("comment", "")),
            ack_due=_time(data.get("ack_due")),
        )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
