"""Base entity: every eldercare entity belongs to the household's gateway device."""

from __future__ import annotations

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity, EntityDescription

from .const import DOMAIN, signal_alarms_changed
from .runtime import EldercareRuntime


class EldercareEntity(Entity):
    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, runtime: EldercareRuntime, description: EntityDescription) -> None:
        self.runtime = runtime
        self.entity_description = description
        identity = runtime.identity
        self._attr_unique_id = f"{identity}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, identity)},
            name=runtime.credentials.household_name,
            manufacturer="Eldercare Gateway",
            model="Home gateway",
            configuration_url=runtime.credentials.hub_url,
        )


class AlarmStateEntity(EldercareEntity):
    """An entity whose state follows the household's alarm book."""

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        entry_id = self.runtime.safety.entry_id
        self.async_on_remove(
            async_dispatcher_connect(self.hass, signal_alarms_changed(entry_id), self._changed)
        )

    @callback
    def _changed(self) -> None:
        self.async_write_ha_state()


class LinkStateEntity(EldercareEntity):
    """An entity whose state follows the care-center link (state, heartbeat, outbox)."""

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        link = self.runtime.link
        self.async_on_remove(link.add_state_listener(lambda _state: self._changed()))
        self.async_on_remove(link.add_status_listener(self._changed))

    @callback
    def _changed(self) -> None:
        self.async_write_ha_state()
