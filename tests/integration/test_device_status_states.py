"""What the dispatcher sees of the household's devices (`device.status` at a real hub) when
they are not simply on or off: a valve half-way, a detector gone unavailable or not yet
known, a battery that reports nonsense, and a household too big for one report."""

from __future__ import annotations

import asyncio

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from ..conftest import RunningHub
from .conftest import credentials_of
from .test_hub_config import _after_report_interval, _connected, _hub_devices, _wait_for_devices

VALVE = "valve.kitchen_gas_valve"
SMOKE = "binary_sensor.kitchen_smoke"
LEAK = "binary_sensor.bathroom_leak"


async def test_a_closing_valve_and_unknown_or_unavailable_detectors_are_shown_as_they_are(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    await _connected(enrolled_entry)
    household = credentials_of(enrolled_entry).household_id
    hass.states.async_set(VALVE, "closing", {"friendly_name": "Kitchen gas valve"})
    hass.states.async_set(SMOKE, "unavailable", {"device_class": "smoke", "friendly_name": "K"})
    hass.states.async_set(LEAK, "unknown", {"device_class": "moisture", "friendly_name": "Bath"})
    await hass.async_block_till_done()
    _after_report_interval(hass)
    # "closing" tells the dispatcher more than "open"; unknown is no state at all.
    await _wait_for_devices(
        hub_server,
        household,
        {
            VALVE: ("gas_valve", "closing"),
            SMOKE: ("smoke", "unavailable"),
            LEAK: ("water_leak", None),
        },
    )
    hass.states.async_set(VALVE, "closed", {"friendly_name": "Kitchen gas valve"})
    hass.states.async_set(SMOKE, "off", {"device_class": "smoke", "friendly_name": "K"})
    await hass.async_block_till_done()
    _after_report_interval(hass)
    await _wait_for_devices(
        hub_server,
        household,
        {VALVE: ("gas_valve", "closed"), SMOKE: ("smoke", "off"), LEAK: ("water_leak", None)},
    )


async def test_a_household_too_big_for_one_report_sends_the_devices_that_fit(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    await _connected(enrolled_entry)
    household = credentials_of(enrolled_entry).household_id
    # 200 detectors with long Chinese names: more bytes than one frame may carry.
    long_name = "烟雾探测器" * 20
    for n in range(200):
        attributes = {"device_class": "smoke", "friendly_name": f"{long_name}{n:03d}"}
        hass.states.async_set(f"binary_sensor.smoke_{n:03d}", "off", attributes)
    await hass.async_block_till_done()
    _after_report_interval(hass)
    for _ in range(200):
        if devices := await _hub_devices(hub_server, household):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("no device report reached the hub")
    assert 100 < len(devices) < 200
    assert {device.kind for device in devices.values()} == {"smoke"}
    assert all(device.name.startswith(long_name[:100]) for device in devices.values())


async def test_a_battery_that_reports_nonsense_shows_no_level(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    await _connected(enrolled_entry)
    household = credentials_of(enrolled_entry).household_id
    zigbee = MockConfigEntry(domain="zha")
    zigbee.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=zigbee.entry_id,
        identifiers={("zha", "00:12:4b:00:25:1a:2b:3d")},
        name="Kitchen smoke detector",
    )
    entities = er.async_get(hass)
    for domain, unique_id, object_id in (
        ("binary_sensor", "smoke", "kitchen_smoke"),
        ("sensor", "battery", "kitchen_smoke_battery"),
    ):
        entities.async_get_or_create(
            domain, "zha", unique_id, device_id=device.id, suggested_object_id=object_id
        )
    battery = "sensor.kitchen_smoke_battery"
    battery_attributes = {"device_class": "battery", "unit_of_measurement": "%"}
    hass.states.async_set(battery, "low", battery_attributes)  # a quirk's text, not a level
    hass.states.async_set(SMOKE, "off", {"device_class": "smoke", "friendly_name": "Smoke"})
    await hass.async_block_till_done()
    _after_report_interval(hass)
    devices = await _wait_for_devices(hub_server, household, {device.id: ("smoke", "off")})
    assert devices[device.id].battery is None
