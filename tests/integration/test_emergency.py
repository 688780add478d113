"""Call for help, from the button entity and the action, reaches the care-center hub."""

from __future__ import annotations

import asyncio

import pytest
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.eldercare.const import DOMAIN, EVENT_ALARM_RAISED, EVENT_ANNOUNCEMENT
from hub.core.desk_model import Outcome, StaffStep

from ..conftest import RunningHub, until
from .conftest import credentials_of

BUTTON = "button.wang_household_call_for_help"


async def test_button_belongs_to_the_household_device(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry
) -> None:
    entity = er.async_get(hass).async_get(BUTTON)
    assert entity is not None
    assert entity.translation_key == "call_for_help"
    device = dr.async_get(hass).async_get(entity.device_id)
    assert device.name == "Wang household"
    assert (DOMAIN, credentials_of(enrolled_entry).gateway_id) in device.identifiers


async def test_pressing_call_for_help_raises_sos_at_the_hub(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    events = async_capture_events(hass, EVENT_ALARM_RAISED)
    await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: BUTTON}, blocking=True)
    (alarm,) = await hub_server.wait_for_open_alarms(1)
    assert (alarm.kind, alarm.severity, alarm.household_name) == (
        "sos",
        "critical",
        "Wang household",
    )
    assert [event.data["alarm_id"] for event in events] == [alarm.id]


async def test_trigger_emergency_action_returns_the_alarm_id(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    response = await hass.services.async_call(
        DOMAIN,
        "trigger_emergency",
        {"source": "bedside tablet"},
        blocking=True,
        return_response=True,
    )
    (alarm,) = await hub_server.wait_for_open_alarms(1)
    assert response == {"alarm_id": alarm.id}


async def test_action_without_a_loaded_gateway_is_a_clear_error(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry
) -> None:
    await hass.config_entries.async_unload(enrolled_entry.entry_id)
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(DOMAIN, "trigger_emergency", {}, blocking=True)
    assert caught.value.translation_key == "not_loaded"


async def test_alarm_pressed_while_hub_is_down_arrives_when_it_returns(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    link = enrolled_entry.runtime_data.link
    await hub_server.stop()
    await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: BUTTON}, blocking=True)
    await asyncio.sleep(0.5)
    assert link.outbox_depth == 1  # held, not lost
    await hub_server.start()
    (alarm,) = await hub_server.wait_for_open_alarms(1, timeout=10)
    assert alarm.kind == "sos"
    for _ in range(100):
        if link.outbox_depth == 0:
            break
        await asyncio.sleep(0.05)
    assert link.outbox_depth == 0


async def test_staff_steps_reach_the_home_and_help_coming_is_announced(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    announcements = async_capture_events(hass, EVENT_ANNOUNCEMENT)
    await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: BUTTON}, blocking=True)
    (alarm,) = await hub_server.wait_for_open_alarms(1)
    safety = enrolled_entry.runtime_data.safety

    def history() -> list[str]:
        return [entry.action.value for entry in safety.alarm(alarm.id).history]

    await hub_server.staff_step(alarm.id, StaffStep.ACKNOWLEDGED)
    await until(lambda: "acknowledged" in history())
    await hub_server.staff_step(
        alarm.id, StaffStep.DISPATCHED, note="Xiao Liu", responder="Xiao Liu", eta_minutes=8
    )
    await until(lambda: "dispatched" in history())
    assert [e.data["message"] for e in announcements] == ["help_on_the_way"]
    entry = safety.alarm(alarm.id).history[-1]
    assert (entry.actor, entry.detail) == ("staff:Zhao Lei", "Xiao Liu (ETA 8 min)")
    # Steps from the hub are not echoed back as household events.
    assert (await hub_server.alarm_actions(alarm.id)).count("dispatched") == 1


async def test_staff_step_taken_while_the_home_is_offline_arrives_when_it_is_back(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: BUTTON}, blocking=True)
    (alarm,) = await hub_server.wait_for_open_alarms(1)
    await hass.config_entries.async_unload(enrolled_entry.entry_id)  # the home is offline
    await hub_server.staff_step(
        alarm.id,
        StaffStep.RESOLVED,
        note="all well, checked by phone",
        outcome=Outcome.ADVICE_BY_PHONE,
    )
    assert await hass.config_entries.async_setup(enrolled_entry.entry_id)
    safety = enrolled_entry.runtime_data.safety
    await until(lambda: not safety.alarm(alarm.id).open, timeout=10)
    assert hass.states.get("sensor.wang_household_alarm_status").state == "idle"
