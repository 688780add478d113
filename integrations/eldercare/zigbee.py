"""What only ZHA can tell or do for supervision: when a Zigbee device was last heard, and
asking it to report often enough to be heard within the supervision window.

ZHA itself marks a battery device unavailable only after 6 hours; a life-safety device must be
missed within minutes, so we read zigpy's own `last_seen` (every frame counts).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr

if TYPE_CHECKING:
    import zigpy.device

_LOGGER = logging.getLogger(__name__)

# Clusters and attributes whose periodic report proves a device alive.
_HEARTBEAT_ATTRIBUTES = (
    ("on_off", "on_off"),
    ("power", "battery_percentage_remaining"),
)


class _ZhaDevice(Protocol):
    """What we use of ZHA's device (zha.zigbee.device.Device): the zha library ships no type
    information, so mypy sees its gateway and devices as Any."""

    @property
    def last_seen(self) -> float | None: ...

    @property
    def device(self) -> zigpy.device.Device: ...


def _zha_device(hass: HomeAssistant, device: dr.DeviceEntry) -> _ZhaDevice | None:
    ieee = next((value for kind, value in device.connections if kind == dr.CONNECTION_ZIGBEE), None)
    if ieee is None or "zha" not in hass.config.components:
        return None
    try:
        from homeassistant.components.zha.helpers import get_zha_gateway  # noqa: PLC0415
        from zigpy.types import EUI64  # noqa: PLC0415

        zha_device: _ZhaDevice | None = get_zha_gateway(hass).devices.get(EUI64.convert(ieee))
        return zha_device
    except (ValueError, KeyError):  # ZHA not set up (yet)
        return None


def last_heard(hass: HomeAssistant, device: dr.DeviceEntry) -> datetime | None:
    zha_device = _zha_device(hass, device)
    if zha_device is None or zha_device.last_seen is None:
        return None
    return datetime.fromtimestamp(zha_device.last_seen, UTC)


async def configure_heartbeat(hass: HomeAssistant, device: dr.DeviceEntry, seconds: int) -> bool:
    """Ask the device to report at least every `seconds`; True when it agreed."""
    zha_device = _zha_device(hass, device)
    if zha_device is None:
        return False
    for endpoint_id, endpoint in zha_device.device.endpoints.items():
        if endpoint_id == 0:
            continue  # ZDO
        for cluster_name, attribute in _HEARTBEAT_ATTRIBUTES:
            cluster = getattr(endpoint, cluster_name, None)
            if cluster is None:
                continue
            try:
                await cluster.configure_reporting(attribute, 30, seconds, 1)
            except Exception as err:
                _LOGGER.debug("Reporting not configured on %s: %s", device.id, err)
                return False
            return True
    return False


_ARM_SERVICES = {
    "armed_home": "alarm_arm_home",
    "armed_away": "alarm_arm_away",
    "armed_night": "alarm_arm_night",
}


async def rearm_panel(hass: HomeAssistant, entity_id: str, before: str | None) -> None:
    """Disarm ZHA's panel of a fob with ZHA's own master code, then arm it as it was before
    the SOS key, so the fob's next press is a new change HA can see."""
    try:
        from homeassistant.components.zha.helpers import get_zha_gateway  # noqa: PLC0415

        code = get_zha_gateway(hass).config.config.alarm_control_panel_options.master_code
    except (ValueError, KeyError):
        return  # ZHA is going away
    target = {ATTR_ENTITY_ID: entity_id, "code": code}
    try:
        await hass.services.async_call("alarm_control_panel", "alarm_disarm", target, blocking=True)
        if before in _ARM_SERVICES:
            await hass.services.async_call(
                "alarm_control_panel", _ARM_SERVICES[before], target, blocking=True
            )
    except HomeAssistantError as err:
        _LOGGER.warning("Could not reset the panel %s after its SOS: %s", entity_id, err)
