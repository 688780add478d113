"""The virtual Bluetooth proxy through Home Assistant's real Bluetooth stack.

The simulator's proxy server runs on 127.0.0.1; its scanner is registered with HA's
`bluetooth.async_register_scanner` as ESPHome proxies are, and connections go through
habluetooth's client wrapper and bleak-retry-connector, as an integration's would. Only the
local radio adapter is mocked (the `enable_bluetooth` fixture).
"""

from __future__ import annotations

import asyncio
import importlib.util
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import bleak_retry_connector
import habluetooth
import pytest
from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak_retry_connector import establish_connection
from homeassistant.components import bluetooth
from homeassistant.core import HomeAssistant

from gateway.ble.battery import decode_battery_level
from gateway.ble.blood_pressure import decode_blood_pressure
from gateway.ble.device_info import decode_utf8_string
from gateway.ble.uuids import uuid16
from gateway.sim.ble.device import Timing, VirtualBleDevice
from gateway.sim.ble.devices import BLOOD_PRESSURE_MEASUREMENT, BLOOD_PRESSURE_SERVICE
from gateway.sim.ble.household import VirtualBleHousehold
from gateway.sim.ble.proxy_client import VirtualProxy, connect_virtual_proxy
from gateway.sim.ble.proxy_server import ProxyServer, start_proxy_server

pytestmark = pytest.mark.usefixtures("enable_bluetooth")

BATTERY_LEVEL = uuid16(0x2A19)
MANUFACTURER_NAME = uuid16(0x2A29)


@dataclass
class Rig:
    hass: HomeAssistant
    household: VirtualBleHousehold
    server: ProxyServer
    proxy: VirtualProxy

    async def connect(
        self, device: VirtualBleDevice, on_disconnect: Callable[[BleakClient], None]
    ) -> BleakClient:
        """What an integration does: the BLEDevice HA knows, then bleak-retry-connector with
        the client class HA's Bluetooth installed in it (looked up now, not at import)."""
        ble_device = bluetooth.async_ble_device_from_address(
            self.hass, device.address, connectable=True
        )
        assert ble_device is not None
        return await establish_connection(
            bleak_retry_connector.BleakClientWithServiceCache,
            ble_device,
            device.identity.name,
            disconnected_callback=on_disconnect,
            max_attempts=2,
        )


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 (HA's Bluetooth manager has no event for it)
            await asyncio.sleep(0.02)


@pytest.fixture
async def rig(hass: HomeAssistant, socket_enabled: None) -> AsyncIterator[Rig]:
    household = VirtualBleHousehold(timing=Timing(linger_seconds=0.3))
    server = await start_proxy_server(household, 0)
    proxy = await connect_virtual_proxy(
        "127.0.0.1",
        server.port,
        lambda scanner, slots: bluetooth.async_register_scanner(
            hass, scanner, connection_slots=slots
        ),
    )
    yield Rig(hass, household, server, proxy)
    await proxy.async_close()
    await server.close()
    household.close()
    await hass.async_block_till_done()


def _discovered(hass: HomeAssistant, address: str) -> bluetooth.BluetoothServiceInfoBleak | None:
    return next(
        (i for i in bluetooth.async_discovered_service_info(hass) if i.address == address), None
    )


async def test_a_measured_cuff_is_discovered_and_its_indication_decodes(rig: Rig) -> None:
    hass, cuff = rig.hass, rig.household.bp
    matched: list[bluetooth.BluetoothServiceInfoBleak] = []
    cancel = bluetooth.async_register_callback(
        hass,
        lambda info, _change: matched.append(info),
        bluetooth.BluetoothCallbackMatcher(service_uuid=BLOOD_PRESSURE_SERVICE),
        bluetooth.BluetoothScanningMode.ACTIVE,
    )
    assert bluetooth.async_scanner_count(hass, connectable=True) >= 1
    assert _discovered(hass, cuff.address) is None  # asleep until it has a reading

    taken = cuff.measure(systolic=165, diastolic=100, pulse=92, irregular=True)
    await until(lambda: _discovered(hass, cuff.address) is not None)
    info = _discovered(hass, cuff.address)
    assert info is not None
    assert BLOOD_PRESSURE_SERVICE in info.service_uuids
    assert info.name == "SIM-BPM"
    assert info.connectable
    assert info.source == rig.proxy.source
    await until(lambda: bool(matched))
    assert matched[0].address == cuff.address
    cancel()

    dropped = asyncio.Event()
    client = await rig.connect(cuff, lambda _client: dropped.set())
    assert client.is_connected
    assert client.services.get_service(BLOOD_PRESSURE_SERVICE) is not None
    assert decode_battery_level(await client.read_gatt_char(BATTERY_LEVEL)) == cuff.battery
    manufacturer = decode_utf8_string(await client.read_gatt_char(MANUFACTURER_NAME))
    assert manufacturer == cuff.identity.manufacturer

    received: list[bytes] = []

    def indicated(_char: BleakGATTCharacteristic, data: bytearray) -> None:
        received.append(bytes(data))

    await client.start_notify(BLOOD_PRESSURE_MEASUREMENT, indicated)
    await until(lambda: bool(received))
    assert decode_blood_pressure(received[0]) == taken
    # Transfer done: the cuff hangs up by itself, and the client hears of it.
    async with asyncio.timeout(5):
        await dropped.wait()
    assert not client.is_connected
    assert not cuff.pending


async def test_drop_mid_transfer_reaches_the_disconnected_callback(rig: Rig) -> None:
    cuff = rig.household.bp
    cuff.measure(140, 90, pulse=70)
    cuff.measure(150, 95, pulse=75)
    cuff.drop_after(1)
    await until(lambda: _discovered(rig.hass, cuff.address) is not None)

    dropped = asyncio.Event()
    client = await rig.connect(cuff, lambda _client: dropped.set())
    received: list[bytes] = []
    await client.start_notify(
        BLOOD_PRESSURE_MEASUREMENT, lambda _char, data: received.append(bytes(data))
    )
    async with asyncio.timeout(5):
        await dropped.wait()
    assert [decode_blood_pressure(r).systolic for r in received] == [140]
    assert not client.is_connected
    assert len(cuff.pending) == 1
    assert cuff.advertising

    again = asyncio.Event()
    client = await rig.connect(cuff, lambda _client: again.set())
    received.clear()
    await client.start_notify(
        BLOOD_PRESSURE_MEASUREMENT, lambda _char, data: received.append(bytes(data))
    )
    async with asyncio.timeout(5):
        await again.wait()
    assert [decode_blood_pressure(r).systolic for r in received] == [150]


async def test_connection_slots_are_reported_to_home_assistant(rig: Rig) -> None:
    hass, cuff = rig.hass, rig.household.bp
    cuff.measure(120, 80)
    await until(lambda: _discovered(hass, cuff.address) is not None)

    def free() -> int:
        # What HA's Bluetooth panel shows (websocket bluetooth/subscribe_connection_allocations).
        allocations = habluetooth.get_manager().async_current_allocations(rig.proxy.source)
        assert allocations is not None
        return allocations[0].free

    assert free() == 3
    client = await rig.connect(cuff, lambda _client: None)
    await until(lambda: free() == 2)
    await client.disconnect()
    await until(lambda: free() == 3)
    assert not cuff.connected


async def test_the_simulator_going_away_drops_links_and_the_scanner(rig: Rig) -> None:
    hass, scale = rig.hass, rig.household.scale
    scale.measure(62.5)
    await until(lambda: _discovered(hass, scale.address) is not None)
    scanners = bluetooth.async_scanner_count(hass, connectable=True)
    dropped = asyncio.Event()
    client = await rig.connect(scale, lambda _client: dropped.set())

    await rig.server.close()
    async with asyncio.timeout(5):
        await dropped.wait()
        await rig.proxy.wait_closed()
    assert not client.is_connected
    assert bluetooth.async_scanner_count(hass, connectable=True) == scanners - 1


def _demo_component() -> ModuleType:
    """demo/custom_components/virtual_ble_proxy, loaded from its file (the tests' own
    custom_components package is integrations/)."""
    path = Path(__file__).parents[2] / "demo/custom_components/virtual_ble_proxy/__init__.py"
    spec = importlib.util.spec_from_file_location("virtual_ble_proxy_demo", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_demo_component_waits_for_the_simulator_and_reconnects(
    hass: HomeAssistant, socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    component = _demo_component()
    monkeypatch.setattr(component, "FIRST_BACKOFF", 0.05)
    household = VirtualBleHousehold()
    server = ProxyServer(household)
    with socket.socket() as probe:  # a free port, the simulator not listening yet
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = component.CONFIG_SCHEMA({"virtual_ble_proxy": {"port": port}})
    before = bluetooth.async_scanner_count(hass, connectable=True)
    assert await component.async_setup(hass, config)
    await asyncio.sleep(0.2)
    assert bluetooth.async_scanner_count(hass, connectable=True) == before

    await server.start(port)
    await until(lambda: bluetooth.async_scanner_count(hass, connectable=True) == before + 1)
    await server.close()
    await until(lambda: bluetooth.async_scanner_count(hass, connectable=True) == before)
    server = ProxyServer(household)
    await server.start(port)
    await until(lambda: bluetooth.async_scanner_count(hass, connectable=True) == before + 1)
    household.thermometer.measure(38.6)
    await until(lambda: _discovered(hass, household.thermometer.address) is not None)
    await hass.async_stop()  # cancels the component's task, which closes the proxy
    await server.close()
    household.close()
