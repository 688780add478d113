"""Virtual health monitors behind a virtual Bluetooth proxy, registered with the test HA's
real Bluetooth stack exactly as the demo's `virtual_ble_proxy` component registers it."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components import bluetooth
from homeassistant.core import HomeAssistant

from gateway.sim.ble.device import Timing
from gateway.sim.ble.household import VirtualBleHousehold
from gateway.sim.ble.proxy_client import VirtualProxy, connect_virtual_proxy
from gateway.sim.ble.proxy_server import ProxyServer, start_proxy_server


@dataclass
class BleWorld:
    devices: VirtualBleHousehold
    server: ProxyServer
    proxy: VirtualProxy

    async def stop(self) -> None:
        await self.proxy.async_close()
        await self.server.close()
        self.devices.close()


async def start_ble_world(hass: HomeAssistant) -> BleWorld:
    # The monitors' clocks show the home's wall time, as a resident sets them.
    devices = VirtualBleHousehold(
        time_zone=str(hass.config.time_zone), timing=Timing(linger_seconds=0.5)
    )
    server = await start_proxy_server(devices, 0, advert_interval=0.2)
    proxy = await connect_virtual_proxy(
        "127.0.0.1",
        server.port,
        lambda scanner, slots: bluetooth.async_register_scanner(
            hass, scanner, connection_slots=slots
        ),
    )
    return BleWorld(devices, server, proxy)
