"""How fast dispatchers answer alarms, against the telecare yardstick (UK TSA code of practice).

The TSA asks that 97.5 % of alarm calls are answered within 60 s and 99 % within 180 s. Here
"answered" is a dispatcher's acknowledgement, timed from the moment the hub committed the alarm.

Pure: the caller reads alarms and acknowledgements from storage and hands them over as
`AnsweredAlarm`; this module only counts, and renders CSV or JSON-ready dicts.

Definitions (the report and its exports follow them):

- An alarm belongs to the period, and to the local day, in which it was raised, whenever it
  was acknowledged.
- Pending: an alarm unacknowledged at `now` that has waited no longer than a target's limit
  may still be answered in time, so its outcome is unknown. It is left out of that target's
  denominator: counting it as a hit would flatter, and as a miss would punish, a report run
  mid-shift. Once it has waited longer than the limit it is a miss. An alarm can therefore be
  a miss for 60 s and still pending for 180 s.
- The report is a snapshot as of `now`: an acknowledgement later than `now` is not seen yet.
- Median and p95 are nearest-rank percentiles (the smallest observed time with at least p %
  of the times at or below it; for an even count the median is the lower middle value), over
  acknowledged alarms only: an unanswered alarm has no time to acknowledge, it shows in the
  shares as a miss instead.
- A target with no decided alarm (all pending, or no alarm) has share and met None: no data
  is neither a pass nor a fail.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from gateway.alarms import utc_iso

from .desk_model import WORK_ITEM_KINDS

# Work items (desk_model.WORK_ITEM_KINDS) are not calls for help: a link, device or battery
# problem is repaired, not answered within a minute. They are left out by default.

# CSV shares are fractions written with this many decimals, rounded down, so a shown share
# is at or above a target (which has no more decimals) exactly when the target is met.
SHARE_DECIMALS = 4
SECONDS_DECIMALS = 3

# Spreadsheets run a cell starting with one of these as a formula (OWASP "CSV injection";
# tab and carriage return too, as OWASP lists them).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class Target:
    """Share of alarms to be acknowledged within `limit`."""

    limit: timedelta
    required_share: Fraction  # exact, so 39 of 40 meets 97.5 % without float doubts

    @property
    def limit_seconds(self) -> int:
        return int(self.limit.total_seconds())


TSA_60S = Target(timedelta(seconds=60), Fraction(975, 1000))
TSA_180S = Target(timedelta(seconds=180), Fraction(99, 100))


@dataclass(frozen=True, slots=True)
class AnsweredAlarm:
    """One alarm and its first dispatcher acknowledgement, if any."""

    id: str
    kind: str
    severity: str
    raised_at: datetime  # when the hub committed the alarm (hub clock)
    acknowledged_at: datetime | None  # first `acknowledged` event (hub clock); None: not yet
    acknowledged_by: str | None  # the dispatcher of that event (`staff:<name>` minus `staff:`)

    def __post_init__(self) -> None:
        _require_aware("raised_at", self.raised_at)
        if self.acknowledged_at is not None:
            _require_aware("acknowledged_at", self.acknowledged_at)
        if (self.acknowledged_at is None) != (self.acknowledged_by is None):
            raise ValueError(
                f"alarm {self.id}: acknowledged_at and acknowledged_by go together "
                "(both set, or both None)"
            )


@dataclass(frozen=True, slots=True)
class TargetStats:
    """How a group of alarms did against one target.

    answered + missed + pending == the group's alarms; the share is answered / (answered +
    missed).
    """

    target: Target
    answered: int  # acknowledged within the limit
    missed: int  # acknowledged later, or still unacknowledged past the limit
    pending: int  # unacknowledged, waiting no longer than the limit: not decided yet

    @property
    def decided(self) -> int:
        return self.answered + self.missed

    @property
    def exact_share(self) -> Fraction | None:
        return Fraction(self.answered, self.decided) if self.decided else None

    @property
    def share(self) -> float | None:
        exact = self.exact_share
        return None if exact is None else float(exact)

    @property
    def met(self) -> bool | None:
        exact = self.exact_share
        return None if exact is None else exact >= self.target.required_share


@dataclass(frozen=True, slots=True)
class GroupStats:
    alarms: int
    acknowledged: int
    within_60s: TargetStats
    within_180s: TargetStats
    median_seconds: float | None  # nearest-rank, acknowledged alarms only
    p95_seconds: float | None


@dataclass(frozen=True, slots=True)
class DayStats:
    day: date  # the care center's local day
    stats: GroupStats


@dataclass(frozen=True, slots=True)
class DispatcherStats:
    dispatcher: str
    stats: GroupStats


@dataclass(frozen=True, slots=True)
class SlaReport:
    start: datetime
    end: datetime  # exclusive
    now: datetime
    timezone: str  # IANA key of the local days
    overall: GroupStats
    days: tuple[DayStats, ...]  # every local day the period touches, quiet ones included
    dispatchers: tuple[DispatcherStats, ...]  # by name; acknowledged alarms only


@dataclass(frozen=True, slots=True)
class _Outcome:
    """An alarm as seen at `now`: its wait so far, and who acknowledged it if anyone did."""

    alarm: AnsweredAlarm
    wait: timedelta
    acknowledged_by: str | None


def sla_report(
    alarms: Iterable[AnsweredAlarm],
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    tz: ZoneInfo,
    excluded_kinds: frozenset[str] = WORK_ITEM_KINDS,
) -> SlaReport:
    """The SLA report of the alarms raised in [start, end), as of `now`, days local to `tz`."""
    for name, moment in (("start", start), ("end", end), ("now", now)):
        _require_aware(name, moment)
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    outcomes = [
        _outcome(alarm, now)
        for alarm in alarms
        if alarm.kind not in excluded_kinds and start <= alarm.raised_at < end
    ]
    return SlaReport(
        start=start,
        end=end,
        now=now,
        timezone=tz.key,
        overall=_group_stats(outcomes),
        days=_by_day(outcomes, start, end, tz),
        dispatchers=_by_dispatcher(outcomes),
    )


def nearest_rank(values: Sequence[timedelta], percent: int) -> timedelta:
    """The nearest-rank percentile: the value at rank ceil(percent/100 * n) of the sorted
    values (1-based). Integer arithmetic, so no float rounding picks the wrong rank."""
    if not values:
        raise ValueError("no values")
    if not 0 < percent <= 100:
        raise ValueError(f"percent must be in (0, 100], not {percent}")
    rank = -(-percent * len(values) // 100)
    return sorted(values)[rank - 1]


def _outcome(alarm: AnsweredAlarm, now: datetime) -> _Outcome:
    acknowledged_at = alarm.acknowledged_at
    if acknowledged_at is not None and acknowledged_at <= now:
        # Both times are the hub's; a negative wait means its clock stepped back. Counting
        # it as instant keeps the report producible and is off by that step at most.
        wait = max(acknowledged_at - alarm.raised_at, timedelta(0))
        return _Outcome(alarm, wait, alarm.acknowledged_by)
    return _Outcome(alarm, max(now - alarm.raised_at, timedelta(0)), None)


def _target_stats(outcomes: Sequence[_Outcome], target: Target) -> TargetStats:
    answered = missed = pending = 0
    for outcome in outcomes:
        if outcome.wait > target.limit:
            missed += 1
        elif outcome.acknowledged_by is not None:
            answered += 1
        else:
            pending += 1
    return TargetStats(target, answered, missed, pending)


def _group_stats(outcomes: Sequence[_Outcome]) -> GroupStats:
    waits = [outcome.wait for outcome in outcomes if outcome.acknowledged_by is not None]
    return GroupStats(
        alarms=len(outcomes),
        acknowledged=len(waits),
        within_60s=_target_stats(outcomes, TSA_60S),
        within_180s=_target_stats(outcomes, TSA_180S),
        median_seconds=nearest_rank(waits, 50).total_seconds() if waits else None,
        p95_seconds=nearest_rank(waits, 95).total_seconds() if waits else None,
    )


def local_days(start: datetime, end: datetime, tz: ZoneInfo) -> list[date]:
    """Every local day of `tz` that [start, end) touches (the service report's days too)."""
    if end <= start:
        return []
    first = start.astimezone(tz).date()
    # `end` is exclusive: the last local day is the one of the last microsecond before it.
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _by_day(
    outcomes: Sequence[_Outcome], start: datetime, end: datetime, tz: ZoneInfo
) -> tuple[DayStats, ...]:
    grouped: dict[date, list[_Outcome]] = {day: [] for day in local_days(start, end, tz)}
    for outcome in outcomes:
        grouped[outcome.alarm.raised_at.astimezone(tz).date()].append(outcome)
    return tuple(DayStats(day, _group_stats(grouped[day])) for day in sorted(grouped))


def _by_dispatcher(outcomes: Sequence[_Outcome]) -> tuple[DispatcherStats, ...]:
    grouped: dict[str, list[_Outcome]] = {}
    for outcome in outcomes:
        if outcome.acknowledged_by is not None:
            grouped.setdefault(outcome.acknowledged_by, []).append(outcome)
    return tuple(DispatcherStats(name, _group_stats(grouped[name])) for name in sorted(grouped))


def _require_aware(name: str, moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment!r}")


# ---------------------------------------------------------------------------------------------
# Exports

CSV_HEADER = (
    "scope",  # overall | day | dispatcher
    "key",  # "" | local date (YYYY-MM-DD) | dispatcher username
    "alarms",
    "acknowledged",
    "answered_60s",
    "missed_60s",
    "pending_60s",
    "share_60s_fraction",
    "target_60s_met",
    "answered_180s",
    "missed_180s",
    "pending_180s",
    "share_180s_fraction",
    "target_180s_met",
    "median_ack_seconds",
    "p95_ack_seconds",
)


def report_csv(report: SlaReport) -> str:
    """The report as RFC 4180 CSV (CRLF line ends): a header, the overall row, one row per
    local day, one per dispatcher. Shares are fractions in [0, 1] with SHARE_DECIMALS
    decimals rounded down; booleans are true/false; no data is an empty cell."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerow(_csv_row("overall", "", report.overall))
    writer.writerows(_csv_row("day", day.day.isoformat(), day.stats) for day in report.days)
    writer.writerows(
        _csv_row("dispatcher", defuse_formula(row.dispatcher), row.stats)
        for row in report.dispatchers
    )
    return buffer.getvalue()


def defuse_formula(text: str) -> str:
    """A leading apostrophe makes spreadsheets show a would-be formula as text."""
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _csv_row(scope: str, key: str, stats: GroupStats) -> list[str]:
    return [
        scope,
        key,
        str(stats.alarms),
        str(stats.acknowledged),
        *_csv_target(stats.within_60s),
        *_csv_target(stats.within_180s),
        csv_seconds(stats.median_seconds),
        csv_seconds(stats.p95_seconds),
    ]


def _csv_target(stats: TargetStats) -> list[str]:
    exact = stats.exact_share
    met = stats.met
    return [
        str(stats.answered),
        str(stats.missed),
        str(stats.pending),
        "" if exact is None else floor_decimal(exact, SHARE_DECIMALS),
        "" if met is None else str(met).lower(),
    ]


def floor_decimal(value: Fraction, decimals: int) -> str:
    """A non-negative fraction with `decimals` decimals, rounded down."""
    scale = 10**decimals
    scaled = value.numerator * scale // value.denominator  # shares are >= 0: // rounds down
    return f"{scaled // scale}.{scaled % scale:0{decimals}d}"


def csv_seconds(seconds: float | None) -> str:
    """A duration cell: SECONDS_DECIMALS decimals; no data is an empty cell."""
    return "" if seconds is None else f"{seconds:.{SECONDS_DECIMALS}f}"


def to_dict(report: SlaReport) -> dict[str, Any]:
    """The report as JSON-ready data for the API; times are UTC ISO-8601 like the wire's."""
    return {
        "start": utc_iso(report.start),
        "end": utc_iso(report.end),
        "now": utc_iso(report.now),
        "timezone": report.timezone,
        "overall": _group_dict(report.overall),
        "days": [{"day": row.day.isoformat(), **_group_dict(row.stats)} for row in report.days],
        "dispatchers": [
            {"dispatcher": row.dispatcher, **_group_dict(row.stats)} for row in report.dispatchers
        ],
    }


def _group_dict(stats: GroupStats) -> dict[str, Any]:
    return {
        "alarms": stats.alarms,
        "acknowledged": stats.acknowledged,
        "within_60s": _target_dict(stats.within_60s),
        "within_180s": _target_dict(stats.within_180s),
        "median_ack_seconds": stats.median_seconds,
        "p95_ack_seconds": stats.p95_seconds,
    }


def _target_dict(stats: TargetStats) -> dict[str, Any]:
    return {
        "limit_seconds": stats.target.limit_seconds,
        "required_share": float(stats.target.required_share),
        "answered": stats.answered,
        "missed": stats.missed,
        "pending": stats.pending,
        "share": stats.share,  # fraction in [0, 1]; None: nothing decided yet
        "met": stats.met,
    }
