"""The registry, accounts and audit stores on a real SQLite file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.core.accounts import IDLE_TIMEOUT, SESSION_LIFETIME, AccountError
from hub.core.audit import AuditAction
from hub.core.registry import DeviceState, RegistryError
from hub.core.storage import HubStore
from hub.infra.passwords import WeakPassword, check_new_password, hash_password, verify_password
from hub.policy import Role

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
FAST = 2**10  # scrypt cost for test users: the stored text carries it, so checks still work


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HubStore]:
    store = HubStore(tmp_path / "hub.sqlite3")
    yield store
    store.close()


def test_household_details_residents_and_contacts(store: HubStore) -> None:
    household = store.create_household("王奶奶家", "幸福路 8 号")
    registry = store.registry
    details = registry.update_household(
        household.id, building="3 栋", unit="2 单元 501", grid_area="第一网格", notes="钥匙在邻居家"
    )
    assert (details.building, details.unit, details.grid_area) == ("3 栋", "2 单元 501", "第一网格")
    resident = registry.add_resident(
        household.id,
        "王秀英",
        NOW,
        birth_year=1942,
        conditions=["高血压", "2 型糖尿病"],
        medications=["氨氯地平 5 mg"],
        allergies=["青霉素"],
        mobility="uses a walker",
        thresholds={"8867-4": {"low": 45, "high": 120}, "8480-6": {"high": 160}},
    )
    assert registry.resident(resident.id) == resident
    assert resident.age(NOW) == 84
    assert resident.thresholds_body() == {
        "8480-6": {"high": 160.0},
        "8867-4": {"low": 45.0, "high": 120.0},
    }
    changed = registry.update_resident(resident.id, NOW, allergies=["青霉素", "磺胺"])
    assert changed.allergies == ("青霉素", "磺胺")
    assert changed.conditions == resident.conditions  # untouched fields are kept
    contacts = registry.set_contacts(
        household.id,
        [
            {"name": "王强", "relation": "son", "phone": "+86 138 0000 0001"},
            {"name": "李梅", "relation": "daughter-in-law", "phone": "139-0000-0002"},
        ],
    )
    assert [(c.position, c.name) for c in registry.contacts(household.id)] == [
        (1, "王强"),
        (2, "李梅"),
    ]
    assert contacts == registry.contacts(household.id)
    registry.set_contacts(household.id, [{"name": "李梅", "phone": "139-0000-0002"}])
    assert [c.name for c in registry.contacts(household.id)] == ["李梅"]  # replaced, not added


@pytest.mark.parametrize(
    ("details", "complaint"),
    [
        ({"birth_year": 1850}, "birth year"),
        ({"birth_year": "1942"}, "birth year"),
        ({"conditions": "diabetes"}, "list"),
        ({"thresholds": {"8867-4": {"low": 120, "high": 45}}}, "below"),
        ({"thresholds": {"8867-4": {"low": float("nan")}}}, "numbers"),
        ({"thresholds": {"heart": {"low": 40}}}, "LOINC"),
        ({"blood_type": "A"}, "unknown"),
    ],
)
def test_bad_resident_input_is_refused_with_a_reason(
    store: HubStore, details: dict[str, object], complaint: str
) -> None:
    household = store.create_household("H", "A")
    with pytest.raises(RegistryError, match=complaint):
        store.registry.add_resident(household.id, "Li", NOW, **details)
    assert store.registry.residents(household.id) == []


def test_bad_contacts_change_nothing(store: HubStore) -> None:
    household = store.create_household("H", "A")
    store.registry.set_contacts(household.id, [{"name": "Li", "phone": "123456"}])
    with pytest.raises(RegistryError, match="phone"):
        store.registry.set_contacts(household.id, [{"name": "Zhao", "phone": "call me"}])
    assert [c.name for c in store.registry.contacts(household.id)] == ["Li"]


def test_devices_are_upserted_from_gateway_reports(store: HubStore) -> None:
    household = store.create_household("H", "A")
    valve = DeviceState("valve", "Gas valve", "valve", 80, "2026-11-21T08:59:00.000Z", "open", "")
    store.registry.record_devices(household.id, [valve], NOW)
    closed = DeviceState(
        "valve", "Gas valve", "valve", 79, "2026-11-21T09:01:00.000Z", "closed", ""
    )
    store.registry.record_devices(household.id, [closed], NOW + timedelta(minutes=2))
    (device,) = store.registry.devices(household.id)
    assert (device.state, device.battery, device.updated_at) == (
        "closed",
        79,
        "2026-11-21T09:02:00.000Z",
    )


def test_passwords_hash_verify_and_rules() -> None:
    stored = hash_password("correct horse battery", n=FAST)
    assert verify_password("correct horse battery", stored)
    assert not verify_password("correct horse batterY", stored)
    assert not verify_password("x", "not a hash")
    assert not verify_password("x", "scrypt$1$8$1$%%%$%%%")
    assert hash_password("same password!", n=FAST) != hash_password("same password!", n=FAST)
    with pytest.raises(WeakPassword, match="at least"):
        check_new_password("short", "li")
    with pytest.raises(WeakPassword, match="user name"):
        check_new_password("zhang.wei-2026!", "zhang.wei")


def test_users_roles_and_family_membership(store: HubStore) -> None:
    household = store.create_household("H", "A")
    accounts = store.accounts
    dispatcher = accounts.create_user("li.na", "李娜", Role.DISPATCHER, "h", now=NOW)
    family = accounts.create_user(
        "wang.qiang", "王强", Role.FAMILY, "h", now=NOW, household_id=household.id
    )
    assert dispatcher.is_staff
    assert not family.is_staff
    with pytest.raises(AccountError, match="taken"):
        accounts.create_user("LI.NA", "x", Role.ADMIN, "h", now=NOW)  # names are case-blind
    with pytest.raises(AccountError, match="household"):
        accounts.create_user("orphan", "x", Role.FAMILY, "h", now=NOW)
    with pytest.raises(AccountError, match="household"):
        accounts.create_user(
            "staff.in.home", "x", Role.DISPATCHER, "h", now=NOW, household_id=household.id
        )
    with pytest.raises(AccountError, match="user name"):
        accounts.create_user("a b", "x", Role.ADMIN, "h", now=NOW)


def test_sessions_expire_when_idle_or_old_and_end_on_logout(store: HubStore) -> None:
    user = store.accounts.create_user("li.na", "李娜", Role.DISPATCHER, "h", now=NOW)
    token, session = store.accounts.start_session(user, NOW)
    assert store.accounts.session(token, NOW + timedelta(minutes=5)) is not None
    assert store.accounts.session("forged" + token, NOW) is None
    # Activity keeps it alive; silence beyond the idle timeout ends it.
    later = NOW + timedelta(minutes=5) + IDLE_TIMEOUT
    assert store.accounts.session(token, later) is None
    assert store.accounts.session(token, NOW + timedelta(minutes=6)) is None  # ended for good
    token, _ = store.accounts.start_session(user, NOW)
    moment = NOW
    while moment - NOW < SESSION_LIFETIME - timedelta(minutes=20):
        moment += timedelta(minutes=20)
        assert store.accounts.session(token, moment) is not None
    assert store.accounts.session(token, NOW + SESSION_LIFETIME) is None
    token, _ = store.accounts.start_session(user, NOW)
    store.accounts.end_session(token, NOW)
    assert store.accounts.session(token, NOW) is None
    # The database holds digests only: the token itself is nowhere in it.
    dump = "\n".join(store.db.conn.iterdump())
    assert token not in dump
    assert session.csrf_token in dump


def test_disabling_a_user_or_changing_the_password_ends_their_sessions(store: HubStore) -> None:
    user = store.accounts.create_user("li.na", "李娜", Role.DISPATCHER, "h", now=NOW)
    token, _ = store.accounts.start_session(user, NOW)
    store.accounts.set_password(user.id, "new", NOW)
    assert store.accounts.session(token, NOW) is None
    token, _ = store.accounts.start_session(user, NOW)
    store.accounts.disable_user(user.id, NOW)
    assert store.accounts.session(token, NOW) is None
    assert store.accounts.password_hash("li.na") is None


def test_audit_trail_is_append_only(store: HubStore) -> None:
    store.audit.append("staff:li.na", AuditAction.VIEW_MEDICAL, "resident:1", NOW, "alarm 9")
    store.audit.append("staff:li.na", AuditAction.ALARM_STEP, "alarm:9", NOW, "acknowledged")
    assert [e.action for e in store.audit.entries()] == ["alarm_step", "view_medical"]
    assert [e.detail for e in store.audit.entries("resident:1")] == ["alarm 9"]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("UPDATE audit SET actor = 'nobody'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("DELETE FROM audit")
    assert len(store.audit.entries()) == 2
