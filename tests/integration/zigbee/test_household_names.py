"""The care center sees the household's devices by the names the household gave them in
Home Assistant, never by their Zigbee ids (`_TZ3000_gasvalve TS0001-GV`): in the device
report and as the `source_name` of every alarm the household raises."""

from __future__ import annotations

import asyncio

from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from hub.core.desk_model import AlarmRow
from hub.core.registry import DeviceState

from ...conftest import RunningHub, until
from ..conftest import credentials_of
from ..test_hub_config import _after_report_interval, _connected
from .conftest import SimulatedZigbee, wait_for

CALL_FOR_HELP = "button.wang_household_call_for_help"


async def _hub_names(hub: RunningHub, household_id: str) -> dict[str, str]:
    devices: list[DeviceState] = await hub.context.db(
        hub.context.store.registry.devices, household_id
    )
    return {device.id: device.name for device in devices}


async def _until_hub_names(
    hub: RunningHub, household_id: str, expected: dict[str, str]
) -> dict[str, str]:
    names: dict[str, str] = {}
    for _ in range(200):
        names = await _hub_names(hub, household_id)
        if all(names.get(device) == name for device, name in expected.items()):
            return names
        await asyncio.sleep(0.05)
    raise AssertionError(f"hub has {names}, expected {expected}")


async def _until_mapped_as(entry: MockConfigEntry, name: str) -> None:
    """Until the household's devices are mapped again under the new name."""

    def mapped() -> bool:
        entities = entry.runtime_data.safety.inventory.entities.values()
        return any(m.device_name == name for m in entities)

    await until(mapped)


async def _alarm_of_kind(hub: RunningHub, household_id: str, kind: str) -> AlarmRow:
    """The household's alarm of this kind at the hub, open or (a test) already closed."""
    store = hub.context.store
    for _ in range(200):
        alarms = await hub.context.db(store.household_alarms, household_id)
        if found := [alarm for alarm in alarms if alarm.kind == kind]:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {kind} alarm at the hub")


async def test_the_care_center_sees_the_names_the_household_gave_its_devices(
    zigbee: SimulatedZigbee, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    hass, home = zigbee.hass, zigbee.household
    home.valve.close_seconds = 0.2
    await _connected(enrolled_entry)
    household = credentials_of(enrolled_entry).household_id
    await zigbee.permit_joins()
    gas = await zigbee.join(home.gas)
    valve = await zigbee.join(home.valve)
    await wait_for(hass, lambda: home.gas.enrolled, timeout=10)
    assert valve.name == "_TZ3000_gasvalve TS0001-GV"  # what ZHA calls it: its Zigbee ids
    _after_report_interval(hass)
    await _until_hub_names(hub_server, household, {valve.id: valve.name, gas.id: gas.name})

    # The household names them in Home Assistant: the valve in its device settings ...
    dr.async_get(hass).async_update_device(valve.id, name_by_user="厨房燃气阀")
    await _until_mapped_as(enrolled_entry, "厨房燃气阀")
    _after_report_interval(hass)
    await _until_hub_names(hub_server, household, {valve.id: "厨房燃气阀", gas.id: gas.name})

    # ... the gas detector on its entity (the dialog its card opens), leaving the device's
    # own name as it was.
    registry = er.async_get(hass)
    detector = next(
        e.entity_id
        for e in er.async_entries_for_device(registry, gas.id)
        if e.domain == "binary_sensor"
    )
    registry.async_update_entity(detector, name="厨房燃气报警器")
    await _until_mapped_as(enrolled_entry, "厨房燃气报警器")
    _after_report_interval(hass)
    names = await _until_hub_names(
        hub_server, household, {valve.id: "厨房燃气阀", gas.id: "厨房燃气报警器"}
    )
    assert not any("_TZ3000" in name or "HEIMAN" in name for name in names.values())

    # A gas leak: the alarm names the detector as the household calls it ...
    home.gas.set_alarm(True)
    gas_alarm = await _alarm_of_kind(hub_server, household, "gas")
    assert gas_alarm.source_name == "厨房燃气报警器"

    # ... and a press of the household's own "Call for help" button names the button.
    button = hass.states.get(CALL_FOR_HELP)
    assert button is not None
    await hass.services.async_call("button", "press", {"entity_id": CALL_FOR_HELP}, blocking=True)
    sos = await _alarm_of_kind(hub_server, household, "sos")
    assert sos.source_name == button.name == "Wang household Call for help"

    # An alarm the home raises by itself (here a test) names the household's gateway.
    await hass.services.async_call("eldercare", "test", {}, blocking=True)
    test = await _alarm_of_kind(hub_server, household, "test")
    assert test.source_name == "Wang household"
