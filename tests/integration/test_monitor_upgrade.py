"""Upgrading a home whose health monitors an older release kept as config entries of their
own (config entry 1.2): after the upgrade each is a subentry of the household, with the same
entities (entity id, unique id), the same device, what the monitor kept on disk, and the
history the recorder has of its sensors."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from homeassistant.components.recorder import get_instance, history
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.device_registry import CONNECTION_BLUETOOTH
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.eldercare.const import DOMAIN
from custom_components.eldercare.health_sensor import SENSORS
from gateway.health.profiles import MonitorProfile
from gateway.link import enroll

from ..conftest import RunningHub

pytestmark = pytest.mark.usefixtures("enable_bluetooth", "socket_enabled")

CUFF = "C0:FF:EE:00:00:07"
SCALE = "C0:FF:EE:00:00:08"
# What the previous release wrote: (address, profile, title, resident).
OLD_MONITORS = (
    (CUFF, MonitorProfile.BLOOD_PRESSURE, "Grandma's cuff", "resident-1"),
    (SCALE, MonitorProfile.SCALE, "Bathroom scale", ""),
)


@pytest.fixture
def mock_recorder_before_hass(async_test_recorder: Any) -> None:
    """The recorder's database is prepared before `hass` (the history is read from it)."""


def _old_monitor(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    address: str,
    profile: MonitorProfile,
    title: str,
    resident: str,
) -> MockConfigEntry:
    """A monitor's config entry, device, entities and memory as release 1.2 left them."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=1,
        minor_version=2,
        title=title,
        unique_id=address,
        source="bluetooth",
        data={"monitor_address": address, "monitor_name": title, "monitor_profile": profile.value},
        options={"resident": resident},
    )
    entry.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, address)},
        connections={(CONNECTION_BLUETOOTH, address)},
        name=title,
    )
    registry = er.async_get(hass)
    for key in (*(sensor.key for sensor in SENSORS[profile]), "battery"):
        registry.async_get_or_create(
            "sensor",
            DOMAIN,
            f"{address}_{key}",
            config_entry=entry,
            device_id=device.id,
            suggested_object_id=f"{title} {key}",
        )
    key = f"{DOMAIN}.{entry.entry_id}.monitor"
    hass_storage[key] = {
        "version": 1,
        "key": key,
        "data": {"seen": [], "last_sequence": 41, "info": {}, "battery": 77, "pending": []},
    }
    return entry


async def _history(hass: HomeAssistant, entity_id: str, since: datetime) -> list[str]:
    await async_wait_recording_done(hass)
    changes = await get_instance(hass).async_add_executor_job(
        history.state_changes_during_period, hass, since, None, entity_id
    )
    return [state.state for state in changes.get(entity_id, [])]


async def _old_household(hass: HomeAssistant, hub: RunningHub) -> MockConfigEntry:
    """The household's entry of release 1.2, its gateway enrolled at the test hub."""
    household = await hub.add_household("Wang household", "Jasmine Court 3-2-501")
    credentials = await enroll(
        async_get_clientsession(hass),
        hub.url,
        await hub.enrollment_code(household.id),
        hass.config.location_name,
    )
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=1,
        minor_version=2,
        title=credentials.household_name,
        unique_id=credentials.gateway_id,
        data=credentials.as_dict(),
    )
    entry.add_to_hass(hass)
    return entry


async def test_monitors_kept_as_config_entries_become_subentries_with_their_history(
    recorder_mock: Any,
    hass: HomeAssistant,
    hub_server: RunningHub,
    core_services: None,
    hass_storage: dict[str, Any],
) -> None:
    started = dt_util.utcnow() - timedelta(seconds=1)
    # The home as the previous release left it: the household at 1.2, a config entry per
    # monitor, its registry entries, and readings in the recorder.
    household = await _old_household(hass, hub_server)
    old = [_old_monitor(hass, hass_storage, *monitor) for monitor in OLD_MONITORS]
    registry = er.async_get(hass)
    before = {
        entry.entry_id: {
            (e.entity_id, e.unique_id)
            for e in er.async_entries_for_config_entry(registry, entry.entry_id)
        }
        for entry in old
    }
    systolic = registry.async_get_entity_id("sensor", DOMAIN, f"{CUFF}_systolic")
    weight = registry.async_get_entity_id("sensor", DOMAIN, f"{SCALE}_weight")
    assert systolic is not None
    assert weight is not None
    for value in ("128", "142"):
        hass.states.async_set(systolic, value, {"unit_of_measurement": "mmHg"})
        await hass.async_block_till_done()
    hass.states.async_set(weight, "61.8", {"unit_of_measurement": "kg"})
    await async_wait_recording_done(hass)

    # Start-up: HA sets up the domain's entries side by side, each migrated first.
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()

    assert household.state is ConfigEntryState.LOADED
    assert (household.version, household.minor_version) == (1, 3)
    assert [e.entry_id for e in hass.config_entries.async_entries(DOMAIN)] == [household.entry_id]
    devices = dr.async_get(hass)
    for entry, (address, profile, title, resident) in zip(old, OLD_MONITORS, strict=True):
        # The subentry took over the entry's id: what the monitor kept is found under it.
        subentry = household.subentries[entry.entry_id]
        assert (subentry.subentry_type, subentry.title, subentry.unique_id) == (
            "monitor",
            title,
            address,
        )
        assert subentry.data["monitor_profile"] == profile.value
        assert subentry.data["resident"] == resident
        monitor = household.runtime_data.monitors.get(subentry.subentry_id)
        assert monitor is not None
        assert (monitor.battery, monitor.last_sequence) == (77, 41)
        moved = [
            e
            for e in er.async_entries_for_config_entry(registry, household.entry_id)
            if e.config_subentry_id == subentry.subentry_id
        ]
        assert {(e.entity_id, e.unique_id) for e in moved} == before[entry.entry_id]
        device = devices.async_get_device(identifiers={(DOMAIN, address)})
        assert device is not None
        assert device.config_entries == {household.entry_id}
        assert device.config_entries_subentries == {household.entry_id: {subentry.subentry_id}}
        assert {e.device_id for e in moved} == {device.id}

    # The recorder's history of the sensors goes on under the same entity ids.
    assert (await _history(hass, systolic, started))[:2] == ["128", "142"]
    assert (await _history(hass, weight, started))[:1] == ["61.8"]
    assert hass.states.get(systolic) is not None

    # Once migrated, a restart finds nothing more to move.
    assert await hass.config_entries.async_reload(household.entry_id)
    await hass.async_block_till_done()
    assert len(household.subentries) == len(OLD_MONITORS)
    assert household.state is ConfigEntryState.LOADED
