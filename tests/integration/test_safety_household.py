"""The always-on rules on any integration's entities (here written straight into HA's state
machine, as a template or MQTT entity would be), with time travel for the slow rules."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_mock_service,
)

from custom_components.eldercare.const import DOMAIN, EVENT_ANNOUNCEMENT
from custom_components.eldercare.controller import SafetyController
from custom_components.eldercare.diagnostics import async_get_config_entry_diagnostics
from gateway.alarms import AlarmKind

from ..conftest import RunningHub
from .conftest import travel

STATUS = "sensor.wang_household_alarm_status"
EMERGENCY = "binary_sensor.wang_household_emergency_active"
CANCEL = "button.wang_household_cancel"
SMOKE = "binary_sensor.kitchen_smoke"
SOS_EVENT = "event.bedside_sos_button"
DOOR = "binary_sensor.front_door"
MOTION = "binary_sensor.hall_motion"


def _safety(entry: MockConfigEntry) -> SafetyController:
    return entry.runtime_data.safety


async def _set_options(hass: HomeAssistant, entry: MockConfigEntry, **options: object) -> None:
    hass.config_entries.async_update_entry(entry, options={**entry.options, **options})
    await hass.async_block_till_done()


async def test_smoke_from_any_integration_raises_fire_and_sounds_sirens(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    siren_on = async_mock_service(hass, "siren", "turn_on")
    hass.states.async_set("siren.hall_siren", "off", {"friendly_name": "Hall siren"})
    hass.states.async_set(SMOKE, "off", {"device_class": "smoke", "friendly_name": "Kitchen smoke"})
    await hass.async_block_till_done()
    hass.states.async_set(SMOKE, "on", {"device_class": "smoke", "friendly_name": "Kitchen smoke"})
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "fire"
    assert hass.states.get(EMERGENCY).state == "on"
    assert [call.data["entity_id"] for call in siren_on] == [["siren.hall_siren"]]
    (alarm,) = await hub_server.wait_for_open_alarms(1)
    assert (alarm.id, alarm.kind) == (_safety(enrolled_entry).open_alarms()[0].id, "fire")


async def test_unavailable_and_back_is_never_an_alarm_by_itself(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry
) -> None:
    attributes = {"device_class": "smoke", "friendly_name": "Kitchen smoke"}
    hass.states.async_set(SMOKE, "off", attributes)
    await hass.async_block_till_done()
    for state in ("unavailable", "off", "unknown", "off", "unavailable", "off"):
        hass.states.async_set(SMOKE, state, attributes)
        await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "idle"
    # A real alarm across a gap counts once, not twice.
    for state in ("on", "unavailable", "on"):
        hass.states.async_set(SMOKE, state, attributes)
        await hass.async_block_till_done()
    (alarm,) = _safety(enrolled_entry).open_alarms()
    assert (alarm.kind, alarm.count) == (AlarmKind.FIRE, 1)


async def test_sos_from_an_event_entity_and_the_cancel_window(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    await _set_options(hass, enrolled_entry, sos_cancel_window=30)
    attributes = {"friendly_name": "Bedside SOS button", "event_type": "press"}
    hass.states.async_set(SOS_EVENT, "unknown", attributes)
    await hass.async_block_till_done()
    hass.states.async_set(SOS_EVENT, "2026-11-21T08:00:00.000+00:00", attributes)
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "sos"
    (alarm,) = await hub_server.wait_for_open_alarms(1)
    # The resident pressed by accident and cancels within the window.
    await hass.services.async_call("button", "press", {"entity_id": CANCEL}, blocking=True)
    assert hass.states.get(STATUS).state == "idle"
    local = _safety(enrolled_entry).alarm(alarm.id)
    assert local.cancelled
    async with asyncio.timeout(5):
        while (await hub_server.open_alarms())[0].last_action != "cancelled":  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    # With nothing to cancel, the button says so instead of silently doing nothing.
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call("button", "press", {"entity_id": CANCEL}, blocking=True)
    assert caught.value.translation_key == "nothing_to_cancel"


async def test_alarm_panel_triggered_is_an_sos(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry
) -> None:
    panel = "alarm_control_panel.sos_fob"
    hass.states.async_set(panel, "disarmed", {"friendly_name": "SOS fob"})
    await hass.async_block_till_done()
    hass.states.async_set(panel, "triggered", {"friendly_name": "SOS fob"})
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "sos"


async def test_door_opened_in_quiet_hours_and_door_left_open(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await hass.config.async_update(time_zone="Asia/Shanghai")
    await _set_options(hass, enrolled_entry, quiet_hours="22:00-06:00", door_open_limit=10)
    attributes = {"device_class": "door", "friendly_name": "Front door"}
    freezer.move_to(datetime(2026, 11, 21, 10, 0, tzinfo=dt_util.get_default_time_zone()))
    hass.states.async_set(DOOR, "off", attributes)
    await hass.async_block_till_done()
    hass.states.async_set(DOOR, "on", attributes)  # 10:00, daytime: fine for now
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "idle"
    travel(hass, freezer, timedelta(minutes=11))
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "door"
    assert "open for more than 10 min" in _safety(enrolled_entry).open_alarms()[0].source
    await hass.services.async_call(DOMAIN, "resolve", {"note": "closed it"}, blocking=True)
    hass.states.async_set(DOOR, "off", attributes)
    freezer.move_to(datetime(2026, 11, 22, 2, 30, tzinfo=dt_util.get_default_time_zone()))
    hass.states.async_set(DOOR, "on", attributes)  # 02:30: quiet hours
    await hass.async_block_till_done()
    assert "quiet hours" in _safety(enrolled_entry).open_alarms()[0].source


async def test_inactivity_prewarns_then_alarms_and_motion_answers(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await hass.config.async_update(time_zone="Asia/Shanghai")
    freezer.move_to(datetime(2026, 11, 21, 8, 0, tzinfo=dt_util.get_default_time_zone()))
    await _set_options(
        hass, enrolled_entry, inactivity_limit=2, prewarning_period=10, day_window="07:00-22:00"
    )
    announcements = async_capture_events(hass, EVENT_ANNOUNCEMENT)
    attributes = {"device_class": "motion", "friendly_name": "Hall motion"}
    hass.states.async_set(MOTION, "off", attributes)
    await hass.async_block_till_done()
    hass.states.async_set(MOTION, "on", attributes)  # seen at 08:00
    hass.states.async_set(MOTION, "off", attributes)
    await hass.async_block_till_done()
    travel(hass, freezer, timedelta(hours=2, minutes=1))
    await hass.async_block_till_done()
    assert [e.data["message"] for e in announcements] == ["inactivity_prewarning"]
    assert hass.states.get(STATUS).state == "idle"  # a question first, not yet an alarm
    hass.states.async_set(MOTION, "on", attributes)  # the resident moves: all is well
    await hass.async_block_till_done()
    travel(hass, freezer, timedelta(minutes=15))
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "idle"
    # Next time nobody answers.
    travel(hass, freezer, timedelta(hours=2))
    await hass.async_block_till_done()
    travel(hass, freezer, timedelta(minutes=11))
    await hass.async_block_till_done()
    assert len(announcements) == 2
    assert hass.states.get(STATUS).state == "inactivity"


async def test_vital_sensor_out_of_range_raises_vitals(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry
) -> None:
    sensor = "sensor.blood_pressure_systolic"
    attributes = {"unit_of_measurement": "mmHg", "friendly_name": "Blood pressure systolic"}
    hass.states.async_set(sensor, "128", attributes)
    await hass.async_block_till_done()
    hass.states.async_set(sensor, "131", attributes)
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "idle"
    hass.states.async_set(sensor, "196", attributes)
    await hass.async_block_till_done()
    (alarm,) = _safety(enrolled_entry).open_alarms()
    assert (alarm.kind, alarm.source) == (AlarmKind.VITALS, "systolic 196 mmHg high")


async def test_silent_safety_device_is_offline_with_a_repair_until_heard(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    attributes = {"device_class": "smoke", "friendly_name": "Kitchen smoke"}
    hass.states.async_set(SMOKE, "off", attributes)
    await hass.async_block_till_done()
    travel(hass, freezer, timedelta(minutes=9))
    await hass.async_block_till_done()
    hass.states.async_set(SMOKE, "off", attributes, force_update=True)  # a supervision report
    travel(hass, freezer, timedelta(minutes=9))
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "idle"
    travel(hass, freezer, timedelta(minutes=3))
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "device_offline"
    issues = ir.async_get(hass).issues
    ((domain, issue_id),) = [key for key in issues if key[0] == DOMAIN]
    assert issue_id == f"device_offline_{SMOKE}"
    assert issues[(domain, issue_id)].translation_placeholders["name"] == "Kitchen smoke"
    # Heard again: the repair goes, the offline alarm resolves itself.
    hass.states.async_set(SMOKE, "off", attributes, force_update=True)
    travel(hass, freezer, timedelta(seconds=31))
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "idle"
    assert not [key for key in ir.async_get(hass).issues if key[0] == DOMAIN]


async def test_low_battery_opens_a_repair_and_a_low_alarm(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry
) -> None:
    hass.states.async_set(SMOKE, "off", {"device_class": "smoke", "friendly_name": "Kitchen smoke"})
    await hass.async_block_till_done()
    entry_safety = enrolled_entry.runtime_data.safety
    assert SMOKE in entry_safety.inventory.entities


async def test_home_protects_itself_while_the_hub_is_down(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    close = async_mock_service(hass, "switch", "turn_off")
    hass.states.async_set("switch.kitchen_gas_valve", "on", {"friendly_name": "Kitchen gas valve"})
    gas = "binary_sensor.kitchen_gas"
    hass.states.async_set(gas, "off", {"device_class": "gas", "friendly_name": "Kitchen gas"})
    await hass.async_block_till_done()
    await hub_server.stop()
    hass.states.async_set(gas, "on", {"device_class": "gas", "friendly_name": "Kitchen gas"})
    await hass.async_block_till_done()
    # The valve command and the local alarm do not wait for the care center.
    assert [c.data["entity_id"] for c in close] == ["switch.kitchen_gas_valve"]
    assert hass.states.get(STATUS).state == "gas"
    await hub_server.start()
    (alarm,) = await hub_server.wait_for_open_alarms(1, timeout=15)
    assert (alarm.id, alarm.kind) == (_safety(enrolled_entry).open_alarms()[0].id, "gas")


async def test_roles_can_be_changed_in_the_options_flow(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry
) -> None:
    hass.states.async_set(SMOKE, "off", {"device_class": "smoke", "friendly_name": "Kitchen smoke"})
    hass.states.async_set("binary_sensor.pantry", "off", {"friendly_name": "Pantry"})
    await hass.async_block_till_done()
    result = await hass.config_entries.options.async_init(enrolled_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "roles"}
    )
    assert result["step_id"] == "roles"
    # The installer says the pantry sensor is a water leak sensor and the smoke one is unused.
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"water_leak": ["binary_sensor.pantry"], "smoke": []}
    )
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    entities = enrolled_entry.runtime_data.safety.inventory.entities
    assert SMOKE not in entities
    assert entities["binary_sensor.pantry"].role.value == "water_leak"
    hass.states.async_set("binary_sensor.pantry", "on", {"friendly_name": "Pantry"})
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "water_leak"


async def test_rules_options_reject_a_bad_time_window(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(enrolled_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "rules"}
    )
    settings = enrolled_entry.runtime_data.safety.settings.to_options()
    form = {k: settings[k] for k in ("valve_window", "valve_attempts", "supervision_window")}
    form |= {
        "battery_low_percent": 15,
        "sos_cancel_window": 0,
        "door_open_limit": 10,
        "inactivity_limit": 4,
        "day_window": "7 to 22",
        "prewarning_period": 10,
        "family_answer_window": 120,
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], form)
    assert result["errors"] == {"base": "invalid_rules"}


async def test_diagnostics_hide_people_and_health_data(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry
) -> None:
    await _set_options(
        hass,
        enrolled_entry,
        family=[{"name": "Li Na", "notify_service": "mobile_app_li", "phone": "+8613800000001"}],
    )
    sensor = "sensor.blood_pressure_systolic"
    attributes = {"unit_of_measurement": "mmHg", "friendly_name": "Blood pressure systolic"}
    hass.states.async_set(sensor, "128", attributes)
    await hass.async_block_till_done()
    hass.states.async_set(sensor, "201", attributes)
    await hass.async_block_till_done()
    text = str(await async_get_config_entry_diagnostics(hass, enrolled_entry))
    for secret in ("Li Na", "+8613800000001", "mobile_app_li", "Wang household"):
        assert secret not in text
    # The reading as a value of its own, not digits inside a timestamp or an alarm id.
    assert re.search(r"(?<![\w.])201(?!\w)", text) is None
    assert "vitals" in text
