"""Real ZHA in a test Home Assistant, on the simulated deCONZ radio with a virtual household."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import zigpy.topology
import zigpy_deconz.zigbee.application as deconz_application
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from gateway.sim.deconz_radio import DeconzRadio
from gateway.sim.device import VirtualDevice
from gateway.sim.household import VirtualHousehold


@dataclass
class SimulatedZigbee:
    hass: HomeAssistant
    household: VirtualHousehold
    radio: DeconzRadio
    entry: MockConfigEntry

    async def permit_joins(self) -> None:
        await self.hass.services.async_call("zha", "permit", {"duration": 60}, blocking=True)

    async def join(self, device: VirtualDevice, timeout: float = 20) -> dr.DeviceEntry:
        """Join one device and wait until ZHA has interviewed and configured it."""
        device.join()
        registry = dr.async_get(self.hass)
        ieee = str(device.eui64)
        async with asyncio.timeout(timeout):
            while True:
                await self.hass.async_block_till_done()
                entry = registry.async_get_device(connections={(dr.CONNECTION_ZIGBEE, ieee)})
                if entry is not None and entry.model == device.model and self._has_states(entry):
                    await _settle(self.hass)
                    return entry
                await asyncio.sleep(0.05)

    async def settle(self) -> None:
        """Let frames in flight reach ZHA (socket I/O needs a few loop turns)."""
        await _settle(self.hass)

    def _has_states(self, device: dr.DeviceEntry) -> bool:
        entities = er.async_entries_for_device(er.async_get(self.hass), device.id)
        return bool(entities) and all(
            self.hass.states.get(entity.entity_id) is not None
            for entity in entities
            if not entity.disabled
        )


async def _settle(hass: HomeAssistant) -> None:
    for _ in range(5):
        await asyncio.sleep(0.05)
        await hass.async_block_till_done()


async def wait_for(
    hass: HomeAssistant, condition: Callable[[], bool], timeout: float = 1.0
) -> None:
    """Wait until `condition` holds; the issue's bar is states following frames within 1 s."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 (state changes have no single event)
            await asyncio.sleep(0.02)


@pytest.fixture
async def zigbee(
    hass: HomeAssistant, tmp_path: Path, socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[SimulatedZigbee]:
    # Pauses that real firmware needs between network state changes and topology requests;
    # the emulator answers at once, so the tests skip them (behaviour is unchanged).
    monkeypatch.setattr(deconz_application, "CHANGE_NETWORK_STATE_DELAY", 0)
    monkeypatch.setattr(zigpy.topology, "REQUEST_DELAY", (0, 0))
    household = VirtualHousehold()
    radio = DeconzRadio(household.air, tmp_path / "radio.json")
    port = await radio.start()
    entry = MockConfigEntry(
        domain="zha",
        version=5,
        data={
            "device": {
                "path": f"socket://127.0.0.1:{port}",
                "baudrate": 115200,
                "flow_control": None,
            },
            "radio_type": "deconz",
        },
        options={},
        title="Simulated ConBee II",
    )
    entry.add_to_hass(hass)
    try:
        # ZHA's database defaults to the shared test config dir; each test gets its own.
        zha_config = {"zha": {"database_path": str(tmp_path / "zigbee.db")}}
        assert await async_setup_component(hass, "zha", zha_config)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        yield SimulatedZigbee(hass, household, radio, entry)
    finally:
        household.close()
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
        await radio.stop()
