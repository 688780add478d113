"""The household set up while Home Assistant is still starting (the usual case after a
reboot): the rules run at once, devices of integrations set up later are mapped once HA has
started, and the blueprints are installed only then (so HA's own examples still arrive)."""

from __future__ import annotations

from pathlib import Path

from homeassistant.const import EVENT_HOMEASSISTANT_STARTED
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.setup import async_setup_component

from custom_components.eldercare.const import DOMAIN

from ..conftest import RunningHub

STATUS = "sensor.zhao_household_alarm_status"
SMOKE = "binary_sensor.kitchen_smoke"


async def test_a_household_set_up_during_start_protects_the_home_once_started(
    hass: HomeAssistant, hub_server: RunningHub, tmp_path: Path
) -> None:
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    hass.config.config_dir = str(config_dir)
    household = await hub_server.add_household("Zhao household", "Willow Street 7")
    code = await hub_server.enrollment_code(household.id)
    hass.set_state(CoreState.not_running)  # integrations are set up before HA starts
    assert await async_setup_component(hass, "homeassistant", {})
    # Provisioned in configuration.yaml, as an installer's appliance image is.
    assert await async_setup_component(
        hass, DOMAIN, {DOMAIN: {"hub_url": hub_server.url, "enrollment_code": code}}
    )
    await hass.async_block_till_done()
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    await hass.services.async_call(DOMAIN, "trigger_emergency", {}, blocking=True)
    assert hass.states.get(STATUS).state == "sos"  # the rules do not wait for the start
    await hass.services.async_call(DOMAIN, "resolve", {}, blocking=True)
    # Another integration (set up after ours) adds its smoke detector while HA starts.
    hass.states.async_set(SMOKE, "off", {"device_class": "smoke", "friendly_name": "Kitchen"})
    assert not (config_dir / "blueprints").exists()

    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done()
    assert SMOKE in entry.runtime_data.safety.inventory.entities
    assert (config_dir / "blueprints" / "automation" / "eldercare").is_dir()
    hass.states.async_set(SMOKE, "on", {"device_class": "smoke", "friendly_name": "Kitchen"})
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "fire"
    assert await hass.config_entries.async_unload(entry.entry_id)
