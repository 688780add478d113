"""Life services at the hub: the provider directory, which services each household may use,
and service requests with their steps. Synchronous SQL, run on the hub's database thread.

Service requests are not alarms: their own tables, never the alarm queue's (issue 20).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlite_utils

from gateway.alarms import utc_iso
from gateway.services.catalogue import ServiceType
from gateway.services.lifecycle import ServiceAction, ServiceActor, ServiceStatus, ServiceStep
from gateway.services.wire import ServiceEventBody
from gateway.ulid import new_ulid

from ..infra.sql import Transaction, one
from .messages import ReceivedMessage, claim_message
from .service_model import check_service_step
from .service_sla import ServiceRecord

MAX_TEXT = 200
MAX_NOTE = 500
HOUSEHOLD_ACTOR = "household"  # the steps a household's own request brings


class ServiceError(ValueError):
    """Input that fails a check (400); str() says which field and why."""


class ServiceRefused(ValueError):
    """A well-formed request the state refuses (409); `code` is the API's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


NOT_ENTITLED = "not_entitled"
STEP_REFUSED = "step_refused"
PROVIDER_REFUSED = "provider_refused"
NOT_RATEABLE = "not_rateable"
ID_TAKEN = "id_taken"
UNKNOWN_REQUEST = "unknown_request"


def service_type(value: object) -> ServiceType:
    try:
        return ServiceType(str(value))
    except ValueError:
        raise ServiceError(
            f"service must be one of {', '.join(ServiceType)} (not {str(value)[:40]!r})"
        ) from None


def service_list(value: object) -> tuple[ServiceType, ...]:
    if not isinstance(value, list):
        raise ServiceError("services must be a list of service types")
    return tuple(sorted({service_type(v) for v in value}))


@dataclass(frozen=True, slots=True)
class ServiceProvider:
    id: str
    organisation: str
    contact_name: str
    contact_phone: str
    services: tuple[ServiceType, ...]
    service_area: str
    active: bool
    created_at: str
    updated_at: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "organisation": self.organisation,
            "contact_name": self.contact_name,
            "contact_phone": self.contact_phone,
            "services": list(self.services),
            "service_area": self.service_area,
            "active": self.active,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


PROVIDER_FIELDS = ("organisation", "contact_name", "contact_phone", "services", "service_area")


@dataclass(frozen=True, slots=True)
class ServiceRequest:
    id: str
    household_id: str
    household_name: str
    address: str
    service: ServiceType
    note: str
    source_name: str
    status: ServiceStatus
    count: int
    requested_at: str
    happened_at: str
    last_seen: str
    provider_id: str | None
    provider_name: str | None
    window_start: str | None
    window_end: str | None
    accepted_at: str | None
    accepted_by: str | None
    assigned_at: str | None
    assigned_by: str | None
    arrived_at: str | None
    completed_at: str | None
    cancelled_at: str | None
    cancelled_by: str | None
    cancel_reason: str | None
    rating: int | None
    rating_comment: str | None
    rated_at: str | None

    @property
    def open(self) -> bool:
        return self.status.open

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"open": self.open}

    def for_family(self) -> dict[str, Any]:
        """What the family sees: what, when, who is coming and when; no staff names."""
        staff_only = {"accepted_by", "assigned_by", "household_name", "address"}
        return {k: v for k, v in self.as_dict().items() if k not in staff_only}


class RecordOutcome(StrEnum):
    CREATED = "created"
    REPEATED = "repeated"  # an open request of the same service counted one more press
    ALREADY_HAD = "already_had"  # this id was recorded before: nothing changed


@dataclass(frozen=True, slots=True)
class RecordedService:
    outcome: RecordOutcome
    request: ServiceRequest


@dataclass(frozen=True, slots=True)
class StepDetails:
    """What a staff step carries besides who and when."""

    note: str = ""
    provider_id: str | None = None  # assigned
    window_start: datetime | None = None  # assigned: the promised window
    window_end: datetime | None = None
    reason: str = ""  # cancelled (required)
    cancelled_by: ServiceActor = ServiceActor.STAFF


class ServiceStore:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    # The provider directory

    def providers(self, *, active_only: bool = False) -> list[ServiceProvider]:
        where = "WHERE active = 1" if active_only else ""
        return self._providers(f"{where} ORDER BY organisation, id", [])

    def provider(self, provider_id: str) -> ServiceProvider | None:
        rows = self._providers("WHERE id = ?", [provider_id])
        return rows[0] if rows else None

    def add_provider(self, now: datetime, **fields: Any) -> ServiceProvider:
        values = _provider_values({"contact_name": "", "contact_phone": "", **fields})
        if "organisation" not in values:
            raise ServiceError("organisation is required")
        provider_id = new_ulid()
        self.db.table("service_providers").insert(
            {
                "id": provider_id,
                "services": "[]",
                "service_area": "",
                **values,
                "active": 1,
                "created_at": utc_iso(now),
                "updated_at": utc_iso(now),
            }
        )
        return self._stored_provider(provider_id)

    def update_provider(self, provider_id: str, now: datetime, **fields: Any) -> ServiceProvider:
        """KeyError for an unknown provider. `active` may be set back to true here."""
        if self.provider(provider_id) is None:
            raise KeyError(provider_id)
        values = _provider_values(fields)
        if "active" in fields:
            if not isinstance(fields["active"], bool):
                raise ServiceError("active must be true or false")
            values["active"] = int(fields["active"])
        if values:
            self.db.table("service_providers").update(
                provider_id, {**values, "updated_at": utc_iso(now)}
            )
        return self._stored_provider(provider_id)

    def deactivate_provider(self, provider_id: str, now: datetime) -> ServiceProvider:
        """No longer offered for assignment; its requests and ratings stay. KeyError if unknown."""
        return self.update_provider(provider_id, now, active=False)

    def _stored_provider(self, provider_id: str) -> ServiceProvider:
        provider = self.provider(provider_id)
        assert provider is not None
        return provider

    def _providers(self, where: str, params: list[Any]) -> list[ServiceProvider]:
        sql = (
            "SELECT id, organisation, contact_name, contact_phone, services, service_area,"  # noqa: S608
            f" active, created_at, updated_at FROM service_providers {where}"
        )
        providers = []
        for row in self.db.query(sql, params):
            row["services"] = tuple(ServiceType(s) for s in json.loads(row["services"]))
            row["active"] = bool(row["active"])
            providers.append(ServiceProvider(**row))
        return providers

    # Entitlements

    def entitlement(self, household_id: str) -> tuple[ServiceType, ...] | None:
        """The household's allowed services; None: all of the catalogue (the default)."""
        row = one(
            self.db,
            "SELECT services FROM service_entitlements WHERE household_id = ?",
            household_id,
        )
        if row is None:
            return None
        return tuple(ServiceType(s) for s in json.loads(row["services"]))

    def entitled(self, household_id: str, service: ServiceType) -> bool:
        allowed = self.entitlement(household_id)
        return allowed is None or service in allowed

    def set_entitlement(
        self, household_id: str, services: tuple[ServiceType, ...] | None, now: datetime
    ) -> None:
        """None: every service again. KeyError for an unknown household."""
        if one(self.db, "SELECT id FROM households WHERE id = ?", household_id) is None:
            raise KeyError(household_id)
        if services is None:
            self.db.execute(
                "DELETE FROM service_entitlements WHERE household_id = ?", [household_id]
            )
            return
        self.db.execute(
            "INSERT OR REPLACE INTO service_entitlements (household_id, services, updated_at)"
            " VALUES (?, ?, ?)",
            [household_id, json.dumps(sorted(services)), utc_iso(now)],
        )

    # Requests

    def record_requested(
        self,
        household_id: str,
        request_id: str,
        service: object,
        now: datetime,
        *,
        note: str = "",
        source_name: str = "",
        happened_at: datetime | None = None,
        gateway_id: str = "",
        actor: str = HOUSEHOLD_ACTOR,
    ) -> RecordedService:
        """A household asked for a service (what the gateway ingest calls, and staff taking a
        call). Once per id: a second record of the same id changes nothing (ALREADY_HAD). A
        request for a service the household has open already counts one more press on it
        (REPEATED). ServiceError for an unknown service; ServiceRefused for a service the
        household may not use, or an id another household holds; KeyError for no household."""
        kind = service_type(service)
        received = utc_iso(now)
        with Transaction(self.db.conn):
            if one(self.db, "SELECT id FROM households WHERE id = ?", household_id) is None:
                raise KeyError(household_id)
            known = self._find(household_id, request_id)
            if known is not None:
                return RecordedService(RecordOutcome.ALREADY_HAD, self._stored(known))
            if one(self.db, "SELECT id FROM service_requests WHERE id = ?", request_id):
                # One answer, whatever the other household's request is: nothing to probe.
                raise ServiceRefused(ID_TAKEN, f"request id {request_id} is in use")
            if not self.entitled(household_id, kind):
                raise ServiceRefused(NOT_ENTITLED, f"this household may not use the service {kind}")
            open_row = one(
                self.db,
                "SELECT id FROM service_requests WHERE household_id = ? AND service = ?"
                " AND status NOT IN (?, ?) ORDER BY requested_at LIMIT 1",
                household_id,
                kind.value,
                ServiceStatus.COMPLETED,
                ServiceStatus.CANCELLED,
            )
            detail = {"service": kind.value, "note": note, "source_name": source_name}
            if open_row is not None:
                existing = open_row["id"]
                self._count_press(existing, received)
                self.db.execute(
                    "INSERT INTO service_request_aliases (household_id, id, request_id)"
                    " VALUES (?, ?, ?)",
                    [household_id, request_id, existing],
                )
                self._append_step(existing, received, actor, "repeated", detail)
                return RecordedService(RecordOutcome.REPEATED, self._stored(existing))
            happened = utc_iso(min(happened_at, now)) if happened_at else received
            self.db.table("service_requests").insert(
                {
                    "id": request_id,
                    "household_id": household_id,
                    "gateway_id": gateway_id,
                    "service": kind.value,
                    "note": note[:MAX_NOTE],
                    "source_name": source_name[:MAX_TEXT],
                    "status": ServiceStatus.REQUESTED.value,
                    "count": 1,
                    "requested_at": received,
                    "happened_at": happened,
                    "last_seen": received,
                }
            )
            self._append_step(request_id, received, actor, "requested", detail)
        return RecordedService(RecordOutcome.CREATED, self._stored(request_id))

    def take_step(
        self,
        request_id: str,
        step: ServiceStep,
        actor: str,
        now: datetime,
        details: StepDetails = StepDetails(),
    ) -> tuple[ServiceRequest, dict[str, Any]]:
        """Move a request on; returns it and the step's log detail. KeyError for an unknown
        request; ServiceRefused for a step out of order or a provider who does not offer the
        service; ServiceError for a missing reason or window."""
        at = utc_iso(now)
        with Transaction(self.db.conn):
            request = self.request(request_id)
            if request is None:
                raise KeyError(request_id)
            try:
                check_service_step(request.status, step)
            except ValueError as err:
                raise ServiceRefused(STEP_REFUSED, str(err)) from None
            detail: dict[str, Any] = {"note": details.note} if details.note else {}
            changes: dict[str, Any] = {"status": step.status.value}
            if step is ServiceStep.ACCEPTED:
                changes |= {"accepted_at": at, "accepted_by": actor}
            elif step is ServiceStep.ASSIGNED:
                start, end = _window(details.window_start, details.window_end)
                provider = self._offering_provider(details.provider_id, request.service)
                changes |= {
                    "provider_id": provider.id,
                    "window_start": start,
                    "window_end": end,
                    "assigned_at": at,
                    "assigned_by": actor,
                }
                if request.accepted_at is None:  # assigning accepts: the clock stops here
                    changes |= {"accepted_at": at, "accepted_by": actor}
                detail |= {
                    "provider_id": provider.id,
                    "provider": provider.organisation,
                    "contact_name": provider.contact_name,
                    "contact_phone": provider.contact_phone,
                    "window_start": start,
                    "window_end": end,
                }
            elif step is ServiceStep.ARRIVED:
                changes["arrived_at"] = at
            elif step is ServiceStep.COMPLETED:
                changes["completed_at"] = at
            else:
                reason = details.reason.strip()
                if not reason:
                    raise ServiceError("a cancellation needs a reason")
                changes |= {
                    "cancelled_at": at,
                    "cancelled_by": details.cancelled_by.value,
                    "cancel_reason": reason[:MAX_NOTE],
                }
                detail |= {"reason": reason[:MAX_NOTE], "by": details.cancelled_by.value}
            self.db.table("service_requests").update(request.id, changes)
            self._append_step(request.id, at, actor, step.value, detail)
        return self._stored(request.id), detail

    def rate(
        self, request_id: str, rating: object, comment: str, actor: str, now: datetime
    ) -> ServiceRequest:
        """The senior's or family's rating (1-5) of a completed request; a later rating
        replaces it. KeyError if unknown; ServiceRefused when it is not completed."""
        if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
            raise ServiceError("rating must be a whole number from 1 to 5")
        at = utc_iso(now)
        with Transaction(self.db.conn):
            request = self.request(request_id)
            if request is None:
                raise KeyError(request_id)
            if request.status is not ServiceStatus.COMPLETED:
                raise ServiceRefused(
                    NOT_RATEABLE, f"only a completed request is rated; this one is {request.status}"
                )
            self.db.table("service_requests").update(
                request.id,
                {"rating": rating, "rating_comment": comment[:MAX_NOTE], "rated_at": at},
            )
            self._append_step(
                request.id, at, actor, "rated", {"rating": rating, "comment": comment[:MAX_NOTE]}
            )
        return self._stored(request.id)

    def provider_ratings(self, provider_id: str) -> list[ServiceRequest]:
        """The provider's rated requests, newest rating first."""
        return self._requests(
            "WHERE r.provider_id = ? AND r.rating IS NOT NULL ORDER BY r.rated_at DESC, r.id",
            [provider_id],
        )

    def request(self, request_id: str) -> ServiceRequest | None:
        rows = self._requests("WHERE r.id = ?", [request_id])
        return rows[0] if rows else None

    def work_orders(self, *, include_closed: bool = True, limit: int = 500) -> list[ServiceRequest]:
        """Open requests first (oldest waiting first), then the closed ones, newest first."""
        closed = (ServiceStatus.COMPLETED.value, ServiceStatus.CANCELLED.value)
        opened = self._requests(
            "WHERE r.status NOT IN (?, ?) ORDER BY r.requested_at, r.id LIMIT ?", [*closed, limit]
        )
        if not include_closed or len(opened) >= limit:
            return opened
        return opened + self._requests(
            "WHERE r.status IN (?, ?) ORDER BY r.requested_at DESC, r.id DESC LIMIT ?",
            [*closed, limit - len(opened)],
        )

    def household_requests(self, household_id: str, limit: int = 50) -> list[ServiceRequest]:
        """A household's requests, newest first."""
        return self._requests(
            "WHERE r.household_id = ? ORDER BY r.requested_at DESC, r.id DESC LIMIT ?",
            [household_id, limit],
        )

    def steps(self, request_id: str) -> list[dict[str, Any]]:
        """A request's log, oldest first."""
        return [
            {**row, "detail": json.loads(row["detail"])}
            for row in self.db.query(
                "SELECT at, actor, action, detail FROM service_request_steps"
                " WHERE request_id = ? ORDER BY id",
                [request_id],
            )
        ]

    def _offering_provider(self, provider_id: str | None, service: ServiceType) -> ServiceProvider:
        if not provider_id:
            raise ServiceError("assigned needs provider_id")
        provider = self.provider(provider_id)
        if provider is None:
            raise ServiceError("provider_id names no provider")
        if not provider.active:
            raise ServiceRefused(PROVIDER_REFUSED, f"{provider.organisation} is not active")
        if service not in provider.services:
            raise ServiceRefused(
                PROVIDER_REFUSED, f"{provider.organisation} does not offer the service {service}"
            )
        return provider

    def household_event(
        self,
        household_id: str,
        event: ServiceEventBody,
        now: datetime,
        message: ReceivedMessage,
    ) -> ServiceRequest | None:
        """The household cancels, confirms, repeats or rates its request, once per message:
        a resent `service.event` (its ack was lost) changes nothing and returns None.
        ServiceRefused for another household's id or a step the request cannot take, and
        nothing of the message is kept."""
        with Transaction(self.db.conn):
            if not claim_message(self.db, message, now):
                return None
            known = self._find(household_id, event.request_id)
            if known is None:
                raise ServiceRefused(UNKNOWN_REQUEST, "no such request in this household")
            actor = event.actor.value
            if event.action is ServiceAction.CANCELLED:
                details = StepDetails(reason=event.reason, cancelled_by=event.actor)
                return self.take_step(known, ServiceStep.CANCELLED, actor, now, details)[0]
            if event.action is ServiceAction.RATED:
                if event.rating is None:
                    raise ServiceError("a rating event needs a rating")
                return self.rate(known, event.rating.stars, event.rating.comment, actor, now)
            at = utc_iso(now)
            if event.action is ServiceAction.REPEATED:
                self._count_press(known, at)
            self._append_step(known, at, actor, event.action.value, {})
        return self._stored(known)

    def _find(self, household_id: str, request_id: str) -> str | None:
        """The household's request an id names: its own, or the one it was counted into."""
        row = one(
            self.db,
            "SELECT id FROM service_requests WHERE household_id = ? AND id = ?"
            " UNION ALL SELECT request_id FROM service_request_aliases"
            " WHERE household_id = ? AND id = ? LIMIT 1",
            household_id,
            request_id,
            household_id,
            request_id,
        )
        return row["id"] if row else None

    def _count_press(self, request_id: str, at: str) -> None:
        """One more press of a key whose request is open (a new request id or an event)."""
        self.db.execute(
            "UPDATE service_requests SET count = count + 1, last_seen = ? WHERE id = ?",
            [at, request_id],
        )

    def _append_step(
        self, request_id: str, at: str, actor: str, action: str, detail: dict[str, Any]
    ) -> None:
        self.db.execute(
            "INSERT INTO service_request_steps (request_id, at, actor, action, detail)"
            " VALUES (?, ?, ?, ?, ?)",
            [request_id, at, actor, action, json.dumps(detail, ensure_ascii=False)],
        )

    def _stored(self, request_id: str) -> ServiceRequest:
        request = self.request(request_id)
        assert request is not None
        return request

    def _requests(self, where: str, params: list[Any]) -> list[ServiceRequest]:
        sql = (
            "SELECT r.id, r.household_id, h.name AS household_name, h.address, r.service,"  # noqa: S608
            " r.note, r.source_name, r.status, r.count, r.requested_at, r.happened_at,"
            " r.last_seen, r.provider_id, p.organisation AS provider_name, r.window_start,"
            " r.window_end, r.accepted_at, r.accepted_by, r.assigned_at, r.assigned_by,"
            " r.arrived_at, r.completed_at, r.cancelled_at, r.cancelled_by, r.cancel_reason,"
            " r.rating, r.rating_comment, r.rated_at"
            " FROM service_requests r JOIN households h ON h.id = r.household_id"
            f" LEFT JOIN service_providers p ON p.id = r.provider_id {where}"
        )
        return [
            ServiceRequest(
                **{
                    **row,
                    "service": ServiceType(row["service"]),
                    "status": ServiceStatus(row["status"]),
                }
            )
            for row in self.db.query(sql, params)
        ]


def _provider_values(fields: dict[str, Any]) -> dict[str, Any]:
    """The checked columns of the provider fields given (others are ignored here)."""
    values: dict[str, Any] = {}
    if "organisation" in fields:
        values["organisation"] = _text(fields["organisation"], "organisation", required=True)
    if "contact_name" in fields:
        values["contact_name"] = _text(fields["contact_name"], "contact_name")
    if "contact_phone" in fields:
        values["contact_phone"] = _phone(fields["contact_phone"])
    if "services" in fields:
        values["services"] = json.dumps(list(service_list(fields["services"])))
    if "service_area" in fields:
        values["service_area"] = _text(fields["service_area"], "service_area", MAX_NOTE)
    return values


def _text(value: object, what: str, limit: int = MAX_TEXT, *, required: bool = False) -> str:
    if not isinstance(value, str):
        raise ServiceError(f"{what} must be text")
    value = value.strip()
    if required and not value:
        raise ServiceError(f"{what} is required")
    if len(value) > limit:
        raise ServiceError(f"{what} is longer than {limit} characters")
    return value


def _phone(value: object) -> str:
    phone = _text(value, "contact_phone", 40)
    digits = phone.replace(" ", "").replace("-", "").lstrip("+")
    if phone and not (digits.isdigit() and 3 <= len(digits) <= 20):
        raise ServiceError("contact_phone must be digits, optionally with +, spaces or dashes")
    return phone


def _window(start: datetime | None, end: datetime | None) -> tuple[str, str]:
    if start is None or end is None:
        raise ServiceError("assigned needs window_start and window_end (ISO-8601 times)")
    if end < start:
        raise ServiceError("window_end is before window_start")
    return utc_iso(start), utc_iso(end)


# The service-level report's read (hub/core/service_sla.py), kept apart from the store's steps.


def report_records(
    db: sqlite_utils.Database, start: datetime, end: datetime
) -> list[ServiceRecord]:
    """Requests the hub received in [start, end), with each step's time and the provider's
    organisation, for the service-level report."""
    rows = db.query(
        "SELECT r.id, r.requested_at, r.accepted_at, r.accepted_by, r.assigned_at,"
        " r.provider_id, p.organisation AS provider_name, r.window_start, r.window_end,"
        " r.arrived_at, r.completed_at, r.cancelled_at, r.cancelled_by, r.rating, r.rated_at"
        " FROM service_requests r LEFT JOIN service_providers p ON p.id = r.provider_id"
        " WHERE r.requested_at >= ? AND r.requested_at < ? ORDER BY r.requested_at, r.id",
        [utc_iso(start), utc_iso(end)],
    )
    return [_report_record(row) for row in rows]


def _report_record(row: dict[str, Any]) -> ServiceRecord:
    def moment(name: str) -> datetime | None:
        return datetime.fromisoformat(row[name]) if row[name] else None

    requested_at = moment("requested_at")
    assert requested_at is not None  # NOT NULL in the schema
    return ServiceRecord(
        id=row["id"],
        requested_at=requested_at,
        accepted_at=moment("accepted_at"),
        accepted_by=row["accepted_by"] if row["accepted_at"] else None,
        assigned_at=moment("assigned_at"),
        provider_id=row["provider_id"],
        provider_name=row["provider_name"],
        window_start=moment("window_start"),
        window_end=moment("window_end"),
        arrived_at=moment("arrived_at"),
        completed_at=moment("completed_at"),
        cancelled_at=moment("cancelled_at"),
        cancelled_by=ServiceActor(row["cancelled_by"]) if row["cancelled_at"] else None,
        rating=row["rating"] if row["rated_at"] else None,
        rated_at=moment("rated_at") if row["rating"] is not None else None,
    )
