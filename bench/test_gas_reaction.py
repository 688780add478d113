"""Gas detector state change -> valve close command issued: our rule beside a YAML automation.

Both run in the same Home Assistant, on their own detector and valve, interleaved run by run,
so they share every condition. Time is taken from just before the detector's state is written
to the moment the valve's `switch.turn_off` handler starts (the command leaving for the radio).
The valve's handler then reports "off", as the real valve does, so each run starts clean.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from bench.stats import percentile

RUNS = 300
VALVE = {"friendly_name": "gas valve"}
OURS = ("binary_sensor.kitchen_gas", "switch.kitchen_gas_valve")
YAML = ("binary_sensor.yaml_gas", "switch.yaml_gas_valve")


def _reported_off(hass: HomeAssistant, valve: str) -> bool:
    state = hass.states.get(valve)
    return state is not None and state.state == "off"


async def test_gas_to_valve_command(hass: HomeAssistant, enrolled_entry: MockConfigEntry) -> None:
    issued: dict[str, float] = {}

    async def turn_off(call: ServiceCall) -> None:
        targets = call.data["entity_id"]
        for entity_id in [targets] if isinstance(targets, str) else targets:
            issued.setdefault(entity_id, time.perf_counter())
            # The valve reports "closed" when its motor stops, after the command returned.
            hass.loop.call_later(0.002, hass.states.async_set, entity_id, "off", VALVE)

    hass.services.async_register("switch", "turn_off", turn_off)
    for detector, valve in (OURS, YAML):
        hass.states.async_set(detector, "off", {"device_class": "gas"})
        hass.states.async_set(valve, "on", VALVE)
    await hass.async_block_till_done()
    # The YAML pair is the automation's alone.
    hass.config_entries.async_update_entry(
        enrolled_entry,
        options={**enrolled_entry.options, "roles": {YAML[0]: "none", YAML[1]: "none"}},
    )
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "alias": "Close the gas valve on gas",
                "triggers": [{"trigger": "state", "entity_id": YAML[0], "to": "on"}],
                "actions": [{"action": "switch.turn_off", "target": {"entity_id": YAML[1]}}],
            }
        },
    )
    await hass.async_block_till_done()

    latencies: dict[str, list[float]] = {"eldercare": [], "yaml": []}
    for _ in range(RUNS):
        for name, (detector, valve) in (("eldercare", OURS), ("yaml", YAML)):
            hass.states.async_set(valve, "on", VALVE)
            issued.pop(valve, None)
            started = time.perf_counter()
            hass.states.async_set(detector, "on", {"device_class": "gas"})
            await hass.async_block_till_done()
            assert valve in issued, f"{name}: no close command"
            latencies[name].append((issued[valve] - started) * 1000)
            hass.states.async_set(detector, "off", {"device_class": "gas"})
            while not _reported_off(hass, valve):  # noqa: ASYNC110 (the valve's report)
                await asyncio.sleep(0.001)
            await hass.async_block_till_done()
        assert not enrolled_entry.runtime_data.safety.valve_state().closing
        await hass.services.async_call("eldercare", "resolve", {}, blocking=True)

    print()
    print(f"gas-to-valve: detector state change -> valve close command, {RUNS} runs each")
    for name, values in latencies.items():
        print(
            f"  {name:<9} p50 {statistics.median(values):.3f} ms   "
            f"p99 {percentile(values, 0.99):.3f} ms   max {max(values):.3f} ms"
        )
    ours, yaml = (statistics.median(latencies[n]) for n in ("eldercare", "yaml"))
    assert ours <= yaml, "the built-in rule must not be slower than a YAML automation"
