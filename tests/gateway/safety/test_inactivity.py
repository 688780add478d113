"""Inactivity: only day-window time counts; a local pre-warning first, then the alarm."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from gateway.alarms import AlarmAction, AlarmKind, Severity
from gateway.safety.book import AlarmState
from gateway.safety.effects import Announce, NotifyFamily
from gateway.safety.engine import NothingToCancel, SafetyEngine
from gateway.safety.observations import (
    Activity,
    AlarmUpdate,
    CancelPressed,
    DetectorChanged,
    Pressed,
    VitalReading,
)
from gateway.safety.roles import Role
from gateway.safety.rules.inactivity import when_day_time_reaches
from gateway.safety.settings import DailyWindow
from gateway.vital_signs import VitalSign

from .conftest import (
    FAMILY,
    SHANGHAI,
    T0,
    actions,
    cleared,
    events,
    make_engine,
    of,
    open_alarm,
    raised,
    run_until,
)

DAY = DailyWindow(time(7), time(22))
H = timedelta(hours=1)
MIN = timedelta(minutes=1)
BERLIN = ZoneInfo("Europe/Berlin")


def shanghai(hour: int, minute: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("since", "amount", "expected"),
    [
        (shanghai(21, 30), 4 * H, shanghai(10, 30, day=3)),  # the documented example
        (shanghai(12), 4 * H, shanghai(16)),
        (shanghai(18), 4 * H, shanghai(22)),  # exactly the end of the day
        (shanghai(20), 4 * H, shanghai(9, day=3)),
        (shanghai(3), 4 * H, shanghai(11)),  # asleep: the clock starts at 07:00
        (shanghai(23), 30 * MIN, shanghai(7, 30, day=3)),
        (shanghai(7), 20 * H, shanghai(12, day=3)),  # longer than one day window
        (shanghai(22), 16 * H, shanghai(8, day=4)),
        # The host's clock is UTC: 13:30 UTC is 21:30 in Shanghai.
        (datetime(2026, 3, 2, 13, 30, tzinfo=UTC), 4 * H, shanghai(10, 30, day=3)),
    ],
    ids=str,
)
def test_when_day_time_reaches(since: datetime, amount: timedelta, expected: datetime) -> None:
    assert when_day_time_reaches(since, amount, DAY, SHANGHAI) == expected


def test_when_day_time_reaches_with_a_window_past_midnight() -> None:
    night_shift = DailyWindow(time(20), time(8))
    assert when_day_time_reaches(shanghai(10), 4 * H, night_shift, SHANGHAI) == shanghai(0, day=3)
    # 07:00-08:00 is the end of the last night's window, then 20:00 + 3 h.
    assert when_day_time_reaches(shanghai(7), 4 * H, night_shift, SHANGHAI) == shanghai(23)
    assert when_day_time_reaches(shanghai(2), 4 * H, night_shift, SHANGHAI) == shanghai(6)


@pytest.mark.parametrize(
    ("since", "amount", "expected_utc"),
    [
        # 29 March 2026: clocks go 02:00 -> 03:00, so 01:00-23:00 holds 21 real hours.
        (datetime(2026, 3, 29, 1, tzinfo=BERLIN), 21 * H, datetime(2026, 3, 29, 21, tzinfo=UTC)),
        (datetime(2026, 3, 29, 1, tzinfo=BERLIN), 22 * H, datetime(2026, 3, 30, 0, tzinfo=UTC)),
        # 25 October 2026: clocks go 03:00 -> 02:00, so 01:00-23:00 holds 23 real hours.
        (
            datetime(2026, 10, 25, 1, tzinfo=BERLIN),
            22 * H,
            datetime(2026, 10, 25, 21, tzinfo=UTC),
        ),
    ],
    ids=["spring-21h", "spring-22h", "autumn-22h"],
)
def test_when_day_time_reaches_counts_real_hours_across_dst(
    since: datetime, amount: timedelta, expected_utc: datetime
) -> None:
    window = DailyWindow(time(1), time(23))
    assert when_day_time_reaches(since, amount, window, BERLIN) == expected_utc


def test_last_seen_late_evening_is_prewarned_next_morning() -> None:
    evening = shanghai(21, 30)
    engine = make_engine(now=evening)
    assert engine.next_deadline() == shanghai(10, 30, day=3)
    # A whole night passes without a word.
    assert run_until(engine, shanghai(10, 29, day=3)) == []
    assert engine.tick(shanghai(10, 30, day=3)) == [Announce("inactivity_prewarning")]


def _prewarned(**changes: object) -> SafetyEngine:
    engine = make_engine(**changes)  # type: ignore[arg-type]
    assert engine.next_deadline() == T0 + 4 * H
    assert run_until(engine, T0 + 4 * H - MIN) == []
    assert engine.tick(T0 + 4 * H) == [Announce("inactivity_prewarning")]
    assert engine.book.all_alarms() == []
    assert engine.next_deadline() == T0 + 4 * H + 10 * MIN
    return engine


def test_unanswered_prewarning_raises_inactivity() -> None:
    engine = _prewarned(family=FAMILY)
    assert engine.tick(T0 + 4 * H + 9 * MIN) == []

    effects = engine.tick(T0 + 4 * H + 10 * MIN)

    alarm = open_alarm(engine, AlarmKind.INACTIVITY)
    assert alarm.severity is Severity.HIGH
    assert alarm.source == "no activity"
    assert [b["kind"] for b in raised(effects)] == ["inactivity"]
    [event] = events(effects, AlarmAction.PREWARNING)
    assert event["detail"] == "pre-warning unanswered"
    assert AlarmAction.PREWARNING in actions(alarm)
    assert of(effects, NotifyFamily) == [NotifyFamily(0, alarm)]
    # No second announcement and no second alarm while this one is open.
    assert of(run_until(engine, T0 + 10 * H), Announce) == []
    assert alarm.count == 1
    assert engine.inactivity.next_deadline() is None


@pytest.mark.parametrize(
    "sign_of_life",
    [
        Activity("kitchen motion"),
        DetectorChanged("binary_sensor.hall_motion", Role.MOTION, True, "Hall motion"),
        DetectorChanged("binary_sensor.front_door", Role.DOOR, True, "Front door"),
        VitalReading("sensor.bp_sys", VitalSign.SYSTOLIC, 120, "mmHg"),
        CancelPressed("Cancel button"),
    ],
    ids=lambda o: type(o).__name__,
)
def test_activity_during_the_prewarning_cancels_it(sign_of_life: object) -> None:
    engine = _prewarned()
    answered = T0 + 4 * H + 5 * MIN
    engine.handle(sign_of_life, answered)  # type: ignore[arg-type]
    assert engine.tick(T0 + 4 * H + 10 * MIN) == []
    assert engine.book.all_alarms() == []
    assert engine.inactivity.last_activity == answered
    assert engine.inactivity.next_deadline() == answered + 4 * H


def test_quiet_motion_or_unavailable_is_not_activity(engine: SafetyEngine) -> None:
    engine.handle(DetectorChanged("binary_sensor.m", Role.MOTION, False), T0 + H)
    engine.handle(DetectorChanged("binary_sensor.m", Role.MOTION, None), T0 + H)
    assert engine.inactivity.last_activity == T0


def test_cancel_during_the_prewarning_counts_as_an_answer() -> None:
    engine = _prewarned()
    answered = T0 + 4 * H + 2 * MIN
    assert engine.cancel("Cancel button", answered) == []
    assert engine.tick(T0 + 4 * H + 10 * MIN) == []
    assert engine.book.all_alarms() == []
    assert engine.next_deadline() == answered + 4 * H
    # The pre-warning is over: a second cancel has nothing to cancel.
    with pytest.raises(NothingToCancel):
        engine.cancel("Cancel button", answered + MIN)


def test_activity_after_the_alarm_clears_it_but_leaves_it_open() -> None:
    engine = _prewarned()
    engine.tick(T0 + 4 * H + 10 * MIN)
    alarm = open_alarm(engine, AlarmKind.INACTIVITY)

    effects = engine.handle(Activity("Hall motion"), T0 + 5 * H)

    [body] = cleared(effects)
    assert body["alarm_id"] == alarm.id
    assert body["reason"] == "activity: Hall motion"
    assert alarm.open
    assert alarm.cleared_at == T0 + 5 * H
    assert cleared(engine.handle(Activity("Hall motion"), T0 + 5 * H + MIN)) == []


def test_resolving_the_inactivity_alarm_restarts_the_clock() -> None:
    engine = _prewarned()
    engine.tick(T0 + 4 * H + 10 * MIN)
    alarm = open_alarm(engine, AlarmKind.INACTIVITY)
    resolved_at = T0 + 5 * H
    # Staff phoned the resident, who is fine, and resolved it; no sensor saw anything.
    effects = engine.handle(
        AlarmUpdate(alarm.id, AlarmAction.RESOLVED, "staff", "phoned, all well", from_hub=True),
        resolved_at,
    )

    assert alarm.state is AlarmState.RESOLVED
    assert raised(effects) == []
    assert engine.book.open_of_kind(AlarmKind.INACTIVITY) is None
    # The next pre-warning is a full limit of day time after the resolution, and comes first.
    assert engine.next_deadline() == resolved_at + 4 * H
    assert run_until(engine, resolved_at + 4 * H - MIN) == []
    assert engine.tick(resolved_at + 4 * H) == [Announce("inactivity_prewarning")]


def test_pressing_sos_is_a_sign_of_life(engine: SafetyEngine) -> None:
    engine.handle(Pressed("Pendant"), T0 + H)
    assert engine.inactivity.last_activity == T0 + H


def test_cancel_after_the_alarm_is_still_an_answer() -> None:
    engine = _prewarned()
    engine.tick(T0 + 4 * H + 10 * MIN)
    alarm = open_alarm(engine, AlarmKind.INACTIVITY)
    effects = engine.cancel("Cancel button", T0 + 4 * H + 12 * MIN)
    assert [b["alarm_id"] for b in cleared(effects)] == [alarm.id]
    assert alarm.open
    # Once resolved, the old pre-warning is gone: nothing left to cancel.
    engine.handle(AlarmUpdate(alarm.id, AlarmAction.RESOLVED, "staff", from_hub=True), T0 + 5 * H)
    with pytest.raises(NothingToCancel):
        engine.cancel("Cancel button", T0 + 5 * H + MIN)
