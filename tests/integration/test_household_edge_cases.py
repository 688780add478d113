"""What the rules make of the household's entities when they do something other than a clean
change: a device removed, a button or sensor coming back from unavailable, an attribute-only
update, a valve of HA's valve platform, a valve that refuses the first command, and another
app's notification button."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from gateway.alarms import AlarmKind

from .conftest import travel

STATUS = "sensor.wang_household_alarm_status"
SMOKE = "binary_sensor.kitchen_smoke"
GAS = "binary_sensor.kitchen_gas"
SOS_EVENT = "event.bedside_sos_button"
SYSTOLIC = "sensor.blood_pressure_systolic"


def _history(entry: MockConfigEntry, kind: AlarmKind) -> list[str]:
    alarm = entry.runtime_data.safety.open_alarm(kind)
    return [h.action.value for h in alarm.history] if alarm else []


async def test_a_removed_detector_raises_nothing_and_is_heard_again_when_back(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry
) -> None:
    attributes = {"device_class": "smoke", "friendly_name": "Kitchen smoke"}
    hass.states.async_set(SMOKE, "off", attributes)
    battery = "sensor.kitchen_smoke_battery"
    hass.states.async_set(battery, "80", {"device_class": "battery", "unit_of_measurement": "%"})
    await hass.async_block_till_done()
    hass.states.async_remove(SMOKE)
    hass.states.async_remove(battery)
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "idle"
    hass.states.async_set(SMOKE, "on", attributes)  # plugged in again, already smoking
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "fire"


async def test_an_sos_button_back_from_unavailable_or_only_renamed_is_no_press(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry
) -> None:
    attributes = {"friendly_name": "Bedside SOS button", "event_type": "press"}
    pressed = "2026-11-21T08:00:00.000+00:00"
    hass.states.async_set(SOS_EVENT, "unavailable", attributes)
    await hass.async_block_till_done()
    # Its integration restores the last press after a restart: an old press, not a new one.
    hass.states.async_set(SOS_EVENT, pressed, attributes)
    await hass.async_block_till_done()
    # Renamed by the family: the state (last press) is the same.
    hass.states.async_set(SOS_EVENT, pressed, {**attributes, "friendly_name": "Grandma's SOS"})
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "idle"
    hass.states.async_set(SOS_EVENT, "2026-11-21T09:30:00.000+00:00", attributes)
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "sos"


async def test_a_vital_sensor_back_from_unavailable_is_no_new_reading(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry
) -> None:
    attributes = {"unit_of_measurement": "mmHg", "friendly_name": "Blood pressure systolic"}
    hass.states.async_set(SYSTOLIC, "120", attributes)
    await hass.async_block_till_done()
    hass.states.async_set(SYSTOLIC, "unavailable", attributes)
    await hass.async_block_till_done()
    # The cuff's integration shows the old high value again when it reconnects.
    hass.states.async_set(SYSTOLIC, "196", attributes)
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "idle"
    hass.states.async_set(SYSTOLIC, "197", attributes)  # a new reading
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "vitals"


async def test_a_valve_of_the_valve_platform_is_closed_and_confirmed_by_its_state(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry
) -> None:
    valve = "valve.kitchen_gas_valve"
    close = async_mock_service(hass, "valve", "close_valve")  # the valve's own integration
    hass.states.async_set(valve, "open", {"friendly_name": "Kitchen gas valve"})
    hass.states.async_set(GAS, "off", {"device_class": "gas", "friendly_name": "Kitchen gas"})
    await hass.async_block_till_done()
    hass.states.async_set(GAS, "on", {"device_class": "gas", "friendly_name": "Kitchen gas"})
    await hass.async_block_till_done()
    assert [call.data["entity_id"] for call in close] == [valve]
    hass.states.async_set(valve, "closing", {"friendly_name": "Kitchen gas valve"})
    await hass.async_block_till_done()
    assert "valve_closed" not in _history(enrolled_entry, AlarmKind.GAS)
    hass.states.async_set(valve, "closed", {"friendly_name": "Kitchen gas valve"})
    await hass.async_block_till_done()
    assert "valve_closed" in _history(enrolled_entry, AlarmKind.GAS)


async def test_a_valve_that_refuses_the_command_is_sent_it_again(
    hass: HomeAssistant,
    enrolled_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    valve = "switch.kitchen_gas_valve"
    calls: list[ServiceCall] = []

    async def turn_off(call: ServiceCall) -> None:
        """The valve's integration: its radio is busy the first time."""
        calls.append(call)
        if len(calls) == 1:
            raise HomeAssistantError("the valve did not answer")
        hass.states.async_set(valve, "off", {"friendly_name": "Kitchen gas valve"})

    hass.services.async_register("switch", "turn_off", turn_off)
    hass.states.async_set(valve, "on", {"friendly_name": "Kitchen gas valve"})
    hass.states.async_set(GAS, "off", {"device_class": "gas", "friendly_name": "Kitchen gas"})
    await hass.async_block_till_done()
    with caplog.at_level(logging.ERROR):
        hass.states.async_set(GAS, "on", {"device_class": "gas", "friendly_name": "Kitchen gas"})
        await hass.async_block_till_done()
    assert f"Closing {valve} failed: the valve did not answer; will retry" in caplog.text
    assert hass.states.get(valve).state == "on"
    travel(hass, freezer, timedelta(seconds=4))
    await hass.async_block_till_done()
    assert len(calls) == 2
    assert hass.states.get(valve).state == "off"
    # Confirmed by reading the valve back after the command, not by the optimistic state.
    travel(hass, freezer, timedelta(seconds=4))
    await hass.async_block_till_done()
    assert "valve_closed" in _history(enrolled_entry, AlarmKind.GAS)
    assert enrolled_entry.runtime_data.safety.open_alarm(AlarmKind.VALVE_FAILED) is None


async def test_another_apps_notification_button_does_not_answer_an_alarm(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry
) -> None:
    await hass.services.async_call("eldercare", "trigger_emergency", {}, blocking=True)
    alarm_id = hass.states.get(STATUS).attributes["alarm_id"]
    hass.bus.async_fire(
        "mobile_app_notification_action", {"action": "OPEN_GARAGE", "tag": "garage"}
    )
    await hass.async_block_till_done()
    alarm = enrolled_entry.runtime_data.safety.alarm(alarm_id)
    assert alarm.family.acked_by is None
    assert hass.states.get(STATUS).state == "sos"
