"""The household entry over its life: what a reload keeps, what damaged saved state does
(nothing worse than a warning), and what removing the gateway takes with it."""

from __future__ import annotations

import logging
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState, ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.eldercare import outbox_path
from custom_components.eldercare.arc import arc_outbox_path
from gateway.link import LinkState
from gateway.safety.settings import VitalRange
from gateway.vital_signs import VitalSign
from hub.gateways.links import push_config

from ..conftest import RunningHub, until
from .conftest import credentials_of
from .translated import texts

STATUS = "sensor.wang_household_alarm_status"
SYSTOLIC = "sensor.blood_pressure_systolic"
SYSTOLIC_ATTRIBUTES = {"unit_of_measurement": "mmHg", "friendly_name": "Blood pressure systolic"}


def _ranges(entry: MockConfigEntry) -> dict[VitalSign, VitalRange]:
    return entry.runtime_data.safety.settings.vital_ranges


async def _push_thresholds(hub: RunningHub, entry: MockConfigEntry, thresholds: dict) -> None:
    """Staff set a resident's thresholds at the care center; the hub pushes them home."""
    await until(lambda: entry.runtime_data.link.state is LinkState.CONNECTED, timeout=15)
    household_id = credentials_of(entry).household_id
    registry, now = hub.context.store.registry, hub.context.clock()
    await hub.context.db(
        lambda: registry.add_resident(household_id, "Wang Fang", now, thresholds=thresholds)
    )
    await push_config(hub.context, household_id)


def _arc_options() -> dict[str, Any]:
    """Reporting to an ARC on a port where nobody listens: its queue holds what it gets."""
    return {
        "enabled": True,
        "account": "1234",
        "primary": "127.0.0.1:9",
        "key_format": "hex",
        "test_interval": 0,
    }


async def test_removing_the_gateway_deletes_its_queues_and_the_care_centers_data(
    hass: HomeAssistant,
    enrolled_entry: MockConfigEntry,
    hub_server: RunningHub,
    hass_storage: dict[str, Any],
) -> None:
    entry_id = enrolled_entry.entry_id
    hass.config_entries.async_update_entry(
        enrolled_entry, options={**enrolled_entry.options, "arc": _arc_options()}
    )
    await hass.async_block_till_done()
    await _push_thresholds(hub_server, enrolled_entry, {"8480-6": {"high": 150}})
    await until(lambda: _ranges(enrolled_entry)[VitalSign.SYSTOLIC] == VitalRange(90, 150))
    await hass.services.async_call("eldercare", "trigger_emergency", {}, blocking=True)
    assert await hass.config_entries.async_unload(entry_id)
    await hass.async_block_till_done()
    queues = [outbox_path(hass, entry_id), arc_outbox_path(hass, entry_id)]
    assert all(path.exists() for path in queues)
    kept = {f"eldercare.{entry_id}.{name}" for name in ("care_center", "arc", "safety", "services")}
    assert kept <= hass_storage.keys()

    await hass.config_entries.async_remove(entry_id)
    await hass.async_block_till_done()
    files = [Path(f"{queue}{suffix}") for queue in queues for suffix in ("", "-wal", "-shm")]
    assert [path for path in files if path.exists()] == []
    # The resident's thresholds (health data) and the ARC's zones go with the gateway.
    assert f"eldercare.{entry_id}.care_center" not in hass_storage
    assert f"eldercare.{entry_id}.arc" not in hass_storage
    # The household's life-service requests (who came, when, the notes) too.
    assert f"eldercare.{entry_id}.services" not in hass_storage


async def test_unusable_saved_thresholds_are_skipped_with_a_warning_and_the_rest_applies(
    hass: HomeAssistant,
    enrolled_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry_id = enrolled_entry.entry_id
    assert await hass.config_entries.async_unload(entry_id)
    # A damaged file (a hand edit, a bad restore): one bound is junk, the other is fine.
    hass_storage[f"eldercare.{entry_id}.care_center"] = {
        "version": 1,
        "key": f"eldercare.{entry_id}.care_center",
        "data": {
            "thresholds": {"8480-6": {"high": "very high"}, "59408-5": {"low": 93}},
            "residents": [],
        },
    }
    with caplog.at_level(logging.WARNING):
        assert await hass.config_entries.async_setup(entry_id)
        await hass.async_block_till_done()
    assert enrolled_entry.state is ConfigEntryState.LOADED
    assert "Ignoring a saved care-center threshold" in caplog.text
    ranges = _ranges(enrolled_entry)
    assert ranges[VitalSign.SPO2].low == 93
    assert ranges[VitalSign.SYSTOLIC] == VitalRange(90, 180)  # the household's own default
    # And the home still judges readings.
    hass.states.async_set(SYSTOLIC, "120", SYSTOLIC_ATTRIBUTES)
    await hass.async_block_till_done()
    hass.states.async_set(SYSTOLIC, "190", SYSTOLIC_ATTRIBUTES)
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "vitals"
    link = enrolled_entry.runtime_data.link
    await until(lambda: link.state is LinkState.CONNECTED and link.outbox_depth == 0, timeout=15)


async def test_a_threshold_no_household_sensor_measures_is_kept_but_changes_nothing(
    hass: HomeAssistant,
    enrolled_entry: MockConfigEntry,
    hub_server: RunningHub,
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = _ranges(enrolled_entry)
    with caplog.at_level(logging.INFO):
        # Respiratory rate (LOINC 9279-1): the care center records it, no sensor here has it.
        await _push_thresholds(hub_server, enrolled_entry, {"9279-1": {"high": 30}})
        care_center = enrolled_entry.runtime_data.safety.care_center
        await until(lambda: "9279-1" in care_center.thresholds)
    assert "No household sensor measures LOINC 9279-1" in caplog.text
    assert _ranges(enrolled_entry) == before


async def test_hand_edited_arc_options_turn_reporting_off_and_the_home_runs_on(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    broken = {**_arc_options(), "account": "not hex"}
    with caplog.at_level(logging.ERROR):
        hass.config_entries.async_update_entry(
            enrolled_entry, options={**enrolled_entry.options, "arc": broken}
        )
        await hass.async_block_till_done()
    assert "Alarm receiving centre reporting is off: invalid account" in caplog.text
    assert enrolled_entry.runtime_data.arc.settings is None
    await hass.services.async_call("eldercare", "trigger_emergency", {}, blocking=True)
    assert hass.states.get(STATUS).state == "sos"
    # Fixed by hand again: reporting comes back without a restart.
    hass.config_entries.async_update_entry(
        enrolled_entry, options={**enrolled_entry.options, "arc": _arc_options()}
    )
    await hass.async_block_till_done()
    assert enrolled_entry.runtime_data.arc.settings is not None


async def test_an_arc_queue_that_cannot_be_opened_leaves_the_arc_silent_not_the_home(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    # Something else sits where the ARC's queue file goes (a disk problem, a bad restore).
    arc_outbox_path(hass, enrolled_entry.entry_id).mkdir(parents=True)
    with caplog.at_level(logging.ERROR):
        hass.config_entries.async_update_entry(
            enrolled_entry, options={**enrolled_entry.options, "arc": _arc_options()}
        )
        await hass.async_block_till_done()
    assert "Alarm receiving centre reporting is off" in caplog.text
    assert enrolled_entry.runtime_data.arc.settings is None
    await hass.services.async_call("eldercare", "trigger_emergency", {}, blocking=True)
    assert hass.states.get(STATUS).state == "sos"


async def test_a_health_monitor_waits_for_bluetooth_and_says_so(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry
) -> None:
    monitor = ConfigSubentry(
        data=MappingProxyType(
            {
                "monitor_address": "C0:FF:EE:00:00:02",
                "monitor_profile": "blood_pressure",
                "monitor_name": "Cuff",
                "resident": "",
            }
        ),
        subentry_type="monitor",
        title="Cuff",
        unique_id="C0:FF:EE:00:00:02",
    )
    hass.config_entries.async_add_subentry(enrolled_entry, monitor)
    await hass.async_block_till_done()
    # The household protects itself without Bluetooth; the monitor starts when it is set up.
    assert enrolled_entry.state is ConfigEntryState.LOADED
    assert enrolled_entry.runtime_data.monitors.get(monitor.subentry_id) is None
    issue = ir.async_get(hass).async_get_issue("eldercare", "no_bluetooth")
    assert issue is not None
    assert issue.translation_key == "no_bluetooth"
    message = await texts(hass, "issues", "no_bluetooth.description")
    assert "蓝牙" in message["zh-Hans"]
