"""Registry, accounts, audit, reports and exports over HTTP on a real hub, as a supervisor or
admin would use them: validation refusals, audit entries without personal data, the SLA
report from real acknowledgements, and FHIR output an independent model accepts."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from fhir.resources.R4B.bundle import Bundle

from gateway.alarms import AlarmKind
from gateway.ulid import new_ulid
from hub.core.desk_model import Outcome, StaffStep
from hub.policy import Role
from hub.web.access import CSRF_HEADER

from ..conftest import RunningHub, cookie_session
from .seed import add_vital, enrolled_gateway, raise_alarm

NOON = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


class SignedIn:
    def __init__(self, hub: RunningHub, session: aiohttp.ClientSession, csrf: str) -> None:
        self.hub, self.session, self.headers = hub, session, {CSRF_HEADER: csrf}

    async def call(self, method: str, path: str, body: object = None) -> tuple[int, object]:
        async with self.session.request(
            method, self.hub.url + path, json=body, headers=self.headers
        ) as answer:
            is_json = answer.content_type.endswith("json")
            return answer.status, await (answer.json() if is_json else answer.text())


@pytest.fixture
async def supervisor(hub_server: RunningHub) -> AsyncIterator[SignedIn]:
    async with cookie_session() as session:
        yield SignedIn(hub_server, session, await hub_server.sign_in(session, Role.SUPERVISOR))


@pytest.fixture
async def admin(hub_server: RunningHub) -> AsyncIterator[SignedIn]:
    async with cookie_session() as session:
        yield SignedIn(hub_server, session, await hub_server.sign_in(session, Role.ADMIN))


async def test_supervisor_registers_a_household_with_residents_and_contacts(
    supervisor: SignedIn, hub_server: RunningHub
) -> None:
    status, body = await supervisor.call(
        "POST",
        "/api/v1/households",
        {"name": "Zhao household", "address": "Lotus Road 8", "building": "3", "unit": "2"},
    )
    assert status == 201, body
    assert isinstance(body, dict)
    household_id = body["household"]["id"]
    status, body = await supervisor.call(
        "POST",
        f"/api/v1/households/{household_id}/residents",
        {"name": "Zhao Min", "birth_year": 1938, "allergies": ["aspirin"]},
    )
    assert status == 201, body
    assert isinstance(body, dict)
    resident_id = body["resident"]["id"]
    status, body = await supervisor.call(
        "PUT",
        f"/api/v1/households/{household_id}/contacts",
        {
            "contacts": [
                {"name": "Zhao Lei", "phone": "13800000002"},
                {"name": "Dr Sun", "phone": "010-5550001"},
            ]
        },
    )
    assert status == 200, body
    status, body = await supervisor.call(
        "PATCH", f"/api/v1/residents/{resident_id}", {"mobility": "wheelchair"}
    )
    assert status == 200, body
    status, view = await supervisor.call("GET", f"/api/v1/households/{household_id}")
    assert status == 200
    assert isinstance(view, dict)
    assert view["household"]["building"] == "3"
    assert [(r["name"], r["mobility"], r["allergies"]) for r in view["residents"]] == [
        ("Zhao Min", "wheelchair", ["aspirin"])
    ]
    assert [c["name"] for c in view["contacts"]] == ["Zhao Lei", "Dr Sun"]  # calling order
    # The trail names who changed which fields, never the values (personal data).
    entries = await hub_server.context.db(hub_server.context.store.audit.entries)
    changes = [e for e in entries if e.action == "registry_change"]
    assert len(changes) == 4
    assert all(e.actor.startswith("staff:supervisor-") for e in changes)
    assert not any("Zhao" in e.detail or "aspirin" in e.detail for e in entries)


@pytest.mark.parametrize(
    ("path_kind", "body", "message"),
    [
        ("household", {"name": "", "address": "x"}, "name is required"),
        ("household", {"name": "A"}, "address is required"),
        ("household", {"name": "A", "address": "B", "colour": "red"}, "unknown fields"),
        ("resident", {"name": "A", "birth_year": 1800}, "birth year"),
        ("resident", {"name": "A", "thresholds": {"8867-4": {"low": 90, "high": 40}}}, "low"),
        ("resident", {"name": "A", "allergies": "penicillin"}, "list"),
        ("contacts", {"contacts": [{"name": "A", "phone": "call me"}]}, "phone"),
        ("contacts", {"contacts": "A"}, "list"),
    ],
)
async def test_registry_refuses_bad_input_and_keeps_nothing_of_it(
    supervisor: SignedIn, hub_server: RunningHub, path_kind: str, body: object, message: str
) -> None:
    household = await hub_server.add_household("Kept", "1 Kept Road")
    path = {
        "household": "/api/v1/households",
        "resident": f"/api/v1/households/{household.id}/residents",
        "contacts": f"/api/v1/households/{household.id}/contacts",
    }[path_kind]
    status, refusal = await supervisor.call(
        "PUT" if path_kind == "contacts" else "POST", path, body
    )
    assert status == 400
    assert isinstance(refusal, dict)
    assert refusal["error"] == "bad_request"
    assert message in refusal["message"]
    households = await hub_server.context.db(hub_server.context.store.registry.households)
    assert [h.name for h in households] == ["Kept"]
    residents = await hub_server.context.db(
        hub_server.context.store.registry.residents, household.id
    )
    assert residents == []


async def test_admin_manages_accounts_and_a_disabled_user_is_signed_out(
    admin: SignedIn, hub_server: RunningHub
) -> None:
    household = await hub_server.add_household()
    status, body = await admin.call(
        "POST",
        "/api/v1/users",
        {
            "username": "wang.wei",
            "role": "family",
            "password": "short",
            "household_id": household.id,
        },
    )
    assert status == 400  # weak password
    new_user = {
        "username": "wang.wei",
        "display": "Wang Wei",
        "role": "family",
        "password": "a fine long passphrase",
        "household_id": household.id,
    }
    status, body = await admin.call("POST", "/api/v1/users", new_user)
    assert status == 201, body
    async with cookie_session() as family:
        login = {"username": "wang.wei", "password": "a fine long passphrase"}
        async with family.post(hub_server.url + "/api/v1/login", json=login) as answer:
            assert answer.status == 200
        status, _ = await admin.call("POST", "/api/v1/users/wang.wei/disable")
        assert status == 200
        async with family.get(hub_server.url + "/api/v1/family/household") as answer:
            assert answer.status == 401  # the session ended with the account
    status, body = await admin.call("GET", "/api/v1/users")
    assert isinstance(body, dict)
    assert {u["username"]: u["disabled"] for u in body["users"]}["wang.wei"] is True
    status, body = await admin.call("GET", "/api/v1/audit?subject=user:wang.wei")
    assert isinstance(body, dict)
    assert [e["detail"] for e in body["entries"]] == ["disabled", "created (family)"]
    status, _ = await admin.call("POST", "/api/v1/users/nobody/disable")
    assert status == 404


async def test_sla_report_counts_real_acknowledgements_per_day_and_dispatcher(
    supervisor: SignedIn, hub_server: RunningHub
) -> None:
    gateway = await enrolled_gateway(hub_server, "Sun household", at=NOON)
    answered_in = [20, 50, 70, 200]  # seconds: two in 60 s, three in 180 s
    for seconds in answered_in:
        alarm = await raise_alarm(hub_server, gateway, AlarmKind.SOS, NOON)
        hub_server.context.clock = lambda s=seconds: NOON + timedelta(seconds=s)  # type: ignore[misc]
        await hub_server.staff_step(alarm.id, StaffStep.ACKNOWLEDGED, staff="li.na")
        await hub_server.staff_step(alarm.id, StaffStep.RESOLVED, outcome=Outcome.FALSE_ALARM)
    await raise_alarm(hub_server, gateway, AlarmKind.BATTERY_LOW, NOON)  # a work item
    await raise_alarm(hub_server, gateway, AlarmKind.TEST, NOON)  # not a call for help
    hub_server.context.clock = lambda: NOON + timedelta(hours=1)
    query = "start=2026-11-20&end=2026-11-20&tz=Asia/Shanghai"
    status, report = await supervisor.call("GET", f"/api/v1/reports/sla?{query}")
    assert status == 200, report
    assert isinstance(report, dict)
    overall = report["overall"]
    assert (overall["alarms"], overall["acknowledged"]) == (4, 4)
    assert (overall["within_60s"]["answered"], overall["within_180s"]["answered"]) == (2, 3)
    assert overall["median_ack_seconds"] == 50
    assert [d["dispatcher"] for d in report["dispatchers"]] == ["li.na"]
    status, text = await supervisor.call("GET", f"/api/v1/reports/sla.csv?{query}")
    assert status == 200
    assert isinstance(text, str)
    rows = list(csv.reader(io.StringIO(text)))
    assert any("li.na" in row for row in rows)
    status, _ = await supervisor.call("GET", "/api/v1/reports/sla?tz=Mars/Olympus")
    assert status == 400


async def test_fhir_export_is_a_valid_bundle_for_the_resident_and_audited(
    supervisor: SignedIn, hub_server: RunningHub
) -> None:
    gateway = await enrolled_gateway(hub_server, "Qian household")
    store, now = hub_server.context.store, hub_server.context.clock()
    resident = await hub_server.context.db(
        lambda: store.registry.add_resident(gateway.household_id, "Qian Li", now)
    )
    taken = now - timedelta(hours=1)
    for code, value, unit in (
        ("8480-6", 150, "mm[Hg]"),
        ("8462-4", 95, "mm[Hg]"),
        ("8867-4", 77, "/min"),
    ):
        await add_vital(hub_server, gateway, code, value, unit, taken)
    status, document = await supervisor.call(
        "GET", f"/api/v1/households/{gateway.household_id}/vitals.fhir"
    )
    assert status == 200, document
    assert isinstance(document, dict)
    bundle = Bundle.model_validate(document)
    assert bundle.type == "collection"
    resources = [entry.resource for entry in bundle.entry or []]
    assert len(resources) == 2  # one blood-pressure panel, one heart rate
    assert {r.subject.reference for r in resources} == {f"Patient/{resident.id}"}
    entries = await hub_server.context.db(store.audit.entries, f"household:{gateway.household_id}")
    assert [e.action for e in entries] == ["export"]


async def test_fhir_export_of_a_resident_holds_their_own_vitals_with_the_monitors_flags(
    supervisor: SignedIn, hub_server: RunningHub
) -> None:
    """Two residents: each export holds what their own monitors measured; a reading of a
    monitor assigned to nobody is nobody's (it could be either's). One resident: the
    unassigned readings are theirs too, as before monitors were assigned."""
    gateway = await enrolled_gateway(hub_server, "Sun household")
    store, now = hub_server.context.store, hub_server.context.clock()
    household = gateway.household_id

    def add(name: str):
        return store.registry.add_resident(household, name, now)

    grandma = await hub_server.context.db(add, "Sun Li")
    taken = now - timedelta(hours=1)
    await add_vital(
        hub_server, gateway, "8480-6", 150, "mm[Hg]", taken, resident=grandma.id, reading="1"
    )
    await add_vital(
        hub_server,
        gateway,
        "8462-4",
        95,
        "mm[Hg]",
        taken,
        resident=grandma.id,
        flags=("irregular_pulse",),
        reading="1",
    )
    await add_vital(hub_server, gateway, "8867-4", 77, "/min", taken, device="watch")

    async def export(query: str) -> tuple[int, object]:
        return await supervisor.call("GET", f"/api/v1/households/{household}/vitals.fhir{query}")

    async def values(resident: str) -> list[float]:
        status, document = await export(f"?resident={resident}")
        assert status == 200, document
        assert isinstance(document, dict)
        bundle = Bundle.model_validate(document)  # validated as every export is
        resources = [entry.resource for entry in bundle.entry or []]
        assert {r.subject.reference for r in resources} <= {f"Patient/{resident}"}
        found = []
        for resource in resources:
            if resource.valueQuantity is not None:
                found.append(float(resource.valueQuantity.value))
            for part in resource.component or []:
                found.append(float(part.valueQuantity.value))
        return sorted(found)

    # One resident: their monitor's readings and the unassigned ones.
    assert await values(grandma.id) == [77.0, 95.0, 150.0]
    status, document = await export("")
    assert status == 200
    assert isinstance(document, dict)
    (panel,) = [
        entry["resource"]
        for entry in document["entry"]
        if entry["resource"]["code"]["coding"][0]["code"] == "85354-9"
    ]
    assert "Irregular pulse" in panel["note"][0]["text"]  # visible where the value is

    grandpa = await hub_server.context.db(add, "Sun Wei")
    await add_vital(hub_server, gateway, "8867-4", 58, "/min", taken, resident=grandpa.id)
    # Two residents: each their own; the unassigned watch's reading is neither's.
    assert await values(grandma.id) == [95.0, 150.0]
    assert await values(grandpa.id) == [58.0]
    status, body = await export("")
    assert status == 400, body
    status, body = await export(f"?resident={new_ulid()}")
    assert status == 400, body
    entries = await hub_server.context.db(store.audit.entries, f"household:{household}")
    assert {e.detail for e in entries} == {
        f"vitals FHIR resident:{grandma.id}",
        f"vitals FHIR resident:{grandpa.id}",
    }
