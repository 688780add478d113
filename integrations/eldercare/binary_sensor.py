""" "Emergency active": on while any critical alarm of the household is open."""

from __future__ import annotations

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from gateway.alarms import Severity

from .entity import AlarmStateEntity
from .runtime import EldercareConfigEntry

PARALLEL_UPDATES = 0

EMERGENCY_ACTIVE = BinarySensorEntityDescription(
    key="emergency_active",
    translation_key="emergency_active",
    device_class=BinarySensorDeviceClass.SAFETY,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EldercareConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    async_add_entities([EmergencyActive(entry.runtime_data, EMERGENCY_ACTIVE)])


class EmergencyActive(AlarmStateEntity, BinarySensorEntity):
    @property
    def is_on(self) -> bool:
        return any(a.severity is Severity.CRITICAL for a in self.runtime.safety.open_alarms())
