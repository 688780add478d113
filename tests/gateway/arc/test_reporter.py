"""What an alarm receiving centre hears of the household, from the safety engine's own desk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway.alarms import AlarmAction, AlarmKind
from gateway.arc.events import ArcEvent
from gateway.arc.reporter import MAX_ZONE, ArcReporter, ZoneMap
from gateway.dc09.codes import CANCEL, MANUAL_TEST, PERIODIC_TEST, REPORT_CODES
from gateway.safety.book import AlarmBook
from gateway.safety.desk import AlarmDesk
from gateway.safety.settings import SafetySettings

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


class Household:
    """A real alarm desk whose effects go through the reporter into a list (the queue)."""

    def __init__(self, zones: ZoneMap | None = None) -> None:
        self.book = AlarmBook()
        self.desk = AlarmDesk(self.book, SafetySettings.from_options({}))
        self.queued: list[ArcEvent] = []
        self.reporter = ArcReporter(self._queue, zones or ZoneMap(), self._alarm_of)

    def _queue(self, event: ArcEvent) -> str:
        self.queued.append(event)
        return f"m{len(self.queued)}"

    def _alarm_of(self, alarm_id: str):  # type: ignore[no-untyped-def]
        return self.book.get(alarm_id) if self.book.knows(alarm_id) else None

    def flush(self) -> None:
        for effect in self.desk.take_effects():
            self.reporter.report(effect)


def test_a_new_alarm_is_reported_once_with_its_code_zone_and_time() -> None:
    home = Household()
    alarm = home.desk.raise_alarm(AlarmKind.FIRE, "binary_sensor.kitchen_smoke", NOW)
    home.desk.raise_alarm(AlarmKind.FIRE, "binary_sensor.kitchen_smoke", NOW + timedelta(1))
    home.flush()
    (event,) = home.queued  # the repeat only counts at the ARC, as at the care center
    assert event.code == REPORT_CODES[AlarmKind.FIRE]
    assert event.code.contact_id == 111
    assert (event.restore, event.zone, event.occurred_at) == (False, 1, NOW)
    assert (event.kind, event.alarm_id) == ("fire", alarm.id)


def test_the_condition_gone_is_a_restore_of_the_same_zone() -> None:
    home = Household()
    alarm = home.desk.raise_alarm(AlarmKind.GAS, "binary_sensor.gas", NOW)
    home.desk.raise_alarm(AlarmKind.SOS, "button.call_for_help", NOW)
    home.desk.clear(alarm, "gas gone", NOW + timedelta(minutes=5))
    home.flush()
    gas, sos, restore = home.queued
    assert (gas.zone, sos.zone) == (1, 2)
    assert restore.restore
    assert restore.code.contact_id == 151
    assert restore.zone == 1
    assert restore.occurred_at == NOW + timedelta(minutes=5)


def test_a_self_resolving_alarm_still_sends_its_restore() -> None:
    home = Household()
    alarm = home.desk.raise_alarm(AlarmKind.BATTERY_LOW, "sensor.door_battery", NOW)
    home.desk.clear(alarm, "battery changed", NOW, resolve=True)
    home.flush()
    assert [(e.code.contact_id, e.restore) for e in home.queued] == [(384, False), (384, True)]


def test_a_cancel_by_the_resident_and_staff_steps() -> None:
    home = Household()
    alarm = home.desk.raise_alarm(AlarmKind.SOS, "button.call_for_help", NOW)
    home.desk.record(alarm, AlarmAction.CANCELLED, "resident", NOW, "pressed again")
    home.desk.record(alarm, AlarmAction.ACKNOWLEDGED, "staff:wang", NOW)  # the ARC's own work
    home.flush()
    assert [e.code for e in home.queued] == [REPORT_CODES[AlarmKind.SOS], CANCEL]


def test_tests_manual_and_periodic() -> None:
    home = Household()
    home.desk.raise_alarm(AlarmKind.TEST, "button.send_test", NOW)
    home.flush()
    home.reporter.periodic_test(NOW)
    manual, periodic = home.queued
    assert manual.code == MANUAL_TEST
    assert manual.code.contact_id == 601
    assert periodic.code == PERIODIC_TEST
    assert periodic.code.contact_id == 602
    assert periodic.zone == 0


def test_zones_are_stable_across_restarts_and_capped() -> None:
    zones = ZoneMap()
    assert [zones.zone_of(s) for s in ("a", "b", "a")] == [1, 2, 1]
    again = ZoneMap.from_dict(zones.to_dict())
    assert again.zone_of("b") == 2
    assert again.zone_of("c") == 3
    crowded = ZoneMap({f"s{n}": n for n in range(1, MAX_ZONE + 1)})
    assert crowded.zone_of("one more") == MAX_ZONE


def test_every_kind_has_a_report_code() -> None:
    home = Household()
    for kind in AlarmKind:
        home.desk.raise_alarm(kind, f"source.{kind.value}", NOW)
    home.flush()
    assert len(home.queued) == len(AlarmKind)
