"""What the dispatch screens read of an alarm: typed codes for the household's and the hub's
English texts (the screen words them in its language), the household's names for devices
(never an entity id), and staff by their display names, at the care center and at home."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import aiohttp
import pytest

from gateway.alarms import AlarmAction, AlarmEventBody, AlarmKind, RaisedAlarm
from gateway.protocol import parse_alarm_raised
from gateway.ulid import new_ulid
from hub.core.alarm_words import about, said
from hub.core.registry import DeviceState
from hub.desk.timers import check_desk
from hub.infra.passwords import hash_password
from hub.policy import Role
from hub.web.access import CSRF_HEADER

from ..conftest import TEST_PASSWORD, TEST_SCRYPT_N, RunningHub, cookie_session
from .seed import enrolled_gateway


@pytest.mark.parametrize(
    ("source", "source_name", "expected"),
    [
        (
            "前门: opened during quiet hours",
            "",
            {"reason": "opened_at_night", "device": "前门", "args": {}},
        ),
        (
            "Front door: open for more than 10 min",
            "",
            {"reason": "left_open", "device": "Front door", "args": {"minutes": 10}},
        ),
        (
            "厨房烟雾报警器: 15 %",
            "",
            {"reason": "battery", "device": "厨房烟雾报警器", "args": {"percent": 15}},
        ),
        (
            "卧室按钮: not heard for 240 min",
            "",
            {"reason": "not_heard", "device": "卧室按钮", "args": {"minutes": 240}},
        ),
        (
            "heart_rate 142 /min high",
            "",
            {
                "reason": "vital",
                "device": "",
                "args": {"sign": "heart_rate", "value": 142, "unit": "/min", "direction": "high"},
            },
        ),
        (
            "button:button.wang_nai_nai_jia_demo_call_for_help",
            "",
            {
                "reason": "home_button",
                "device": "",
                "args": {"entity": "button.wang_nai_nai_jia_demo_call_for_help"},
            },
        ),
        (
            "binary_sensor.kitchen_gas",
            "厨房燃气报警器",
            {"reason": None, "device": "厨房燃气报警器", "args": {"domain": "binary_sensor"}},
        ),
        (
            "binary_sensor.kitchen_gas",
            "",
            {"reason": None, "device": "", "args": {"domain": "binary_sensor"}},
        ),
        ("客厅呼叫按钮", "", {"reason": None, "device": "客厅呼叫按钮", "args": {}}),
        # A Zigbee manufacturer code is no name (what HA calls a device nobody named).
        (
            "binary_sensor.door",
            "_TZ3000_26fmupbb TS0203",
            {"reason": None, "device": "", "args": {"domain": "binary_sensor"}},
        ),
        (
            "panel 1234 zone 015 (Contact ID 1101)",
            "",
            {
                "reason": "panel",
                "device": "",
                "args": {"account": "1234", "zone": "015", "signal": "Contact ID 1101"},
            },
        ),
        (
            "no message from the gateway for 180 s",
            "",
            {"reason": "gateway_silent", "device": "", "args": {"seconds": 180}},
        ),
    ],
)
def test_an_alarms_source_becomes_a_reason_and_the_households_name(
    source: str, source_name: str, expected: dict[str, object]
) -> None:
    assert about(source, source_name) == expected


VALVE = DeviceState("dev-1", "厨房燃气阀", "gas_valve", 80, None, "open", "")


@pytest.mark.parametrize(
    ("action", "actor", "detail", "expected"),
    [
        (
            "escalated",
            "hub",
            "unacknowledged for 60 s",
            {"code": "unacknowledged_for", "seconds": 60},
        ),
        (
            "realerted",
            "hub",
            "nobody on site 30 min after dispatch",
            {"code": "not_on_site_after", "minutes": 30},
        ),
        ("resolved", "hub", "link_lost resolves when cleared", {"code": "auto_resolved"}),
        ("cleared", "hub", "gateway heard again", {"code": "gateway_back"}),
        (
            "valve_closed",
            "gateway:g",
            "switch.kitchen_gas_valve",
            {"code": "device", "device": "厨房燃气阀"},
        ),
        ("cleared", "gateway:g", "前门 closed", {"code": "door_closed", "device": "前门"}),
        (
            "cleared",
            "gateway:g",
            "厨房燃气报警器 quiet",
            {"code": "detector_quiet", "device": "厨房燃气报警器"},
        ),
        (
            "cleared",
            "gateway:g",
            "binary_sensor.kitchen_gas quiet",
            {"code": "detector_quiet", "device": "", "domain": "binary_sensor"},
        ),
        ("family_ack", "gateway:g", "王军", {"code": "person", "name": "王军"}),
        ("prewarning", "gateway:g", "pre-warning unanswered", {"code": "prewarning_unanswered"}),
        (
            "cancelled",
            "gateway:g",
            "second press: 客厅按钮",
            {"code": "second_press", "device": "客厅按钮"},
        ),
        (
            "dispatched",
            "staff:li.na",
            "road closed; responder 王护士; ETA 10 min",
            {
                "code": "step",
                "note": "road closed",
                "responder": "王护士",
                "eta_minutes": 10,
                "outcome": "",
            },
        ),
        (
            "resolved",
            "staff:li.na",
            "outcome assisted_on_site",
            {
                "code": "step",
                "note": "",
                "responder": "",
                "eta_minutes": None,
                "outcome": "assisted_on_site",
            },
        ),
        ("note", "staff:li.na", "家属已到", {"code": "text", "text": "家属已到"}),
        ("sirens_on", "gateway:g", "", None),
    ],
)
def test_each_log_entry_says_a_code_the_screen_can_word(
    action: str, actor: str, detail: str, expected: dict[str, object] | None
) -> None:
    assert said(action, actor, detail, devices=[VALVE]) == expected


@pytest.fixture
async def dispatcher(hub_server: RunningHub) -> AsyncIterator[tuple[aiohttp.ClientSession, str]]:
    """Signed in as 值班调度员 (user name `night-desk`)."""
    store, clock = hub_server.context.store, hub_server.context.clock

    def create() -> None:
        stored = hash_password(TEST_PASSWORD, n=TEST_SCRYPT_N)
        store.accounts.create_user("night-desk", "值班调度员", Role.DISPATCHER, stored, now=clock())

    await hub_server.context.db(create)
    session = cookie_session()
    login = {"username": "night-desk", "password": TEST_PASSWORD}
    async with session.post(f"{hub_server.url}/api/v1/login", json=login) as response:
        assert response.status == 200
        csrf = (await response.json())["csrf_token"]
    yield session, csrf
    await session.close()


async def test_staff_are_named_by_their_display_names_on_the_card_and_at_home(
    hub_server: RunningHub, dispatcher: tuple[aiohttp.ClientSession, str]
) -> None:
    session, csrf = dispatcher
    gateway = await enrolled_gateway(hub_server, "王奶奶家")
    store = hub_server.context.store
    await hub_server.context.db(
        store.registry.record_devices,
        gateway.household_id,
        [VALVE],
        hub_server.context.clock(),
    )
    body = parse_alarm_raised(
        RaisedAlarm.new(
            AlarmKind.GAS, "binary_sensor.kitchen_gas", source_name="厨房燃气报警器"
        ).to_body()
    )
    alarm = await hub_server.context.db(
        store.record_alarm_raised, gateway, new_ulid(), body, hub_server.context.clock()
    )
    assert alarm is not None
    closure = AlarmEventBody(
        alarm.id,
        AlarmAction.VALVE_CLOSED,
        hub_server.context.clock(),
        "household",
        "switch.kitchen_gas_valve",
    )
    await hub_server.context.db(
        store.record_alarm_event, gateway, new_ulid(), closure, hub_server.context.clock()
    )
    # Nobody answered for a minute: the hub's own entry.
    real_clock = hub_server.context.clock
    late = datetime.fromisoformat(alarm.received_at) + timedelta(seconds=61)
    hub_server.context.clock = lambda: late
    try:
        await check_desk(hub_server.context)
    finally:
        hub_server.context.clock = real_clock
    step = {"step": "acknowledged"}
    async with session.post(
        f"{hub_server.url}/api/v1/alarms/{alarm.id}/steps", json=step, headers={CSRF_HEADER: csrf}
    ) as response:
        assert response.status == 200
        answer = await response.json()
    assert answer["alarm"]["acknowledged_by"] == "night-desk"
    assert answer["alarm"]["acknowledged_by_name"] == "值班调度员"
    assert answer["alarm"]["about"] == {
        "reason": None,
        "device": "厨房燃气报警器",
        "args": {"domain": "binary_sensor"},
    }

    async with session.get(f"{hub_server.url}/api/v1/alarms/{alarm.id}") as response:
        card = await response.json()
    events = {event["action"]: event for event in card["events"]}
    assert events["raised"]["said"] == {
        "code": "source",
        "reason": None,
        "device": "厨房燃气报警器",
        "args": {"domain": "binary_sensor"},
    }
    assert events["valve_closed"]["said"] == {"code": "device", "device": "厨房燃气阀"}
    assert events["escalated"]["said"] == {"code": "unacknowledged_for", "seconds": 60}
    assert events["acknowledged"]["actor_name"] == "值班调度员"

    # The home is told the display name too (the user name stays the record's).
    (queued,) = await hub_server.context.db(store.pending_outbound, gateway.id)
    assert (queued.body["staff"], queued.body["staff_name"]) == ("night-desk", "值班调度员")


async def test_an_alarm_named_only_by_entity_id_takes_its_devices_reported_name(
    hub_server: RunningHub,
) -> None:
    gateway = await enrolled_gateway(hub_server, "李爷爷家")
    store = hub_server.context.store
    await hub_server.context.db(
        store.registry.record_devices, gateway.household_id, [VALVE], hub_server.context.clock()
    )
    failed = RaisedAlarm.new(AlarmKind.VALVE_FAILED, "switch.kitchen_gas_valve")
    alarm = await hub_server.context.db(
        store.record_alarm_raised,
        gateway,
        new_ulid(),
        parse_alarm_raised(failed.to_body()),
        hub_server.context.clock(),
    )
    assert alarm is not None
    assert alarm.source_name == "厨房燃气阀"
    assert alarm.as_dict()["about"]["device"] == "厨房燃气阀"
