"""The always-on rules on real ZHA: the simulated detectors, buttons and valve, end to end
to the care-center hub."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.eldercare.const import DOMAIN
from gateway.alarms import AlarmKind
from gateway.safety.roles import Role
from gateway.sim.catalog import SonoffButton

from ...conftest import RunningHub
from ..conftest import travel
from .conftest import SimulatedZigbee, wait_for

STATUS = "sensor.wang_household_alarm_status"


def _history(entry: MockConfigEntry, kind: str) -> list[str]:
    alarm = entry.runtime_data.safety.open_alarm(AlarmKind(kind))
    return [h.action.value for h in alarm.history] if alarm else []


async def test_gas_closes_the_valve_verified_by_its_report_and_alarms_the_hub(
    zigbee: SimulatedZigbee, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    hass, home = zigbee.hass, zigbee.household
    home.valve.close_seconds = 0.5
    await zigbee.permit_joins()
    await zigbee.join(home.gas)
    await zigbee.join(home.valve)
    await wait_for(hass, lambda: home.gas.enrolled, timeout=10)
    inventory = enrolled_entry.runtime_data.safety.inventory
    assert {m.role for m in inventory.entities.values()} >= {Role.GAS, Role.GAS_VALVE}

    started = time.monotonic()
    home.gas.set_alarm(True)
    await wait_for(hass, lambda: not home.valve.is_open, timeout=3)
    assert time.monotonic() - started < 2  # frame -> ZHA -> rule -> command -> 0.5 s travel
    # Closure is confirmed only from the valve's own report at the end of its travel.
    await wait_for(hass, lambda: "valve_closed" in _history(enrolled_entry, "gas"), timeout=5)
    assert hass.states.get(STATUS).state == "gas"
    (alarm,) = await hub_server.wait_for_open_alarms(1)
    assert (alarm.kind, alarm.severity) == ("gas", "critical")


async def test_jammed_valve_is_retried_then_raises_valve_failed(
    zigbee: SimulatedZigbee, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    hass, home = zigbee.hass, zigbee.household
    home.valve.close_seconds = 0.2
    home.valve.jammed = True
    hass.config_entries.async_update_entry(
        enrolled_entry, options={**enrolled_entry.options, "valve_window": 2}
    )
    await hass.async_block_till_done()
    await zigbee.permit_joins()
    await zigbee.join(home.gas)
    await zigbee.join(home.valve)
    await wait_for(hass, lambda: home.gas.enrolled, timeout=10)
    home.gas.set_alarm(True)
    await wait_for(hass, lambda: "valve_retry" in _history(enrolled_entry, "gas"), timeout=4)
    safety = enrolled_entry.runtime_data.safety
    await wait_for(hass, lambda: safety.open_alarm(AlarmKind.VALVE_FAILED) is not None, timeout=4)
    assert home.valve.is_open
    kinds = {a.kind for a in await hub_server.wait_for_open_alarms(2)}
    assert kinds == {"gas", "valve_failed"}
    assert "valve_closed" not in _history(enrolled_entry, "gas")
    assert er.async_get(hass) is not None


async def test_sos_button_and_fob_each_raise_sos(
    zigbee: SimulatedZigbee, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    hass, home = zigbee.hass, zigbee.household
    await zigbee.permit_joins()
    await zigbee.join(home.sos)
    await wait_for(hass, lambda: home.sos.enrolled, timeout=10)
    home.sos.press()
    await wait_for(hass, lambda: hass.states.get(STATUS).state == "sos", timeout=3)
    (first,) = await hub_server.wait_for_open_alarms(1)
    await hass.services.async_call("eldercare", "resolve", {"note": "ok"}, blocking=True)
    assert hass.states.get(STATUS).state == "idle"
    await zigbee.join(home.sos_fob)
    home.sos_fob.press_sos()  # the fob's IAS ACE emergency: ZHA's alarm panel "triggered"
    await wait_for(hass, lambda: hass.states.get(STATUS).state == "sos", timeout=3)
    second = hass.states.get(STATUS).attributes["alarm_id"]
    assert second != first.id  # a new alarm
    # The panel is put back once the press is recorded, so the fob's next press is seen too.
    panel = next(e for e in hass.states.async_entity_ids("alarm_control_panel"))
    await wait_for(hass, lambda: hass.states.get(panel).state == "disarmed", timeout=3)
    await hass.services.async_call("eldercare", "resolve", {"note": "ok"}, blocking=True)
    home.sos_fob.press_sos()
    await wait_for(hass, lambda: hass.states.get(STATUS).state == "sos", timeout=3)
    assert hass.states.get(STATUS).attributes["alarm_id"] not in (first.id, second)


async def test_zigbee_remote_named_or_picked_as_sos_raises_one_alarm_per_press(
    zigbee: SimulatedZigbee, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    hass, home = zigbee.hass, zigbee.household
    # With a cancel window, a press counted twice would cancel the alarm it raised.
    hass.config_entries.async_update_entry(
        enrolled_entry, options={**enrolled_entry.options, "sos_cancel_window": 30}
    )
    remote = SonoffButton(home.air)
    try:
        await zigbee.permit_joins()
        device = await zigbee.join(remote)
        safety = enrolled_entry.runtime_data.safety
        events = async_capture_events(hass, "zha_event")

        def commands() -> list[str]:
            # ZHA also relays the On/Off state it infers ("attribute_updated"): not a command.
            return [e.data["command"] for e in events if e.data["command"] != "attribute_updated"]

        remote.press()
        await wait_for(hass, lambda: commands() == ["toggle"], timeout=3)  # an event, no entity
        assert hass.states.get(STATUS).state == "idle"  # a plain remote is nobody's emergency

        # The installer names it for its job: its presses are SOS presses now.
        dr.async_get(hass).async_update_device(device.id, name_by_user="床头 SOS 按钮")
        await wait_for(hass, lambda: device.id in safety.inventory.remotes)
        remote.press()
        remote.press("double")  # one press, two commands
        await wait_for(hass, lambda: len(commands()) == 3, timeout=3)
        await wait_for(hass, lambda: hass.states.get(STATUS).state == "sos", timeout=3)
        alarm = safety.open_alarm(AlarmKind.SOS)
        assert alarm is not None
        assert alarm.count == 1
        assert "cancelled" not in _history(enrolled_entry, "sos")
        (at_hub,) = await hub_server.wait_for_open_alarms(1)
        assert (at_hub.kind, at_hub.severity) == ("sos", "critical")
        await hass.services.async_call("eldercare", "resolve", {"note": "ok"}, blocking=True)

        # Or picked in the options flow: here as a fall alert remote.
        result = await hass.config_entries.options.async_init(enrolled_entry.entry_id)
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {"next_step_id": "roles"}
        )
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {"sos_remotes": [], "fall_remotes": [device.id]}
        )
        assert result["type"] == "create_entry"
        await hass.async_block_till_done()
        assert safety.inventory.remotes[device.id].role is Role.FALL
        await hass.async_add_executor_job(time.sleep, 2.1)  # past the press burst gap
        remote.press("long")
        await wait_for(hass, lambda: hass.states.get(STATUS).state == "fall", timeout=3)
    finally:
        remote.close()


# The clock runs (tick) so the radio's and ZHA's own waits pass; tick() jumps it forward.
@pytest.mark.freeze_time(tick=True)
async def test_silent_smoke_detector_goes_offline_in_minutes_not_hours(
    zigbee: SimulatedZigbee, enrolled_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    hass, home = zigbee.hass, zigbee.household
    await zigbee.permit_joins()
    device = await zigbee.join(home.smoke)
    await wait_for(hass, lambda: home.smoke.enrolled, timeout=10)
    # Healthy: its supervision reports keep it heard through a long quiet spell.
    for _ in range(30):
        travel(hass, freezer, timedelta(minutes=1))
        await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "idle"
    home.smoke.silent = True
    for _ in range(11):
        travel(hass, freezer, timedelta(minutes=1))
        await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "device_offline"
    assert (DOMAIN, f"device_offline_{device.id}") in ir.async_get(hass).issues
    home.smoke.silent = False
    home.smoke.notify_status()
    await zigbee.settle()
    travel(hass, freezer, timedelta(seconds=31))
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "idle"
    assert (DOMAIN, f"device_offline_{device.id}") not in ir.async_get(hass).issues


async def test_battery_report_under_15_percent_opens_a_repair(
    zigbee: SimulatedZigbee, enrolled_entry: MockConfigEntry
) -> None:
    hass, home = zigbee.hass, zigbee.household
    await zigbee.permit_joins()
    device = await zigbee.join(home.smoke)
    home.smoke.set_battery(10)
    issue = (DOMAIN, f"battery_low_{device.id}")
    await wait_for(hass, lambda: issue in ir.async_get(hass).issues, timeout=3)
    assert ir.async_get(hass).issues[issue].translation_placeholders["percent"] == "10"
    home.smoke.set_battery(100)
    await wait_for(hass, lambda: issue not in ir.async_get(hass).issues, timeout=3)


async def test_smoke_detector_raises_fire_and_door_at_night_raises_door(
    zigbee: SimulatedZigbee, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    hass, home = zigbee.hass, zigbee.household
    # Quiet hours around the clock, so "now" is night whatever time the test runs.
    hass.config_entries.async_update_entry(
        enrolled_entry, options={**enrolled_entry.options, "quiet_hours": "00:00-23:59"}
    )
    await zigbee.permit_joins()
    await zigbee.join(home.smoke)
    await zigbee.join(home.door)
    await wait_for(hass, lambda: home.smoke.enrolled and home.door.enrolled, timeout=10)
    home.smoke.set_alarm(True)
    await wait_for(hass, lambda: hass.states.get(STATUS).state == "fire", timeout=3)
    home.door.set_alarm(True)
    safety = enrolled_entry.runtime_data.safety
    await wait_for(hass, lambda: safety.open_alarm(AlarmKind.DOOR) is not None, timeout=3)
    kinds = {a.kind for a in await hub_server.wait_for_open_alarms(2)}
    assert kinds == {"fire", "door"}
    # The detector clearing is told to the center; the fire alarm waits for a person.
    home.smoke.set_alarm(False)
    await wait_for(
        hass, lambda: safety.open_alarm(AlarmKind.FIRE).cleared_at is not None, timeout=3
    )
    assert hass.states.get(STATUS).state == "fire"
