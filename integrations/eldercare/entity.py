"""Base entity: every eldercare entity belongs to the household's gateway device."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription

from .const import DOMAIN
from .runtime import EldercareRuntime


class EldercareEntity(Entity):
    _attr_has_entity_name = True

    def __init__(self, runtime: EldercareRuntime, description: EntityDescription) -> None:
        self.runtime = runtime
        self.entity_description = description
        gateway_id = runtime.credentials.gateway_id
        self._attr_unique_id = f"{gateway_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, gateway_id)},
            name=runtime.credentials.household_name,
            manufacturer="Eldercare Gateway",
            model="Home gateway",
            configuration_url=runtime.credentials.hub_url,
        )
