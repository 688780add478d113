"""The alarm card's devices follow the household's alarms at once: a valve's confirmed closure
(the alarm.event `valve_closed`) is the valve's state, and an open gas alarm means the gas
detector is alarming, whatever the last device report (up to 10 s older) said. A report made
after the alarm's fact speaks again; one made before it does not, even if it arrives later
(reports travel behind alarms in the gateway's outbox)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import pytest

from gateway.alarms import AlarmAction, AlarmClearedBody, AlarmEventBody, AlarmKind, RaisedAlarm
from gateway.protocol import parse_alarm_raised
from gateway.ulid import new_ulid
from hub.core.registry import DeviceState
from hub.core.storage import Gateway
from hub.policy import Role

from ..conftest import RunningHub, cookie_session
from .seed import enrolled_gateway

VALVE_ENTITY = "switch.kitchen_gas_valve"
DETECTOR_ENTITY = "binary_sensor.kitchen_gas"


@pytest.fixture
async def staff(hub_server: RunningHub) -> AsyncIterator[aiohttp.ClientSession]:
    session = cookie_session()
    await hub_server.sign_in(session, Role.DISPATCHER)
    yield session
    await session.close()


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def _report(
    hub: RunningHub, gateway: Gateway, seen: datetime, *, valve: str, detector: str
) -> None:
    """A device.status as the gateway sends it: both devices last heard at `seen`."""
    devices = [
        DeviceState("valve-dev", "厨房燃气阀", "gas_valve", 80, _iso(seen), valve, ""),
        DeviceState("gas-dev", "厨房燃气报警器", "gas", 90, _iso(seen), detector, ""),
        DeviceState("smoke-dev", "客厅烟感", "smoke", 70, _iso(seen), "off", ""),
    ]
    store = hub.context.store
    await hub.context.db(
        store.registry.record_devices, gateway.household_id, devices, hub.context.clock()
    )


async def _gas_leak(hub: RunningHub, gateway: Gateway, at: datetime) -> str:
    raised = RaisedAlarm.new(AlarmKind.GAS, DETECTOR_ENTITY, at, "厨房燃气报警器")
    body = parse_alarm_raised(raised.to_body())
    store = hub.context.store
    alarm = await hub.context.db(store.record_alarm_raised, gateway, new_ulid(), body, at)
    assert alarm is not None
    return alarm.id


async def _event(
    hub: RunningHub, gateway: Gateway, body: AlarmEventBody | AlarmClearedBody
) -> None:
    store = hub.context.store
    record = (
        store.record_alarm_event if isinstance(body, AlarmEventBody) else store.record_alarm_cleared
    )
    await hub.context.db(record, gateway, new_ulid(), body, hub.context.clock())


async def _devices(hub: RunningHub, staff: aiohttp.ClientSession, alarm_id: str) -> dict[str, Any]:
    async with staff.get(f"{hub.url}/api/v1/alarms/{alarm_id}") as response:
        assert response.status == 200
        card = await response.json()
    return {device["kind"]: device for device in card["devices"]}


async def test_a_confirmed_closure_closes_the_valve_on_the_card_at_once(
    hub_server: RunningHub, staff: aiohttp.ClientSession
) -> None:
    gateway = await enrolled_gateway(hub_server, "燃气之家")
    start = hub_server.context.clock() - timedelta(seconds=30)
    await _report(hub_server, gateway, start, valve="open", detector="off")
    alarm_id = await _gas_leak(hub_server, gateway, start + timedelta(seconds=1))

    # Before the closure: what the report said of the valve, and the leak's detector alarms.
    shown = await _devices(hub_server, staff, alarm_id)
    assert (shown["gas_valve"]["state"], shown["gas_valve"]["state_from"]) == ("open", "report")
    assert (shown["gas"]["state"], shown["gas"]["state_from"]) == ("on", "alarm")
    assert (shown["smoke"]["state"], shown["smoke"]["state_from"]) == ("off", "report")

    closed_at = start + timedelta(seconds=2)
    closure = AlarmEventBody(
        alarm_id, AlarmAction.VALVE_CLOSED, closed_at, "household", VALVE_ENTITY
    )
    await _event(hub_server, gateway, closure)
    shown = await _devices(hub_server, staff, alarm_id)
    assert (shown["gas_valve"]["state"], shown["gas_valve"]["state_from"]) == ("closed", "alarm")
    assert shown["gas_valve"]["state_at"]
    assert shown["gas"]["state"] == "on"

    # A report taken before the closure, arriving after it, does not reopen the valve ...
    await _report(hub_server, gateway, start + timedelta(seconds=1), valve="open", detector="off")
    shown = await _devices(hub_server, staff, alarm_id)
    assert shown["gas_valve"]["state"] == "closed"
    assert shown["gas"]["state"] == "on"
    # ... one taken after it speaks: the valve was opened again by hand.
    await _report(hub_server, gateway, start + timedelta(seconds=20), valve="open", detector="on")
    shown = await _devices(hub_server, staff, alarm_id)
    assert (shown["gas_valve"]["state"], shown["gas_valve"]["state_from"]) == ("open", "report")


async def test_the_gas_detector_is_alarming_until_the_household_clears_the_alarm(
    hub_server: RunningHub, staff: aiohttp.ClientSession
) -> None:
    gateway = await enrolled_gateway(hub_server, "燃气之家")
    start = hub_server.context.clock() - timedelta(seconds=30)
    alarm_id = await _gas_leak(hub_server, gateway, start)
    # The jammed-valve case: the detector's last report (from before the leak) says "off".
    await _report(hub_server, gateway, start - timedelta(seconds=5), valve="open", detector="off")
    shown = await _devices(hub_server, staff, alarm_id)
    assert (shown["gas"]["state"], shown["gas"]["state_from"]) == ("on", "alarm")

    # Cleared at home: a report from before the clear that still says "on" is not current.
    await _report(hub_server, gateway, start + timedelta(seconds=3), valve="open", detector="on")
    cleared = AlarmClearedBody(alarm_id, start + timedelta(seconds=5), "厨房燃气报警器 quiet")
    await _event(hub_server, gateway, cleared)
    shown = await _devices(hub_server, staff, alarm_id)
    assert (shown["gas"]["state"], shown["gas"]["state_from"]) == ("off", "alarm")
    await _report(hub_server, gateway, start + timedelta(seconds=9), valve="open", detector="on")
    shown = await _devices(hub_server, staff, alarm_id)
    assert (shown["gas"]["state"], shown["gas"]["state_from"]) == ("on", "report")


async def test_a_fall_card_shows_the_gas_leak_open_in_the_same_home(
    hub_server: RunningHub, staff: aiohttp.ClientSession
) -> None:
    """Another open alarm of the household speaks for its devices on every card."""
    gateway = await enrolled_gateway(hub_server, "燃气之家")
    start = hub_server.context.clock() - timedelta(seconds=30)
    await _report(hub_server, gateway, start, valve="open", detector="off")
    gas_id = await _gas_leak(hub_server, gateway, start + timedelta(seconds=1))
    closure = AlarmEventBody(
        gas_id, AlarmAction.VALVE_CLOSED, start + timedelta(seconds=2), "household", VALVE_ENTITY
    )
    await _event(hub_server, gateway, closure)
    fall = parse_alarm_raised(RaisedAlarm.new(AlarmKind.FALL, "binary_sensor.radar").to_body())
    store = hub_server.context.store
    fall_row = await hub_server.context.db(
        store.record_alarm_raised, gateway, new_ulid(), fall, hub_server.context.clock()
    )
    assert fall_row is not None
    shown = await _devices(hub_server, staff, fall_row.id)
    assert shown["gas_valve"]["state"] == "closed"
    assert shown["gas"]["state"] == "on"


async def test_the_family_page_shows_the_valve_closed_with_the_alarm_and_at_once(
    hub_server: RunningHub,
) -> None:
    """The family page's devices agree with the household's alarms, as the card's do: on
    load, and pushed within a second of the closure (not at the next 30 s refresh)."""
    gateway = await enrolled_gateway(hub_server, "燃气之家")
    start = hub_server.context.clock() - timedelta(seconds=30)
    await _report(hub_server, gateway, start, valve="open", detector="off")
    alarm_id = await _gas_leak(hub_server, gateway, start + timedelta(seconds=1))
    async with cookie_session() as family:
        await hub_server.sign_in(family, Role.FAMILY, household_id=gateway.household_id)
        async with family.get(f"{hub_server.url}/api/v1/family/household") as response:
            devices = {d["kind"]: d for d in (await response.json())["devices"]}
        assert (devices["gas_valve"]["state"], devices["gas"]["state"]) == ("open", "on")

        page = await family.ws_connect(f"{hub_server.url}/api/v1/family/live")
        assert (await page.receive_json(timeout=5))["type"] == "snapshot"
        closure = AlarmEventBody(
            alarm_id,
            AlarmAction.VALVE_CLOSED,
            start + timedelta(seconds=2),
            "household",
            VALVE_ENTITY,
        )
        await _event(hub_server, gateway, closure)
        store = hub_server.context.store
        row = await hub_server.context.db(store.alarm, alarm_id)
        assert row is not None
        hub_server.context.live.publish(
            {"type": "alarm", "alarm": row.as_dict()}
        )  # as gateway_ws does
        home = None
        while home is None:
            message = await page.receive_json(timeout=5)
            home = message if message["type"] == "home" else None
        devices = {d["kind"]: d for d in home["devices"]}
        assert (devices["gas_valve"]["state"], devices["gas_valve"]["state_from"]) == (
            "closed",
            "alarm",
        )
        await page.close()
