"""Hub storage: schema migrations, single-use codes, dedupe, repeated triggers, alarm events."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.alarms import (
    AlarmAction,
    AlarmClearedBody,
    AlarmEventBody,
    AlarmKind,
    RaisedAlarm,
    utc_iso,
)
from gateway.protocol import (
    VitalBody,
    parse_alarm_cleared,
    parse_alarm_event,
    parse_alarm_raised,
    parse_vital,
    vital_body,
)
from gateway.ulid import new_ulid
from hub.core.schema import MIGRATIONS, migrate
from hub.core.storage import AlarmRejected, EnrollmentRejected, HubStore

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


def _raised(store: HubStore, gateway, kind: AlarmKind = AlarmKind.SOS) -> str:
    body = parse_alarm_raised(RaisedAlarm.new(kind, "button").to_body())
    row = store.record_alarm_raised(gateway, new_ulid(), body, NOW)
    assert row is not None
    return row.id


def _event(alarm_id: str, action: AlarmAction, actor: str = "family:Li", detail: str = ""):
    return parse_alarm_event(
        AlarmEventBody(alarm_id, action, NOW - timedelta(minutes=3), actor, detail).to_body()
    )


def _cleared(alarm_id: str, reason: str = "restored"):
    return parse_alarm_cleared(AlarmClearedBody(alarm_id, NOW, reason).to_body())


def test_migrations_add_columns_to_an_existing_version_1_database(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    old = sqlite3.connect(path, isolation_level=None)
    old.executescript(f"BEGIN; {MIGRATIONS[0]}; PRAGMA user_version = 1; COMMIT;")
    old.close()
    upgraded = HubStore(path)
    assert upgraded.schema_version == len(MIGRATIONS) >= 2
    assert "cleared_at" in upgraded.db["alarms"].columns_dict
    assert {"occurred_at", "reported_actor"} <= set(upgraded.db["alarm_events"].columns_dict)
    upgraded.close()


def test_alarm_event_is_appended_with_gateway_and_reported_actor(store: HubStore) -> None:
    gateway = _enrolled(store)
    alarm_id = _raised(store, gateway)
    event = _event(alarm_id, AlarmAction.FAMILY_ACK, detail="on my way, 10 min")
    row = store.record_alarm_event(gateway, new_ulid(), event, NOW + timedelta(seconds=30))
    assert row is not None
    assert (row.status, row.last_action, row.cleared_at) == ("new", "family_ack", None)
    assert row.as_dict()["last_action"] == "family_ack"
    assert store.alarm_events(alarm_id)[-1] == {
        "at": "2026-11-21T09:00:30.000Z",
        "occurred_at": "2026-11-21T08:57:00.000Z",
        "actor": f"gateway:{gateway.id}",
        "reported_actor": "family:Li",
        "action": "family_ack",
        "detail": "on my way, 10 min",
    }


def test_duplicate_event_and_clear_are_stored_once(store: HubStore) -> None:
    gateway = _enrolled(store)
    alarm_id = _raised(store, gateway, AlarmKind.FIRE)
    event, event_message = _event(alarm_id, AlarmAction.SIRENS_ON, "gateway"), new_ulid()
    clear_message = new_ulid()
    assert store.record_alarm_event(gateway, event_message, event, NOW) is not None
    assert store.record_alarm_event(gateway, event_message, event, NOW) is None
    assert store.record_alarm_cleared(gateway, clear_message, _cleared(alarm_id), NOW) is not None
    assert store.record_alarm_cleared(gateway, clear_message, _cleared(alarm_id), NOW) is None
    actions = [event["action"] for event in store.alarm_events(alarm_id)]
    assert actions == ["raised", "sirens_on", "cleared"]


def test_resident_cancel_is_recorded_but_the_alarm_stays_open(store: HubStore) -> None:
    gateway = _enrolled(store)
    alarm_id = _raised(store, gateway)
    row = store.record_alarm_event(
        gateway, new_ulid(), _event(alarm_id, AlarmAction.CANCELLED, "resident"), NOW
    )
    assert row is not None
    assert (row.status, row.last_action) == ("new", "cancelled")
    assert [alarm.id for alarm in store.open_alarms()] == [alarm_id]


def test_resolved_at_home_closes_the_alarm(store: HubStore) -> None:
    gateway = _enrolled(store)
    alarm_id = _raised(store, gateway)
    event = _event(alarm_id, AlarmAction.RESOLVED, detail="all is well")
    row = store.record_alarm_event(gateway, new_ulid(), event, NOW)
    assert row is not None
    assert row.status == "resolved"
    assert store.open_alarms() == []
    # The next press is a new alarm, not a repeat of the resolved one.
    assert _raised(store, gateway) != alarm_id


def test_clear_marks_the_alarm_and_leaves_it_open_for_staff(store: HubStore) -> None:
    gateway = _enrolled(store)
    alarm_id = _raised(store, gateway, AlarmKind.GAS)
    row = store.record_alarm_cleared(gateway, new_ulid(), _cleared(alarm_id, "gas gone"), NOW)
    assert row is not None
    assert (row.status, row.cleared_at, row.last_action) == ("new", utc_iso(NOW), "cleared")
    assert [alarm.id for alarm in store.open_alarms()] == [alarm_id]
    assert store.alarm_events(alarm_id)[-1]["detail"] == "gas gone"
    # The gas is back: the same open alarm is active again.
    body = parse_alarm_raised(RaisedAlarm.new(AlarmKind.GAS, "detector").to_body())
    again = store.record_alarm_raised(gateway, new_ulid(), body, NOW)
    assert again is not None
    assert (again.id, again.count, again.cleared_at) == (alarm_id, 2, None)


@pytest.mark.parametrize("kind", [AlarmKind.DEVICE_OFFLINE, AlarmKind.BATTERY_LOW])
def test_clear_resolves_device_alarms_on_its_own(store: HubStore, kind: AlarmKind) -> None:
    gateway = _enrolled(store)
    alarm_id = _raised(store, gateway, kind)
    row = store.record_alarm_cleared(gateway, new_ulid(), _cleared(alarm_id), NOW)
    assert row is not None
    assert (row.status, row.cleared_at) == ("resolved", utc_iso(NOW))
    assert store.open_alarms() == []
    log = [(event["actor"], event["action"]) for event in store.alarm_events(alarm_id)]
    assert log[-2:] == [(f"gateway:{gateway.id}", "cleared"), ("hub", "resolved")]


def test_events_about_another_households_or_unknown_alarms_are_rejected(store: HubStore) -> None:
    ours, theirs = _enrolled(store), _enrolled(store)
    their_alarm = _raised(store, theirs)
    for alarm_id in (their_alarm, new_ulid()):
        with pytest.raises(AlarmRejected, match="not an alarm of this gateway's household"):
            store.record_alarm_event(ours, new_ulid(), _event(alarm_id, AlarmAction.RESOLVED), NOW)
        with pytest.raises(AlarmRejected):
            store.record_alarm_cleared(ours, new_ulid(), _cleared(alarm_id), NOW)
    # A raise with their alarm id (a clash, or a gateway that learned it) never counts on
    # their card and is never refused: it becomes our own alarm under a fresh hub id.
    body = parse_alarm_raised(
        {**RaisedAlarm.new(AlarmKind.SOS, "x").to_body(), "alarm_id": their_alarm}
    )
    ours_row = store.record_alarm_raised(ours, new_ulid(), body, NOW)
    assert ours_row is not None
    assert ours_row.id != their_alarm
    assert ours_row.household_id == ours.household_id
    stored = store.alarm(their_alarm)
    assert stored is not None
    assert (stored.status, stored.count, stored.cleared_at) == ("new", 1, None)
    assert [event["action"] for event in store.alarm_events(their_alarm)] == ["raised"]
    # Our later events name our id and land on our alarm.
    store.record_alarm_event(ours, new_ulid(), _event(their_alarm, AlarmAction.RESOLVED), NOW)
    assert store.alarm(ours_row.id).status == "resolved"  # type: ignore[union-attr]
    assert store.alarm(their_alarm).status == "new"  # type: ignore[union-attr]


def test_message_ids_are_scoped_to_their_gateway(store: HubStore) -> None:
    first, second = _enrolled(store), _enrolled(store)
    message_id = new_ulid()
    for gateway in (first, second):
        body = parse_alarm_raised(RaisedAlarm.new(AlarmKind.SOS, "x").to_body())
        assert store.record_alarm_raised(gateway, message_id, body, NOW) is not None
    assert len(store.open_alarms()) == 2


def test_events_about_a_merged_repeat_reach_the_open_alarm(store: HubStore) -> None:
    gateway = _enrolled(store)
    first = _raised(store, gateway, AlarmKind.SOS)
    second = RaisedAlarm.new(AlarmKind.SOS, "button")  # the gateway minted a new id
    merged = store.record_alarm_raised(
        gateway, new_ulid(), parse_alarm_raised(second.to_body()), NOW
    )
    assert merged is not None
    assert merged.id == first
    row = store.record_alarm_event(
        gateway, new_ulid(), _event(second.alarm_id, AlarmAction.FAMILY_ACK), NOW
    )
    assert row is not None
    assert (row.id, row.count, row.last_action) == (first, 2, "family_ack")
    # The merged raise resent under a new message id lands on the same card.
    store.record_alarm_raised(gateway, new_ulid(), parse_alarm_raised(second.to_body()), NOW)
    assert [(alarm.id, alarm.count) for alarm in store.open_alarms()] == [(first, 3)]


def test_migration_6_keeps_vitals_and_fills_desk_times_from_the_log(tmp_path: Path) -> None:
    """A hub of the previous release (schema 5) with an acknowledged alarm and a vital."""
    path = tmp_path / "hub.sqlite3"
    old = sqlite3.connect(path, isolation_level=None)
    migrate(old, target=5)
    old.executescript(
        """
        INSERT INTO households VALUES ('H', 'Zhao', 'Unit 4', '2026-11-20T08:00:00.000Z');
        INSERT INTO alarms (id, household_id, gateway_id, kind, severity, status, source,
            occurred_at, received_at, last_seen, count)
            VALUES ('A', 'H', 'G', 'sos', 'critical', 'acknowledged', 'button',
            '2026-11-20T09:00:00.000Z', '2026-11-20T09:00:01.000Z', '2026-11-20T09:00:01.000Z', 1);
        INSERT INTO alarm_events (alarm_id, at, actor, action, detail) VALUES
            ('A', '2026-11-20T09:00:01.000Z', 'gateway:G', 'raised', ''),
            ('A', '2026-11-20T09:00:40.000Z', 'staff:li.na', 'acknowledged', '');
        INSERT INTO vitals VALUES ('V', 'H', 'G', '8867-4', 72, '/min',
            '2026-11-20T08:00:00.000Z', 'oximeter', '2026-11-20T08:00:01.000Z');
        """
    )
    old.close()
    upgraded = HubStore(path)
    alarm = upgraded.alarm("A")
    assert alarm is not None
    assert (alarm.acknowledged_at, alarm.acknowledged_by) == ("2026-11-20T09:00:40.000Z", "li.na")
    assert [row["id"] for row in upgraded.vitals("H")] == ["V"]
    upgraded.close()


def test_the_same_message_id_from_two_gateways_stores_two_vitals(store: HubStore) -> None:
    """Message ids are the gateways' own: another gateway's id must not shadow a reading."""
    first, second = _enrolled(store), _enrolled(store)
    vital = parse_vital(
        {"code": "8867-4", "value": 70, "unit": "/min", "measured_at": "2026-11-21T08:00:00Z"}
    )
    assert store.record_vital(first, "01SAMEID", vital, NOW)
    assert store.record_vital(second, "01SAMEID", vital, NOW)
    assert not store.record_vital(first, "01SAMEID", vital, NOW)  # a resend: once
    assert len(store.vitals(first.household_id)) == len(store.vitals(second.household_id)) == 1


def test_migration_8_attributes_nothing_and_keeps_one_row_per_reading(tmp_path: Path) -> None:
    """A hub of the previous release (schema 7) holding a reading twice: once as sent, once
    re-sent by a monitor under a new message id. The first received stays; old rows are
    nobody's (no resident) and unflagged."""
    path = tmp_path / "hub.sqlite3"
    old = sqlite3.connect(path, isolation_level=None)
    migrate(old, target=7)
    old.executescript(
        """
        INSERT INTO households VALUES
            ('H', 'Zhao', 'Unit 4', '2026-11-20T08:00:00.000Z', '', '', '', '');
        INSERT INTO vitals VALUES
            ('V1', 'H', 'G', '8867-4', 72, '/min', '2026-11-20T08:00:00.000Z', 'oximeter',
             '2026-11-20T08:00:01.000Z'),
            ('V0', 'H', 'G', '8867-4', 72, '/min', '2026-11-20T08:00:00.000Z', 'oximeter',
             '2026-11-20T09:30:00.000Z'),
            ('V2', 'H', 'G', '8867-4', 73, '/min', '2026-11-20T08:00:00.000Z', 'oximeter',
             '2026-11-20T08:00:01.000Z'),
            ('V3', 'H', 'G', '8867-4', 72, '/min', '2026-11-20T08:00:00.000Z', 'watch',
             '2026-11-20T08:00:01.000Z');
        """
    )
    old.close()
    upgraded = HubStore(path)
    try:
        assert upgraded.schema_version == len(MIGRATIONS) >= 8
        rows = upgraded.vitals("H")
        assert [row["id"] for row in rows] == ["V1", "V2", "V3"]  # V0 came later: the copy
        assert {(row["resident_id"], row["flags"], row["reading_id"]) for row in rows} == {
            (None, "[]", None)
        }
        indexes = {row[1]: row[2] for row in upgraded.db.execute("PRAGMA index_list(vitals)")}
        assert indexes["vitals_once_per_reading"] == 1  # unique
        assert "vitals_by_resident" in indexes
        plan = upgraded.db.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM vitals WHERE resident_id = ? AND measured_at > ?",
            ["R", ""],
        ).fetchall()
        assert "vitals_by_resident" in str(plan)
    finally:
        upgraded.close()


def test_record_vital_attributes_only_residents_of_the_gateways_household(
    store: HubStore, caplog: pytest.LogCaptureFixture
) -> None:
    gateway, stranger = _enrolled(store), _enrolled(store)
    ours = store.registry.add_resident(gateway.household_id, "Zhao Min", NOW)
    theirs = store.registry.add_resident(stranger.household_id, "Qian Li", NOW)

    def vital(value: int, resident: str | None) -> VitalBody:
        body = vital_body("8867-4", value, "/min", NOW, "cuff", resident=resident)
        return parse_vital(body)

    assert store.record_vital(gateway, new_ulid(), vital(70, ours.id), NOW)
    assert store.record_vital(gateway, new_ulid(), vital(71, theirs.id), NOW)
    assert store.record_vital(gateway, new_ulid(), vital(72, new_ulid()), NOW)
    rows = store.vitals(gateway.household_id)
    assert sorted((row["value"], row["resident_id"]) for row in rows) == [
        (70.0, ours.id),
        (71.0, None),
        (72.0, None),
    ]
    assert len([r for r in caplog.records if r.name == "hub.core.storage"]) == 2
    assert "Qian Li" not in caplog.text
    assert theirs.id not in caplog.text
    # The export's selection: a resident's own, with or without the unattributed ones.
    mine = store.vitals(gateway.household_id, resident_id=ours.id, unattributed=False)
    assert [row["value"] for row in mine] == [70.0]
    assert len(store.vitals(gateway.household_id, resident_id=ours.id)) == 3
    assert store.vitals(stranger.household_id, resident_id=theirs.id) == []


def test_two_connections_cannot_store_one_reading_twice(tmp_path: Path) -> None:
    """The unique index holds across connections (a second hub process, a race): the same
    reading under two message ids is one row, whoever writes it first."""
    first = HubStore(tmp_path / "hub.sqlite3")
    second = HubStore(tmp_path / "hub.sqlite3")
    try:
        gateway = _enrolled(first)
        reading = parse_vital(vital_body("8480-6", 131, "mm[Hg]", NOW, "cuff"))
        assert first.record_vital(gateway, new_ulid(), reading, NOW)
        assert not second.record_vital(gateway, new_ulid(), reading, NOW + timedelta(hours=1))
        assert len(second.vitals(gateway.household_id)) == 1
    finally:
        first.close()
        second.close()
