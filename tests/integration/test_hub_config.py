"""The care center's side of a household in Home Assistant: the residents' vital thresholds
come down in `config` and judge the readings (also with the hub down, after a reload), and the
household's devices go up in `device.status`, valve state included."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.eldercare.care_center import ResidentRef
from gateway.alarms import AlarmKind
from gateway.link import LinkState
from gateway.safety.observations import VitalReading
from gateway.safety.settings import VitalRange
from gateway.vital_signs import VitalSign
from hub.core.registry import DeviceState
from hub.gateways.links import push_config

from ..conftest import RunningHub, until
from .conftest import credentials_of

SYSTOLIC = "sensor.blood_pressure_systolic"
SYSTOLIC_ATTRIBUTES = {"unit_of_measurement": "mmHg", "friendly_name": "Blood pressure systolic"}
VALVE = "switch.kitchen_gas_valve"
GAS = "binary_sensor.kitchen_gas"
MOTION = "binary_sensor.hall_motion"


def _ranges(entry: MockConfigEntry) -> dict[VitalSign, VitalRange]:
    return entry.runtime_data.safety.settings.vital_ranges


async def _set_thresholds(hub: RunningHub, household_id: str, thresholds: dict) -> None:
    """What staff do in the registry: a resident's thresholds, then a push to the home."""
    registry, now = hub.context.store.registry, hub.context.clock()

    def store() -> None:
        residents = registry.residents(household_id)
        if residents:
            registry.update_resident(residents[0].id, now, thresholds=thresholds)
        else:
            registry.add_resident(household_id, "Wang Fang", now, thresholds=thresholds)

    await hub.context.db(store)
    await push_config(hub.context, household_id)


async def _connected(entry: MockConfigEntry) -> None:
    await until(lambda: entry.runtime_data.link.state is LinkState.CONNECTED, timeout=15)


async def _reading(hass: HomeAssistant, value: str) -> None:
    hass.states.async_set(SYSTOLIC, value, SYSTOLIC_ATTRIBUTES)
    await hass.async_block_till_done()


async def test_center_thresholds_judge_the_residents_readings(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    await _connected(enrolled_entry)
    household = credentials_of(enrolled_entry).household_id
    await _reading(hass, "128")
    await _set_thresholds(hub_server, household, {"8480-6": {"high": 150}})
    await until(lambda: _ranges(enrolled_entry)[VitalSign.SYSTOLIC] == VitalRange(90, 150))
    await _reading(hass, "145")
    assert enrolled_entry.runtime_data.safety.open_alarms() == []
    await _reading(hass, "160")  # within the household's default (180), above the center's
    (alarm,) = enrolled_entry.runtime_data.safety.open_alarms()
    assert (alarm.kind, alarm.source) == (AlarmKind.VITALS, "systolic 160 mmHg high")


async def test_center_thresholds_outlive_a_restart_without_the_hub(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    await _connected(enrolled_entry)
    household = credentials_of(enrolled_entry).household_id
    # The household's own ranges: the center's take precedence for the codes it sets.
    options: dict[str, Any] = {
        "vital_ranges": {"systolic": {"low": 95, "high": 200}, "heart_rate": {"high": 120}}
    }
    hass.config_entries.async_update_entry(enrolled_entry, options=options)
    await hass.async_block_till_done()
    await _set_thresholds(hub_server, household, {"8480-6": {"high": 150}, "41653-7": {"low": 70}})
    center = {VitalSign.SYSTOLIC: VitalRange(95, 150), VitalSign.GLUCOSE: VitalRange(3.89, 16.7)}
    await until(lambda: _ranges(enrolled_entry).items() >= center.items())
    assert _ranges(enrolled_entry)[VitalSign.HEART_RATE] == VitalRange(None, 120)

    await hub_server.stop()
    assert await hass.config_entries.async_reload(enrolled_entry.entry_id)
    await hass.async_block_till_done()
    assert enrolled_entry.runtime_data.link.state is not LinkState.CONNECTED
    assert _ranges(enrolled_entry).items() >= center.items()
    await _reading(hass, "128")
    await _reading(hass, "170")
    (alarm,) = enrolled_entry.runtime_data.safety.open_alarms()
    assert alarm.source == "systolic 170 mmHg high"

    # Back online; staff took the systolic bound away: the household's own applies again.
    await hub_server.start()
    await _connected(enrolled_entry)
    await _set_thresholds(hub_server, household, {"41653-7": {"low": 70}})
    await until(lambda: _ranges(enrolled_entry)[VitalSign.SYSTOLIC] == VitalRange(95, 200))
    assert _ranges(enrolled_entry)[VitalSign.GLUCOSE] == VitalRange(3.89, 16.7)


async def _hub_devices(hub: RunningHub, household_id: str) -> dict[str, DeviceState]:
    devices = await hub.context.db(hub.context.store.registry.devices, household_id)
    return {device.id: device for device in devices}


async def _wait_for_devices(
    hub: RunningHub, household_id: str, expected: dict[str, tuple[str, str | None]]
) -> dict[str, DeviceState]:
    """Until the hub has exactly these devices with these (kind, state)."""
    devices: dict[str, DeviceState] = {}

    async def arrived() -> bool:
        nonlocal devices
        devices = await _hub_devices(hub, household_id)
        return {d.id: (d.kind, d.state) for d in devices.values()} == expected

    for _ in range(200):
        if await arrived():
            return devices
        await asyncio.sleep(0.05)
    raise AssertionError(f"hub has {devices}, expected {expected}")


def _after_report_interval(hass: HomeAssistant) -> None:
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=11))


async def test_devices_reach_the_hub_and_a_closed_valve_is_seen_after_reconnecting(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    close = async_mock_service(hass, "switch", "turn_off")
    await _connected(enrolled_entry)
    household = credentials_of(enrolled_entry).household_id
    hass.states.async_set(VALVE, "on", {"friendly_name": "Kitchen gas valve"})
    hass.states.async_set(GAS, "off", {"device_class": "gas", "friendly_name": "Kitchen gas"})
    hass.states.async_set(MOTION, "off", {"device_class": "motion", "friendly_name": "Hall"})
    await hass.async_block_till_done()
    _after_report_interval(hass)  # new devices: reported once the interval allows
    devices = await _wait_for_devices(
        hub_server,
        household,
        {VALVE: ("gas_valve", "open"), GAS: ("gas", "off"), MOTION: ("motion", None)},
    )
    assert devices[VALVE].name == "Kitchen gas valve"
    assert devices[VALVE].last_seen is not None

    # Movement changes nothing the hub shows: no new report.
    for state in ("on", "off", "on"):
        hass.states.async_set(MOTION, state, {"device_class": "motion", "friendly_name": "Hall"})
    await hass.async_block_till_done()
    _after_report_interval(hass)
    await hass.async_block_till_done()
    await asyncio.sleep(0.3)
    assert await _hub_devices(hub_server, household) == devices

    # Gas while the care center is unreachable: the valve closes and reports itself closed.
    await hub_server.stop()
    hass.states.async_set(GAS, "on", {"device_class": "gas", "friendly_name": "Kitchen gas"})
    await hass.async_block_till_done()
    assert [call.data["entity_id"] for call in close] == [VALVE]
    hass.states.async_set(VALVE, "off", {"friendly_name": "Kitchen gas valve"})
    await hass.async_block_till_done()
    # Back: the report after the hello tells the dispatcher the valve is closed.
    await hub_server.start()
    await _wait_for_devices(
        hub_server,
        household,
        {VALVE: ("gas_valve", "closed"), GAS: ("gas", "on"), MOTION: ("motion", None)},
    )
    (alarm,) = await hub_server.wait_for_open_alarms(1, timeout=15)
    assert alarm.kind == "gas"


async def test_a_removed_device_leaves_the_hubs_inventory(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    await _connected(enrolled_entry)
    household = credentials_of(enrolled_entry).household_id
    hass.states.async_set(VALVE, "on", {"friendly_name": "Kitchen gas valve"})
    hass.states.async_set(GAS, "off", {"device_class": "gas", "friendly_name": "Kitchen gas"})
    await hass.async_block_till_done()
    _after_report_interval(hass)
    await _wait_for_devices(
        hub_server, household, {VALVE: ("gas_valve", "open"), GAS: ("gas", "off")}
    )
    # The installer takes the gas sensor out of the safety roles (it was unplugged).
    hass.config_entries.async_update_entry(enrolled_entry, options={"roles": {GAS: "none"}})
    await hass.async_block_till_done()
    _after_report_interval(hass)
    await _wait_for_devices(hub_server, household, {VALVE: ("gas_valve", "open")})


async def test_a_device_is_reported_under_its_device_id_with_its_battery(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    """The id staff see must outlive renamed entities: the HA device's, one per device."""
    await _connected(enrolled_entry)
    household = credentials_of(enrolled_entry).household_id
    zigbee = MockConfigEntry(domain="zha")
    zigbee.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=zigbee.entry_id,
        identifiers={("zha", "00:12:4b:00:25:1a:2b:3c")},
        name="Gas valve controller",
    )
    entities = er.async_get(hass)
    for domain, unique_id, object_id in (
        ("switch", "valve", "kitchen_gas_valve"),
        ("sensor", "battery", "gas_valve_controller_battery"),
    ):
        entities.async_get_or_create(
            domain, "zha", unique_id, device_id=device.id, suggested_object_id=object_id
        )
    battery = "sensor.gas_valve_controller_battery"
    battery_attributes = {"device_class": "battery", "unit_of_measurement": "%"}
    hass.states.async_set(battery, "87", battery_attributes)
    hass.states.async_set(VALVE, "on", {"friendly_name": "Kitchen gas valve"})
    await hass.async_block_till_done()
    _after_report_interval(hass)
    devices = await _wait_for_devices(hub_server, household, {device.id: ("gas_valve", "open")})
    assert (devices[device.id].name, devices[device.id].battery) == ("Gas valve controller", 87)

    hass.states.async_set(battery, "12.4", battery_attributes)
    await hass.async_block_till_done()
    _after_report_interval(hass)
    for _ in range(100):
        if (await _hub_devices(hub_server, household))[device.id].battery == 12:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the battery change did not reach the hub")


async def _add_residents(hub: RunningHub, household_id: str, residents: dict[str, dict]) -> list:
    """Staff register the household's residents with their own thresholds; a push follows."""
    registry, now = hub.context.store.registry, hub.context.clock()

    def store() -> list:
        return [
            registry.add_resident(household_id, name, now, thresholds=thresholds)
            for name, thresholds in residents.items()
        ]

    added = await hub.context.db(store)
    await push_config(hub.context, household_id)
    return added


async def test_a_residents_own_thresholds_judge_the_readings_of_their_monitor(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    """Grandma's systolic high is 140, grandpa's 170: the household's set is the widest
    (170). Grandma's cuff reading 155 is an alarm; grandpa's, or one of a cuff assigned to
    nobody, is not. They are kept, so a reload without the hub judges the same way."""
    await _connected(enrolled_entry)
    household = credentials_of(enrolled_entry).household_id
    grandma, grandpa = await _add_residents(
        hub_server,
        household,
        {"Wang Fang": {"8480-6": {"high": 140}}, "Wang Jun": {"8480-6": {"high": 170}}},
    )
    care_center = enrolled_entry.runtime_data.safety.care_center
    await until(lambda: len(care_center.residents()) == 2)
    assert sorted(care_center.residents(), key=lambda r: r.name) == [
        ResidentRef(grandma.id, "Wang Fang"),
        ResidentRef(grandpa.id, "Wang Jun"),
    ]
    assert _ranges(enrolled_entry)[VitalSign.SYSTOLIC] == VitalRange(90, 170)

    def measure(value: float, resident: str | None) -> None:
        safety = enrolled_entry.runtime_data.safety
        safety.observe(VitalReading("sensor.cuff", VitalSign.SYSTOLIC, value, "mm[Hg]", resident))

    measure(155, grandpa.id)
    measure(155, None)
    assert enrolled_entry.runtime_data.safety.open_alarms() == []
    measure(155, grandma.id)
    (alarm,) = enrolled_entry.runtime_data.safety.open_alarms()
    assert (alarm.kind, alarm.source) == (AlarmKind.VITALS, "systolic 155 mm[Hg] high")
    assert "Wang" not in alarm.source

    await hub_server.stop()
    assert await hass.config_entries.async_reload(enrolled_entry.entry_id)
    await hass.async_block_till_done()
    assert enrolled_entry.runtime_data.link.state is not LinkState.CONNECTED
    settings = enrolled_entry.runtime_data.safety.settings
    assert settings.vital_range(VitalSign.SYSTOLIC, grandma.id) == VitalRange(90, 140)
    assert settings.vital_range(VitalSign.SYSTOLIC, grandpa.id) == VitalRange(90, 170)
    kept = enrolled_entry.runtime_data.safety.care_center.residents()
    assert sorted(kept, key=lambda r: r.name) == [
        ResidentRef(grandma.id, "Wang Fang"),
        ResidentRef(grandpa.id, "Wang Jun"),
    ]
