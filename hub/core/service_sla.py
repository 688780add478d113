"""How the care center serves life-service requests (issue 20), reported beside the alarm SLA.

Pure, like hub/core/sla.py: the caller reads the requests (`ServiceRecord`) from storage
(service_store.report_records); this module only counts, and renders CSV or JSON-ready
dicts. Service requests are never alarms: they are in this report only, never in the alarm
SLA's figures.

Definitions (the report and its exports follow them):

- A request belongs to the period, and to the local day, in which the hub received it
  (`requested_at`), whatever happened to it later. A repeat press counts no new request.
- The report is a snapshot as of `now`: a step stamped later than `now` is not seen yet.
- Every request is exactly one of: completed, cancelled, or open (neither, as of `now`).
  An open request is counted as open: neither a success nor a failure.
- Time to accept: from `requested_at` to `accepted_at` (assigning a provider straight away
  accepts), over accepted requests only; median and p90 are nearest-rank percentiles as in
  the alarm SLA, and max. A request cancelled or still open before anyone accepted it has
  no time to accept.
- Arrival against the promised window, over requests a provider arrived at: on time when
  window_start <= arrived_at <= window_end (both ends inclusive), early before the window,
  late after it (minutes late = arrived_at - window_end), no window when none was promised.
  The on-time share is on time / (on time + early + late).
- Completion rate = completed / (requests - cancelled by the household - open)
  = completed / (completed + cancelled by staff). A senior or family member who calls a
  request off has changed their mind, which is no failure of the service; an open request
  may still be completed. Staff who cancel at the household's word record it as the
  household's (`by`), so a staff cancellation is one the care center could not serve.
  No completed and no staff cancellation: the rate is None (no data), like an empty share.
- Ratings: the household's 1-5 stars of completed requests; count, average, and how many
  of each star.
- Per provider: the requests assigned to the provider who holds them now (a reassignment
  moves a request), with the organisation's name. Unassigned requests have no provider row.
- Per dispatcher: the requests a staff member took on, i.e. accepted (or assigned straight
  away, which accepts). A later assignment by a colleague does not move the request; rows
  add up to the accepted count.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from gateway.alarms import utc_iso
from gateway.services.lifecycle import MAX_STARS, MIN_STARS, ServiceActor

from .sla import (
    SHARE_DECIMALS,
    csv_seconds,
    defuse_formula,
    floor_decimal,
    local_days,
    nearest_rank,
)

STARS = tuple(range(MIN_STARS, MAX_STARS + 1))
ACCEPT_PERCENTILE = 90


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    """One service request's times, as stored (hub clock)."""

    id: str
    requested_at: datetime
    accepted_at: datetime | None = None
    accepted_by: str | None = None  # the staff username; set together with accepted_at
    assigned_at: datetime | None = None
    provider_id: str | None = None
    provider_name: str | None = None  # the provider's organisation
    window_start: datetime | None = None  # the promised window, when assigned
    window_end: datetime | None = None
    arrived_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancelled_by: ServiceActor | None = None
    rating: int | None = None
    rated_at: datetime | None = None

    def __post_init__(self) -> None:
        for name in (
            "requested_at",
            "accepted_at",
            "assigned_at",
            "window_start",
            "window_end",
            "arrived_at",
            "completed_at",
            "cancelled_at",
            "rated_at",
        ):
            moment = getattr(self, name)
            if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
                raise ValueError(f"request {self.id}: {name} must be timezone-aware")
        for first, second in (
            ("accepted_at", "accepted_by"),
            ("cancelled_at", "cancelled_by"),
            ("window_start", "window_end"),
            ("rating", "rated_at"),
        ):
            if (getattr(self, first) is None) != (getattr(self, second) is None):
                raise ValueError(f"request {self.id}: {first} and {second} go together")
        if self.rating is not None and self.rating not in STARS:
            raise ValueError(f"request {self.id}: rating {self.rating} is not 1-5 stars")


class Arrival(StrEnum):
    """A provider's arrival against the promised window."""

    ON_TIME = "on_time"
    EARLY = "early"
    LATE = "late"
    NO_WINDOW = "no_window"


@dataclass(frozen=True, slots=True)
class Cancellations:
    senior: int = 0
    family: int = 0
    staff: int = 0

    @property
    def total(self) -> int:
        return self.senior + self.family + self.staff

    @property
    def by_household(self) -> int:
        return self.senior + self.family


@dataclass(frozen=True, slots=True)
class AcceptTimes:
    """Time to accept, over accepted requests; None: none accepted."""

    median_seconds: float | None
    p90_seconds: float | None
    max_seconds: float | None


@dataclass(frozen=True, slots=True)
class Arrivals:
    on_time: int
    early: int
    late: int
    no_window: int
    late_minutes_median: float | None  # nearest-rank, over late arrivals; None: none late
    late_minutes_max: float | None

    @property
    def with_window(self) -> int:
        return self.on_time + self.early + self.late

    @property
    def exact_on_time_share(self) -> Fraction | None:
        return Fraction(self.on_time, self.with_window) if self.with_window else None

    @property
    def on_time_share(self) -> float | None:
        exact = self.exact_on_time_share
        return None if exact is None else float(exact)


@dataclass(frozen=True, slots=True)
class Ratings:
    stars: tuple[int, ...]  # how many ratings of 1, 2, ... 5 stars

    @property
    def count(self) -> int:
        return sum(self.stars)

    @property
    def exact_average(self) -> Fraction | None:
        total = sum(star * n for star, n in zip(STARS, self.stars, strict=True))
        return Fraction(total, self.count) if self.count else None

    @property
    def average(self) -> float | None:
        exact = self.exact_average
        return None if exact is None else float(exact)


@dataclass(frozen=True, slots=True)
class ServiceStats:
    """A group of requests. requests == completed + cancelled.total + open."""

    requests: int
    accepted: int
    assigned: int
    arrived: int
    completed: int
    open: int
    cancelled: Cancellations
    accept: AcceptTimes
    arrival: Arrivals
    ratings: Ratings

    @property
    def completion_base(self) -> int:
        """requests - cancelled by the household - open (the module's definition)."""
        return self.requests - self.cancelled.by_household - self.open

    @property
    def exact_completion_rate(self) -> Fraction | None:
        base = self.completion_base
        return Fraction(self.completed, base) if base else None

    @property
    def completion_rate(self) -> float | None:
        exact = self.exact_completion_rate
        return None if exact is None else float(exact)


@dataclass(frozen=True, slots=True)
class ServiceDay:
    day: date  # the care center's local day
    stats: ServiceStats


@dataclass(frozen=True, slots=True)
class ProviderStats:
    provider_id: str
    organisation: str
    stats: ServiceStats


@dataclass(frozen=True, slots=True)
class ServiceDispatcher:
    dispatcher: str
    stats: ServiceStats


@dataclass(frozen=True, slots=True)
class ServiceReport:
    start: datetime
    end: datetime  # exclusive
    now: datetime
    timezone: str  # IANA key of the local days
    overall: ServiceStats
    days: tuple[ServiceDay, ...]  # every local day the period touches, quiet ones included
    providers: tuple[ProviderStats, ...]  # by organisation; assigned requests only
    dispatchers: tuple[ServiceDispatcher, ...]  # by name; accepted requests only


@dataclass(frozen=True, slots=True)
class _Seen:
    """A request as of `now`: what had happened to it by then."""

    record: ServiceRecord
    accept_wait: timedelta | None
    accepted_by: str | None
    provider: tuple[str, str] | None  # (id, organisation)
    arrival: Arrival | None
    late_by: timedelta | None
    completed: bool
    cancelled_by: ServiceActor | None
    rating: int | None


def service_report(
    records: Iterable[ServiceRecord],
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    tz: ZoneInfo,
) -> ServiceReport:
    """The service report of the requests received in [start, end), as of `now`, days local
    to `tz`."""
    for name, moment in (("start", start), ("end", end), ("now", now)):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware, got {moment!r}")
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    seen = [_seen(record, now) for record in records if start <= record.requested_at < end]
    return ServiceReport(
        start=start,
        end=end,
        now=now,
        timezone=tz.key,
        overall=_stats(seen),
        days=_by_day(seen, start, end, tz),
        providers=_by_provider(seen),
        dispatchers=_by_dispatcher(seen),
    )


def _seen(record: ServiceRecord, now: datetime) -> _Seen:
    def by_now(moment: datetime | None) -> datetime | None:
        return moment if moment is not None and moment <= now else None

    accepted_at = by_now(record.accepted_at)
    assigned_at = by_now(record.assigned_at)
    arrived_at = by_now(record.arrived_at)
    completed = by_now(record.completed_at) is not None
    # Completed and cancelled are both final, so a row never has both; if one did, it counts
    # once, as completed, and the counts still add up to the requests.
    cancelled = by_now(record.cancelled_at) is not None and not completed
    provider = None
    if assigned_at is not None and record.provider_id is not None:
        provider = (record.provider_id, record.provider_name or "")
    arrival, late_by = _arrival(record, arrived_at)
    return _Seen(
        record=record,
        # Both times are the hub's; a negative wait means its clock stepped back (as sla.py).
        accept_wait=(max(accepted_at - record.requested_at, timedelta(0)) if accepted_at else None),
        accepted_by=record.accepted_by if accepted_at else None,
        provider=provider,
        arrival=arrival,
        late_by=late_by,
        completed=completed,
        cancelled_by=record.cancelled_by if cancelled else None,
        rating=record.rating if by_now(record.rated_at) else None,
    )


def _arrival(
    record: ServiceRecord, arrived_at: datetime | None
) -> tuple[Arrival | None, timedelta | None]:
    if arrived_at is None:
        return None, None
    if record.window_start is None or record.window_end is None:
        return Arrival.NO_WINDOW, None
    if arrived_at < record.window_start:
        return Arrival.EARLY, None
    if arrived_at > record.window_end:
        return Arrival.LATE, arrived_at - record.window_end
    return Arrival.ON_TIME, None


def _stats(seen: Sequence[_Seen]) -> ServiceStats:
    waits = [s.accept_wait for s in seen if s.accept_wait is not None]
    late = [s.late_by for s in seen if s.late_by is not None]
    arrivals = [s.arrival for s in seen if s.arrival is not None]
    cancellers = [s.cancelled_by for s in seen if s.cancelled_by is not None]
    completed = sum(s.completed for s in seen)
    return ServiceStats(
        requests=len(seen),
        accepted=len(waits),
        assigned=sum(s.provider is not None for s in seen),
        arrived=len(arrivals),
        completed=completed,
        open=len(seen) - completed - len(cancellers),
        cancelled=Cancellations(
            senior=cancellers.count(ServiceActor.SENIOR),
            family=cancellers.count(ServiceActor.FAMILY),
            staff=cancellers.count(ServiceActor.STAFF),
        ),
        accept=AcceptTimes(
            median_seconds=_seconds(nearest_rank(waits, 50)) if waits else None,
            p90_seconds=_seconds(nearest_rank(waits, ACCEPT_PERCENTILE)) if waits else None,
            max_seconds=_seconds(max(waits)) if waits else None,
        ),
        arrival=Arrivals(
            on_time=arrivals.count(Arrival.ON_TIME),
            early=arrivals.count(Arrival.EARLY),
            late=arrivals.count(Arrival.LATE),
            no_window=arrivals.count(Arrival.NO_WINDOW),
            late_minutes_median=_seconds(nearest_rank(late, 50)) / 60 if late else None,
            late_minutes_max=_seconds(max(late)) / 60 if late else None,
        ),
        ratings=Ratings(tuple(sum(s.rating == star for s in seen) for star in STARS)),
    )


def _seconds(duration: timedelta) -> float:
    return duration.total_seconds()


def _by_day(
    seen: Sequence[_Seen], start: datetime, end: datetime, tz: ZoneInfo
) -> tuple[ServiceDay, ...]:
    grouped: dict[date, list[_Seen]] = {day: [] for day in local_days(start, end, tz)}
    for item in seen:
        grouped[item.record.requested_at.astimezone(tz).date()].append(item)
    return tuple(ServiceDay(day, _stats(grouped[day])) for day in sorted(grouped))


def _by_provider(seen: Sequence[_Seen]) -> tuple[ProviderStats, ...]:
    grouped: dict[tuple[str, str], list[_Seen]] = {}
    for item in seen:
        if item.provider is not None:
            grouped.setdefault(item.provider, []).append(item)
    return tuple(
        ProviderStats(provider_id, organisation, _stats(grouped[(provider_id, organisation)]))
        for provider_id, organisation in sorted(grouped, key=lambda key: (key[1], key[0]))
    )


def _by_dispatcher(seen: Sequence[_Seen]) -> tuple[ServiceDispatcher, ...]:
    grouped: dict[str, list[_Seen]] = {}
    for item in seen:
        if item.accepted_by is not None:
            grouped.setdefault(item.accepted_by, []).append(item)
    return tuple(ServiceDispatcher(name, _stats(grouped[name])) for name in sorted(grouped))


# ---------------------------------------------------------------------------------------------
# Exports

CSV_HEADER = (
    "scope",  # overall | day | provider | dispatcher
    "key",  # "" | local date (YYYY-MM-DD) | provider id | dispatcher username
    "name",  # the provider's organisation; "" otherwise
    "requests",
    "accepted",
    "assigned",
    "arrived",
    "completed",
    "open",
    "cancelled",
    "cancelled_senior",
    "cancelled_family",
    "cancelled_staff",
    "completion_base",
    "completion_rate_fraction",
    "accept_median_seconds",
    "accept_p90_seconds",
    "accept_max_seconds",
    "arrived_on_time",
    "arrived_early",
    "arrived_late",
    "arrived_no_window",
    "on_time_share_fraction",
    "late_minutes_median",
    "late_minutes_max",
    "ratings",
    "rating_average",
    *(f"rating_{star}" for star in STARS),
)


def report_csv(report: ServiceReport) -> str:
    """The report as RFC 4180 CSV (CRLF line ends), as the alarm SLA's: a header, the overall
    row, one row per local day, per provider, per dispatcher. Rates, shares and the rating
    average have SHARE_DECIMALS decimals rounded down; durations three decimals; no data is
    an empty cell."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerow(_csv_row("overall", "", "", report.overall))
    writer.writerows(_csv_row("day", row.day.isoformat(), "", row.stats) for row in report.days)
    writer.writerows(
        _csv_row(
            "provider",
            defuse_formula(row.provider_id),
            defuse_formula(row.organisation),
            row.stats,
        )
        for row in report.providers
    )
    writer.writerows(
        _csv_row("dispatcher", defuse_formula(row.dispatcher), "", row.stats)
        for row in report.dispatchers
    )
    return buffer.getvalue()


def _csv_row(scope: str, key: str, name: str, stats: ServiceStats) -> list[str]:
    return [
        scope,
        key,
        name,
        *(
            str(n)
            for n in (
                stats.requests,
                stats.accepted,
                stats.assigned,
                stats.arrived,
                stats.completed,
                stats.open,
                stats.cancelled.total,
                stats.cancelled.senior,
                stats.cancelled.family,
                stats.cancelled.staff,
                stats.completion_base,
            )
        ),
        _csv_fraction(stats.exact_completion_rate),
        csv_seconds(stats.accept.median_seconds),
        csv_seconds(stats.accept.p90_seconds),
        csv_seconds(stats.accept.max_seconds),
        str(stats.arrival.on_time),
        str(stats.arrival.early),
        str(stats.arrival.late),
        str(stats.arrival.no_window),
        _csv_fraction(stats.arrival.exact_on_time_share),
        csv_seconds(stats.arrival.late_minutes_median),  # minutes, the same three decimals
        csv_seconds(stats.arrival.late_minutes_max),
        str(stats.ratings.count),
        _csv_fraction(stats.ratings.exact_average),
        *(str(n) for n in stats.ratings.stars),
    ]


def _csv_fraction(value: Fraction | None) -> str:
    return "" if value is None else floor_decimal(value, SHARE_DECIMALS)


def to_dict(report: ServiceReport) -> dict[str, Any]:
    """The report as JSON-ready data (the SLA report's `services` section)."""
    return {
        "start": utc_iso(report.start),
        "end": utc_iso(report.end),
        "now": utc_iso(report.now),
        "timezone": report.timezone,
        "overall": _stats_dict(report.overall),
        "days": [{"day": row.day.isoformat(), **_stats_dict(row.stats)} for row in report.days],
        "providers": [
            {
                "provider_id": row.provider_id,
                "organisation": row.organisation,
                **_stats_dict(row.stats),
            }
            for row in report.providers
        ],
        "dispatchers": [
            {"dispatcher": row.dispatcher, **_stats_dict(row.stats)} for row in report.dispatchers
        ],
    }


def _stats_dict(stats: ServiceStats) -> dict[str, Any]:
    return {
        "requests": stats.requests,
        "accepted": stats.accepted,
        "assigned": stats.assigned,
        "arrived": stats.arrived,
        "completed": stats.completed,
        "open": stats.open,
        "cancelled": {
            "total": stats.cancelled.total,
            "senior": stats.cancelled.senior,
            "family": stats.cancelled.family,
            "staff": stats.cancelled.staff,
        },
        "completion": {
            "completed": stats.completed,
            "base": stats.completion_base,
            "rate": stats.completion_rate,  # fraction in [0, 1]; None: nothing decided yet
        },
        "accept_seconds": {
            "median": stats.accept.median_seconds,
            "p90": stats.accept.p90_seconds,
            "max": stats.accept.max_seconds,
        },
        "arrival": {
            "on_time": stats.arrival.on_time,
            "early": stats.arrival.early,
            "late": stats.arrival.late,
            "no_window": stats.arrival.no_window,
            "on_time_share": stats.arrival.on_time_share,
            "late_minutes_median": stats.arrival.late_minutes_median,
            "late_minutes_max": stats.arrival.late_minutes_max,
        },
        "ratings": {
            "count": stats.ratings.count,
            "average": stats.ratings.average,
            "stars": {str(star): n for star, n in zip(STARS, stats.ratings.stars, strict=True)},
        },
    }
