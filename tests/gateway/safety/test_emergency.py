"""SOS and fall presses, the optional accidental-press cancel window, and the test alarm."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gateway.alarms import AlarmAction, AlarmKind, Severity
from gateway.safety.book import AlarmState
from gateway.safety.effects import AlarmChanged, NotifyFamily
from gateway.safety.engine import NothingToCancel, SafetyEngine
from gateway.safety.observations import (
    AlarmUpdate,
    CancelPressed,
    DetectorChanged,
    HubReceived,
    Pressed,
)
from gateway.safety.observations import TestRequested as AskForTest
from gateway.safety.roles import Role

from .conftest import (
    FAMILY,
    T0,
    actions,
    events,
    make_engine,
    of,
    open_alarm,
    raised,
)

S = timedelta(seconds=1)
WINDOW = timedelta(seconds=30)


def test_press_raises_a_critical_sos(engine: SafetyEngine) -> None:
    effects = engine.handle(Pressed("Bedside button"), T0)
    alarm = open_alarm(engine, AlarmKind.SOS)
    assert alarm.severity is Severity.CRITICAL
    assert alarm.source == "Bedside button"
    assert raised(effects) == [alarm.raised().to_body()]


def test_cancel_window_is_off_by_default(engine: SafetyEngine) -> None:
    assert engine.settings.sos_cancel_window == timedelta(0)
    engine.handle(Pressed("Bedside button"), T0)
    effects = engine.handle(Pressed("Bedside button"), T0 + S)

    alarm = open_alarm(engine, AlarmKind.SOS)
    assert alarm.count == 2
    assert actions(alarm) == [AlarmAction.REPEATED]
    assert [b["alarm_id"] for b in raised(effects)] == [alarm.id]
    assert events(effects, AlarmAction.CANCELLED) == []
    assert engine.emergency.next_deadline() is None
    with pytest.raises(NothingToCancel):
        engine.cancel("Cancel button", T0 + 2 * S)
    assert alarm.open


def test_cancel_button_with_nothing_to_cancel_is_only_activity(engine: SafetyEngine) -> None:
    engine.handle(Pressed("Bedside button"), T0)
    assert events(engine.handle(CancelPressed("Cancel button"), T0 + S)) == []
    assert open_alarm(engine, AlarmKind.SOS).open
    assert engine.inactivity.last_activity == T0 + S


def _with_window(family: bool = True) -> SafetyEngine:
    return make_engine(sos_cancel_window=WINDOW, family=FAMILY if family else ())


def test_second_press_within_the_window_cancels() -> None:
    engine = _with_window()
    first = engine.handle(Pressed("Bedside button"), T0)
    alarm = open_alarm(engine, AlarmKind.SOS)
    assert of(first, NotifyFamily) == [NotifyFamily(0, alarm)]
    assert engine.next_deadline() == T0 + WINDOW

    effects = engine.handle(Pressed("Bedside button"), T0 + 10 * S)

    assert not alarm.open
    assert alarm.state is AlarmState.RESOLVED
    assert alarm.cancelled
    assert alarm.count == 1
    assert raised(effects) == []
    [event] = events(effects, AlarmAction.CANCELLED)
    assert event["alarm_id"] == alarm.id
    assert event["actor"] == "resident"
    assert event["detail"] == "second press: Bedside button"
    # The family member who got the alert hears it was cancelled; nobody else is alerted.
    assert of(effects, NotifyFamily) == [NotifyFamily(0, alarm, update="cancelled")]
    assert alarm.family.next_at is None
    assert engine.desk.next_family_deadline() is None
    assert [c.what for c in of(effects, AlarmChanged)] == ["cancelled"]
    # Cancelled is recorded, never deleted.
    assert engine.book.get(alarm.id) is alarm


@pytest.mark.parametrize("how", ["cancel", "button"])
def test_cancel_within_the_window(how: str) -> None:
    engine = _with_window()
    engine.handle(Pressed("Pendant"), T0)
    alarm = open_alarm(engine, AlarmKind.SOS)
    if how == "cancel":
        effects = engine.cancel("Cancel button", T0 + 29 * S)
    else:
        effects = engine.handle(CancelPressed("Cancel button"), T0 + 29 * S)
    assert alarm.cancelled
    assert not alarm.open
    [event] = events(effects, AlarmAction.CANCELLED)
    assert event["detail"] == "cancel: Cancel button"


def test_press_after_the_window_is_a_repeat() -> None:
    engine = _with_window()
    engine.handle(Pressed("Pendant"), T0)
    alarm = open_alarm(engine, AlarmKind.SOS)
    assert engine.tick(T0 + WINDOW) == []
    assert engine.emergency.next_deadline() is None

    effects = engine.handle(Pressed("Pendant"), T0 + WINDOW + S)

    assert alarm.open
    assert alarm.count == 2
    assert [b["alarm_id"] for b in raised(effects)] == [alarm.id]
    assert events(effects, AlarmAction.CANCELLED) == []
    with pytest.raises(NothingToCancel):
        engine.cancel("Cancel button", T0 + WINDOW + 2 * S)


def test_press_exactly_at_the_window_end_is_a_repeat_even_without_a_tick() -> None:
    engine = _with_window()
    engine.handle(Pressed("Pendant"), T0)
    engine.handle(Pressed("Pendant"), T0 + WINDOW)
    assert open_alarm(engine, AlarmKind.SOS).count == 2


def test_after_a_cancel_a_new_press_is_a_new_alarm() -> None:
    engine = _with_window()
    engine.handle(Pressed("Pendant"), T0)
    engine.handle(Pressed("Pendant"), T0 + S)
    cancelled_id = engine.book.all_alarms()[0].id
    engine.handle(Pressed("Pendant"), T0 + 5 * S)
    alarm = open_alarm(engine, AlarmKind.SOS)
    assert alarm.id != cancelled_id
    assert alarm.count == 1


def test_alarm_resolved_by_staff_cannot_be_cancelled() -> None:
    engine = _with_window()
    engine.handle(Pressed("Pendant"), T0)
    alarm = open_alarm(engine, AlarmKind.SOS)
    engine.handle(AlarmUpdate(alarm.id, AlarmAction.RESOLVED, "staff", from_hub=True), T0 + S)
    with pytest.raises(NothingToCancel):
        engine.cancel("Cancel button", T0 + 2 * S)
    assert not alarm.cancelled


def test_sos_detector_onset_raises_sos(engine: SafetyEngine) -> None:
    panel = "alarm_control_panel.keyfob"
    effects = engine.handle(DetectorChanged(panel, Role.SOS, True, "Key fob"), T0)
    alarm = open_alarm(engine, AlarmKind.SOS)
    assert alarm.source == "Key fob"
    assert len(raised(effects)) == 1
    # Held, unavailable and back: one press.
    engine.handle(DetectorChanged(panel, Role.SOS, None, "Key fob"), T0 + S)
    assert engine.handle(DetectorChanged(panel, Role.SOS, True, "Key fob"), T0 + 2 * S) == []
    # Released and pressed again: a second press.
    engine.handle(DetectorChanged(panel, Role.SOS, False, "Key fob"), T0 + 3 * S)
    engine.handle(DetectorChanged(panel, Role.SOS, True, "Key fob"), T0 + 4 * S)
    assert alarm.count == 2


def test_sos_detector_quiet_or_unavailable_raises_nothing(engine: SafetyEngine) -> None:
    zone = "binary_sensor.sos_em_ias_zone"
    for i, active in enumerate([False, None, False]):
        assert engine.handle(DetectorChanged(zone, Role.SOS, active), T0 + i * S) == []
    assert engine.book.all_alarms() == []


def test_fall_detector_raises_fall(engine: SafetyEngine) -> None:
    effects = engine.handle(
        DetectorChanged("binary_sensor.fall", Role.FALL, True, "Bathroom fall"), T0
    )
    alarm = open_alarm(engine, AlarmKind.FALL)
    assert alarm.severity is Severity.CRITICAL
    assert [b["kind"] for b in raised(effects)] == ["fall"]
    assert engine.book.open_of_kind(AlarmKind.SOS) is None


def test_fall_press_kind(engine: SafetyEngine) -> None:
    engine.handle(Pressed("Fall event", AlarmKind.FALL), T0)
    open_alarm(engine, AlarmKind.FALL)


# The test alarm proves the path to the care center.


def test_test_alarm_is_resolved_by_the_hubs_receipt() -> None:
    engine = make_engine(family=FAMILY)
    effects = engine.handle(AskForTest("Send test alarm"), T0)
    alarm = open_alarm(engine, AlarmKind.TEST)
    assert alarm.severity is Severity.LOW
    assert [b["kind"] for b in raised(effects)] == ["test"]
    assert of(effects, NotifyFamily) == []
    assert alarm.family.notified == []

    effects = engine.handle(HubReceived(alarm.id), T0 + 2 * S)

    assert [c.what for c in of(effects, AlarmChanged)] == ["reported", "resolved"]
    assert alarm.state is AlarmState.RESOLVED
    [event] = events(effects, AlarmAction.RESOLVED)
    assert event["alarm_id"] == alarm.id
    assert event["detail"] == "test passed"


def test_hub_receipt_marks_other_alarms_reported_only(engine: SafetyEngine) -> None:
    engine.handle(Pressed("Pendant"), T0)
    alarm = open_alarm(engine, AlarmKind.SOS)
    effects = engine.handle(HubReceived(alarm.id), T0 + S)
    assert alarm.state is AlarmState.REPORTED
    assert events(effects) == []
    # A duplicate receipt changes nothing.
    engine.handle(HubReceived(alarm.id), T0 + 2 * S)
    assert alarm.state is AlarmState.REPORTED


def test_hub_receipt_for_an_unknown_alarm_is_ignored(engine: SafetyEngine) -> None:
    # A late or duplicate receipt for an alarm the household no longer keeps.
    assert engine.handle(HubReceived("01JUNKNOWNALARM0000000000"), T0) == []
