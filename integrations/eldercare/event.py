"""One event entity per alarm family: automations and the logbook see every alarm step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from gateway.alarms import AlarmAction, AlarmKind

from .const import EVENT_ALARM_RAISED, EVENT_ALARM_UPDATED
from .entity import EldercareEntity
from .runtime import EldercareConfigEntry

PARALLEL_UPDATES = 0

# What an event entity announces: the raise, and the steps people care about.
EVENT_TYPES = [
    "raised",
    AlarmAction.REPEATED.value,
    "cleared",
    AlarmAction.FAMILY_ACK.value,
    AlarmAction.FAMILY_UNANSWERED.value,
    AlarmAction.CANCELLED.value,
    AlarmAction.ACKNOWLEDGED.value,
    AlarmAction.DISPATCHED.value,
    AlarmAction.ON_SITE.value,
    AlarmAction.RESOLVED.value,
    AlarmAction.VALVE_CLOSED.value,
]


_DETAILS = ("source_name", "staff", "responder", "eta_minutes", "arrives_at")


@dataclass(frozen=True, kw_only=True)
class AlarmFamilyDescription(EventEntityDescription):
    kinds: frozenset[AlarmKind]


FAMILIES: tuple[AlarmFamilyDescription, ...] = (
    AlarmFamilyDescription(
        key="emergency_alarm",
        translation_key="emergency_alarm",
        kinds=frozenset({AlarmKind.SOS, AlarmKind.FALL}),
        event_types=EVENT_TYPES,
    ),
    AlarmFamilyDescription(
        key="hazard_alarm",
        translation_key="hazard_alarm",
        kinds=frozenset(
            {AlarmKind.FIRE, AlarmKind.GAS, AlarmKind.WATER_LEAK, AlarmKind.VALVE_FAILED}
        ),
        event_types=EVENT_TYPES,
    ),
    AlarmFamilyDescription(
        key="wellbeing_alarm",
        translation_key="wellbeing_alarm",
        kinds=frozenset({AlarmKind.VITALS, AlarmKind.INACTIVITY, AlarmKind.DOOR}),
        event_types=EVENT_TYPES,
    ),
    AlarmFamilyDescription(
        key="device_alarm",
        translation_key="device_alarm",
        kinds=frozenset(
            {AlarmKind.DEVICE_OFFLINE, AlarmKind.BATTERY_LOW, AlarmKind.LINK_LOST, AlarmKind.TEST}
        ),
        event_types=EVENT_TYPES,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EldercareConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    async_add_entities(AlarmFamilyEvent(entry.runtime_data, family) for family in FAMILIES)


class AlarmFamilyEvent(EldercareEntity, EventEntity):
    entity_description: AlarmFamilyDescription

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        for event_type in (EVENT_ALARM_RAISED, EVENT_ALARM_UPDATED):
            self.async_on_remove(self.hass.bus.async_listen(event_type, self._alarm_event))

    @callback
    def _alarm_event(self, event: Event[dict[str, Any]]) -> None:
        if AlarmKind(event.data["kind"]) not in self.entity_description.kinds:
            return
        change = event.data.get("change", "raised")
        if change not in EVENT_TYPES:
            return
        attributes = {
            "alarm_id": event.data["alarm_id"],
            "kind": event.data["kind"],
            "severity": event.data["severity"],
            "count": event.data["count"],
        }
        # Who raised it, or who is coming (a care-center step), when the event says.
        attributes |= {key: event.data[key] for key in _DETAILS if key in event.data}
        self._trigger_event(change, attributes)
        self.async_write_ha_state()
