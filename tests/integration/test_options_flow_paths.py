"""The household's options flow as the installer uses it: each step saves what the household
then does differently, and each refusal is a field error the installer can read in English
and in Chinese."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from custom_components.eldercare.const import DOMAIN
from hub.core.desk_model import StaffStep

from ..conftest import RunningHub, until
from .translated import texts

STATUS = "sensor.wang_household_alarm_status"
SMOKE = "binary_sensor.kitchen_smoke"


async def _step(hass: HomeAssistant, entry: MockConfigEntry, step: str) -> dict[str, Any]:
    """The options menu, then one of its steps, as the installer opens it."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["roles", "rules", "family", "arc"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": step}
    )
    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, step)
    return dict(result)


def _suggested(form: dict[str, Any]) -> dict[str, Any]:
    """What the form shows pre-filled."""
    return {
        str(key): key.description["suggested_value"]
        for key in form["data_schema"].schema
        if key.description and "suggested_value" in key.description
    }


def _rules_form(entry: MockConfigEntry, **changes: Any) -> dict[str, Any]:
    """The rules form as shown, with the installer's changes typed in."""
    current = entry.runtime_data.safety.settings.to_options()
    names = (
        "valve_window",
        "valve_attempts",
        "supervision_window",
        "battery_low_percent",
        "sos_cancel_window",
        "door_open_limit",
        "inactivity_limit",
        "day_window",
        "prewarning_period",
        "family_answer_window",
    )
    return {name: current[name] for name in names} | changes


async def test_rules_are_saved_and_apply_at_once_and_a_cleared_field_means_none(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry
) -> None:
    form = await _step(hass, enrolled_entry, "rules")
    result = await hass.config_entries.options.async_configure(
        form["flow_id"],
        _rules_form(enrolled_entry, sos_cancel_window=30, quiet_hours="22:00-06:00"),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    settings = enrolled_entry.runtime_data.safety.settings
    assert settings.sos_cancel_window.total_seconds() == 30
    assert str(settings.quiet_hours) == "22:00-06:00"
    # A second press inside the new cancel window cancels the first: the rule applies now.
    await hass.services.async_call(DOMAIN, "trigger_emergency", {}, blocking=True)
    assert hass.states.get(STATUS).state == "sos"
    await hass.services.async_call(DOMAIN, "trigger_emergency", {}, blocking=True)
    assert hass.states.get(STATUS).state == "idle"

    # Opened again, the form shows the saved values; quiet hours left empty means none.
    form = await _step(hass, enrolled_entry, "rules")
    assert _suggested(form)["quiet_hours"] == "22:00-06:00"
    result = await hass.config_entries.options.async_configure(
        form["flow_id"], _rules_form(enrolled_entry)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert enrolled_entry.options["quiet_hours"] == ""
    assert enrolled_entry.runtime_data.safety.settings.quiet_hours is None


async def test_a_bad_rule_is_refused_keeping_what_was_typed(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry
) -> None:
    before = dict(enrolled_entry.options)
    form = await _step(hass, enrolled_entry, "rules")
    result = await hass.config_entries.options.async_configure(
        form["flow_id"], _rules_form(enrolled_entry, quiet_hours="after dinner")
    )
    assert (result["type"], result["errors"]) == (FlowResultType.FORM, {"base": "invalid_rules"})
    assert _suggested(dict(result))["quiet_hours"] == "after dinner"
    assert dict(enrolled_entry.options) == before
    message = await texts(hass, "options", "error.invalid_rules")
    assert "22:00-06:00" in message["en"]
    assert "22:00-06:00" in message["zh-Hans"]


async def test_the_speaker_announces_that_help_is_on_the_way(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    speak = async_mock_service(hass, "tts", "speak")  # the home's speaker is outside
    form = await _step(hass, enrolled_entry, "rules")
    result = await hass.config_entries.options.async_configure(
        form["flow_id"],
        _rules_form(
            enrolled_entry, tts_entity="tts.home_voice", media_player="media_player.living_room"
        ),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    await hass.services.async_call(DOMAIN, "trigger_emergency", {}, blocking=True)
    (alarm,) = await hub_server.wait_for_open_alarms(1)
    await hub_server.staff_step(alarm.id, StaffStep.DISPATCHED, responder="Xiao Liu")
    await until(lambda: len(speak) == 1, timeout=10)
    assert speak[0].data == {
        "entity_id": "tts.home_voice",
        "media_player_entity_id": "media_player.living_room",
        # Who is coming, as the dispatcher entered it.
        "message": "Help is on the way. Xiao Liu is coming to you.",
    }


async def test_family_members_are_picked_from_the_phones_and_alerted_in_order(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry
) -> None:
    li = async_mock_service(hass, "notify", "mobile_app_li_phone")
    async_mock_service(hass, "notify", "mobile_app_wang_phone")
    async_mock_service(hass, "notify", "persistent_notification")  # not a phone
    form = await _step(hass, enrolled_entry, "family")
    notify_1 = next(key for key in form["data_schema"].schema if key == "notify_1")
    options = form["data_schema"].schema[notify_1].config["options"]
    assert options == ["notify.mobile_app_li_phone", "notify.mobile_app_wang_phone"]
    assert _suggested(form) == {}  # nobody yet

    result = await hass.config_entries.options.async_configure(
        form["flow_id"],
        {
            "name_1": "Li Na",
            "notify_1": "notify.mobile_app_li_phone",
            "phone_1": "+8613800000001",
            "name_2": "Wang Wei",
            "notify_2": "notify.mobile_app_wang_phone",
            # A name without a phone to alert is nobody to alert.
            "name_3": "Neighbour Zhou",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert enrolled_entry.options["family"] == [
        {"name": "Li Na", "notify_service": "mobile_app_li_phone", "phone": "+8613800000001"},
        {"name": "Wang Wei", "notify_service": "mobile_app_wang_phone", "phone": ""},
    ]
    await hass.services.async_call(DOMAIN, "trigger_emergency", {}, blocking=True)
    await hass.async_block_till_done()
    assert len(li) == 1  # the first in the list is alerted first

    form = await _step(hass, enrolled_entry, "family")
    assert _suggested(form) == {
        "name_1": "Li Na",
        "notify_1": "notify.mobile_app_li_phone",
        "phone_1": "+8613800000001",
        "name_2": "Wang Wei",
        "notify_2": "notify.mobile_app_wang_phone",
        "phone_2": "",
    }


async def test_roles_of_unplugged_devices_are_kept_when_roles_are_edited(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry
) -> None:
    cellar = "binary_sensor.cellar_sensor"
    hass.config_entries.async_update_entry(
        enrolled_entry, options={**enrolled_entry.options, "roles": {cellar: "water_leak"}}
    )
    hass.states.async_set(SMOKE, "off", {"device_class": "smoke", "friendly_name": "Kitchen"})
    await hass.async_block_till_done()
    form = await _step(hass, enrolled_entry, "roles")
    result = await hass.config_entries.options.async_configure(form["flow_id"], {"smoke": [SMOKE]})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert enrolled_entry.options["roles"] == {SMOKE: "smoke", cellar: "water_leak"}
    # Plugged in again, the cellar sensor is still the water leak sensor it was set to be.
    hass.states.async_set(cellar, "off", {"friendly_name": "Cellar sensor"})
    await hass.async_block_till_done()
    hass.states.async_set(cellar, "on", {"friendly_name": "Cellar sensor"})
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "water_leak"


def _arc_form(form: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """The ARC form filled in as the centre said, in the first format the form offers."""
    format_key = next(key for key in form["data_schema"].schema if key == "format")
    return {
        "enabled": True,
        "format": form["data_schema"].schema[format_key].config["options"][0],
        "account": "1234",
        "receiver_number": "0",
        "line_number": "0",
        "primary": "127.0.0.1:12300",
        "primary_transport": "tcp",
        "backup_transport": "tcp",
        "key_format": "hex",
        "supervision_interval": 0,
        "test_interval": 0,
        **fields,
    }


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"account": "12"}, {"account": "invalid_account"}),
        ({"receiver_number": "R-7"}, {"receiver_number": "invalid_number"}),
        ({"line_number": "1234567"}, {"line_number": "invalid_number"}),
        ({"primary": "127.0.0.1"}, {}),  # the default port is fine
        ({"primary": "arc.example:0"}, {"primary": "invalid_address"}),
        ({"backup": "two words:12300"}, {"backup": "invalid_address"}),
        ({"key": "0123"}, {"key": "invalid_key"}),
        ({"key": "0123456789ABCDEF", "key_format": "text"}, {}),
    ],
)
async def test_each_arc_field_error_is_shown_on_its_field_in_both_languages(
    hass: HomeAssistant,
    enrolled_entry: MockConfigEntry,
    fields: dict[str, Any],
    errors: dict[str, str],
) -> None:
    form = await _step(hass, enrolled_entry, "arc")
    result = await hass.config_entries.options.async_configure(
        form["flow_id"], _arc_form(form, **fields)
    )
    await hass.async_block_till_done()
    if not errors:
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert enrolled_entry.runtime_data.arc.settings is not None
        return
    assert (result["type"], result["errors"]) == (FlowResultType.FORM, errors)
    # What was typed stays in the form; nothing was saved or started.
    ((field, key),) = errors.items()
    assert _suggested(dict(result))[field] == fields[field]
    assert "arc" not in enrolled_entry.options
    assert enrolled_entry.runtime_data.arc.settings is None
    await texts(hass, "options", f"error.{key}")
