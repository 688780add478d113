"""Lifecycle steps from staff and local actors, and state that survives a restart."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from gateway.alarms import AlarmAction, AlarmKind
from gateway.protocol import MessageType
from gateway.safety.book import FINISHED_KEPT, Alarm, AlarmBook, AlarmState
from gateway.safety.effects import AlarmChanged, CloseValve, NotifyFamily, RepairClosed, SirensOff
from gateway.safety.engine import SafetyEngine
from gateway.safety.observations import (
    Activity,
    AlarmUpdate,
    DetectorChanged,
    DeviceHeard,
    HubReceived,
    Pressed,
)
from gateway.safety.roles import Role

from .conftest import (
    FAMILY,
    T0,
    VALVES,
    actions,
    cleared,
    events,
    make_engine,
    of,
    open_alarm,
    raised,
    run_until,
    settings,
    to_hub,
)

S = timedelta(seconds=1)
MIN = timedelta(minutes=1)


def gas(active: bool | None) -> DetectorChanged:
    return DetectorChanged("binary_sensor.gas", Role.GAS, active, "Kitchen gas")


def smoke(active: bool | None) -> DetectorChanged:
    return DetectorChanged("binary_sensor.smoke", Role.SMOKE, active, "Kitchen smoke")


@pytest.fixture
def engine() -> SafetyEngine:
    """No valves: these tests are about the alarm, not about closing valves."""
    engine = make_engine()
    engine.set_valves({})
    return engine


def test_local_resolve_goes_to_the_hub_and_silences_the_sirens(engine: SafetyEngine) -> None:
    engine.handle(gas(True), T0)
    alarm = open_alarm(engine, AlarmKind.GAS)

    effects = engine.handle(
        AlarmUpdate(alarm.id, AlarmAction.RESOLVED, "resident", "false alarm, cooking"), T0 + MIN
    )

    assert alarm.state is AlarmState.RESOLVED
    [event] = events(effects, AlarmAction.RESOLVED)
    assert event == {
        "alarm_id": alarm.id,
        "action": "resolved",
        "occurred_at": "2026-03-02T02:01:00.000Z",
        "actor": "resident",
        "detail": "false alarm, cooking",
    }
    assert of(effects, SirensOff) == [SirensOff("gas resolved")]
    assert [c.what for c in of(effects, AlarmChanged)] == ["resolved"]


def test_staff_steps_from_the_hub_are_not_echoed_back(engine: SafetyEngine) -> None:
    engine.handle(gas(True), T0)
    alarm = open_alarm(engine, AlarmKind.GAS)
    for minute, action in enumerate(
        [AlarmAction.ACKNOWLEDGED, AlarmAction.DISPATCHED, AlarmAction.ON_SITE], start=1
    ):
        effects = engine.handle(
            AlarmUpdate(alarm.id, action, "staff:Zhao", from_hub=True), T0 + minute * MIN
        )
        assert to_hub(effects, MessageType.ALARM_EVENT) == []
        assert alarm.state.value == action.value
    effects = engine.handle(
        AlarmUpdate(alarm.id, AlarmAction.RESOLVED, "staff:Zhao", from_hub=True), T0 + 5 * MIN
    )
    assert [e for e in effects if not isinstance(e, (AlarmChanged, SirensOff))] == []
    assert of(effects, SirensOff) == [SirensOff("gas resolved")]
    assert alarm.state is AlarmState.RESOLVED


def test_sirens_stay_on_while_another_siren_alarm_is_open(engine: SafetyEngine) -> None:
    engine.handle(gas(True), T0)
    engine.handle(smoke(True), T0 + S)
    gas_alarm = open_alarm(engine, AlarmKind.GAS)
    fire_alarm = open_alarm(engine, AlarmKind.FIRE)

    effects = engine.handle(AlarmUpdate(gas_alarm.id, AlarmAction.RESOLVED, "resident"), T0 + MIN)
    assert of(effects, SirensOff) == []

    effects = engine.handle(AlarmUpdate(fire_alarm.id, AlarmAction.RESOLVED, "resident"), T0 + MIN)
    assert of(effects, SirensOff) == [SirensOff("fire resolved")]


def test_resolving_a_silent_alarm_leaves_the_sirens_alone(engine: SafetyEngine) -> None:
    engine.handle(Pressed("Pendant"), T0)
    alarm = open_alarm(engine, AlarmKind.SOS)
    effects = engine.handle(AlarmUpdate(alarm.id, AlarmAction.RESOLVED, "resident"), T0 + S)
    assert of(effects, SirensOff) == []


def test_updates_never_move_the_state_backwards(engine: SafetyEngine) -> None:
    engine.handle(Pressed("Pendant"), T0)
    alarm = open_alarm(engine, AlarmKind.SOS)
    engine.handle(HubReceived(alarm.id), T0 + S)
    assert alarm.state is AlarmState.REPORTED
    engine.handle(AlarmUpdate(alarm.id, AlarmAction.DISPATCHED, "staff", from_hub=True), T0 + MIN)
    # A late "acknowledged" is history, not a step back.
    engine.handle(
        AlarmUpdate(alarm.id, AlarmAction.ACKNOWLEDGED, "staff", from_hub=True), T0 + 2 * MIN
    )
    assert alarm.state is AlarmState.DISPATCHED
    assert actions(alarm)[-2:] == [AlarmAction.DISPATCHED, AlarmAction.ACKNOWLEDGED]
    # A late receipt does not undo dispatch either.
    engine.handle(HubReceived(alarm.id), T0 + 3 * MIN)
    assert alarm.state is AlarmState.DISPATCHED

    engine.handle(AlarmUpdate(alarm.id, AlarmAction.RESOLVED, "staff", from_hub=True), T0 + 4 * MIN)
    history = list(alarm.history)
    effects = engine.handle(
        AlarmUpdate(alarm.id, AlarmAction.ON_SITE, "staff", from_hub=True), T0 + 5 * MIN
    )
    assert effects == []
    assert alarm.state is AlarmState.RESOLVED
    assert alarm.history == history


def test_update_for_an_unknown_alarm_is_ignored(engine: SafetyEngine) -> None:
    update = AlarmUpdate("01JNOSUCHALARM00000000000", AlarmAction.RESOLVED, "staff")
    assert engine.handle(update, T0) == []


def test_after_resolution_a_new_trigger_is_a_new_alarm(engine: SafetyEngine) -> None:
    engine.handle(gas(True), T0)
    first = open_alarm(engine, AlarmKind.GAS)
    engine.handle(AlarmUpdate(first.id, AlarmAction.RESOLVED, "resident"), T0 + MIN)
    engine.handle(gas(False), T0 + 2 * MIN)
    effects = engine.handle(gas(True), T0 + 3 * MIN)
    second = open_alarm(engine, AlarmKind.GAS)
    assert second.id != first.id
    assert [b["alarm_id"] for b in raised(effects)] == [second.id]
    assert engine.book.raised_total == 2


def test_the_book_forgets_only_the_oldest_finished_alarms() -> None:
    book = AlarmBook()
    for i in range(FINISHED_KEPT + 5):
        alarm, _ = book.raise_alarm(AlarmKind.DOOR, "door", T0 + i * S)
        book.record(alarm.id, AlarmAction.RESOLVED, "staff", T0 + i * S)
    open_one, _ = book.raise_alarm(AlarmKind.SOS, "button", T0 + MIN * 10)
    assert len([a for a in book.all_alarms() if not a.open]) == FINISHED_KEPT
    assert book.open_alarms() == [open_one]
    assert book.raised_total == FINISHED_KEPT + 6


# Persistence across a restart


def _restart(engine: SafetyEngine, now: object, **changes: object) -> SafetyEngine:
    saved = json.loads(json.dumps(engine.snapshot()))
    restored = SafetyEngine(settings(**changes), now, saved)  # type: ignore[arg-type]
    restored.set_valves(VALVES)
    return restored


def test_snapshot_survives_json_and_a_restart() -> None:
    engine = make_engine(family=FAMILY, family_answer_window=8 * MIN)
    engine.supervise({"dev-sos": "SOS button", "dev-gas": "Gas detector"}, T0)
    engine.handle(Pressed("Pendant"), T0)
    sos = open_alarm(engine, AlarmKind.SOS)
    engine.handle(HubReceived(sos.id), T0 + S)
    engine.handle(DeviceHeard("dev-gas", "Gas detector"), T0 + 8 * MIN)
    run_until(engine, T0 + 10 * MIN)  # the SOS button is offline; Li Na was silent
    engine.handle(Activity("Hall motion"), T0 + 11 * MIN)
    offline = open_alarm(engine, AlarmKind.DEVICE_OFFLINE)
    assert sos.family.notified == [0, 1]
    assert sos.family.next_at == T0 + 16 * MIN

    later = T0 + 12 * MIN
    restored = _restart(engine, later, family=FAMILY, family_answer_window=8 * MIN)

    assert [a.to_dict() for a in restored.book.open_alarms()] == [
        a.to_dict() for a in engine.book.open_alarms()
    ]
    again = restored.book.get(sos.id)
    assert again.state is AlarmState.REPORTED
    assert again.family.notified == [0, 1]
    assert again.family.next_at == sos.family.next_at
    assert again.raised_at == T0
    assert actions(again) == actions(sos)
    assert restored.book.raised_total == engine.book.raised_total
    assert restored.inactivity.last_activity == T0 + 11 * MIN
    assert restored.supervision.offline == {"dev-sos": "SOS button"}
    assert restored.next_deadline() == sos.family.next_at
    assert restored.snapshot() == engine.snapshot()

    # The escalation carries on where it stopped: the last member was silent.
    effects = restored.tick(sos.family.next_at)
    assert [e["detail"] for e in events(effects, AlarmAction.FAMILY_UNANSWERED)] == ["Wang Wei"]

    # A repeat after the restart is the same alarm.
    effects = restored.handle(Pressed("Pendant"), later + MIN)
    assert [b["alarm_id"] for b in raised(effects)] == [sos.id]
    assert restored.book.get(sos.id).count == 2

    # The host supervises again; the device that recovers closes its repair and the alarm.
    restored.supervise({"dev-sos": "SOS button", "dev-gas": "Gas detector"}, later)
    effects = restored.handle(DeviceHeard("dev-sos", "SOS button"), later + 2 * MIN)
    assert of(effects, RepairClosed) == [RepairClosed("dev-sos", "device_offline")]
    assert [b["alarm_id"] for b in cleared(effects)] == [offline.id]
    assert restored.book.get(offline.id).state is AlarmState.RESOLVED
    # The offline device is not reported a second time while it stays offline meanwhile.
    assert restored.supervision.offline == {}


def test_restored_offline_device_is_not_reopened_before_it_is_heard() -> None:
    engine = make_engine()
    engine.supervise({"dev-sos": "SOS button"}, T0)
    engine.tick(T0 + 10 * MIN)
    restored = _restart(engine, T0 + 20 * MIN)
    restored.supervise({"dev-sos": "SOS button"}, T0 + 20 * MIN)
    assert restored.tick(T0 + 40 * MIN) == []
    assert open_alarm(restored, AlarmKind.DEVICE_OFFLINE).count == 1


def test_restored_battery_low_clears_on_replacement() -> None:
    from gateway.safety.observations import BatteryLevel  # noqa: PLC0415

    engine = make_engine()
    engine.handle(BatteryLevel("dev-sos", "SOS button", 5), T0)
    restored = _restart(engine, T0 + MIN)
    assert restored.supervision.battery_low == {"dev-sos": "SOS button"}
    assert restored.handle(BatteryLevel("dev-sos", "SOS button", 8), T0 + 2 * MIN) == []
    effects = restored.handle(BatteryLevel("dev-sos", "SOS button", 100), T0 + 3 * MIN)
    assert of(effects, RepairClosed) == [RepairClosed("dev-sos", "battery_low")]


def test_restore_from_nothing_starts_clean() -> None:
    engine = SafetyEngine(settings(), T0, None)
    assert engine.book.all_alarms() == []
    assert engine.inactivity.last_activity == T0
    assert SafetyEngine(settings(), T0, {}).snapshot() == engine.snapshot()


def test_alarm_dict_round_trip_keeps_everything() -> None:
    engine = make_engine(family=FAMILY)
    engine.handle(Pressed("Pendant"), T0)
    alarm = open_alarm(engine, AlarmKind.SOS)
    engine.handle(
        AlarmUpdate(alarm.id, AlarmAction.ACKNOWLEDGED, "staff", "on it", from_hub=True), T0 + S
    )
    copy = Alarm.from_dict(json.loads(json.dumps(alarm.to_dict())))
    assert copy == alarm


def test_gas_quiet_after_a_restart_still_clears() -> None:
    engine = make_engine()
    engine.handle(gas(True), T0)
    restored = _restart(engine, T0 + MIN)
    # The gas went quiet while HA was restarting: the first state after it is "off".
    effects = restored.handle(gas(False), T0 + 2 * MIN)
    assert len(cleared(effects)) == 1


def test_gas_still_on_after_a_restart_is_not_a_repeat() -> None:
    engine = make_engine()
    engine.handle(gas(True), T0)
    restored = _restart(engine, T0 + MIN)
    restored.handle(gas(True), T0 + MIN)
    assert open_alarm(restored, AlarmKind.GAS).count == 1


def test_valve_verification_survives_a_restart() -> None:
    engine = make_engine()
    engine.handle(gas(True), T0)
    restored = _restart(engine, T0 + 5 * S)
    assert restored.hazards.closing_valves() != []
    # The command goes again at start-up: nobody knows whether it got through.
    assert [e for e in restored.tick(T0 + 5 * S) if isinstance(e, CloseValve)] != []


def test_family_notification_carries_the_live_alarm() -> None:
    engine = make_engine(family=FAMILY)
    effects = engine.handle(Pressed("Pendant"), T0)
    [note] = of(effects, NotifyFamily)
    assert note.alarm is open_alarm(engine, AlarmKind.SOS)
    assert note.update is None
