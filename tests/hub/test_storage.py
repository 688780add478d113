"""Hub storage: schema migrations, single-use codes, dedupe, repeated triggers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.alarms import AlarmKind, RaisedAlarm
from gateway.protocol import parse_alarm_raised
from gateway.ulid import new_ulid
from hub.storage import EnrollmentRejected, HubStore

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> HubStore:
    opened = HubStore(tmp_path / "hub.sqlite3")
    yield opened
    opened.close()


def _enrolled(store: HubStore):
    household = store.create_household("Zhao", "Unit 4")
    code = store.mint_enrollment_code(household.id, NOW)
    return store.redeem_enrollment_code(code, "KEY", "gw", NOW)


def test_schema_is_created_once_and_reopening_keeps_data(tmp_path: Path) -> None:
    first = HubStore(tmp_path / "hub.sqlite3")
    household = first.create_household("Sun", "Unit 1")
    version = first.schema_version
    first.close()
    again = HubStore(tmp_path / "hub.sqlite3")
    assert again.schema_version == version >= 1
    assert again.household(household.id) == household
    assert again.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again.close()


def test_code_is_single_use_and_expires(store: HubStore) -> None:
    household = store.create_household("Qian", "Unit 2")
    code = store.mint_enrollment_code(household.id, NOW)
    gateway = store.redeem_enrollment_code(code, "KEY", "gw", NOW + timedelta(hours=23))
    assert store.gateway(gateway.id) == gateway
    with pytest.raises(EnrollmentRejected) as used:
        store.redeem_enrollment_code(code, "KEY2", "gw2", NOW)
    assert used.value.reason == "code_used"
    late = store.mint_enrollment_code(household.id, NOW)
    with pytest.raises(EnrollmentRejected) as expired:
        store.redeem_enrollment_code(late, "KEY", "gw", NOW + timedelta(hours=24))
    assert expired.value.reason == "code_expired"
    with pytest.raises(KeyError):
        store.mint_enrollment_code("no-such-household", NOW)


def test_the_code_itself_is_never_stored(store: HubStore) -> None:
    household = store.create_household("Zhou", "Unit 3")
    code = store.mint_enrollment_code(household.id, NOW)
    dump = "\n".join(store.db.iterdump())
    assert code not in dump
    assert code.replace("-", "") not in dump


def test_duplicate_message_is_stored_once(store: HubStore) -> None:
    gateway = _enrolled(store)
    body = parse_alarm_raised(RaisedAlarm.new(AlarmKind.SOS, "button").to_body())
    message_id = new_ulid()
    assert store.record_alarm_raised(gateway, message_id, body, NOW) is not None
    assert store.record_alarm_raised(gateway, message_id, body, NOW) is None
    assert [alarm.count for alarm in store.open_alarms()] == [1]


def test_repeated_trigger_updates_the_open_alarm(store: HubStore) -> None:
    gateway = _enrolled(store)
    first = parse_alarm_raised(RaisedAlarm.new(AlarmKind.SOS, "button").to_body())
    second = parse_alarm_raised(RaisedAlarm.new(AlarmKind.SOS, "button").to_body())
    fire = parse_alarm_raised(RaisedAlarm.new(AlarmKind.FIRE, "smoke").to_body())
    store.record_alarm_raised(gateway, new_ulid(), first, NOW)
    updated = store.record_alarm_raised(gateway, new_ulid(), second, NOW + timedelta(seconds=5))
    store.record_alarm_raised(gateway, new_ulid(), fire, NOW + timedelta(seconds=6))
    assert updated is not None
    assert (updated.id, updated.count) == (first.alarm_id, 2)
    assert sorted((a.kind, a.count) for a in store.open_alarms()) == [("fire", 1), ("sos", 2)]
    actions = [
        row["action"] for row in store.db.query("SELECT action FROM alarm_events ORDER BY id")
    ]
    assert actions == ["raised", "repeated", "raised"]
