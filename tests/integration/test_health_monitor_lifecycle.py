"""A health monitor (a subentry of the household's entry) over its life, with virtual
monitors behind a virtual Bluetooth proxy and a real hub: added from "Add integration" or
the household's "Add health monitor", readings taken while the household was down reach
the hub after, values kept across a reload, kPa cuffs, an older record caught up late,
removal."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from types import MappingProxyType
from typing import Any

import pytest
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from homeassistant.components.bluetooth import BluetoothServiceInfoBleak
from homeassistant.config_entries import (
    SOURCE_BLUETOOTH,
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntryState,
    ConfigSubentry,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.eldercare.const import DOMAIN
from gateway.ble import PressureUnit
from gateway.link import LinkState

from ..conftest import RunningHub, until
from .ble_world import BleWorld, start_ble_world
from .test_health_monitors import (
    _add_monitor,
    _discovered,
    _entity,
    _hub_vitals,
    _local,
    _monitor,
    _resident,
    _state_value,
    _subentry,
)
from .translated import texts

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


async def test_add_integration_offers_the_monitors_heard_and_adds_the_one_picked(
    hass: HomeAssistant, household: MockConfigEntry, hub_server: RunningHub, ble: BleWorld
) -> None:
    # Nothing measured yet: nothing advertises, so there is nothing to offer.
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "no_monitors_found")
    message = await texts(hass, "config", "abort.no_monitors_found")
    assert "measurement" in message["en"]

    resident = await _resident(hub_server, household, "Wang Fang", {})
    scale = ble.devices.scale
    scale.measure(61.8, at=_local(hass, 2))
    await _discovered(hass, scale.address)  # HA heard it advertise
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "pick_monitor")
    address_field = next(key for key in result["data_schema"].schema if key == "address")
    choices = result["data_schema"].schema[address_field].container
    assert list(choices) == [scale.address]
    assert scale.address in choices[scale.address]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"address": scale.address, "resident": resident}
    )
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "monitor_added")
    await texts(hass, "config", "abort.monitor_added")
    await hass.async_block_till_done()
    monitor = _subentry(hass, scale.address)
    assert monitor is not None
    assert monitor.data["resident"] == resident
    await _state_value(hass, _entity(hass, monitor, "weight"), "61.8")
    # Added, it is no longer offered.
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "no_monitors_found")


async def test_the_households_add_health_monitor_offers_the_monitors_heard(
    hass: HomeAssistant, household: MockConfigEntry, hub_server: RunningHub, ble: BleWorld
) -> None:
    """HA's own "Add health monitor" on the household's card: a subentry flow."""
    subentries = hass.config_entries.subentries
    result = await subentries.async_init(
        (household.entry_id, "monitor"), context={"source": SOURCE_USER}
    )
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "no_monitors_found")
    await texts(hass, "config_subentries", "monitor.abort.no_monitors_found")

    resident = await _resident(hub_server, household, "Wang Fang", {})
    cuff = ble.devices.bp
    cuff.measure(128, 82, pulse=68, at=_local(hass, 2))
    await _discovered(hass, cuff.address)
    result = await subentries.async_init(
        (household.entry_id, "monitor"), context={"source": SOURCE_USER}
    )
    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "user")
    await texts(hass, "config_subentries", "monitor.step.user.title")
    result = await subentries.async_configure(
        result["flow_id"], {"address": cuff.address, "resident": resident}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    monitor = _subentry(hass, cuff.address)
    assert monitor is not None
    assert monitor.data["resident"] == resident
    await _state_value(hass, _entity(hass, monitor, "systolic"), "128")


async def test_a_device_that_is_no_health_monitor_is_not_offered(
    hass: HomeAssistant, household: MockConfigEntry
) -> None:
    address = "AA:BB:CC:00:11:22"
    advertisement = AdvertisementData(
        local_name="Toothbrush",
        manufacturer_data={},
        service_data={},
        service_uuids=["0000fe95-0000-1000-8000-00805f9b34fb"],
        tx_power=None,
        rssi=-60,
        platform_data=(),
    )
    info = BluetoothServiceInfoBleak(
        name="Toothbrush",
        address=address,
        rssi=-60,
        manufacturer_data={},
        service_data={},
        service_uuids=advertisement.service_uuids,
        source="local",
        device=BLEDevice(address, "Toothbrush", None),
        advertisement=advertisement,
        connectable=True,
        time=0,
        tx_power=None,
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_BLUETOOTH}, data=info
    )
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "not_supported")
    await texts(hass, "config", "abort.not_supported")


async def test_readings_taken_while_the_household_was_down_reach_the_hub_after(
    hass: HomeAssistant, household: MockConfigEntry, hub_server: RunningHub, ble: BleWorld
) -> None:
    oximeter = ble.devices.oximeter
    oximeter.measure(97, 66, at=_local(hass, 10))
    monitor = await _add_monitor(hass, oximeter.address, "unassigned")
    spo2 = _entity(hass, monitor, "spo2")
    await _state_value(hass, spo2, "97")
    await _hub_vitals(hub_server, household, 2)

    assert await hass.config_entries.async_unload(household.entry_id)
    # The monitor holds the reading until a central takes it: the household, once back.
    oximeter.measure(89, 70, at=_local(hass, 1))
    assert await hass.config_entries.async_setup(household.entry_id)
    await hass.async_block_till_done()
    await _state_value(hass, spo2, "89")
    rows = await _hub_vitals(hub_server, household, 4)
    assert sorted(row["value"] for row in rows if row["code"] == "59408-5") == [89, 97]
    await until(lambda: household.runtime_data.link.outbox_depth == 0, timeout=15)


async def test_a_reloaded_monitor_shows_its_last_reading_and_no_older_one(
    hass: HomeAssistant, household: MockConfigEntry, ble: BleWorld
) -> None:
    cuff = ble.devices.bp
    taken = _local(hass, 5)
    cuff.measure(21.3, 13.3, pulse=70, unit=PressureUnit.KPA, at=taken)
    monitor = await _add_monitor(hass, cuff.address, "unassigned")
    systolic = _entity(hass, monitor, "systolic")
    await _state_value(hass, systolic, "160")  # a kPa cuff is shown in mmHg, like the others
    assert hass.states.get(systolic).attributes["unit_of_measurement"] == "mmHg"
    measured_at = hass.states.get(systolic).attributes["measured_at"]

    assert await hass.config_entries.async_reload(household.entry_id)
    await hass.async_block_till_done()
    restored = hass.states.get(systolic)
    assert (restored.state, restored.attributes["measured_at"]) == ("160", measured_at)

    # A reading taken before the one shown (its clock was behind) is history, not news.
    cuff.measure(118, 75, pulse=66, at=_local(hass, 30))
    pulse = _entity(hass, monitor, "pulse")
    await until(lambda: _monitor(hass, monitor).counts["sessions"] >= 1, timeout=15)
    await until(lambda: _monitor(hass, monitor).counts["readings"] >= 1, timeout=15)
    assert hass.states.get(systolic).state == "160"
    assert hass.states.get(pulse).state == "70"


async def test_removing_a_monitor_forgets_what_it_kept(
    hass: HomeAssistant,
    household: MockConfigEntry,
    ble: BleWorld,
    hass_storage: dict[str, Any],
) -> None:
    scale = ble.devices.scale
    scale.measure(70.2, at=_local(hass, 1))
    monitor = await _add_monitor(hass, scale.address, "unassigned")
    weight = _entity(hass, monitor, "weight")
    await _state_value(hass, weight, "70.2")
    key = f"{DOMAIN}.{monitor.subentry_id}.monitor"
    await until(lambda: key in hass_storage, timeout=5)
    assert hass.config_entries.async_remove_subentry(household, monitor.subentry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage
    assert hass.states.get(weight) is None
    assert household.state is ConfigEntryState.LOADED  # the household is not touched


async def test_an_unreadable_saved_reading_is_dropped_with_a_warning(
    hass: HomeAssistant,
    household: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monitor = ConfigSubentry(
        data=MappingProxyType(
            {
                "monitor_address": "C0:FF:EE:00:00:01",
                "monitor_profile": "scale",
                "monitor_name": "Scale",
                "resident": "",
            }
        ),
        subentry_type="monitor",
        title="Scale",
        unique_id="C0:FF:EE:00:00:01",
    )
    key = f"{DOMAIN}.{monitor.subentry_id}.monitor"
    hass_storage[key] = {"version": 1, "key": key, "data": {"pending": [{"not": "a reading"}]}}
    with caplog.at_level(logging.WARNING):
        hass.config_entries.async_add_subentry(household, monitor)
        await hass.async_block_till_done()
    assert _monitor(hass, monitor) is not None  # running
    assert "Dropping an unreadable saved reading" in caplog.text


async def test_with_the_household_down_a_monitor_can_only_be_unassigned(
    hass: HomeAssistant, household: MockConfigEntry, hub_server: RunningHub, ble: BleWorld
) -> None:
    await _resident(hub_server, household, "Wang Fang", {})
    scale = ble.devices.scale
    scale.measure(58.0, at=_local(hass, 1))
    monitor = await _add_monitor(hass, scale.address, "unassigned")
    assert await hass.config_entries.async_unload(household.entry_id)
    # Whose monitor it is comes from the care center's residents, which a stopped household
    # cannot list: only "not assigned" is offered until it runs again.
    result = await hass.config_entries.subentries.async_init(
        (household.entry_id, "monitor"),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": monitor.subentry_id},
    )
    field = next(key for key in result["data_schema"].schema if key == "resident")
    options = result["data_schema"].schema[field].config["options"]
    assert [option["value"] for option in options] == ["unassigned"]
    text = await texts(hass, "selector", "resident.options.unassigned")
    assert "household" in text["en"]
