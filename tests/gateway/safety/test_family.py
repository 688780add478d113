"""Family escalation: one member at a time, the care center told of every silence."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gateway.alarms import AlarmAction, AlarmKind
from gateway.safety.effects import Announce, NotifyFamily
from gateway.safety.engine import SafetyEngine
from gateway.safety.observations import (
    AlarmUpdate,
    BatteryLevel,
    DetectorChanged,
    FamilyAnswered,
    Pressed,
)
from gateway.safety.roles import Role

from .conftest import FAMILY, T0, actions, events, make_engine, of, open_alarm

S = timedelta(seconds=1)
ANSWER = timedelta(seconds=120)


def _family_engine() -> SafetyEngine:
    return make_engine(family=FAMILY, family_answer_window=ANSWER)


def test_critical_alarm_alerts_the_first_member_and_tells_the_center() -> None:
    engine = _family_engine()
    effects = engine.handle(Pressed("Pendant"), T0)
    alarm = open_alarm(engine, AlarmKind.SOS)

    assert of(effects, NotifyFamily) == [NotifyFamily(0, alarm)]
    [event] = events(effects, AlarmAction.FAMILY_NOTIFIED)
    assert event["alarm_id"] == alarm.id
    assert event["detail"] == "Li Na"
    assert alarm.family.notified == [0]
    assert alarm.family.next_at == T0 + ANSWER
    assert engine.next_deadline() == T0 + ANSWER


def test_silence_moves_on_to_the_next_member() -> None:
    engine = _family_engine()
    engine.handle(Pressed("Pendant"), T0)
    alarm = open_alarm(engine, AlarmKind.SOS)
    assert engine.tick(T0 + ANSWER - S) == []

    effects = engine.tick(T0 + ANSWER)

    [silent] = events(effects, AlarmAction.FAMILY_UNANSWERED)
    assert silent["detail"] == "Li Na"
    assert of(effects, NotifyFamily) == [NotifyFamily(1, alarm)]
    [notified] = events(effects, AlarmAction.FAMILY_NOTIFIED)
    assert notified["detail"] == "Wang Wei"
    assert alarm.family.notified == [0, 1]
    assert alarm.family.next_at == T0 + 2 * ANSWER

    # The last member is silent too: the center hears of it; nobody is left to alert.
    effects = engine.tick(T0 + 2 * ANSWER)
    assert [e["detail"] for e in events(effects, AlarmAction.FAMILY_UNANSWERED)] == ["Wang Wei"]
    assert of(effects, NotifyFamily) == []
    assert alarm.family.next_at is None
    assert engine.desk.next_family_deadline() is None
    assert engine.tick(T0 + 10 * ANSWER) == []


def test_an_answer_stops_the_escalation_and_updates_the_others() -> None:
    engine = _family_engine()
    engine.handle(Pressed("Pendant"), T0)
    engine.tick(T0 + ANSWER)
    alarm = open_alarm(engine, AlarmKind.SOS)

    effects = engine.handle(FamilyAnswered(alarm.id, 1), T0 + ANSWER + 30 * S)

    [ack] = events(effects, AlarmAction.FAMILY_ACK)
    assert ack["actor"] == "family:Wang Wei"
    assert ack["detail"] == "Wang Wei"
    assert alarm.family.acked_by == "Wang Wei"
    assert alarm.family.next_at is None
    assert engine.desk.next_family_deadline() is None
    # Only the inactivity clock is left (the press at T0 was the last sign of life).
    assert engine.next_deadline() == T0 + timedelta(hours=4)
    updates = of(effects, NotifyFamily)
    assert NotifyFamily(0, alarm, update="family_ack") in updates
    assert all(u.update == "family_ack" for u in updates)
    assert alarm.open  # a family answer is an event, not a resolution
    # No one else is alerted later.
    assert of(engine.tick(T0 + 5 * ANSWER), NotifyFamily) == []


def test_only_the_first_answer_counts() -> None:
    engine = _family_engine()
    engine.handle(Pressed("Pendant"), T0)
    engine.tick(T0 + ANSWER)
    alarm = open_alarm(engine, AlarmKind.SOS)
    engine.handle(FamilyAnswered(alarm.id, 0), T0 + ANSWER + S)
    assert engine.handle(FamilyAnswered(alarm.id, 1), T0 + ANSWER + 2 * S) == []
    assert alarm.family.acked_by == "Li Na"
    assert actions(alarm).count(AlarmAction.FAMILY_ACK) == 1


def test_answer_for_an_unknown_alarm_is_ignored() -> None:
    engine = _family_engine()
    assert engine.handle(FamilyAnswered("01JNOSUCHALARM00000000000", 0), T0) == []


def test_resolution_stops_the_escalation_and_tells_the_notified() -> None:
    engine = _family_engine()
    engine.handle(Pressed("Pendant"), T0)
    alarm = open_alarm(engine, AlarmKind.SOS)
    effects = engine.handle(
        AlarmUpdate(alarm.id, AlarmAction.RESOLVED, "staff:Zhao", from_hub=True), T0 + 60 * S
    )
    assert of(effects, NotifyFamily) == [NotifyFamily(0, alarm, update="resolved")]
    assert alarm.family.next_at is None
    assert engine.tick(T0 + 3 * ANSWER) == []


def test_dispatch_is_told_to_the_notified_family() -> None:
    engine = _family_engine()
    engine.handle(Pressed("Pendant"), T0)
    alarm = open_alarm(engine, AlarmKind.SOS)
    effects = engine.handle(
        AlarmUpdate(alarm.id, AlarmAction.DISPATCHED, "staff:Zhao", "ETA 8 min", from_hub=True),
        T0 + 30 * S,
    )
    assert of(effects, NotifyFamily) == [NotifyFamily(0, alarm, update="dispatched")]


def test_a_repeat_does_not_alert_the_family_again() -> None:
    engine = _family_engine()
    engine.handle(Pressed("Pendant"), T0)
    effects = engine.handle(Pressed("Pendant"), T0 + 10 * S)
    assert of(effects, NotifyFamily) == []
    assert open_alarm(engine, AlarmKind.SOS).family.notified == [0]


@pytest.mark.parametrize(
    "make_alarm",
    [
        lambda e: e.handle(BatteryLevel("dev", "SOS button", 5), T0),
        lambda e: (e.supervise({"dev": "SOS button"}, T0), e.tick(T0 + timedelta(minutes=10))),
    ],
    ids=["battery_low", "device_offline"],
)
def test_low_and_center_only_alarms_notify_nobody(make_alarm: object) -> None:
    engine = _family_engine()
    make_alarm(engine)  # type: ignore[operator]
    [alarm] = engine.book.open_alarms()
    assert alarm.family.notified == []
    assert alarm.family.next_at is None
    assert engine.desk.next_family_deadline() is None


def test_each_alarm_escalates_on_its_own() -> None:
    engine = _family_engine()
    engine.handle(Pressed("Pendant"), T0)
    engine.handle(DetectorChanged("binary_sensor.smoke", Role.SMOKE, True, "Smoke"), T0 + 60 * S)
    sos = open_alarm(engine, AlarmKind.SOS)
    fire = open_alarm(engine, AlarmKind.FIRE)
    assert engine.next_deadline() == T0 + ANSWER
    effects = engine.tick(T0 + ANSWER)
    assert of(effects, NotifyFamily) == [NotifyFamily(1, sos)]
    effects = engine.tick(T0 + 60 * S + ANSWER)
    assert of(effects, NotifyFamily) == [NotifyFamily(1, fire)]


def test_no_family_configured_means_no_escalation() -> None:
    engine = make_engine()
    effects = engine.handle(Pressed("Pendant"), T0)
    assert of(effects, NotifyFamily) == []
    assert events(effects) == []
    assert engine.desk.next_family_deadline() is None


def test_care_center_acknowledging_stops_waking_the_family() -> None:
    engine = _family_engine()
    engine.handle(Pressed("Pendant"), T0)
    alarm = open_alarm(engine, AlarmKind.SOS)
    update = AlarmUpdate(alarm.id, AlarmAction.ACKNOWLEDGED, "staff:Zhao", from_hub=True)
    effects = engine.handle(update, T0 + 10 * S)

    assert events(effects) == []  # a step that came from the hub is not sent back to it
    assert alarm.family.next_at is None
    assert engine.tick(T0 + 3 * ANSWER) == []  # nobody else is woken
    assert alarm.family.notified == [0]


def test_dispatch_from_the_care_center_is_announced_in_the_home() -> None:
    engine = _family_engine()
    engine.handle(Pressed("Pendant"), T0)
    alarm = open_alarm(engine, AlarmKind.SOS)
    update = AlarmUpdate(alarm.id, AlarmAction.DISPATCHED, "staff:Zhao", "ETA 12 min", True)
    effects = engine.handle(update, T0 + 30 * S)

    assert of(effects, Announce) == [Announce("help_on_the_way", alarm.id)]
    assert AlarmAction.DISPATCHED in actions(alarm)
    # The same step done locally (an installer's test) is not announced as help coming.
    local = make_engine()
    local.handle(Pressed("Pendant"), T0)
    mine = open_alarm(local, AlarmKind.SOS)
    effects = local.handle(AlarmUpdate(mine.id, AlarmAction.DISPATCHED, "household"), T0)
    assert of(effects, Announce) == []
