"""Demo only: the names an installer gives the household's Zigbee devices in Home Assistant.

    demo_installer:
      names:
        "00:0d:6f:00:0e:c1:00:07": 厨房燃气阀

A real install names each device as it pairs ("厨房燃气阀", not ZHA's `_TZ3000_gasvalve
TS0001-GV`), and those names are what the household, the dispatch screen and the family see.
The demo's simulated devices pair by themselves, so this does the installer's part: a device
with one of these IEEE addresses gets its name when it appears, unless someone named it
already (a name the person trying the demo gives wins, and is kept).
"""

from __future__ import annotations

import voluptuous as vol
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.typing import ConfigType

DOMAIN = "demo_installer"
CONFIG_SCHEMA = vol.Schema(
    {DOMAIN: vol.Schema({vol.Required("names"): {cv.string: cv.string}})},
    extra=vol.ALLOW_EXTRA,
)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    names = {ieee.lower(): name for ieee, name in config[DOMAIN]["names"].items()}
    registry = dr.async_get(hass)

    @callback
    def name(device: dr.DeviceEntry) -> None:
        if device.name_by_user:
            return
        for kind, address in device.connections:
            if kind == dr.CONNECTION_ZIGBEE and address.lower() in names:
                registry.async_update_device(device.id, name_by_user=names[address.lower()])
                return

    @callback
    def created(event: Event[dr.EventDeviceRegistryUpdatedData]) -> None:
        if event.data["action"] == "create":
            device = registry.async_get(event.data["device_id"])
            if device is not None:
                name(device)

    hass.bus.async_listen(dr.EVENT_DEVICE_REGISTRY_UPDATED, created)
    for device in list(registry.devices.values()):
        name(device)
    return True
