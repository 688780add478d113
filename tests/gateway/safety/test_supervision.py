"""Supervision: silent safety devices and low batteries, one repair issue per device."""

from __future__ import annotations

from datetime import timedelta

from gateway.alarms import AlarmAction, AlarmKind, Severity
from gateway.protocol import MessageType
from gateway.safety.book import AlarmState
from gateway.safety.effects import NotifyFamily, RepairClosed, RepairOpened
from gateway.safety.engine import SafetyEngine
from gateway.safety.observations import BatteryLevel, DeviceHeard

from .conftest import (
    FAMILY,
    T0,
    cleared,
    events,
    make_engine,
    of,
    open_alarm,
    raised,
    run_until,
    to_hub,
)

MIN = timedelta(minutes=1)
SOS_DEV = "dev-sos"
GAS_DEV = "dev-gas"


def _supervising(**changes: object) -> SafetyEngine:
    engine = make_engine(family=FAMILY, **changes)  # type: ignore[arg-type]
    engine.supervise({SOS_DEV: "SOS button", GAS_DEV: "Gas detector"}, T0)
    return engine


def test_device_not_heard_within_the_window_goes_offline() -> None:
    engine = _supervising()
    assert engine.next_deadline() == T0 + 10 * MIN
    engine.handle(DeviceHeard(GAS_DEV, "Gas detector"), T0 + 5 * MIN)
    assert engine.tick(T0 + 10 * MIN - timedelta(seconds=1)) == []

    effects = engine.tick(T0 + 10 * MIN)

    assert of(effects, RepairOpened) == [
        RepairOpened(
            SOS_DEV, "SOS button", "device_offline", {"name": "SOS button", "minutes": "10"}
        )
    ]
    alarm = open_alarm(engine, AlarmKind.DEVICE_OFFLINE)
    assert alarm.severity is Severity.NORMAL
    assert alarm.source == "SOS button: not heard for 10 min"
    assert [b["kind"] for b in raised(effects)] == ["device_offline"]
    # The care center's work, not the family's.
    assert of(effects, NotifyFamily) == []
    assert events(effects, AlarmAction.FAMILY_NOTIFIED) == []
    assert engine.supervision.offline == {SOS_DEV: "SOS button"}
    # Reported once; the gas detector goes silent too and joins the same alarm.
    effects = engine.tick(T0 + 15 * MIN)
    assert [r.device for r in of(effects, RepairOpened)] == [GAS_DEV]
    assert alarm.count == 2
    assert engine.tick(T0 + 60 * MIN) == []


def test_device_heard_in_time_raises_nothing() -> None:
    engine = _supervising()
    for minute in range(0, 60, 9):
        engine.handle(DeviceHeard(SOS_DEV, "SOS button"), T0 + minute * MIN)
        engine.handle(DeviceHeard(GAS_DEV, "Gas detector"), T0 + minute * MIN)
        assert engine.tick(T0 + minute * MIN + 9 * MIN - timedelta(seconds=1)) == []
    assert engine.book.all_alarms() == []
    assert engine.supervision.offline == {}


def test_recovery_closes_the_repair_and_resolves_the_alarm() -> None:
    engine = _supervising()
    engine.handle(DeviceHeard(GAS_DEV, "Gas detector"), T0 + 9 * MIN)
    engine.tick(T0 + 10 * MIN)
    alarm = open_alarm(engine, AlarmKind.DEVICE_OFFLINE)

    effects = engine.handle(DeviceHeard(SOS_DEV, "SOS button"), T0 + 12 * MIN)

    assert of(effects, RepairClosed) == [RepairClosed(SOS_DEV, "device_offline")]
    [body] = cleared(effects)
    assert body["alarm_id"] == alarm.id
    assert body["reason"] == "SOS button is back"
    assert alarm.state is AlarmState.RESOLVED
    assert alarm.cleared_at == T0 + 12 * MIN
    # The hub resolves device_offline on alarm.cleared: no separate resolve message.
    assert to_hub(effects, MessageType.ALARM_EVENT) == []
    assert engine.supervision.offline == {}
    # Supervised again from the moment it was heard.
    assert engine.supervision.next_deadline() == T0 + 19 * MIN


def test_alarm_stays_until_every_offline_device_is_back() -> None:
    engine = _supervising()
    engine.tick(T0 + 10 * MIN)
    alarm = open_alarm(engine, AlarmKind.DEVICE_OFFLINE)
    effects = engine.handle(DeviceHeard(SOS_DEV, "SOS button"), T0 + 11 * MIN)
    assert of(effects, RepairClosed) == [RepairClosed(SOS_DEV, "device_offline")]
    assert alarm.open
    assert cleared(effects) == []
    engine.handle(DeviceHeard(GAS_DEV, "Gas detector"), T0 + 12 * MIN)
    assert not alarm.open


def test_supervision_window_setting() -> None:
    engine = _supervising(supervision_window=timedelta(minutes=3))
    effects = engine.tick(T0 + 3 * MIN)
    assert {r.placeholders["minutes"] for r in of(effects, RepairOpened)} == {"3"}


def test_unsupervised_devices_are_never_reported_offline() -> None:
    engine = _supervising()
    # The host hears a motion sensor: it is not a safety device and must not be supervised.
    engine.handle(DeviceHeard("dev-motion", "Hall motion"), T0)
    engine.handle(DeviceHeard(SOS_DEV, "SOS button"), T0 + 9 * MIN)
    engine.handle(DeviceHeard(GAS_DEV, "Gas detector"), T0 + 9 * MIN)
    effects = run_until(engine, T0 + 12 * MIN)
    assert of(effects, RepairOpened) == []
    assert engine.supervision.offline == {}


def test_a_device_dropped_from_supervision_stops_counting() -> None:
    engine = _supervising()
    engine.supervise({GAS_DEV: "Gas detector"}, T0 + 5 * MIN)
    effects = engine.tick(T0 + 10 * MIN)
    assert [r.device for r in of(effects, RepairOpened)] == [GAS_DEV]


def test_a_new_device_gets_a_full_window() -> None:
    engine = _supervising()
    engine.handle(DeviceHeard(SOS_DEV, "SOS button"), T0 + 9 * MIN)
    engine.handle(DeviceHeard(GAS_DEV, "Gas detector"), T0 + 9 * MIN)
    engine.supervise(
        {SOS_DEV: "SOS button", GAS_DEV: "Gas detector", "dev-valve": "Gas valve"}, T0 + 9 * MIN
    )
    assert engine.supervision.next_deadline() == T0 + 19 * MIN


def test_battery_low_with_hysteresis() -> None:
    engine = _supervising()
    assert engine.handle(BatteryLevel(SOS_DEV, "SOS button", 40), T0) == []

    effects = engine.handle(BatteryLevel(SOS_DEV, "SOS button", 10), T0 + MIN)

    assert of(effects, RepairOpened) == [
        RepairOpened(SOS_DEV, "SOS button", "battery_low", {"name": "SOS button", "percent": "10"})
    ]
    alarm = open_alarm(engine, AlarmKind.BATTERY_LOW)
    assert alarm.severity is Severity.LOW
    assert alarm.source == "SOS button: 10 %"
    assert [b["kind"] for b in raised(effects)] == ["battery_low"]
    assert of(effects, NotifyFamily) == []  # low severity: nobody's phone rings
    assert engine.supervision.battery_low == {SOS_DEV: "SOS button"}
    # Still low, and 17 % is within the hysteresis: nothing changes.
    assert engine.handle(BatteryLevel(SOS_DEV, "SOS button", 9), T0 + 2 * MIN) == []
    assert engine.handle(BatteryLevel(SOS_DEV, "SOS button", 17), T0 + 3 * MIN) == []
    assert alarm.open
    assert alarm.count == 1

    effects = engine.handle(BatteryLevel(SOS_DEV, "SOS button", 25), T0 + 4 * MIN)

    assert of(effects, RepairClosed) == [RepairClosed(SOS_DEV, "battery_low")]
    assert [b["alarm_id"] for b in cleared(effects)] == [alarm.id]
    assert alarm.state is AlarmState.RESOLVED
    assert engine.supervision.battery_low == {}


def test_battery_exactly_at_the_threshold_is_not_low() -> None:
    engine = _supervising()
    assert engine.handle(BatteryLevel(SOS_DEV, "SOS button", 15), T0) == []


def test_two_low_batteries_share_one_alarm_until_both_are_replaced() -> None:
    engine = _supervising()
    engine.handle(BatteryLevel(SOS_DEV, "SOS button", 5), T0)
    engine.handle(BatteryLevel(GAS_DEV, "Gas detector", 12), T0 + MIN)
    alarm = open_alarm(engine, AlarmKind.BATTERY_LOW)
    assert alarm.count == 2
    engine.handle(BatteryLevel(SOS_DEV, "SOS button", 100), T0 + 2 * MIN)
    assert alarm.open
    engine.handle(BatteryLevel(GAS_DEV, "Gas detector", 100), T0 + 3 * MIN)
    assert not alarm.open
    # A new low battery later is a new alarm.
    engine.handle(BatteryLevel(GAS_DEV, "Gas detector", 3), T0 + 4 * MIN)
    assert open_alarm(engine, AlarmKind.BATTERY_LOW).id != alarm.id


def test_a_polled_last_seen_time_counts_from_when_the_device_was_heard() -> None:
    engine = _supervising()
    engine.handle(DeviceHeard(GAS_DEV, "Gas detector"), T0 + 9 * MIN)
    # The host polls "last seen" late: the SOS button was heard at +9 min, learnt at +18.
    engine.handle(DeviceHeard(SOS_DEV, "SOS button", at=T0 + 9 * MIN), T0 + 18 * MIN)
    assert engine.supervision.next_deadline() == T0 + 19 * MIN
    effects = engine.tick(T0 + 19 * MIN)
    assert {r.device for r in of(effects, RepairOpened)} == {SOS_DEV, GAS_DEV}


def test_a_stale_last_seen_time_does_not_bring_a_device_back() -> None:
    engine = _supervising()
    engine.handle(DeviceHeard(SOS_DEV, "SOS button", at=T0 + 2 * MIN), T0 + 2 * MIN)
    engine.handle(DeviceHeard(GAS_DEV, "Gas detector"), T0 + 9 * MIN)
    engine.tick(T0 + 12 * MIN)
    assert engine.supervision.offline == {SOS_DEV: "SOS button"}
    # The same (or an older) last-seen time polled again is not a sign of life.
    assert engine.handle(DeviceHeard(SOS_DEV, "SOS button", at=T0 + 2 * MIN), T0 + 13 * MIN) == []
    assert engine.handle(DeviceHeard(SOS_DEV, "SOS button", at=T0 + MIN), T0 + 13 * MIN) == []
    assert engine.supervision.offline == {SOS_DEV: "SOS button"}
    # A newer one is; a time in the future is taken as now.
    effects = engine.handle(DeviceHeard(SOS_DEV, "SOS button", at=T0 + 99 * MIN), T0 + 14 * MIN)
    assert of(effects, RepairClosed) == [RepairClosed(SOS_DEV, "device_offline")]
    assert engine.supervision.next_deadline() == T0 + 19 * MIN  # the gas detector's
    engine.handle(DeviceHeard(GAS_DEV, "Gas detector"), T0 + 14 * MIN)
    assert engine.supervision.next_deadline() == T0 + 24 * MIN
