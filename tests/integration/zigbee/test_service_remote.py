"""The senior's 4-key service remote (a Tuya TS0044 scene switch) on real zigpy + ZHA + quirks:
a service key's press is a request stored at the hub, the SOS key stays an emergency, and the
installer maps the keys in the options flow (which refuses nonsense)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.eldercare.const import EVENT_ANNOUNCEMENT
from gateway.alarms import AlarmKind
from gateway.remote_keys import JOB_CHOICES
from gateway.services.catalogue import ServiceType

from ...conftest import RunningHub
from ..conftest import credentials_of
from .conftest import SimulatedZigbee, wait_for

STATUS = "sensor.wang_household_alarm_status"
REMOTE_NAME = "生活服务遥控器"
INTEGRATION = Path(__file__).resolve().parents[3] / "integrations" / "eldercare"


async def _requests_at_hub(hub: RunningHub, entry: MockConfigEntry) -> list[Any]:
    context = hub.context
    household_id = credentials_of(entry).household_id
    return await context.db(context.store.services.household_requests, household_id)


async def _wait_for_requests(
    hub: RunningHub, entry: MockConfigEntry, ready: Any, timeout: float = 5
) -> list[Any]:
    deadline = time.monotonic() + timeout
    while True:
        requests = await _requests_at_hub(hub, entry)
        if ready(requests) or time.monotonic() > deadline:
            return requests
        await asyncio.sleep(0.05)


async def _past_the_press_gap(hass: HomeAssistant) -> None:
    """Presses of one key within 2 s are one press (remotes repeat frames)."""
    await hass.async_add_executor_job(time.sleep, 2.1)


async def test_service_keys_make_requests_at_the_hub_and_key_1_stays_sos(
    zigbee: SimulatedZigbee, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    hass, remote = zigbee.hass, zigbee.household.remote
    await zigbee.permit_joins()
    device = await zigbee.join(remote)
    safety = enrolled_entry.runtime_data.safety
    events = async_capture_events(hass, "zha_event")
    remote.press(2)
    # Through the TS0044 quirk: an event per key (its endpoint), no entity, nobody's job yet.
    await wait_for(hass, lambda: len(events) == 1, timeout=3)
    assert (events[0].data["endpoint_id"], events[0].data["command"]) == (
        2,
        "remote_button_short_press",
    )
    await zigbee.settle()
    assert await _requests_at_hub(hub_server, enrolled_entry) == []

    # Named for its job by the installer: the 4-key remote's default keys.
    dr.async_get(hass).async_update_device(device.id, name_by_user=REMOTE_NAME)
    await wait_for(hass, lambda: device.id in safety.inventory.keyed_remotes)
    keyed = safety.inventory.keyed_remotes[device.id]
    assert keyed.jobs == {
        1: AlarmKind.SOS,
        2: ServiceType.REPAIR,
        3: ServiceType.MEAL,
        4: ServiceType.CALL_BACK,
    }
    assert keyed.keys == {1: 1, 2: 2, 3: 3, 4: 4}
    assert device.id in safety.inventory.supervised_devices()  # it has an SOS key

    remote.press(2)
    requests = await _wait_for_requests(hub_server, enrolled_entry, lambda r: len(r) == 1)
    [stored] = requests
    assert (stored.service, stored.source_name, stored.count) == (
        ServiceType.REPAIR,
        f"{REMOTE_NAME} #2",
        1,
    )
    [request] = enrolled_entry.runtime_data.services.open_requests()
    assert request.source == f"{device.id}:key_2"
    assert hass.states.get(STATUS).state == "idle"  # a plumber is not an emergency

    # The same key again while the request is open: the same request, counted.
    await _past_the_press_gap(hass)
    remote.press(2)
    requests = await _wait_for_requests(
        hub_server, enrolled_entry, lambda r: len(r) == 1 and r[0].count == 2
    )
    assert [(r.id, r.count) for r in requests] == [(stored.id, 2)]
    # Another key is another service, another request.
    remote.press(4, "double")
    requests = await _wait_for_requests(hub_server, enrolled_entry, lambda r: len(r) == 2)
    assert {r.service for r in requests} == {ServiceType.REPAIR, ServiceType.CALL_BACK}

    # Key 1 is still the emergency path: an SOS alarm, never a service request.
    remote.press(1)
    await wait_for(hass, lambda: hass.states.get(STATUS).state == "sos", timeout=3)
    (alarm,) = await hub_server.wait_for_open_alarms(1)
    assert (alarm.kind, alarm.severity) == ("sos", "critical")
    assert safety.open_alarm(AlarmKind.SOS).source_name == f"{REMOTE_NAME} #1"  # type: ignore[union-attr]
    assert len(await _requests_at_hub(hub_server, enrolled_entry)) == 2


async def _roles_form(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "roles"}
    )
    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "roles")
    return dict(result)


def _defaults(form: dict[str, Any]) -> dict[str, Any]:
    return {str(key): key.default() for key in form["data_schema"].schema}


async def test_the_installer_maps_the_keys_and_nonsense_is_refused(
    zigbee: SimulatedZigbee, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    hass, remote = zigbee.hass, zigbee.household.remote
    await zigbee.permit_joins()
    device = await zigbee.join(remote)
    safety = enrolled_entry.runtime_data.safety
    said = async_capture_events(hass, EVENT_ANNOUNCEMENT)
    # Another Zigbee device, with a single key ZHA cannot tell apart from another.
    plain = dr.async_get(hass).async_get_or_create(
        config_entry_id=zigbee.entry.entry_id,
        connections={(dr.CONNECTION_ZIGBEE, "00:12:4b:00:25:1e:00:99")},
        identifiers={("zha", "00:12:4b:00:25:1e:00:99")},
        name="eWeLink WB01",
    )

    form = await _roles_form(hass, enrolled_entry)
    result = await hass.config_entries.options.async_configure(
        form["flow_id"], {"service_remotes": [device.id, plain.id]}
    )
    assert result["errors"] == {"service_remotes": "not_a_keyed_remote"}
    assert "remote_keys" not in enrolled_entry.options

    result = await hass.config_entries.options.async_configure(
        form["flow_id"], {"service_remotes": [device.id]}
    )
    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "remote_keys")
    assert result["description_placeholders"] == {"remote": device.name}
    # A 4-key remote starts as SOS, repair, meal, call me back.
    assert _defaults(result) == {
        "key_1": "sos",
        "key_2": "repair",
        "key_3": "meal",
        "key_4": "call_back",
    }
    flow_id = result["flow_id"]
    with pytest.raises(InvalidData):  # not a job a key can have
        await hass.config_entries.options.async_configure(
            flow_id, {"key_1": "pizza", "key_2": "repair", "key_3": "meal", "key_4": "none"}
        )
    result = await hass.config_entries.options.async_configure(
        flow_id, {"key_1": "none", "key_2": "none", "key_3": "none", "key_4": "none"}
    )
    assert result["errors"] == {"base": "no_key_job"}
    result = await hass.config_entries.options.async_configure(
        flow_id, {"key_1": "none", "key_2": "drain", "key_3": "meal", "key_4": "none"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert enrolled_entry.options["remote_keys"] == {
        device.id: {"1": "none", "2": "drain", "3": "meal", "4": "none"}
    }
    keyed = safety.inventory.keyed_remotes[device.id]
    assert keyed.jobs == {2: ServiceType.DRAIN, 3: ServiceType.MEAL}
    assert not keyed.automatic
    assert device.id not in safety.inventory.supervised_devices()  # no SOS key, not safety

    remote.press(1)  # a key with no job: nothing
    remote.press(2)
    [stored] = await _wait_for_requests(hub_server, enrolled_entry, lambda r: len(r) == 1)
    assert (stored.service, stored.source_name) == (ServiceType.DRAIN, f"{device.name} #2")
    assert hass.states.get(STATUS).state == "idle"

    # The care center offers this household meals only: the drain key is refused, and said.
    household_id = credentials_of(enrolled_entry).household_id
    context = hub_server.context
    await context.db(
        context.store.services.set_entitlement, household_id, (ServiceType.MEAL,), context.clock()
    )
    await context.gateways.push_config(household_id)
    desk = enrolled_entry.runtime_data.services.desk
    await wait_for(hass, lambda: desk.entitled == {ServiceType.MEAL}, timeout=5)
    await _past_the_press_gap(hass)
    remote.press(2)
    await wait_for(
        hass, lambda: any(e.data["message"] == "service_refused" for e in said), timeout=3
    )
    refusal = next(e.data["text"] for e in said if e.data["message"] == "service_refused")
    assert "Drain unblocking" in refusal
    assert [r.count for r in await _requests_at_hub(hub_server, enrolled_entry)] == [1]

    # Taken out of the service remotes: its keys do nothing any more.
    form = await _roles_form(hass, enrolled_entry)
    assert _defaults(form)["service_remotes"] == [device.id]
    result = await hass.config_entries.options.async_configure(
        form["flow_id"], {"service_remotes": []}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert enrolled_entry.options["remote_keys"] == {device.id: {}}
    assert device.id not in safety.inventory.keyed_remotes


@pytest.mark.parametrize("language", ["strings.json", "translations/zh-Hans.json"])
def test_every_job_a_key_can_have_has_a_label(language: str) -> None:
    """The key selects store their option values: each must show as words, not a raw value."""
    path = INTEGRATION / language
    labels = json.loads(path.read_text(encoding="utf-8"))["selector"]["remote_key_job"]
    assert set(labels["options"]) == set(JOB_CHOICES)
