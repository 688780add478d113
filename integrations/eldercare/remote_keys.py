"""The keys of a Zigbee multi-key remote as ZHA knows them, and what the installer set each to.

ZHA tells a remote's keys apart by the endpoint its `zha_event` comes from (a Tuya TS0044
sends key 2's press from endpoint 2); its quirk lists them as device triggers ("button_2" on
endpoint 2). A device with two or more such keys can be a service remote.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from gateway.remote_keys import BadKeyJob, KeyJob, default_jobs, parse_key_map

_LOGGER = logging.getLogger(__name__)

# Options: device id -> {"1": "sos", "2": "repair", ...}; {} = not a service remote.
OPTION_REMOTE_KEYS: Final = "remote_keys"
_BUTTON = re.compile(r"button_(\d+)")
# A remote named for its job ("生活服务遥控器", "Service remote") starts on the default keys.
_SERVICE_WORDS = ("service", "服务")


def key_endpoints(hass: HomeAssistant, device: dr.DeviceEntry) -> dict[int, int]:
    """Endpoint -> key number of a multi-key remote; empty for any other device (or while
    ZHA does not know it)."""
    triggers = _zha_triggers(hass, device)
    keys: dict[int, int] = {}
    for (_kind, subtype), trigger in triggers.items():
        match = _BUTTON.fullmatch(str(subtype))
        endpoint = trigger.get("endpoint_id")
        if match and isinstance(endpoint, int):
            keys[endpoint] = int(match.group(1))
    return keys if len(set(keys.values())) >= 2 else {}


def _zha_triggers(hass: HomeAssistant, device: dr.DeviceEntry) -> Mapping[Any, Any]:
    ieee = next((value for kind, value in device.connections if kind == dr.CONNECTION_ZIGBEE), None)
    if ieee is None or "zha" not in hass.config.components:
        return {}
    try:
        from homeassistant.components.zha.helpers import get_zha_gateway  # noqa: PLC0415
        from zigpy.types import EUI64  # noqa: PLC0415

        zha_device = get_zha_gateway(hass).devices.get(EUI64.convert(ieee))
    except (ValueError, KeyError):  # ZHA not set up (yet)
        return {}
    if zha_device is None:
        return {}
    triggers: Mapping[Any, Any] = zha_device.device_automation_triggers
    return triggers


def names_a_service_remote(labels: tuple[str, ...]) -> bool:
    return any(word in label.casefold() for label in labels for word in _SERVICE_WORDS)


def jobs_of(
    device: dr.DeviceEntry, keys: dict[int, int], stored: Mapping[str, str] | None
) -> tuple[dict[int, KeyJob], bool] | None:
    """The remote's job per key and whether they were inferred, or None when the device is not
    a service remote: the installer's choice first, else its name says it is one."""
    if stored is not None:
        try:
            return parse_key_map(stored), False
        except (BadKeyJob, ValueError):
            _LOGGER.warning("Ignoring the stored key map of %s: %s", device.id, stored)
            return None
    labels = (device.name_by_user or "", device.name or "")
    if keys and names_a_service_remote(labels):
        return default_jobs(sorted(set(keys.values()))), True
    return None
