"""Doors: opened during quiet hours (local time), or left open too long."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from gateway.alarms import AlarmKind, Severity
from gateway.safety.engine import SafetyEngine
from gateway.safety.observations import DetectorChanged
from gateway.safety.roles import Role
from gateway.safety.settings import DailyWindow

from .conftest import SHANGHAI, T0, cleared, make_engine, open_alarm, raised

DOOR = "binary_sensor.front_door"
BACK = "binary_sensor.back_door"
MIN = timedelta(minutes=1)


def door(active: bool | None, entity: str = DOOR, name: str = "Front door") -> DetectorChanged:
    return DetectorChanged(entity, Role.DOOR, active, name)


def shanghai(hour: int, minute: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("moment", "alarm"),
    [
        (shanghai(21, 59), False),
        (shanghai(22, 0), True),
        (shanghai(23, 30), True),
        (shanghai(0, 0, day=3), True),
        (shanghai(5, 59, day=3), True),
        (shanghai(6, 0, day=3), False),
        (shanghai(12, 0), False),
        # The host's clock is UTC: 15:00 UTC is 23:00 in Shanghai, 03:00 UTC is 11:00.
        (datetime(2026, 3, 2, 15, 0, tzinfo=UTC), True),
        (datetime(2026, 3, 2, 3, 0, tzinfo=UTC), False),
        # 23:00 UTC is 07:00 the next morning in Shanghai: not quiet, though it is in UTC.
        (datetime(2026, 3, 2, 23, 0, tzinfo=UTC), False),
    ],
    ids=str,
)
def test_door_opened_during_quiet_hours_in_local_time(moment: datetime, alarm: bool) -> None:
    engine = make_engine(now=moment)
    effects = engine.handle(door(True), moment)
    if alarm:
        found = open_alarm(engine, AlarmKind.DOOR)
        assert found.severity is Severity.NORMAL
        assert found.source == "Front door: opened during quiet hours"
        assert [b["kind"] for b in raised(effects)] == ["door"]
    else:
        assert raised(effects) == []
        assert engine.book.all_alarms() == []


@pytest.mark.parametrize(
    ("quiet", "hour", "minute", "alarm"),
    [
        # A window wrapping midnight
        (DailyWindow(time(23, 30), time(5)), 23, 29, False),
        (DailyWindow(time(23, 30), time(5)), 23, 30, True),
        (DailyWindow(time(23, 30), time(5)), 2, 0, True),
        (DailyWindow(time(23, 30), time(5)), 5, 0, False),
        # An afternoon nap, not wrapping
        (DailyWindow(time(13), time(15)), 12, 59, False),
        (DailyWindow(time(13), time(15)), 14, 0, True),
        (DailyWindow(time(13), time(15)), 15, 0, False),
        (DailyWindow(time(13), time(15)), 23, 0, False),
        (None, 2, 0, False),
    ],
    ids=str,
)
def test_configured_quiet_hours(
    quiet: DailyWindow | None, hour: int, minute: int, alarm: bool
) -> None:
    moment = shanghai(hour, minute)
    engine = make_engine(now=moment, quiet_hours=quiet)
    engine.handle(door(True), moment)
    assert (engine.book.open_of_kind(AlarmKind.DOOR) is not None) is alarm


def test_door_left_open_in_the_day_raises_after_the_limit(engine: SafetyEngine) -> None:
    assert engine.handle(door(True), T0) == []
    assert engine.next_deadline() == T0 + 10 * MIN
    assert engine.tick(T0 + 10 * MIN - timedelta(seconds=1)) == []

    effects = engine.tick(T0 + 10 * MIN)

    alarm = open_alarm(engine, AlarmKind.DOOR)
    assert alarm.source == "Front door: open for more than 10 min"
    assert [b["alarm_id"] for b in raised(effects)] == [alarm.id]
    # Reported once: later ticks are quiet, and the door has no deadline left.
    assert engine.tick(T0 + 30 * MIN) == []
    assert alarm.count == 1
    assert engine.next_deadline() != T0 + 10 * MIN


def test_door_open_limit_setting() -> None:
    engine = make_engine(door_open_limit=timedelta(minutes=3))
    engine.handle(door(True), T0)
    assert engine.next_deadline() == T0 + 3 * MIN
    engine.tick(T0 + 3 * MIN)
    assert open_alarm(engine, AlarmKind.DOOR).source == "Front door: open for more than 3 min"


def test_door_closed_before_the_limit_raises_nothing(engine: SafetyEngine) -> None:
    engine.handle(door(True), T0)
    assert engine.handle(door(False), T0 + 9 * MIN) == []
    assert engine.tick(T0 + 10 * MIN) == []
    assert engine.tick(T0 + 60 * MIN) == []
    assert engine.book.all_alarms() == []
    # Only inactivity is left, counted from the closing: someone was at the door.
    assert engine.next_deadline() == T0 + 9 * MIN + timedelta(hours=4)


def test_door_unavailable_while_open_keeps_its_timer(engine: SafetyEngine) -> None:
    engine.handle(door(True), T0)
    assert engine.handle(door(None), T0 + MIN) == []
    assert engine.handle(door(True), T0 + 2 * MIN) == []
    assert engine.next_deadline() == T0 + 10 * MIN


def test_door_flapping_unavailable_at_night_raises_once() -> None:
    night = shanghai(23)
    engine = make_engine(now=night)
    engine.handle(door(True), night)
    engine.handle(door(None), night + MIN)
    engine.handle(door(True), night + 2 * MIN)
    assert open_alarm(engine, AlarmKind.DOOR).count == 1


def test_closing_clears_once_every_door_is_closed(engine: SafetyEngine) -> None:
    engine.handle(door(True), T0)
    engine.handle(door(True, BACK, "Back door"), T0 + MIN)
    engine.tick(T0 + 11 * MIN)
    alarm = open_alarm(engine, AlarmKind.DOOR)
    assert alarm.count == 2  # both doors, one alarm

    assert cleared(engine.handle(door(False), T0 + 12 * MIN)) == []
    [body] = cleared(engine.handle(door(False, BACK, "Back door"), T0 + 13 * MIN))

    assert body == {
        "alarm_id": alarm.id,
        "occurred_at": "2026-03-02T02:13:00.000Z",
        "reason": "Back door closed",
    }
    assert alarm.open  # a person still has to look
    assert alarm.cleared_at == T0 + 13 * MIN


def test_door_opening_counts_as_activity(engine: SafetyEngine) -> None:
    engine.handle(door(True), T0 + 30 * MIN)
    assert engine.inactivity.last_activity == T0 + 30 * MIN


# DailyWindow itself


def test_daily_window_parse_and_str() -> None:
    window = DailyWindow.parse(" 22:00 - 06:30 ")
    assert window == DailyWindow(time(22), time(6, 30))
    assert str(window) == "22:00-06:30"
    assert window.contains(time(23))
    assert window.contains(time(6, 29))
    assert not window.contains(time(6, 30))
    assert not window.contains(time(12))
