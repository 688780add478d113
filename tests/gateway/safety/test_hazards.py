"""Gas, CO, smoke and water: alarm, valves closed and verified, sirens."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gateway.alarms import AlarmAction, AlarmKind, Severity
from gateway.protocol import MessageType
from gateway.safety.book import AlarmState
from gateway.safety.effects import AlarmChanged, CloseValve, RefreshValve, SirensOn
from gateway.safety.engine import SafetyEngine
from gateway.safety.observations import (
    DetectorChanged,
    ValveChanged,
    ValveCommandDone,
    ValveRead,
)
from gateway.safety.roles import Role

from .conftest import (
    GAS_VALVE,
    GAS_VALVE_2,
    T0,
    WATER_VALVE,
    actions,
    cleared,
    events,
    make_engine,
    of,
    open_alarm,
    raised,
    run_until,
    to_hub,
)

GAS = "binary_sensor.kitchen_gas"
S = timedelta(seconds=1)


def gas(active: bool | None, entity: str = GAS, role: Role = Role.GAS) -> DetectorChanged:
    return DetectorChanged(entity, role, active, "Kitchen gas")


def test_gas_onset_raises_closes_gas_valves_and_sounds_sirens_in_one_call(
    engine: SafetyEngine,
) -> None:
    effects = engine.handle(gas(True), T0)

    alarm = open_alarm(engine, AlarmKind.GAS)
    assert alarm.severity is Severity.CRITICAL
    assert alarm.source == "Kitchen gas"
    [body] = raised(effects)
    assert body["alarm_id"] == alarm.id
    assert body["kind"] == "gas"
    assert body["severity"] == "critical"
    assert body["occurred_at"] == "2026-03-02T02:00:00.000Z"
    closes = of(effects, CloseValve)
    assert sorted(closes, key=lambda c: c.entity_id) == [
        CloseValve(GAS_VALVE, 1),
        CloseValve(GAS_VALVE_2, 1),
    ]
    assert WATER_VALVE not in {c.entity_id for c in closes}
    assert of(effects, SirensOn) == [SirensOn("gas")]
    assert AlarmAction.SIRENS_ON in actions(alarm)
    assert engine.hazards.closing_valves() == [GAS_VALVE, GAS_VALVE_2]


def _closing_one_valve() -> SafetyEngine:
    engine = make_engine()
    engine.set_valves({GAS_VALVE: Role.GAS_VALVE})
    engine.handle(gas(True), T0)
    return engine


def test_closure_confirmed_by_command_done_then_reported_closed() -> None:
    engine = _closing_one_valve()
    assert engine.handle(ValveCommandDone(GAS_VALVE, ok=True), T0 + 0.3 * S) == []

    effects = engine.handle(ValveChanged(GAS_VALVE, closed=True), T0 + 0.8 * S)

    alarm = open_alarm(engine, AlarmKind.GAS)
    [event] = events(effects, AlarmAction.VALVE_CLOSED)
    assert event["alarm_id"] == alarm.id
    assert event["detail"] == GAS_VALVE
    assert AlarmAction.VALVE_CLOSED in actions(alarm)
    assert engine.hazards.closing_valves() == []
    assert engine.hazards.confirmed_valves() == [GAS_VALVE]
    # Nothing left to verify: no retry and no valve_failed later.
    assert engine.hazards.next_deadline() is None
    assert run_until(engine, T0 + timedelta(minutes=5)) == []


def test_optimistic_closed_state_before_the_command_finished_does_not_confirm() -> None:
    engine = _closing_one_valve()
    # The host shows "closed" while the command is still in flight.
    assert engine.handle(ValveChanged(GAS_VALVE, closed=True), T0 + 0.1 * S) == []
    assert engine.hazards.closing_valves() == [GAS_VALVE]

    engine.handle(ValveCommandDone(GAS_VALVE, ok=True), T0 + 0.5 * S)
    assert engine.hazards.closing_valves() == [GAS_VALVE]
    assert AlarmAction.VALVE_CLOSED not in actions(open_alarm(engine, AlarmKind.GAS))


def test_valve_is_read_back_at_intervals_and_a_read_confirms() -> None:
    engine = _closing_one_valve()
    engine.handle(ValveCommandDone(GAS_VALVE, ok=True), T0 + 0.5 * S)

    first = engine.next_deadline()
    assert first == T0 + 3.5 * S  # min(3 s, window / 4) after the command finished
    assert engine.tick(first) == [RefreshValve(GAS_VALVE)]
    second = engine.next_deadline()
    assert second == first + 3 * S
    assert engine.tick(second) == [RefreshValve(GAS_VALVE)]
    # A failed read says nothing; the valve stays under verification.
    assert engine.handle(ValveRead(GAS_VALVE, closed=None), second + S) == []
    assert engine.handle(ValveRead(GAS_VALVE, closed=False), second + S) == []

    effects = engine.handle(ValveRead(GAS_VALVE, closed=True), second + 2 * S)

    assert [e["detail"] for e in events(effects, AlarmAction.VALVE_CLOSED)] == [GAS_VALVE]
    assert engine.hazards.confirmed_valves() == [GAS_VALVE]
    assert engine.hazards.next_deadline() is None


def test_read_interval_is_a_quarter_of_a_short_window() -> None:
    engine = make_engine(valve_window=timedelta(seconds=8))
    engine.set_valves({GAS_VALVE: Role.GAS_VALVE})
    engine.handle(gas(True), T0)
    engine.handle(ValveCommandDone(GAS_VALVE, ok=True), T0)
    assert engine.next_deadline() == T0 + 2 * S


def test_unconfirmed_valve_is_retried_then_valve_failed() -> None:
    engine = _closing_one_valve()
    gas_alarm = open_alarm(engine, AlarmKind.GAS)
    engine.handle(ValveCommandDone(GAS_VALVE, ok=True), T0 + S)
    # The valve never reports closed (jammed): reads come back open.
    effects = run_until(engine, T0 + 29 * S)
    assert set(effects) == {RefreshValve(GAS_VALVE)}
    assert engine.next_deadline() == T0 + 30 * S

    effects = engine.tick(T0 + 30 * S)

    assert of(effects, CloseValve) == [CloseValve(GAS_VALVE, 2)]
    [retry] = events(effects, AlarmAction.VALVE_RETRY)
    assert retry["alarm_id"] == gas_alarm.id
    assert retry["detail"] == GAS_VALVE
    assert engine.book.open_of_kind(AlarmKind.VALVE_FAILED) is None

    # The second attempt's command fails outright: it goes again soon as the same attempt
    # (it never got out), is never read back, and the window still runs out.
    engine.handle(ValveCommandDone(GAS_VALVE, ok=False), T0 + 31 * S)
    assert engine.next_deadline() == T0 + 34 * S
    assert of(engine.tick(T0 + 34 * S), CloseValve) == [CloseValve(GAS_VALVE, 2)]
    engine.handle(ValveCommandDone(GAS_VALVE, ok=False), T0 + 35 * S)
    effects = run_until(engine, T0 + 60 * S)

    failed = open_alarm(engine, AlarmKind.VALVE_FAILED)
    assert failed.severity is Severity.CRITICAL
    assert failed.source == GAS_VALVE
    assert [b["kind"] for b in raised(effects)] == ["valve_failed"]
    assert of(effects, SirensOn) == [SirensOn("valve_failed")]
    assert of(effects, CloseValve) == [CloseValve(GAS_VALVE, 2)]  # the resend at 38 s
    assert engine.hazards.closing_valves() == []
    assert engine.hazards.next_deadline() is None
    # The gas alarm is still the one open gas alarm, with its retry on record.
    assert actions(open_alarm(engine, AlarmKind.GAS)).count(AlarmAction.VALVE_RETRY) == 1


def test_confirmation_on_the_second_attempt() -> None:
    engine = _closing_one_valve()
    engine.tick(T0 + 30 * S)
    engine.handle(ValveCommandDone(GAS_VALVE, ok=True), T0 + 31 * S)
    effects = engine.handle(ValveChanged(GAS_VALVE, closed=True), T0 + 32 * S)
    assert len(events(effects, AlarmAction.VALVE_CLOSED)) == 1
    assert run_until(engine, T0 + timedelta(minutes=5)) == []
    assert engine.book.open_of_kind(AlarmKind.VALVE_FAILED) is None


def test_valve_attempts_setting_is_honoured() -> None:
    engine = make_engine(valve_attempts=1)
    engine.set_valves({GAS_VALVE: Role.GAS_VALVE})
    engine.handle(gas(True), T0)
    effects = engine.tick(T0 + 30 * S)
    assert of(effects, CloseValve) == []
    open_alarm(engine, AlarmKind.VALVE_FAILED)


def test_co_behaves_like_gas(engine: SafetyEngine) -> None:
    effects = engine.handle(gas(True, "binary_sensor.hall_co", Role.CO), T0)
    assert [b["kind"] for b in raised(effects)] == ["gas"]
    assert {c.entity_id for c in of(effects, CloseValve)} == {GAS_VALVE, GAS_VALVE_2}
    assert of(effects, SirensOn) == [SirensOn("gas")]


def test_gas_and_co_together_are_one_gas_alarm_and_no_duplicate_close(
    engine: SafetyEngine,
) -> None:
    engine.handle(gas(True), T0)
    effects = engine.handle(gas(True, "binary_sensor.hall_co", Role.CO), T0 + S)
    alarm = open_alarm(engine, AlarmKind.GAS)
    assert alarm.count == 2
    assert [b["alarm_id"] for b in raised(effects)] == [alarm.id]
    # The valves are already being closed for this alarm: no second command in flight.
    assert of(effects, CloseValve) == []


def test_water_leak_closes_water_valves_without_sirens(engine: SafetyEngine) -> None:
    effects = engine.handle(
        DetectorChanged("binary_sensor.bath_leak", Role.WATER_LEAK, True, "Bathroom leak"), T0
    )
    alarm = open_alarm(engine, AlarmKind.WATER_LEAK)
    assert alarm.severity is Severity.HIGH
    assert [b["kind"] for b in raised(effects)] == ["water_leak"]
    assert of(effects, CloseValve) == [CloseValve(WATER_VALVE, 1)]
    assert of(effects, SirensOn) == []
    engine.handle(ValveCommandDone(WATER_VALVE, ok=True), T0 + S)
    effects = engine.handle(ValveChanged(WATER_VALVE, closed=True), T0 + 2 * S)
    assert [e["alarm_id"] for e in events(effects, AlarmAction.VALVE_CLOSED)] == [alarm.id]


def test_smoke_is_fire_with_sirens_and_no_valves(engine: SafetyEngine) -> None:
    effects = engine.handle(
        DetectorChanged("binary_sensor.kitchen_smoke", Role.SMOKE, True, "Kitchen smoke"), T0
    )
    assert [b["kind"] for b in raised(effects)] == ["fire"]
    assert of(effects, SirensOn) == [SirensOn("fire")]
    assert of(effects, CloseValve) == []
    assert engine.hazards.next_deadline() is None


def test_gas_without_any_valve_still_raises_and_sounds(engine: SafetyEngine) -> None:
    engine.set_valves({})
    effects = engine.handle(gas(True), T0)
    assert [b["kind"] for b in raised(effects)] == ["gas"]
    assert of(effects, SirensOn) == [SirensOn("gas")]
    assert of(effects, CloseValve) == []


# Unavailable and back: never an alarm by itself.


def test_quiet_unavailable_quiet_raises_nothing(engine: SafetyEngine) -> None:
    for i, active in enumerate([False, None, False, None, None, False]):
        assert engine.handle(gas(active), T0 + i * S) == []
    assert engine.book.all_alarms() == []


def test_unavailable_first_then_quiet_raises_nothing(engine: SafetyEngine) -> None:
    assert engine.handle(gas(None), T0) == []
    assert engine.handle(gas(False), T0 + S) == []
    assert engine.book.all_alarms() == []


def test_active_unavailable_active_is_one_activation(engine: SafetyEngine) -> None:
    engine.handle(gas(True), T0)
    assert engine.handle(gas(None), T0 + S) == []
    effects = engine.handle(gas(True), T0 + 2 * S)

    assert effects == []
    alarm = open_alarm(engine, AlarmKind.GAS)
    assert alarm.count == 1
    assert AlarmAction.REPEATED not in actions(alarm)


def test_restore_clears_but_the_alarm_stays_open(engine: SafetyEngine) -> None:
    engine.handle(gas(True), T0)
    alarm = open_alarm(engine, AlarmKind.GAS)

    effects = engine.handle(gas(False), T0 + 10 * S)

    [body] = cleared(effects)
    assert body["alarm_id"] == alarm.id
    assert body["reason"] == "Kitchen gas quiet"
    assert alarm.open
    assert alarm.cleared_at == T0 + 10 * S
    assert [c.what for c in of(effects, AlarmChanged)] == ["cleared"]


def test_restore_waits_for_every_detector_of_the_kind(engine: SafetyEngine) -> None:
    co = "binary_sensor.hall_co"
    engine.handle(gas(True), T0)
    engine.handle(gas(True, co, Role.CO), T0 + S)
    assert cleared(engine.handle(gas(False), T0 + 2 * S)) == []
    assert len(cleared(engine.handle(gas(False, co, Role.CO), T0 + 3 * S))) == 1


def test_unavailable_after_restore_does_not_clear_again(engine: SafetyEngine) -> None:
    engine.handle(gas(True), T0)
    engine.handle(gas(False), T0 + S)
    assert engine.handle(gas(None), T0 + 2 * S) == []
    assert engine.handle(gas(False), T0 + 3 * S) == []


# Repeated triggers while the alarm is open.


def test_repeated_trigger_updates_the_same_alarm(engine: SafetyEngine) -> None:
    first = raised(engine.handle(gas(True), T0))
    engine.handle(gas(False), T0 + 10 * S)
    effects = engine.handle(gas(True), T0 + 20 * S)

    alarm = open_alarm(engine, AlarmKind.GAS)
    assert len(engine.book.all_alarms()) == 1
    assert alarm.count == 2
    assert alarm.last_seen == T0 + 20 * S
    assert alarm.raised_at == T0
    assert actions(alarm).count(AlarmAction.REPEATED) == 1
    [body] = raised(effects)
    assert body["alarm_id"] == first[0]["alarm_id"] == alarm.id
    assert next(c.what for c in of(effects, AlarmChanged)) == "repeated"
    # A repeat is safety again: sirens and the (already confirmed or not) valves once more.
    assert of(effects, SirensOn) == [SirensOn("gas")]
    assert engine.book.raised_total == 1


def test_repeat_after_a_restore_is_no_longer_cleared(engine: SafetyEngine) -> None:
    engine.handle(gas(True), T0)
    engine.handle(gas(False), T0 + 10 * S)
    engine.handle(gas(True), T0 + 20 * S)
    # The hub resets cleared_at on a repeat; the household's book must agree.
    assert open_alarm(engine, AlarmKind.GAS).cleared_at is None


def test_confirmed_valve_is_closed_again_on_a_new_hazard(engine: SafetyEngine) -> None:
    engine.set_valves({GAS_VALVE: Role.GAS_VALVE})
    engine.handle(gas(True), T0)
    engine.handle(ValveCommandDone(GAS_VALVE, ok=True), T0 + S)
    engine.handle(ValveChanged(GAS_VALVE, closed=True), T0 + 2 * S)
    engine.handle(gas(False), T0 + 30 * S)
    # The leak is over; someone reopens the valve, and that is theirs to do ...
    assert of(engine.handle(ValveChanged(GAS_VALVE, closed=False), T0 + 60 * S), CloseValve) == []
    assert engine.hazards.confirmed_valves() == []
    # ... until gas is detected again.
    effects = engine.handle(gas(True), T0 + 62 * S)
    assert of(effects, CloseValve) == [CloseValve(GAS_VALVE, 1)]


def test_a_valve_reopened_by_hand_while_gas_is_detected_is_closed_again(
    engine: SafetyEngine,
) -> None:
    engine.set_valves({GAS_VALVE: Role.GAS_VALVE})
    engine.handle(gas(True), T0)
    engine.handle(ValveCommandDone(GAS_VALVE, ok=True), T0 + S)
    engine.handle(ValveChanged(GAS_VALVE, closed=True), T0 + 2 * S)
    effects = engine.handle(ValveChanged(GAS_VALVE, closed=False), T0 + 60 * S)
    assert of(effects, CloseValve) == [CloseValve(GAS_VALVE, 1)]
    # Verified like the first closure: confirmed when the valve says so after the command.
    engine.handle(ValveCommandDone(GAS_VALVE, ok=True), T0 + 61 * S)
    effects = engine.handle(ValveChanged(GAS_VALVE, closed=True), T0 + 62 * S)
    assert engine.hazards.confirmed_valves() == [GAS_VALVE]
    assert actions(open_alarm(engine, AlarmKind.GAS)).count(AlarmAction.VALVE_CLOSED) == 2


def test_a_valve_known_only_after_the_leak_began_is_closed(engine: SafetyEngine) -> None:
    """The gas detector paired (or loaded) before the valve: when the valve appears, open,
    during the leak, it is closed at once."""
    engine.set_valves({})
    effects = engine.handle(gas(True), T0)
    assert of(effects, CloseValve) == []  # no valve known yet
    engine.set_valves({GAS_VALVE: Role.GAS_VALVE})
    effects = engine.handle(ValveChanged(GAS_VALVE, closed=False), T0 + 3 * S)
    assert of(effects, CloseValve) == [CloseValve(GAS_VALVE, 1)]
    assert engine.hazards.closing_valves() == [GAS_VALVE]


def test_valve_reports_for_valves_not_being_closed_are_ignored(engine: SafetyEngine) -> None:
    assert engine.handle(ValveCommandDone(GAS_VALVE, ok=True), T0) == []
    assert engine.handle(ValveRead(GAS_VALVE, closed=True), T0) == []
    assert engine.handle(ValveChanged(GAS_VALVE, closed=True), T0) == []
    assert engine.book.all_alarms() == []


@pytest.mark.parametrize("role", [Role.GAS, Role.CO, Role.SMOKE, Role.WATER_LEAK])
def test_every_hazard_reports_to_the_hub_once(role: Role) -> None:
    engine = make_engine()
    effects = engine.handle(DetectorChanged("binary_sensor.x", role, True), T0)
    assert len(to_hub(effects, MessageType.ALARM_RAISED)) == 1
    [alarm] = engine.book.open_alarms()
    assert alarm.source == "binary_sensor.x"  # no name: the entity id
    assert alarm.state is AlarmState.RAISED
