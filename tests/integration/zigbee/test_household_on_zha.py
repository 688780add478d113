"""The virtual household behind the real ZHA integration: entities, states, commands."""

from __future__ import annotations

import asyncio

import pytest
from homeassistant.components.zha.helpers import get_zha_gateway
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er

from gateway.sim.commands import run_command
from gateway.sim.deconz_radio import encode_frame

from .conftest import SimulatedZigbee, wait_for


def _entity(
    hass: HomeAssistant, device_id: str, domain: str, device_class: str | None = None
) -> str:
    for entry in er.async_entries_for_device(er.async_get(hass), device_id):
        state = hass.states.get(entry.entity_id)
        if (
            entry.domain == domain
            and state is not None
            and (device_class is None or state.attributes.get("device_class") == device_class)
        ):
            return entry.entity_id
    raise AssertionError(f"no {domain} {device_class} entity on device {device_id}")


async def test_smoke_detector_joins_enrolls_and_alarms(zigbee: SimulatedZigbee) -> None:
    hass, smoke = zigbee.hass, zigbee.household.smoke
    await zigbee.permit_joins()
    device = await zigbee.join(smoke)
    assert device.manufacturer == "HEIMAN"
    # The real zha-quirk for this product loaded (it hides the IAS WD the detector presents).
    zha_device = get_zha_gateway(hass).devices[smoke.eui64]
    assert zha_device.quirk_class == "zhaquirks.heiman.smoke.HeimanSmokeEM"
    # ZHA writes the CIE address and answers the enroll request while it configures the device.
    await wait_for(hass, lambda: smoke.enrolled, timeout=10)
    entity_id = _entity(hass, device.id, "binary_sensor", "smoke")
    assert hass.states.get(entity_id).state == "off"
    smoke.set_alarm(True)
    await wait_for(hass, lambda: hass.states.get(entity_id).state == "on")
    smoke.set_alarm(False)
    await wait_for(hass, lambda: hass.states.get(entity_id).state == "off")


async def test_every_ias_device_appears_with_its_entity_and_follows_frames(
    zigbee: SimulatedZigbee,
) -> None:
    hass, home = zigbee.hass, zigbee.household
    await zigbee.permit_joins()
    cases = [
        (home.gas, "gas", "gas"),
        (home.door, "opening", "door"),
        (home.motion, "motion", "motion"),
        (home.sos, None, "sos"),
    ]
    for device, device_class, label in cases:
        entry = await zigbee.join(device)
        entity_id = _entity(hass, entry.id, "binary_sensor", device_class)
        await wait_for(hass, lambda d=device: d.enrolled, timeout=10)
        device.set_alarm(True)
        await wait_for(hass, lambda e=entity_id: hass.states.get(e).state == "on")
        device.set_alarm(False)
        await wait_for(hass, lambda e=entity_id: hass.states.get(e).state == "off")
        assert label


async def test_sos_button_press_is_an_alarm_then_a_restore(zigbee: SimulatedZigbee) -> None:
    hass, sos = zigbee.hass, zigbee.household.sos
    await zigbee.permit_joins()
    entry = await zigbee.join(sos)
    entity_id = _entity(hass, entry.id, "binary_sensor")
    sos.press()
    await wait_for(hass, lambda: hass.states.get(entity_id).state == "on")
    await wait_for(hass, lambda: hass.states.get(entity_id).state == "off", timeout=2.5)


async def test_sos_fob_emergency_key_triggers_the_alarm_panel(zigbee: SimulatedZigbee) -> None:
    """ZHA acts as the IAS CIE for an ACE keypad/fob: its emergency key triggers the panel."""
    hass, fob = zigbee.hass, zigbee.household.sos_fob
    await zigbee.permit_joins()
    entry = await zigbee.join(fob)
    entity_id = _entity(hass, entry.id, "alarm_control_panel")
    assert hass.states.get(entity_id).state != "triggered"
    fob.press_sos()
    await wait_for(hass, lambda: hass.states.get(entity_id).state == "triggered")


async def test_valve_closes_from_home_assistant_and_reports(zigbee: SimulatedZigbee) -> None:
    hass, valve = zigbee.hass, zigbee.household.valve
    valve.close_seconds = 0.3
    await zigbee.permit_joins()
    entry = await zigbee.join(valve)
    entity_id = _entity(hass, entry.id, "switch")
    assert hass.states.get(entity_id).state == "on"  # open
    await hass.services.async_call("switch", "turn_off", {"entity_id": entity_id}, blocking=True)
    await wait_for(hass, lambda: not valve.is_open)
    await wait_for(hass, lambda: hass.states.get(entity_id).state == "off")
    await hass.services.async_call("switch", "turn_on", {"entity_id": entity_id}, blocking=True)
    await wait_for(hass, lambda: valve.is_open)


async def test_jammed_valve_reports_itself_still_open(zigbee: SimulatedZigbee) -> None:
    hass, valve = zigbee.hass, zigbee.household.valve
    valve.close_seconds = 0.3
    await zigbee.permit_joins()
    entry = await zigbee.join(valve)
    entity_id = _entity(hass, entry.id, "switch")
    valve.jammed = True
    await hass.services.async_call("switch", "turn_off", {"entity_id": entity_id}, blocking=True)
    # ZHA shows the command optimistically; the valve's own report then sets it straight.
    await wait_for(hass, lambda: hass.states.get(entity_id).state == "on", timeout=2)
    assert valve.is_open


async def test_battery_drain_is_reported(zigbee: SimulatedZigbee) -> None:
    hass, door = zigbee.hass, zigbee.household.door
    await zigbee.permit_joins()
    entry = await zigbee.join(door)
    entity_id = _entity(hass, entry.id, "sensor", "battery")
    assert hass.states.get(entity_id).state == "100.0"
    door.set_battery(10)
    await wait_for(hass, lambda: hass.states.get(entity_id).state == "10.0")


async def test_silent_valve_refuses_commands_and_recovers(zigbee: SimulatedZigbee) -> None:
    hass, valve = zigbee.hass, zigbee.household.valve
    valve.close_seconds = 0.1
    await zigbee.permit_joins()
    entry = await zigbee.join(valve)
    entity_id = _entity(hass, entry.id, "switch")
    valve.silent = True
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call(
            "switch", "turn_off", {"entity_id": entity_id}, blocking=True
        )
    assert valve.is_open
    valve.silent = False
    await hass.services.async_call("switch", "turn_off", {"entity_id": entity_id}, blocking=True)
    await wait_for(hass, lambda: not valve.is_open)


async def test_stack_survives_malformed_frames(zigbee: SimulatedZigbee) -> None:
    hass, smoke = zigbee.hass, zigbee.household.smoke
    await zigbee.permit_joins()
    entry = await zigbee.join(smoke)
    entity_id = _entity(hass, entry.id, "binary_sensor", "smoke")
    run_command(zigbee.household, "garbage smoke")
    # A frame with a broken checksum and an unknown command id, straight from the radio.
    zigbee.radio.inject_garbage(b"\xc0\x07\x01\x00\x08\x00\xff\xff\xc0")
    zigbee.radio.inject_garbage(encode_frame(bytes([0x77, 0x01, 0x00, 0x05, 0x00])))
    await asyncio.sleep(0.2)
    smoke.set_alarm(True)
    await wait_for(hass, lambda: hass.states.get(entity_id).state == "on")
    assert zigbee.entry.state is ConfigEntryState.LOADED


async def test_device_leaves_and_rejoins_with_its_entities(zigbee: SimulatedZigbee) -> None:
    hass, door = zigbee.hass, zigbee.household.door
    await zigbee.permit_joins()
    entry = await zigbee.join(door)
    entity_id = _entity(hass, entry.id, "binary_sensor", "opening")
    door.leave()
    assert not door.reachable
    await zigbee.permit_joins()
    rejoined = await zigbee.join(door)
    assert rejoined.id == entry.id  # same HA device, same entities
    door.set_alarm(True)
    await wait_for(hass, lambda: hass.states.get(entity_id).state == "on")
