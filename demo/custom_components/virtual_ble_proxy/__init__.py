"""Demo only: the simulator's virtual Bluetooth proxy, registered with HA's Bluetooth as an
ESPHome proxy would be, so the eldercare integration finds the simulated health monitors.

    virtual_ble_proxy:
      host: 127.0.0.1
      port: 8766

Keeps the connection: when the simulator is not up yet, or goes away, it tries again with
a growing pause (up to MAX_BACKOFF seconds).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import voluptuous as vol
from habluetooth import BaseHaRemoteScanner
from homeassistant.components import bluetooth
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from gateway.sim.ble.proxy_client import VirtualProxy, connect_virtual_proxy
from gateway.sim.ble.wire import DEFAULT_PORT, WireError

_LOGGER = logging.getLogger(__name__)

DOMAIN = "virtual_ble_proxy"
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 30.0

CONFIG_SCHEMA = vol.Schema(
    {
        DOMAIN: vol.Schema(
            {
                vol.Optional("host", default="127.0.0.1"): cv.string,
                vol.Optional("port", default=DEFAULT_PORT): cv.port,
            }
        )
    },
    extra=vol.ALLOW_EXTRA,
)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    conf = config.get(DOMAIN)
    if conf is None:
        return True
    # A background task: HA cancels it on shutdown, which closes the proxy.
    hass.async_create_background_task(
        _keep_connected(hass, conf["host"], conf["port"]), f"{DOMAIN} connection"
    )
    return True


async def _keep_connected(hass: HomeAssistant, host: str, port: int) -> None:
    def register(scanner: BaseHaRemoteScanner, slots: int) -> Callable[[], None]:
        return bluetooth.async_register_scanner(hass, scanner, connection_slots=slots)

    backoff = FIRST_BACKOFF
    while True:
        try:
            proxy: VirtualProxy = await connect_virtual_proxy(host, port, register)
        except (OSError, TimeoutError, ValueError, WireError) as err:
            _LOGGER.debug("No virtual Bluetooth proxy at %s:%s yet (%s)", host, port, err)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)
            continue
        backoff = FIRST_BACKOFF
        try:
            await proxy.wait_closed()
            _LOGGER.warning("Virtual Bluetooth proxy at %s:%s went away; reconnecting", host, port)
        finally:
            await proxy.async_close()
