"""Sensors of the household: what the alarm status is now, and how many alarms there are."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from gateway.alarms import AlarmKind
from gateway.link import LinkState

from .entity import AlarmStateEntity, LinkStateEntity
from .entries import is_monitor
from .health_sensor import async_setup_monitor_sensors
from .runtime import EldercareConfigEntry, EldercareRuntime

PARALLEL_UPDATES = 0
IDLE = "idle"


def _status(runtime: EldercareRuntime) -> str:
    alarms = runtime.safety.open_alarms()
    return alarms[0].kind.value if alarms else IDLE


def _status_attributes(runtime: EldercareRuntime) -> dict[str, Any]:
    alarms = runtime.safety.open_alarms()
    if not alarms:
        return {}
    top = alarms[0]
    return {
        "alarm_id": top.id,
        "severity": top.severity.value,
        "lifecycle": top.state.value,
        "raised_at": top.raised_at.isoformat(),
        "count": top.count,
        "cleared": top.cleared_at is not None,
        "family_acknowledged_by": top.family.acked_by,
        "open_alarms": [a.kind.value for a in alarms],
    }


@dataclass(frozen=True, kw_only=True)
class EldercareSensorDescription(SensorEntityDescription):
    value_fn: Callable[[EldercareRuntime], str | int | datetime | None]
    attributes_fn: Callable[[EldercareRuntime], dict[str, Any]] = lambda _: {}


SENSORS: tuple[EldercareSensorDescription, ...] = (
    EldercareSensorDescription(
        key="alarm_status",
        translation_key="alarm_status",
        device_class=SensorDeviceClass.ENUM,
        options=[IDLE, *(kind.value for kind in AlarmKind)],
        value_fn=_status,
        attributes_fn=_status_attributes,
    ),
    EldercareSensorDescription(
        key="open_alarms",
        translation_key="open_alarms",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda runtime: len(runtime.safety.open_alarms()),
    ),
    EldercareSensorDescription(
        key="alarms_raised",
        translation_key="alarms_raised",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda runtime: runtime.safety.engine.book.raised_total,
    ),
)


# The care-center link, for the installer and for automations ("tell me when the home is cut
# off"): diagnostic entities that follow the link's own notifications.
LINK_SENSORS: tuple[EldercareSensorDescription, ...] = (
    EldercareSensorDescription(
        key="hub_link",
        translation_key="hub_link",
        device_class=SensorDeviceClass.ENUM,
        entity_category=EntityCategory.DIAGNOSTIC,
        options=[state.value for state in LinkState],
        value_fn=lambda runtime: runtime.link.state.value,
    ),
    EldercareSensorDescription(
        key="last_heartbeat",
        translation_key="last_heartbeat",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda runtime: runtime.link.last_heartbeat,
    ),
    EldercareSensorDescription(
        key="outbox_depth",
        translation_key="outbox_depth",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda runtime: runtime.link.outbox_depth,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EldercareConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    if is_monitor(entry):
        await async_setup_monitor_sensors(hass, entry, async_add_entities)
        return
    runtime = entry.runtime_data
    async_add_entities(EldercareSensor(runtime, description) for description in SENSORS)
    async_add_entities(LinkSensor(runtime, description) for description in LINK_SENSORS)


class EldercareSensor(AlarmStateEntity, SensorEntity):
    entity_description: EldercareSensorDescription

    @property
    def native_value(self) -> str | int | datetime | None:
        return self.entity_description.value_fn(self.runtime)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        return self.entity_description.attributes_fn(self.runtime)


class LinkSensor(LinkStateEntity, SensorEntity):
    entity_description: EldercareSensorDescription

    @property
    def native_value(self) -> str | int | datetime | None:
        return self.entity_description.value_fn(self.runtime)
