"""Reporting to a commercial alarm receiving centre (SIA DC-09) beside the care-center link.

The ARC is the independent `pysiaalarm` receiver (what HA's own `sia` integration uses) on
127.0.0.1; the care center is a real hub. The installer sets everything in the options flow.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
from pysiaalarm.aio import CommunicationsProtocol, SIAAccount, SIAClient
from pysiaalarm.event import SIAEvent
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.eldercare.const import DOMAIN
from custom_components.eldercare.diagnostics import async_get_config_entry_diagnostics

from ..conftest import RunningHub, until

BUTTON = "button.wang_household_call_for_help"
SMOKE = "binary_sensor.kitchen_smoke"
ACCOUNT = "1234"
TEXT_KEY_128 = "0123456789ABCDEF"  # pysiaalarm takes the typed characters as the key bytes
TEXT_KEY_256 = "0123456789ABCDEF0123456789ABCDEF"


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Arc:
    """One pysiaalarm receiver and what it accepted."""

    port: int
    protocol: CommunicationsProtocol
    client: SIAClient | None = None
    events: list[SIAEvent] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def contact_ids(self) -> list[tuple[str | None, str | None, str | None]]:
        return [(e.event_qualifier, e.event_type, e.ri) for e in self.events]


StartArc = Callable[..., Awaitable[Arc]]


@pytest.fixture
async def start_arc(hass: HomeAssistant) -> AsyncIterator[StartArc]:
    started: list[Arc] = []

    async def start(
        protocol: CommunicationsProtocol = CommunicationsProtocol.TCP,
        key: str | None = None,
        port: int | None = None,
    ) -> Arc:
        kind = socket.SOCK_DGRAM if protocol is CommunicationsProtocol.UDP else socket.SOCK_STREAM
        arc = Arc(port or free_port(kind), protocol)

        async def heard(event: SIAEvent) -> None:
            arc.events.append(event)

        arc.client = SIAClient(
            "127.0.0.1",
            arc.port,
            [SIAAccount(ACCOUNT, key, allowed_timeband=(40, 20))],
            function=heard,
            protocol=protocol,
        )
        await arc.client.async_start()
        started.append(arc)
        return arc

    yield start
    # pysiaalarm's stop waits for its clients to hang up, and our sender keeps its TCP
    # connection open between events: the gateway goes first.
    for entry in hass.config_entries.async_entries(DOMAIN):
        await hass.config_entries.async_unload(entry.entry_id)
    for arc in started:
        assert arc.client is not None
        await arc.client.async_stop()


async def configure_arc(hass: HomeAssistant, entry: MockConfigEntry, **fields: Any) -> Any:
    """Through the options flow, as an installer does: menu, then the ARC form."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "arc"}
    )
    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "arc")
    form = {
        "enabled": True,
        "format": "adm_cid",
        "account": ACCOUNT,
        "receiver_number": "0",
        "line_number": "0",
        "primary_transport": "tcp",
        "backup_transport": "tcp",
        "key_format": "text",
        "supervision_interval": 0,
        "test_interval": 24,
        **fields,
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], form)
    await hass.async_block_till_done()
    return result


async def test_options_flow_checks_the_form_and_starts_reporting(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, start_arc: StartArc
) -> None:
    arc = await start_arc()
    bad = await configure_arc(hass, enrolled_entry, primary=arc.address, account="12")
    assert bad["type"] is FlowResultType.FORM
    assert bad["errors"] == {"account": "invalid_account"}
    bad = await configure_arc(hass, enrolled_entry, primary="127.0.0.1:99999")
    assert bad["errors"] == {"primary": "invalid_address"}
    assert enrolled_entry.runtime_data.arc.settings is None

    done = await configure_arc(hass, enrolled_entry, primary=arc.address)
    assert done["type"] is FlowResultType.CREATE_ENTRY
    assert enrolled_entry.runtime_data.arc.settings is not None
    assert enrolled_entry.options["arc"]["account"] == ACCOUNT


async def test_sos_reaches_the_arc_and_the_care_center(
    hass: HomeAssistant,
    enrolled_entry: MockConfigEntry,
    hub_server: RunningHub,
    start_arc: StartArc,
) -> None:
    arc = await start_arc(key=TEXT_KEY_128)
    await configure_arc(hass, enrolled_entry, primary=arc.address, key=TEXT_KEY_128)
    await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: BUTTON}, blocking=True)

    (alarm,) = await hub_server.wait_for_open_alarms(1)  # the care center, as before
    assert alarm.kind == "sos"
    await until(lambda: len(arc.events) == 1)
    (event,) = arc.events
    assert (event.account, event.encrypted, event.message_type.value) == (ACCOUNT, True, "ADM-CID")
    assert (event.event_qualifier, event.event_type, event.partition) == ("1", "101", "01")
    assert event.code == "QA"  # pysiaalarm's own reading of Contact ID 101
    assert event.ri == "001"  # the call-for-help button is the household's first zone

    diagnostics = await async_get_config_entry_diagnostics(hass, enrolled_entry)
    assert TEXT_KEY_128 not in str(diagnostics)  # the ARC's key never leaves the gateway
    arc_status = diagnostics["alarm_receiving_centre"]
    assert arc_status["up"] is True
    assert arc_status["counts"]["acked"] == 1


async def test_smoke_and_its_restore_in_sia_dcs(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, start_arc: StartArc
) -> None:
    arc = await start_arc()
    await configure_arc(hass, enrolled_entry, primary=arc.address, format="sia_dcs")
    attributes = {"device_class": "smoke", "friendly_name": "Kitchen smoke"}
    hass.states.async_set(SMOKE, "off", attributes)
    await hass.async_block_till_done()
    hass.states.async_set(SMOKE, "on", attributes)
    await hass.async_block_till_done()
    await until(lambda: len(arc.events) == 1)
    hass.states.async_set(SMOKE, "off", attributes)
    await hass.async_block_till_done()
    await until(lambda: len(arc.events) == 2)
    fire, restore = arc.events
    assert (fire.code, restore.code) == ("FA", "FH")
    assert fire.message == restore.message  # the same zone (the kitchen smoke detector)
    assert int(fire.sequence or 0) < int(restore.sequence or 0)


async def test_primary_silent_backup_over_udp_encrypted_gets_it(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, start_arc: StartArc
) -> None:
    backup = await start_arc(CommunicationsProtocol.UDP, key=TEXT_KEY_256)
    await configure_arc(
        hass,
        enrolled_entry,
        primary=f"127.0.0.1:{free_port()}",  # nobody listens: refused at once
        backup=backup.address,
        backup_transport="udp",
        key=TEXT_KEY_256,
    )
    await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: BUTTON}, blocking=True)
    await until(lambda: len(backup.events) == 1, timeout=30)
    assert backup.contact_ids() == [("1", "101", "001")]
    status = enrolled_entry.runtime_data.arc.status
    assert status is not None
    assert status.failovers >= 1
    # Removed from the queue once the sender's worker has taken the ACK in (just after).
    arc = enrolled_entry.runtime_data.arc
    await until(lambda: arc.status is not None and arc.status.depth == 0)


async def test_alarm_held_while_the_arc_is_down_is_delivered_after_a_restart(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, start_arc: StartArc
) -> None:
    port = free_port()
    await configure_arc(hass, enrolled_entry, primary=f"127.0.0.1:{port}")
    await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: BUTTON}, blocking=True)
    arc_channel = enrolled_entry.runtime_data.arc
    await until(lambda: arc_channel.status is not None and arc_channel.status.depth == 1)

    assert await hass.config_entries.async_unload(enrolled_entry.entry_id)
    arc = await start_arc(port=port)  # the centre is back while the gateway restarts
    assert await hass.config_entries.async_setup(enrolled_entry.entry_id)
    await until(lambda: len(arc.events) == 1, timeout=15)
    assert arc.contact_ids() == [("1", "101", "001")]


async def test_periodic_test_report(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, start_arc: StartArc
) -> None:
    arc = await start_arc()
    await configure_arc(hass, enrolled_entry, primary=arc.address, test_interval=1)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(hours=1, seconds=1))
    await until(lambda: len(arc.events) == 1)
    assert arc.contact_ids() == [("1", "602", "000")]
    assert arc.events[0].code == "RP"


def _option_shown(result: Any, field_name: str) -> Any:
    """The value a form shows pre-filled in one field."""
    for marker in result["data_schema"].schema:
        if marker == field_name:
            return (marker.description or {}).get("suggested_value")
    raise KeyError(field_name)


@pytest.mark.parametrize(("saved", "option"), [("ADM-CID", "adm_cid"), ("SIA-DCS", "sia_dcs")])
async def test_arc_settings_saved_by_an_older_release_keep_reporting(
    hass: HomeAssistant,
    enrolled_entry: MockConfigEntry,
    start_arc: StartArc,
    saved: str,
    option: str,
) -> None:
    """An install set up before config entry 1.2 kept the format as its DC-09 token; after the
    upgrade it loads, holds the form's option key, and the ARC hears the same format."""
    arc = await start_arc()
    assert await hass.config_entries.async_unload(enrolled_entry.entry_id)
    as_saved = {  # the options flow's ARC settings, exactly as release 1.1 stored them
        "enabled": True,
        "format": saved,
        "account": ACCOUNT,
        "receiver_number": "0",
        "line_number": "0",
        "primary": arc.address,
        "primary_transport": "tcp",
        "backup": "",
        "backup_transport": "tcp",
        "key": "",
        "key_format": "hex",
        "supervision_interval": 0.0,
        "test_interval": 24.0,
    }
    hass.config_entries.async_update_entry(
        enrolled_entry, options={**enrolled_entry.options, "arc": as_saved}, minor_version=1
    )

    assert await hass.config_entries.async_setup(enrolled_entry.entry_id)
    await hass.async_block_till_done()
    assert enrolled_entry.state is ConfigEntryState.LOADED
    # Migrated up to this release (1.3: health monitors are subentries).
    assert (enrolled_entry.version, enrolled_entry.minor_version) == (1, 3)
    assert enrolled_entry.options["arc"] == {**as_saved, "format": option}

    await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: BUTTON}, blocking=True)
    await until(lambda: len(arc.events) == 1)
    assert arc.events[0].message_type.value == saved  # the same DC-09 format as before

    # The installer's form shows the format still chosen, under its translated name.
    result = await hass.config_entries.options.async_init(enrolled_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "arc"}
    )
    assert _option_shown(result, "format") == option


async def test_entry_from_a_newer_release_is_not_set_up(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry
) -> None:
    """Downgraded: an entry saved by a release with a newer major version is left untouched
    (HA reports a migration error) rather than read wrongly."""
    assert await hass.config_entries.async_unload(enrolled_entry.entry_id)
    hass.config_entries.async_update_entry(enrolled_entry, version=2)
    assert not await hass.config_entries.async_setup(enrolled_entry.entry_id)
    assert enrolled_entry.state is ConfigEntryState.MIGRATION_ERROR
