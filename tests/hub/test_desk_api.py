"""The alarm desk over HTTP on a real hub: the alarm card a dispatcher opens (an audited
medical view), steps and notes with their refusals, and the catch-up list for a screen that
was disconnected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from gateway.alarms import AlarmKind
from hub.core.desk_model import Outcome, StaffStep
from hub.core.storage import Gateway
from hub.policy import Role
from hub.web.access import CSRF_HEADER

from ..conftest import RunningHub, cookie_session
from .seed import add_vital, enrolled_gateway, raise_alarm

START = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


@pytest.fixture
async def dispatcher(hub_server: RunningHub) -> tuple[aiohttp.ClientSession, dict[str, str]]:
    session = cookie_session()
    csrf = await hub_server.sign_in(session, Role.DISPATCHER)
    yield session, {CSRF_HEADER: csrf}
    await session.close()


async def _household_with_history(hub: RunningHub) -> tuple[Gateway, str]:
    """(its gateway, an open fall's id): residents, contacts, vitals, an older alarm."""
    gateway = await enrolled_gateway(hub, "Wang household", "Jasmine Court 3-2-501")
    store, now = hub.context.store, hub.context.clock()
    resident = await hub.context.db(
        lambda: store.registry.add_resident(
            gateway.household_id,
            "Wang Xiuying",
            now,
            birth_year=1941,
            conditions=["atrial fibrillation"],
            medications=["warfarin 3 mg"],
            allergies=["penicillin"],
            mobility="walker",
            thresholds={"8867-4": {"low": 45, "high": 120}},
        )
    )
    await hub.context.db(
        store.registry.set_contacts,
        gateway.household_id,
        [{"name": "Wang Wei", "phone": "+86 138 0000 0001", "relation": "son"}],
    )
    await add_vital(hub, gateway, "8867-4", 72.0, "/min", now - timedelta(hours=30))
    # Her own cuff (assigned to her at home) saw an irregular pulse.
    await add_vital(
        hub,
        gateway,
        "8867-4",
        88.0,
        "/min",
        now - timedelta(hours=2),
        resident=resident.id,
        flags=("irregular_pulse",),
    )
    await add_vital(hub, gateway, "8867-4", 60.0, "/min", now - timedelta(days=9))  # too old
    old = await raise_alarm(hub, gateway, AlarmKind.DOOR, now - timedelta(days=1))
    await hub.staff_step(old.id, StaffStep.RESOLVED, outcome=Outcome.FALSE_ALARM)
    alarm = await raise_alarm(hub, gateway, AlarmKind.FALL)
    return gateway, alarm.id


async def test_alarm_card_has_what_a_dispatcher_needs_and_audits_the_view(
    hub_server: RunningHub, dispatcher: tuple[aiohttp.ClientSession, dict[str, str]]
) -> None:
    session, _ = dispatcher
    gateway, alarm_id = await _household_with_history(hub_server)
    async with session.get(f"{hub_server.url}/api/v1/alarms/{alarm_id}") as answer:
        assert answer.status == 200
        card = await answer.json()
    assert card["alarm"]["kind"] == "fall"
    assert card["household"]["address"] == "Jasmine Court 3-2-501"
    (resident,) = card["residents"]
    assert resident["allergies"] == ["penicillin"]
    assert resident["age"] == hub_server.context.clock().year - 1941
    assert resident["thresholds"] == {"8867-4": {"low": 45.0, "high": 120.0}}
    assert [c["phone"] for c in card["contacts"]] == ["+86 138 0000 0001"]
    assert [v["value"] for v in card["vitals"]] == [72.0, 88.0]  # 7 days, oldest first
    assert [(v["resident"], v["flags"]) for v in card["vitals"]] == [
        (None, []),  # a monitor assigned to nobody
        (resident["id"], ["irregular_pulse"]),
    ]
    assert [(h["kind"], h["outcome"]) for h in card["history"]] == [("door", "false_alarm")]
    assert [e["action"] for e in card["events"]] == ["raised"]
    entries = await hub_server.context.db(
        hub_server.context.store.audit.entries, f"household:{gateway.household_id}"
    )
    assert [(e.action, e.detail) for e in entries] == [("view_medical", f"alarm:{alarm_id}")]


async def test_steps_over_http_reach_the_gateway_outbox_and_refuse_out_of_order(
    hub_server: RunningHub, dispatcher: tuple[aiohttp.ClientSession, dict[str, str]]
) -> None:
    session, csrf = dispatcher
    gateway, alarm_id = await _household_with_history(hub_server)
    url = f"{hub_server.url}/api/v1/alarms/{alarm_id}"
    async with session.post(f"{url}/steps", json={"step": "on_site"}, headers=csrf) as answer:
        assert answer.status == 409
        assert (await answer.json())["error"] == "step_refused"
    dispatch = {"step": "dispatched", "responder": "Nurse Li", "eta_minutes": 12}
    async with session.post(f"{url}/steps", json=dispatch, headers=csrf) as answer:
        assert answer.status == 200
        alarm = (await answer.json())["alarm"]
    assert (alarm["status"], alarm["responder"], alarm["eta_minutes"]) == (
        "dispatched",
        "Nurse Li",
        12,
    )
    assert alarm["acknowledged_at"] == alarm["dispatched_at"]
    async with session.post(f"{url}/notes", json={"note": "son informed"}, headers=csrf) as a:
        assert a.status == 200
    resolve = {"step": "resolved", "note": "helped up"}
    async with session.post(f"{url}/steps", json=resolve, headers=csrf) as answer:
        assert answer.status == 409  # no outcome
        assert "outcome" in (await answer.json())["message"]
    resolve["outcome"] = "assisted_on_site"  # on_site may be skipped: resolved by phone
    async with session.post(f"{url}/steps", json=resolve, headers=csrf) as answer:
        assert answer.status == 200
        assert (await answer.json())["alarm"]["outcome"] == "assisted_on_site"
    actions = await hub_server.alarm_actions(alarm_id)
    assert actions == ["raised", "dispatched", "note", "resolved"]
    # The home hears of each step (kept for its gateway until it acks), notes stay at the desk.
    store = hub_server.context.store
    queued = await hub_server.context.db(store.pending_outbound, gateway.id)
    steps = [
        (m.type, m.body.get("responder"), m.body.get("outcome"))
        for m in queued
        if m.body["alarm_id"] == alarm_id
    ]
    assert steps == [
        ("alarm.dispatched", "Nurse Li", None),
        ("alarm.resolved", None, "assisted_on_site"),
    ]


async def test_bad_step_requests_get_clear_refusals(
    hub_server: RunningHub, dispatcher: tuple[aiohttp.ClientSession, dict[str, str]]
) -> None:
    session, csrf = dispatcher
    _, alarm_id = await _household_with_history(hub_server)
    url = f"{hub_server.url}/api/v1/alarms/{alarm_id}/steps"
    cases: list[tuple[object, str]] = [
        ("not json", "not JSON"),
        ([1, 2], "JSON object"),
        ({"step": "teleported"}, "step must be one of"),
        ({"step": "dispatched", "eta_minutes": "soon"}, "eta_minutes"),
        ({"step": "dispatched", "eta_minutes": -1}, "eta_minutes"),
        ({"step": "dispatched", "eta_minutes": True}, "eta_minutes"),
        ({"step": "resolved", "outcome": "vanished"}, "outcome must be one of"),
        ({"step": "acknowledged", "note": "x" * 501}, "longer than 500"),
    ]
    for body, message in cases:
        data = body if isinstance(body, str) else None
        payload = None if isinstance(body, str) else body
        async with session.post(url, data=data, json=payload, headers=csrf) as answer:
            assert answer.status == 400, body
            refusal = await answer.json()
            assert refusal["error"] == "bad_request"
            assert message in refusal["message"], (body, refusal)
    async with session.post(
        f"{hub_server.url}/api/v1/alarms/NOPE/steps", json={"step": "acknowledged"}, headers=csrf
    ) as answer:
        assert answer.status == 404
    # Nothing was stored by any of them.
    assert await hub_server.alarm_actions(alarm_id) == ["raised"]


async def test_screen_catch_up_lists_what_changed_while_it_was_away(
    hub_server: RunningHub, dispatcher: tuple[aiohttp.ClientSession, dict[str, str]]
) -> None:
    session, _ = dispatcher
    moments = iter(START + timedelta(seconds=n) for n in range(1000))
    hub_server.context.clock = lambda: next(moments)
    gateway = await enrolled_gateway(hub_server, "Li household")
    before = await raise_alarm(hub_server, gateway, AlarmKind.SOS)
    away_since = hub_server.context.clock()
    resolved_meanwhile = before.id
    await hub_server.staff_step(resolved_meanwhile, StaffStep.RESOLVED, outcome=Outcome.FALSE_ALARM)
    new_meanwhile = await raise_alarm(hub_server, gateway, AlarmKind.GAS)
    since = away_since.isoformat()
    async with session.get(f"{hub_server.url}/api/v1/alarms", params={"since": since}) as answer:
        assert answer.status == 200
        alarms = (await answer.json())["alarms"]
    assert {(a["id"], a["status"]) for a in alarms} == {
        (resolved_meanwhile, "resolved"),
        (new_meanwhile.id, "new"),
    }
    async with session.get(f"{hub_server.url}/api/v1/alarms", params={"since": "yesterday"}) as a:
        assert a.status == 400
