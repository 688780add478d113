"""SLA report (hub.sla): exact numbers on hand-built alarms, local days, exports, invariants."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.core.sla import (
    CSV_HEADER,
    AnsweredAlarm,
    GroupStats,
    SlaReport,
    TargetStats,
    nearest_rank,
    report_csv,
    sla_report,
    to_dict,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Two local days in Shanghai (UTC+8): 2026-03-01 and 2026-03-02.
START = datetime(2026, 3, 1, tzinfo=SHANGHAI)
END = datetime(2026, 3, 3, tzinfo=SHANGHAI)


def alarm(
    alarm_id: str,
    raised_at: datetime,
    wait: float | None = None,
    by: str | None = None,
    kind: str = "sos",
) -> AnsweredAlarm:
    """An alarm acknowledged `wait` seconds after it was raised (None: not acknowledged)."""
    acknowledged_at = None if wait is None else raised_at + timedelta(seconds=wait)
    return AnsweredAlarm(alarm_id, kind, "critical", raised_at, acknowledged_at, by)


def report(
    alarms: list[AnsweredAlarm],
    now: datetime = END,
    tz: ZoneInfo = SHANGHAI,
    start: datetime = START,
    end: datetime = END,
) -> SlaReport:
    return sla_report(alarms, start=start, end=end, now=now, tz=tz)


def target_counts(stats: TargetStats) -> tuple[int, int, int]:
    return stats.answered, stats.missed, stats.pending


def local(day: int, hour: int, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, micro, tzinfo=SHANGHAI)


# ---------------------------------------------------------------------------------------------
# A small hand-built shift. now is ten seconds before the period ends.

NOW = END - timedelta(seconds=10)
SHIFT = [
    alarm("a1", local(1, 9), 20, "li"),
    alarm("a2", local(1, 10), 45, "wang"),
    alarm("a3", local(1, 11), 90, "li"),
    # Raised on the 1st, acknowledged on the 2nd: it stays on the 1st.
    alarm("a4", local(1, 23, 59, 30), 200, "wang"),
    # Local midnight: the 2nd in Shanghai, still the 1st in UTC.
    alarm("a5", local(2, 0), 10, "zhao"),
    alarm("a6", NOW - timedelta(seconds=30)),  # unacknowledged: pending for both targets
    alarm("a7", NOW - timedelta(seconds=120)),  # missed 60 s, pending for 180 s
    alarm("a8", NOW - timedelta(seconds=600)),  # missed both
    # Not counted: a work item, and alarms just outside [START, END).
    alarm("w1", local(1, 12), 1000, "li", kind="link_lost"),
    alarm("o1", START - timedelta(microseconds=1), 999, "li"),
    alarm("o2", END, 999, "li"),
]


def test_overall_numbers_of_the_shift() -> None:
    overall = report(SHIFT, now=NOW).overall

    assert (overall.alarms, overall.acknowledged) == (8, 5)
    assert target_counts(overall.within_60s) == (3, 4, 1)
    assert overall.within_60s.share == pytest.approx(3 / 7)
    assert overall.within_60s.met is False
    assert target_counts(overall.within_180s) == (4, 2, 2)
    assert overall.within_180s.share == pytest.approx(4 / 6)
    assert overall.within_180s.met is False
    # Acknowledged waits sorted: 10, 20, 45, 90, 200. Ranks ceil(2.5) = 3 and ceil(4.75) = 5.
    assert (overall.median_seconds, overall.p95_seconds) == (45.0, 200.0)


def test_days_are_the_care_centers_local_days() -> None:
    days = report(SHIFT, now=NOW).days

    assert [row.day for row in days] == [date(2026, 3, 1), date(2026, 3, 2)]
    first, second = days[0].stats, days[1].stats
    assert (first.alarms, first.acknowledged) == (4, 4)
    assert target_counts(first.within_60s) == (2, 2, 0)
    assert target_counts(first.within_180s) == (3, 1, 0)
    assert (first.median_seconds, first.p95_seconds) == (45.0, 200.0)
    assert (second.alarms, second.acknowledged) == (4, 1)
    assert target_counts(second.within_60s) == (1, 2, 1)
    assert target_counts(second.within_180s) == (1, 1, 2)
    assert (second.median_seconds, second.p95_seconds) == (10.0, 10.0)


def test_the_same_alarms_grouped_by_utc_days() -> None:
    # Shanghai's two days are 16:00Z to 16:00Z: three UTC days, the first one quiet.
    days = report(SHIFT, now=NOW, tz=ZoneInfo("UTC")).days

    assert [(row.day, row.stats.alarms) for row in days] == [
        (date(2026, 2, 28), 0),
        (date(2026, 3, 1), 5),  # a1 to a4 and a5, raised at 16:00Z on the 1st
        (date(2026, 3, 2), 3),
    ]


def test_local_midnight_splits_days() -> None:
    last_of_first = alarm("late", local(2, 0) - timedelta(microseconds=1), 5, "li")
    first_of_second = alarm("early", local(2, 0), 5, "li")

    days = report([last_of_first, first_of_second]).days

    assert [(row.day, row.stats.alarms) for row in days] == [
        (date(2026, 3, 1), 1),
        (date(2026, 3, 2), 1),
    ]


def test_per_dispatcher_split() -> None:
    dispatchers = {row.dispatcher: row.stats for row in report(SHIFT, now=NOW).dispatchers}

    assert list(dispatchers) == ["li", "wang", "zhao"]  # unacknowledged alarms have no row
    li, wang, zhao = dispatchers["li"], dispatchers["wang"], dispatchers["zhao"]
    assert (li.alarms, li.acknowledged) == (2, 2)
    assert target_counts(li.within_60s) == (1, 1, 0)
    assert target_counts(li.within_180s) == (2, 0, 0)
    assert (li.within_60s.met, li.within_180s.met) == (False, True)
    assert (li.median_seconds, li.p95_seconds) == (20.0, 90.0)
    assert target_counts(wang.within_60s) == (1, 1, 0)
    assert target_counts(wang.within_180s) == (1, 1, 0)
    assert (wang.median_seconds, wang.p95_seconds) == (45.0, 200.0)
    assert target_counts(zhao.within_180s) == (1, 0, 0)
    assert (zhao.within_60s.met, zhao.within_180s.met) == (True, True)


@pytest.mark.parametrize(
    ("wait", "within_60s", "within_180s"),
    [
        (0.0, True, True),
        (60.0, True, True),  # exactly at the limit counts as within
        (60.001, False, True),
        (180.0, False, True),
        (180.001, False, False),
    ],
)
def test_limits_are_inclusive(wait: float, within_60s: bool, within_180s: bool) -> None:
    stats = report([alarm("a", local(1, 9), wait, "li")]).overall

    assert (stats.within_60s.answered == 1) is within_60s
    assert (stats.within_180s.answered == 1) is within_180s
    assert stats.within_60s.decided == stats.within_180s.decided == 1


@pytest.mark.parametrize(
    ("waited", "within_60s", "within_180s"),
    [
        (0.0, (0, 0, 1), (0, 0, 1)),
        (60.0, (0, 0, 1), (0, 0, 1)),  # may still be answered in time: pending
        (60.001, (0, 1, 0), (0, 0, 1)),  # can no longer make 60 s: a miss there only
        (180.0, (0, 1, 0), (0, 0, 1)),
        (180.001, (0, 1, 0), (0, 1, 0)),
    ],
)
def test_unacknowledged_alarms_are_pending_then_missed(
    waited: float, within_60s: tuple[int, int, int], within_180s: tuple[int, int, int]
) -> None:
    raised = local(1, 9)

    stats = report([alarm("a", raised)], now=raised + timedelta(seconds=waited)).overall

    assert (stats.alarms, stats.acknowledged) == (1, 0)
    assert target_counts(stats.within_60s) == within_60s
    assert target_counts(stats.within_180s) == within_180s
    assert (stats.median_seconds, stats.p95_seconds) == (None, None)


def test_pending_alarms_stay_out_of_the_share() -> None:
    raised = local(1, 9)
    alarms = [alarm("answered", raised, 30, "li"), alarm("waiting", raised)]

    stats = report(alarms, now=raised + timedelta(seconds=50)).overall

    assert stats.within_60s.share == 1.0
    assert stats.within_60s.met is True


def test_an_acknowledgement_after_now_is_not_seen_yet() -> None:
    raised = local(1, 9)

    result = report([alarm("a", raised, 100, "li")], now=raised + timedelta(seconds=70))

    assert result.overall.acknowledged == 0
    assert target_counts(result.overall.within_60s) == (0, 1, 0)
    assert target_counts(result.overall.within_180s) == (0, 0, 1)
    assert result.dispatchers == ()


def test_tsa_targets_are_met_exactly_at_the_required_share() -> None:
    raised = local(1, 9)
    # 39 of 40 within 60 s is 97.5 %; 99 of 100 within 180 s is 99 %.
    at_target = [alarm(f"f{n}", raised, 10, "li") for n in range(39)]
    at_target.append(alarm("slow", raised, 100, "li"))
    below = [alarm(f"f{n}", raised, 10, "li") for n in range(98)]
    below += [alarm("x", raised, 500, "li"), alarm("y", raised, 500, "li")]
    at_180 = [*below[:99], alarm("z", raised, 170, "li")]

    assert report(at_target).overall.within_60s.met is True
    assert report(at_target[1:]).overall.within_60s.met is False  # 38 of 39 = 97.4 %
    assert report(below).overall.within_180s.met is False  # 98 %
    assert report(at_180).overall.within_180s.met is True  # 99 %


def test_work_item_kinds_are_not_counted() -> None:
    raised = local(1, 9)
    alarms = [
        alarm(kind, raised, 5000, "li", kind=kind)
        for kind in ("link_lost", "device_offline", "battery_low")
    ]

    assert report(alarms).overall.alarms == 0
    included = sla_report(
        alarms, start=START, end=END, now=END, tz=SHANGHAI, excluded_kinds=frozenset()
    )
    assert included.overall.alarms == 3


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [
        ([7], 50, 7),
        ([7], 95, 7),
        ([4, 1, 3, 2], 50, 2),  # even count: the lower middle, an observed value
        ([4, 1, 3, 2], 95, 4),
        ([5, 1, 4, 2, 3], 50, 3),
        (list(range(1, 21)), 95, 19),  # rank ceil(19.0) = 19
        (list(range(1, 21)), 96, 20),  # rank ceil(19.2) = 20
        (list(range(1, 101)), 95, 95),
        (list(range(1, 101)), 100, 100),
    ],
)
def test_nearest_rank(values: list[int], percent: int, expected: int) -> None:
    waits = [timedelta(seconds=value) for value in values]

    assert nearest_rank(waits, percent) == timedelta(seconds=expected)


def test_nearest_rank_needs_values_and_a_percent() -> None:
    with pytest.raises(ValueError, match="no values"):
        nearest_rank([], 50)
    with pytest.raises(ValueError, match="percent"):
        nearest_rank([timedelta(0)], 0)


def test_empty_period() -> None:
    result = report([])

    assert result.overall == GroupStats(
        0,
        0,
        TargetStats(result.overall.within_60s.target, 0, 0, 0),
        TargetStats(result.overall.within_180s.target, 0, 0, 0),
        None,
        None,
    )
    assert (result.overall.within_60s.share, result.overall.within_60s.met) == (None, None)
    assert [row.day for row in result.days] == [date(2026, 3, 1), date(2026, 3, 2)]
    assert all(row.stats.alarms == 0 for row in result.days)
    assert result.dispatchers == ()
    assert [row[1] for row in parse(report_csv(result))[1:]] == ["", "2026-03-01", "2026-03-02"]


def test_zero_length_period_and_reversed_period() -> None:
    assert report([], start=START, end=START).days == ()
    with pytest.raises(ValueError, match="before it starts"):
        report([], start=END, end=START)


def test_naive_times_and_half_acknowledgements_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        AnsweredAlarm("a", "sos", "critical", datetime(2026, 3, 1, 9), None, None)  # noqa: DTZ001
    with pytest.raises(ValueError, match="go together"):
        AnsweredAlarm("a", "sos", "critical", local(1, 9), None, "li")
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        report([], now=datetime(2026, 3, 1, 9))  # noqa: DTZ001


# ---------------------------------------------------------------------------------------------
# Exports


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_csv_round_trips_the_shift() -> None:
    text = report_csv(report(SHIFT, now=NOW))

    rows = parse(text)
    assert tuple(rows[0]) == CSV_HEADER
    # The names and dates here hold no comma, so the expected rows can be written plainly.
    assert rows[1:] == [
        line.split(",")
        for line in [
            "overall,,8,5,3,4,1,0.4285,false,4,2,2,0.6666,false,45.000,200.000",
            "day,2026-03-01,4,4,2,2,0,0.5000,false,3,1,0,0.7500,false,45.000,200.000",
            "day,2026-03-02,4,1,1,2,1,0.3333,false,1,1,2,0.5000,false,10.000,10.000",
            "dispatcher,li,2,2,1,1,0,0.5000,false,2,0,0,1.0000,true,20.000,90.000",
            "dispatcher,wang,2,2,1,1,0,0.5000,false,1,1,0,0.5000,false,45.000,200.000",
            "dispatcher,zhao,1,1,1,0,0,1.0000,true,1,0,0,1.0000,true,10.000,10.000",
        ]
    ]
    # CRLF throughout (RFC 4180), no bare LF.
    assert text.endswith("\r\n")
    assert text.count("\n") == text.count("\r\n") == len(rows)


def test_csv_shares_round_down_so_they_agree_with_met() -> None:
    raised = local(1, 9)
    # 1949 of 1999 within 60 s is 0.974987...: a miss that rounding to nearest would print
    # as 0.9750, the target itself. 1998 of 1999 within 180 s is 0.9994997...: met.
    alarms = [alarm(f"f{n}", raised, 10, "li") for n in range(1949)]
    alarms += [alarm(f"s{n}", raised, 100, "li") for n in range(49)]
    alarms.append(alarm("miss", raised, 1000, "li"))

    overall = parse(report_csv(report(alarms)))[1]
    assert overall[7:14] == ["0.9749", "false", "1998", "1", "0", "0.9994", "true"]
    # Exactly at the target prints the target and meets it.
    at_target = [alarm("extra", raised, 10, "li"), *alarms]  # 1950 of 2000
    assert parse(report_csv(report(at_target)))[1][7:9] == ["0.9750", "true"]


def test_csv_quotes_names_with_commas_quotes_and_newlines() -> None:
    names = ['Li, "Junior"', "Wang\nXiaoming", "张伟"]
    alarms = [alarm(name, local(1, 9), 5, name) for name in names]

    text = report_csv(report(alarms))

    keys = [row[1] for row in parse(text) if row[0] == "dispatcher"]
    assert keys == sorted(names)
    assert '"Li, ""Junior"""' in text


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("li=1", "li=1"),
        ("'quoted", "'quoted"),
    ],
)
def test_csv_defuses_formulas_in_names(name: str, shown: str) -> None:
    result = report([alarm("a", local(1, 9), 5, name)])

    rows = parse(report_csv(result))

    assert rows[-1][:2] == ["dispatcher", shown]
    # JSON is no spreadsheet: the API keeps the name as it is.
    assert to_dict(result)["dispatchers"][0]["dispatcher"] == name


def test_to_dict_is_json_ready() -> None:
    data = json.loads(json.dumps(to_dict(report(SHIFT, now=NOW))))

    assert data["start"] == "2026-02-28T16:00:00.000Z"
    assert data["end"] == "2026-03-02T16:00:00.000Z"
    assert data["timezone"] == "Asia/Shanghai"
    assert data["overall"]["within_60s"] == {
        "limit_seconds": 60,
        "required_share": 0.975,
        "answered": 3,
        "missed": 4,
        "pending": 1,
        "share": pytest.approx(3 / 7),
        "met": False,
    }
    assert data["overall"]["median_ack_seconds"] == 45.0
    assert [day["day"] for day in data["days"]] == ["2026-03-01", "2026-03-02"]
    assert [row["dispatcher"] for row in data["dispatchers"]] == ["li", "wang", "zhao"]
    assert data["days"][1]["within_180s"]["pending"] == 2


def test_to_dict_of_an_empty_period_uses_null() -> None:
    overall = to_dict(report([]))["overall"]

    assert overall["within_180s"]["share"] is None
    assert overall["within_180s"]["met"] is None
    assert overall["p95_ack_seconds"] is None


# ---------------------------------------------------------------------------------------------
# Invariants on any alarms

PERIOD = timedelta(days=3)
PROPERTY_START = datetime(2026, 3, 1, tzinfo=UTC)
MICRO = 1_000_000


@st.composite
def answered_alarms(draw: st.DrawFn) -> AnsweredAlarm:
    # Some alarms fall outside the period, and waits cluster around the 60 s / 180 s limits.
    raised = PROPERTY_START + timedelta(
        microseconds=draw(st.integers(-3600 * MICRO, (PERIOD.days * 86400 + 3600) * MICRO))
    )
    wait = draw(
        st.none()
        | st.integers(0, 400 * MICRO)
        | st.sampled_from([60 * MICRO, 60 * MICRO + 1, 180 * MICRO, 180 * MICRO + 1])
    )
    if wait is None:
        return AnsweredAlarm(draw(st.uuids()).hex, "sos", "critical", raised, None, None)
    name = draw(st.sampled_from(["li", "wang", "=cmd", 'a,"b"', "张伟"]))
    at = raised + timedelta(microseconds=wait)
    kind = draw(st.sampled_from(["sos", "fall", "gas", "link_lost"]))
    return AnsweredAlarm(draw(st.uuids()).hex, kind, "critical", raised, at, name)


def assert_consistent(stats: GroupStats) -> None:
    assert 0 <= stats.acknowledged <= stats.alarms
    for target in (stats.within_60s, stats.within_180s):
        assert target.answered + target.missed + target.pending == stats.alarms
        assert target.share is None or 0.0 <= target.share <= 1.0
        assert (target.share is None) == (target.met is None) == (target.decided == 0)
    assert stats.within_60s.answered <= stats.within_180s.answered
    assert stats.within_60s.missed >= stats.within_180s.missed
    if stats.within_60s.share is not None and stats.within_180s.share is not None:
        assert stats.within_60s.share <= stats.within_180s.share
    if stats.acknowledged:
        assert stats.median_seconds is not None
        assert stats.p95_seconds is not None
        assert 0.0 <= stats.median_seconds <= stats.p95_seconds
    else:
        assert stats.median_seconds is None
        assert stats.p95_seconds is None


@settings(max_examples=300, deadline=None)
@given(
    alarms=st.lists(answered_alarms(), max_size=40),
    now_offset=st.integers(0, (PERIOD.days * 86400 + 7200) * MICRO),
    tz=st.sampled_from([SHANGHAI, ZoneInfo("UTC"), ZoneInfo("America/New_York")]),
)
def test_report_invariants(alarms: list[AnsweredAlarm], now_offset: int, tz: ZoneInfo) -> None:
    end = PROPERTY_START + PERIOD
    now = PROPERTY_START + timedelta(microseconds=now_offset)

    result = sla_report(alarms, start=PROPERTY_START, end=end, now=now, tz=tz)

    counted = [a for a in alarms if a.kind != "link_lost" and PROPERTY_START <= a.raised_at < end]
    assert result.overall.alarms == len(counted)
    for stats in (result.overall, *(d.stats for d in result.days)):
        assert_consistent(stats)
    for row in result.dispatchers:
        assert_consistent(row.stats)
        assert row.stats.alarms == row.stats.acknowledged  # only acknowledged alarms
        assert row.stats.within_60s.pending == row.stats.within_180s.pending == 0
    assert sum(d.stats.alarms for d in result.days) == result.overall.alarms
    assert sum(d.stats.acknowledged for d in result.days) == result.overall.acknowledged
    assert sum(r.stats.alarms for r in result.dispatchers) == result.overall.acknowledged
    for target in ("within_60s", "within_180s"):
        for part in ("answered", "missed", "pending"):
            total = getattr(getattr(result.overall, target), part)
            assert sum(getattr(getattr(d.stats, target), part) for d in result.days) == total
    rows = parse(report_csv(result))
    assert len(rows) == 1 + 1 + len(result.days) + len(result.dispatchers)
    assert all(len(row) == len(CSV_HEADER) for row in rows)
    json.dumps(to_dict(result))
