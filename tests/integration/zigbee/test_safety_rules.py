"""The always-on rules on real ZHA: the simulated detectors, buttons and valve, end to end
to the care-center hub."""

from __future__ import annotations

import asyncio
import time

from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from gateway.alarms import AlarmKind
from gateway.safety.roles import Role

from ...conftest import RunningHub
from .conftest import SimulatedZigbee, wait_for

STATUS = "sensor.wang_household_alarm_status"


async def _alarms_at_hub(hub: RunningHub, count: int, timeout: float = 5.0) -> list:
    async with asyncio.timeout(timeout):
        while len(alarms := await hub.open_alarms()) < count:  # noqa: ASYNC110 (polls the hub)
            await asyncio.sleep(0.05)
    return alarms


def _history(entry: MockConfigEntry, kind: str) -> list[str]:
    alarm = entry.runtime_data.safety.engine.book.open_of_kind(AlarmKind(kind))
    return [h.action.value for h in alarm.history] if alarm else []


async def test_gas_closes_the_valve_verified_by_its_report_and_alarms_the_hub(
    zigbee: SimulatedZigbee, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    hass, home = zigbee.hass, zigbee.household
    home.valve.close_seconds = 0.5
    await zigbee.permit_joins()
    await zigbee.join(home.gas)
    await zigbee.join(home.valve)
    await wait_for(hass, lambda: home.gas.enrolled, timeout=10)
    inventory = enrolled_entry.runtime_data.safety.inventory
    assert {m.role for m in inventory.entities.values()} >= {Role.GAS, Role.GAS_VALVE}

    started = time.monotonic()
    home.gas.set_alarm(True)
    await wait_for(hass, lambda: not home.valve.is_open, timeout=3)
    assert time.monotonic() - started < 2  # frame -> ZHA -> rule -> command -> 0.5 s travel
    # Closure is confirmed only from the valve's own report at the end of its travel.
    await wait_for(hass, lambda: "valve_closed" in _history(enrolled_entry, "gas"), timeout=5)
    assert hass.states.get(STATUS).state == "gas"
    (alarm,) = await _alarms_at_hub(hub_server, 1)
    assert (alarm.kind, alarm.severity) == ("gas", "critical")


async def test_jammed_valve_is_retried_then_raises_valve_failed(
    zigbee: SimulatedZigbee, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    hass, home = zigbee.hass, zigbee.household
    home.valve.close_seconds = 0.2
    home.valve.jammed = True
    hass.config_entries.async_update_entry(
        enrolled_entry, options={**enrolled_entry.options, "valve_window": 2}
    )
    await hass.async_block_till_done()
    await zigbee.permit_joins()
    await zigbee.join(home.gas)
    await zigbee.join(home.valve)
    await wait_for(hass, lambda: home.gas.enrolled, timeout=10)
    home.gas.set_alarm(True)
    await wait_for(hass, lambda: "valve_retry" in _history(enrolled_entry, "gas"), timeout=4)
    book = enrolled_entry.runtime_data.safety.engine.book
    await wait_for(hass, lambda: book.open_of_kind(AlarmKind.VALVE_FAILED) is not None, timeout=4)
    assert home.valve.is_open
    kinds = {a.kind for a in await _alarms_at_hub(hub_server, 2)}
    assert kinds == {"gas", "valve_failed"}
    assert "valve_closed" not in _history(enrolled_entry, "gas")
    assert er.async_get(hass) is not None
