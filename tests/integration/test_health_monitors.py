"""Bluetooth health monitors end to end: a virtual proxy registered with HA's real Bluetooth
stack (as ESPHome proxies are) serves virtual monitors with real GATT behaviour; the
integration discovers, connects, reads, alarms and sends the vitals to a real hub."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.eldercare.const import DOMAIN
from custom_components.eldercare.diagnostics import async_get_device_diagnostics
from custom_components.eldercare.health_monitor import HealthMonitor
from gateway.alarms import AlarmKind
from gateway.ble import GlucoseUnit, TemperatureUnit
from gateway.link import LinkState
from hub.gateways.links import push_config

from ..conftest import RunningHub, until
from .ble_world import BleWorld, start_ble_world
from .conftest import credentials_of

pytestmark = pytest.mark.usefixtures("enable_bluetooth", "socket_enabled")


@pytest.fixture
async def ble(hass: HomeAssistant) -> AsyncIterator[BleWorld]:
    world = await start_ble_world(hass)
    yield world
    await world.stop()


@pytest.fixture
async def household(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> MockConfigEntry:
    await until(lambda: enrolled_entry.runtime_data.link.state is LinkState.CONNECTED, timeout=15)
    return enrolled_entry


async def _resident(hub: RunningHub, entry: ConfigEntry, name: str, thresholds: dict) -> str:
    """A resident registered at the care center, pushed to the home in `config`."""
    household_id = credentials_of(entry).household_id
    registry, now = hub.context.store.registry, hub.context.clock()
    resident = await hub.context.db(
        lambda: registry.add_resident(household_id, name, now, thresholds=thresholds)
    )
    await push_config(hub.context, household_id)
    care_center = entry.runtime_data.safety.care_center
    await until(lambda: any(r.id == resident.id for r in care_center.residents()))
    return str(resident.id)


async def _discovered(hass: HomeAssistant, address: str) -> dict[str, Any]:
    def flow() -> dict[str, Any] | None:
        return next(
            (
                f
                for f in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
                if f["context"].get("unique_id") == address
            ),
            None,
        )

    await until(lambda: flow() is not None, timeout=10)
    found = flow()
    assert found is not None
    return found


def _household(hass: HomeAssistant) -> ConfigEntry:
    (household,) = hass.config_entries.async_entries(DOMAIN)
    return household


def _subentry(hass: HomeAssistant, address: str) -> ConfigSubentry | None:
    subentries = _household(hass).subentries.values()
    return next((s for s in subentries if s.unique_id == address), None)


async def _add_monitor(hass: HomeAssistant, address: str, resident: str) -> ConfigSubentry:
    """What the family does in the HA app: confirm the discovered monitor, pick whose."""
    flow = await _discovered(hass, address)
    assert flow["context"]["source"] == "bluetooth"
    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {"resident": resident})
    assert (result["type"], result["reason"]) == ("abort", "monitor_added")
    await hass.async_block_till_done()
    monitor = _subentry(hass, address)
    assert monitor is not None
    assert _monitor(hass, monitor) is not None  # running
    return monitor


def _entity(hass: HomeAssistant, monitor: ConfigSubentry, key: str) -> str:
    registry = er.async_get(hass)
    for item in er.async_entries_for_config_entry(registry, _household(hass).entry_id):
        if item.config_subentry_id == monitor.subentry_id and item.unique_id.endswith(f"_{key}"):
            return item.entity_id
    raise AssertionError(f"no {key} entity in {monitor.title}")


async def _state_value(hass: HomeAssistant, entity_id: str, expected: str) -> None:
    try:
        await until(
            lambda: (s := hass.states.get(entity_id)) is not None and s.state == expected,
            timeout=15,
        )
    except TimeoutError:
        raise AssertionError(f"{entity_id} is {hass.states.get(entity_id)}") from None


async def _hub_vitals(hub: RunningHub, entry: ConfigEntry, count: int) -> list[dict[str, Any]]:
    household_id = credentials_of(entry).household_id
    store = hub.context.store

    async def rows() -> list[dict[str, Any]]:
        return await hub.context.db(lambda: store.vitals(household_id))

    for _ in range(300):
        found = await rows()
        if len(found) >= count:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"the hub has {len(await rows())} vitals, expected {count}")


def _local(hass: HomeAssistant, minutes_ago: float) -> datetime:
    """A moment as a monitor's clock shows it: the home's wall time, naive."""
    moment = dt_util.now() - timedelta(minutes=minutes_ago)
    return moment.replace(tzinfo=None, microsecond=0)


async def test_cuff_discovered_assigned_read_with_its_time_alarms_and_reaches_the_hub(
    hass: HomeAssistant, household: MockConfigEntry, hub_server: RunningHub, ble: BleWorld
) -> None:
    resident = await _resident(hub_server, household, "Wang Fang", {"8480-6": {"high": 150}})
    cuff = ble.devices.bp
    taken = _local(hass, 3)
    cuff.measure(systolic=165, diastolic=100, pulse=92, irregular=True, at=taken)
    monitor = await _add_monitor(hass, cuff.address, resident)

    systolic = _entity(hass, monitor, "systolic")
    await _state_value(hass, systolic, "165")
    state = hass.states.get(systolic)
    assert state is not None
    measured = taken.replace(tzinfo=dt_util.get_default_time_zone()).astimezone(UTC)
    assert state.last_updated == measured  # the cuff's time, not the receive time
    assert state.attributes["irregular_pulse"] is True
    assert state.attributes["unit_of_measurement"] == "mmHg"
    pulse = hass.states.get(_entity(hass, monitor, "pulse"))
    assert pulse is not None
    assert pulse.state == "92"
    battery = hass.states.get(_entity(hass, monitor, "battery"))
    assert battery is not None
    assert battery.state == str(cuff.battery)

    # The resident's own threshold (150) judges it: a `vitals` alarm, locally.
    (alarm,) = household.runtime_data.safety.open_alarms()
    assert alarm.kind is AlarmKind.VITALS
    assert "165" in alarm.source

    rows = await _hub_vitals(hub_server, household, 4)
    by_code = {row["code"]: row for row in rows}
    assert by_code["8480-6"]["value"] == 165
    assert by_code["8480-6"]["resident_id"] == resident
    assert "irregular_pulse" in by_code["8480-6"]["flags"]
    assert by_code["8867-4"]["value"] == 92
    assert datetime.fromisoformat(by_code["8462-4"]["measured_at"]) == measured


def _monitor(hass: HomeAssistant, subentry: ConfigSubentry) -> HealthMonitor:
    monitor: HealthMonitor | None = _household(hass).runtime_data.monitors.get(subentry.subentry_id)
    assert monitor is not None
    return monitor


@pytest.mark.parametrize(
    ("device", "measure", "key", "state", "unit", "device_time"),
    [
        ("oximeter", lambda d, at: d.measure(91, 88, at=at), "spo2", "91", "%", True),
        (
            "thermometer",
            lambda d, at: d.measure(101.3, TemperatureUnit.FAHRENHEIT, at=at),
            "body_temperature",
            "38.5",  # HA shows the metric test home degC; the device said degF
            "°C",
            True,
        ),
        ("scale", lambda d, at: d.measure(62.5, at=at), "weight", "62.5", "kg", True),
        (
            "glucose",
            lambda d, at: d.measure(200, GlucoseUnit.MG_DL, at=at),
            "glucose",
            "200",
            "mg/dL",
            True,
        ),
        ("hr", lambda d, at: d.set_rate(130), "heart_rate", "130", "bpm", False),
    ],
)
async def test_each_profile_reads_into_its_entity_at_the_measurement_time(
    hass: HomeAssistant,
    household: MockConfigEntry,
    ble: BleWorld,
    device: str,
    measure: Any,
    key: str,
    state: str,
    unit: str,
    device_time: bool,
) -> None:
    monitor_device = ble.devices.device(device)
    taken = _local(hass, 2)
    measure(monitor_device, taken)
    before = dt_util.utcnow()
    monitor = await _add_monitor(hass, monitor_device.address, "unassigned")
    entity_id = _entity(hass, monitor, key)
    await _state_value(hass, entity_id, state)
    shown = hass.states.get(entity_id)
    assert shown is not None
    assert shown.attributes["unit_of_measurement"] == unit
    if device_time:
        assert shown.last_updated == taken.replace(
            tzinfo=dt_util.get_default_time_zone()
        ).astimezone(UTC)
    else:  # a strap has no clock: the time it was heard
        assert shown.last_updated >= before


async def test_glucose_records_are_caught_up_once_even_when_sent_again(
    hass: HomeAssistant, household: MockConfigEntry, hub_server: RunningHub, ble: BleWorld
) -> None:
    meter = ble.devices.glucose
    assert len(meter.records) == 3  # the meter was in use before it was added
    meter.advertise()
    monitor = await _add_monitor(hass, meter.address, "unassigned")
    glucose = _entity(hass, monitor, "glucose")
    await _state_value(hass, glucose, "5.8")  # the newest stored record
    assert len(await _hub_vitals(hub_server, household, 3)) == 3

    meter.measure(11.2, at=_local(hass, 1))
    await _state_value(hass, glucose, "11.2")
    rows = await _hub_vitals(hub_server, household, 4)
    assert sorted(row["value"] for row in rows) == [5.8, 6.1, 8.4, 11.2]
    assert _monitor(hass, monitor).last_sequence == meter.last_sequence

    # The gateway lost its place (a restore from an old backup): it asks for every record.
    _monitor(hass, monitor).last_sequence = None
    meter.advertise()
    await until(lambda: _monitor(hass, monitor).counts["duplicates"] == 4, timeout=15)
    assert len(await _hub_vitals(hub_server, household, 4)) == 4
    state = hass.states.get(glucose)
    assert state is not None
    assert state.state == "11.2"


async def test_a_transfer_dropped_midway_is_finished_on_the_next_connection(
    hass: HomeAssistant, household: MockConfigEntry, hub_server: RunningHub, ble: BleWorld
) -> None:
    meter = ble.devices.glucose
    meter.measure(7.7, at=_local(hass, 30))
    meter.measure(9.1, at=_local(hass, 20))
    meter.drop_after(2)  # five records: the link drops after the second
    monitor = await _add_monitor(hass, meter.address, "unassigned")
    glucose = _entity(hass, monitor, "glucose")
    await _state_value(hass, glucose, "9.1")
    assert _monitor(hass, monitor).counts["drops"] >= 1
    rows = await _hub_vitals(hub_server, household, 5)
    assert sorted(row["value"] for row in rows) == [5.8, 6.1, 7.7, 8.4, 9.1]
    assert _monitor(hass, monitor).counts["duplicates"] == 0


async def test_garbage_and_short_payloads_are_rejected_and_the_monitor_carries_on(
    hass: HomeAssistant, household: MockConfigEntry, hub_server: RunningHub, ble: BleWorld
) -> None:
    cuff = ble.devices.bp
    cuff.garbage()
    cuff.measure(118, 76, pulse=70, at=_local(hass, 5))
    monitor = await _add_monitor(hass, cuff.address, "unassigned")
    await until(lambda: _monitor(hass, monitor).counts["rejected"] == 1, timeout=15)
    systolic = _entity(hass, monitor, "systolic")

    cuff.wrong_length()
    cuff.measure(121, 79, pulse=71, at=_local(hass, 3))
    await until(lambda: _monitor(hass, monitor).counts["rejected"] == 2, timeout=15)
    cuff.measure(132, 84, pulse=72, at=_local(hass, 1))
    await _state_value(hass, systolic, "132")
    assert _monitor(hass, monitor) is not None  # still running
    assert household.runtime_data.safety.open_alarms() == []
    rows = await _hub_vitals(hub_server, household, 4)
    assert sorted(row["value"] for row in rows if row["code"] == "8480-6") == [132]


async def test_a_monitor_is_given_to_another_resident_when_reconfigured(
    hass: HomeAssistant, household: MockConfigEntry, hub_server: RunningHub, ble: BleWorld
) -> None:
    wang = await _resident(hub_server, household, "Wang Fang", {})
    li = await _resident(hub_server, household, "Li Wei", {"59408-5": {"low": 94}})
    oximeter = ble.devices.oximeter
    oximeter.measure(96, 70, at=_local(hass, 4))
    monitor = await _add_monitor(hass, oximeter.address, wang)
    await _hub_vitals(hub_server, household, 2)

    result = await hass.config_entries.subentries.async_init(
        (household.entry_id, "monitor"),
        context={"source": "reconfigure", "subentry_id": monitor.subentry_id},
    )
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"resident": li}
    )
    assert (result["type"], result["reason"]) == ("abort", "reconfigure_successful")
    oximeter.measure(92, 74, at=_local(hass, 1))  # normal for the household, low for Li
    await until(lambda: bool(household.runtime_data.safety.open_alarms()), timeout=15)
    rows = await _hub_vitals(hub_server, household, 4)
    residents = {row["value"]: row["resident_id"] for row in rows if row["code"] == "59408-5"}
    assert residents == {96: wang, 92: li}


async def test_monitor_diagnostics_hold_no_reading_and_no_resident(
    hass: HomeAssistant, household: MockConfigEntry, hub_server: RunningHub, ble: BleWorld
) -> None:
    resident = await _resident(hub_server, household, "Wang Fang", {})
    scale = ble.devices.scale
    scale.measure(62.5, at=_local(hass, 1))
    monitor = await _add_monitor(hass, scale.address, resident)
    await _state_value(hass, _entity(hass, monitor, "weight"), "62.5")
    entity = er.async_get(hass).async_get(_entity(hass, monitor, "weight"))
    assert entity is not None
    assert entity.device_id is not None
    device = dr.async_get(hass).async_get(entity.device_id)
    assert device is not None
    diagnostics = await async_get_device_diagnostics(hass, household, device)
    assert diagnostics["counts"]["readings"] == 1
    assert diagnostics["assigned"] is True
    text = str(diagnostics)
    assert "62.5" not in text
    assert resident not in text
