"""The service-level report's rules (hub/core/service_sla.py) on hand-built records: the
window's edges, the snapshot as of `now`, refusals, an empty period, the CSV's defences, and
invariants on any requests. The whole report on stored requests: test_service_sla_report.py."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.services.lifecycle import ServiceActor
from hub.core.service_sla import (
    CSV_HEADER,
    ServiceRecord,
    ServiceReport,
    ServiceStats,
    report_csv,
    service_report,
    to_dict,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 3, 1, tzinfo=SHANGHAI)
END = datetime(2026, 3, 3, tzinfo=SHANGHAI)
REQUESTED = datetime(2026, 3, 1, 9, tzinfo=SHANGHAI)
WINDOW = (REQUESTED + timedelta(hours=1), REQUESTED + timedelta(hours=2))
MICRO = timedelta(microseconds=1)


def report(records: list[ServiceRecord], now: datetime = END) -> ServiceReport:
    return service_report(records, start=START, end=END, now=now, tz=SHANGHAI)


def arrived(at: datetime, window: tuple[datetime, datetime] | None = WINDOW) -> ServiceRecord:
    """A request accepted after a minute, assigned, and arrived at `at`."""
    start, end = window if window else (None, None)
    return ServiceRecord(
        id="r",
        requested_at=REQUESTED,
        accepted_at=REQUESTED + timedelta(minutes=1),
        accepted_by="li",
        assigned_at=REQUESTED + timedelta(minutes=1),
        provider_id="p1",
        provider_name="Anju",
        window_start=start,
        window_end=end,
        arrived_at=at,
    )


def arrival_counts(stats: ServiceStats) -> tuple[int, int, int, int]:
    a = stats.arrival
    return a.on_time, a.early, a.late, a.no_window


@pytest.mark.parametrize(
    ("at", "counts", "late_minutes"),
    [
        (WINDOW[0] - MICRO, (0, 1, 0, 0), None),
        (WINDOW[0], (1, 0, 0, 0), None),  # both ends of the window are on time
        (WINDOW[1], (1, 0, 0, 0), None),
        (WINDOW[1] + timedelta(seconds=90), (0, 0, 1, 0), 1.5),
    ],
)
def test_the_window_is_inclusive(
    at: datetime, counts: tuple[int, int, int, int], late_minutes: float | None
) -> None:
    stats = report([arrived(at)]).overall

    assert arrival_counts(stats) == counts
    assert stats.arrival.late_minutes_median == stats.arrival.late_minutes_max == late_minutes
    assert stats.arrival.on_time_share == (1.0 if counts[0] else 0.0)


def test_an_arrival_without_a_window_is_no_window_and_out_of_the_share() -> None:
    stats = report([arrived(WINDOW[0], window=None)]).overall

    assert arrival_counts(stats) == (0, 0, 0, 1)
    assert stats.arrival.on_time_share is None


def test_steps_after_now_are_not_seen_yet() -> None:
    done = ServiceRecord(
        id="r",
        requested_at=REQUESTED,
        accepted_at=REQUESTED + timedelta(minutes=1),
        accepted_by="li",
        assigned_at=REQUESTED + timedelta(minutes=2),
        provider_id="p1",
        provider_name="Anju",
        window_start=WINDOW[0],
        window_end=WINDOW[1],
        arrived_at=WINDOW[0],
        completed_at=WINDOW[1],
        rating=5,
        rated_at=WINDOW[1] + timedelta(minutes=1),
    )

    def seen_at(now: datetime) -> tuple[int, ...]:
        s = report([done], now=now).overall
        return s.accepted, s.assigned, s.arrived, s.completed, s.open, s.ratings.count

    assert seen_at(REQUESTED) == (0, 0, 0, 0, 1, 0)
    assert seen_at(REQUESTED + timedelta(minutes=1)) == (1, 0, 0, 0, 1, 0)
    assert seen_at(WINDOW[0]) == (1, 1, 1, 0, 1, 0)
    assert seen_at(WINDOW[1]) == (1, 1, 1, 1, 0, 0)
    assert seen_at(END) == (1, 1, 1, 1, 0, 1)
    assert report([done], now=REQUESTED).dispatchers == ()
    assert report([done], now=REQUESTED).providers == ()


def test_a_cancellation_after_now_leaves_the_request_open() -> None:
    cancelled = ServiceRecord(
        "r",
        REQUESTED,
        cancelled_at=REQUESTED + timedelta(minutes=5),
        cancelled_by=ServiceActor.SENIOR,
    )

    before = report([cancelled], now=REQUESTED + timedelta(minutes=4)).overall
    after = report([cancelled]).overall

    assert (before.open, before.cancelled.total) == (1, 0)
    assert (after.open, after.cancelled.senior, after.completion_base) == (0, 1, 0)
    assert after.completion_rate is None  # nothing the care center could have completed


def test_open_requests_are_no_failures() -> None:
    waiting = ServiceRecord("w", REQUESTED)
    completed = ServiceRecord("c", REQUESTED, completed_at=REQUESTED + timedelta(hours=1))

    stats = report([waiting, completed]).overall

    assert (stats.requests, stats.open, stats.completion_base) == (2, 1, 1)
    assert stats.completion_rate == 1.0


def test_a_clock_stepped_back_counts_as_an_instant_accept() -> None:
    record = ServiceRecord(
        "r", REQUESTED, accepted_at=REQUESTED - timedelta(seconds=5), accepted_by="li"
    )

    assert report([record]).overall.accept.max_seconds == 0.0


def test_requests_outside_the_period_are_left_out() -> None:
    records = [
        ServiceRecord("before", START - MICRO),
        ServiceRecord("first", START),
        ServiceRecord("last", END - MICRO),
        ServiceRecord("after", END),
    ]

    result = report(records)

    assert result.overall.requests == 2
    assert [(row.day, row.stats.requests) for row in result.days] == [
        (date(2026, 3, 1), 1),
        (date(2026, 3, 2), 1),
    ]


def test_refusals() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ServiceRecord("r", datetime(2026, 3, 1, 9))  # noqa: DTZ001
    with pytest.raises(ValueError, match="go together"):
        ServiceRecord("r", REQUESTED, accepted_at=REQUESTED)
    with pytest.raises(ValueError, match="go together"):
        ServiceRecord("r", REQUESTED, cancelled_at=REQUESTED)
    with pytest.raises(ValueError, match="go together"):
        ServiceRecord("r", REQUESTED, window_start=REQUESTED)
    with pytest.raises(ValueError, match="1-5"):
        ServiceRecord("r", REQUESTED, rating=6, rated_at=REQUESTED)
    with pytest.raises(ValueError, match="before it starts"):
        service_report([], start=END, end=START, now=END, tz=SHANGHAI)
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        service_report([], start=START, end=END, now=datetime(2026, 3, 1), tz=SHANGHAI)  # noqa: DTZ001


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_an_empty_period_has_its_days_and_no_data() -> None:
    result = report([])

    data = to_dict(result)
    overall = data["overall"]
    assert overall["requests"] == 0
    assert overall["completion"] == {"completed": 0, "base": 0, "rate": None}
    assert overall["accept_seconds"] == {"median": None, "p90": None, "max": None}
    assert overall["ratings"]["average"] is None
    assert [row["day"] for row in data["days"]] == ["2026-03-01", "2026-03-02"]
    assert (data["providers"], data["dispatchers"]) == ([], [])
    rows = parse(report_csv(result))
    assert [row[:2] for row in rows[1:]] == [
        ["overall", ""],
        ["day", "2026-03-01"],
        ["day", "2026-03-02"],
    ]
    assert rows[1][CSV_HEADER.index("completion_rate_fraction")] == ""


def test_csv_defuses_formulas_in_names_and_json_keeps_them() -> None:
    record = ServiceRecord(
        "r",
        REQUESTED,
        accepted_at=REQUESTED,
        accepted_by="=cmd()",
        assigned_at=REQUESTED,
        provider_id="p1",
        provider_name='+Acme, "Fixers"',
        window_start=WINDOW[0],
        window_end=WINDOW[1],
    )

    result = report([record])

    rows = parse(report_csv(result))
    assert rows[-2][:3] == ["provider", "p1", '\'+Acme, "Fixers"']
    assert rows[-1][:2] == ["dispatcher", "'=cmd()"]
    data = to_dict(result)
    assert data["providers"][0]["organisation"] == '+Acme, "Fixers"'
    assert data["dispatchers"][0]["dispatcher"] == "=cmd()"


# ---------------------------------------------------------------------------------------------
# Invariants on any requests

PROPERTY_START = datetime(2026, 3, 1, tzinfo=UTC)
PERIOD = timedelta(days=3)
MINUTE = 60_000_000  # microseconds


@st.composite
def records(draw: st.DrawFn) -> ServiceRecord:
    """A request that went some way along its life, with times in order."""
    requested = PROPERTY_START + timedelta(
        microseconds=draw(st.integers(-60 * MINUTE, (PERIOD.days * 1440 + 60) * MINUTE))
    )
    steps = draw(st.integers(0, 4))  # accepted, assigned, arrived, completed
    at = requested
    times: list[datetime] = []
    for _ in range(steps):
        at += timedelta(microseconds=draw(st.integers(0, 120 * MINUTE)))
        times.append(at)
    window = None
    if steps >= 2 and draw(st.booleans()):
        start = times[1] + timedelta(microseconds=draw(st.integers(0, 240 * MINUTE)))
        window = (start, start + timedelta(microseconds=draw(st.integers(0, 120 * MINUTE))))
    cancelled = steps < 4 and draw(st.booleans())
    rated = steps == 4 and draw(st.booleans())
    return ServiceRecord(
        id=draw(st.uuids()).hex,
        requested_at=requested,
        accepted_at=times[0] if steps >= 1 else None,
        accepted_by=draw(st.sampled_from(["li", "wang", "=x"])) if steps >= 1 else None,
        assigned_at=times[1] if steps >= 2 else None,
        provider_id=draw(st.sampled_from(["p1", "p2"])) if steps >= 2 else None,
        provider_name="Org" if steps >= 2 else None,
        window_start=window[0] if window else None,
        window_end=window[1] if window else None,
        arrived_at=times[2] if steps >= 3 else None,
        completed_at=times[3] if steps >= 4 else None,
        cancelled_at=at + timedelta(minutes=1) if cancelled else None,
        cancelled_by=draw(st.sampled_from(ServiceActor)) if cancelled else None,
        rating=draw(st.integers(1, 5)) if rated else None,
        rated_at=at + timedelta(minutes=5) if rated else None,
    )


def assert_consistent(stats: ServiceStats) -> None:
    assert stats.requests == stats.completed + stats.cancelled.total + stats.open
    assert stats.requests >= stats.accepted >= stats.assigned >= stats.arrived >= stats.completed
    a = stats.arrival
    assert a.on_time + a.early + a.late + a.no_window == stats.arrived
    assert stats.completion_base == stats.completed + stats.cancelled.staff
    for share in (stats.completion_rate, a.on_time_share):
        assert share is None or 0.0 <= share <= 1.0
    accept = stats.accept
    assert (accept.median_seconds is None) == (stats.accepted == 0)
    if accept.median_seconds is not None:
        assert accept.p90_seconds is not None
        assert accept.max_seconds is not None
        assert 0.0 <= accept.median_seconds <= accept.p90_seconds <= accept.max_seconds
    assert (a.late_minutes_max is None) == (a.late == 0)
    assert stats.ratings.count <= stats.completed
    average = stats.ratings.average
    assert average is None or 1.0 <= average <= 5.0


@settings(max_examples=200, deadline=None)
@given(
    requests=st.lists(records(), max_size=30),
    now_minutes=st.integers(0, PERIOD.days * 1440 + 600),
    tz=st.sampled_from([SHANGHAI, ZoneInfo("UTC"), ZoneInfo("America/New_York")]),
)
def test_report_invariants(requests: list[ServiceRecord], now_minutes: int, tz: ZoneInfo) -> None:
    end = PROPERTY_START + PERIOD
    now = PROPERTY_START + timedelta(minutes=now_minutes)

    result = service_report(requests, start=PROPERTY_START, end=end, now=now, tz=tz)

    overall = result.overall
    assert overall.requests == sum(PROPERTY_START <= r.requested_at < end for r in requests)
    groups = [*result.days, *result.providers, *result.dispatchers]
    for stats in (overall, *(g.stats for g in groups)):
        assert_consistent(stats)
    assert sum(d.stats.requests for d in result.days) == overall.requests
    assert sum(d.stats.completed for d in result.days) == overall.completed
    assert sum(d.stats.ratings.count for d in result.days) == overall.ratings.count
    assert sum(p.stats.requests for p in result.providers) == overall.assigned
    assert sum(d.stats.requests for d in result.dispatchers) == overall.accepted
    rows = parse(report_csv(result))
    assert len(rows) == 1 + 1 + len(groups)
    assert all(len(row) == len(CSV_HEADER) for row in rows)
    json.dumps(to_dict(result))
