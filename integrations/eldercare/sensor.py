"""Sensors of the household: what the alarm status is now, how many alarms there are, and its
open service requests (service_sensor.py)."""

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
from gateway.safety.book import Alarm, AlarmState, CareResponse
from gateway.safety.care_response import responding_alarm, response_summary

from .entity import AlarmStateEntity, LinkStateEntity
from .health_sensor import monitor_sensors
from .runtime import EldercareConfigEntry, EldercareRuntime
from .service_sensor import OPEN_SERVICE_REQUESTS, OpenServiceRequestsSensor

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


def _responding(runtime: EldercareRuntime) -> Alarm | None:
    return responding_alarm(runtime.safety.open_alarms())


def _response(runtime: EldercareRuntime) -> str:
    """Where the care center's response stands, in the household's language."""
    alarm = _responding(runtime)
    state = alarm.state.value if alarm is not None else None
    response = alarm.response if alarm is not None else None
    return response_summary(state, response, runtime.hass.config.language)


def _response_attributes(runtime: EldercareRuntime) -> dict[str, Any]:
    alarm = _responding(runtime)
    if alarm is None:
        return {}
    response = alarm.response or CareResponse()
    return {
        "alarm_id": alarm.id,
        "kind": alarm.kind.value,
        "lifecycle": alarm.state.value,
        "staff": response.staff or None,
        "responder": response.responder or None,
        "eta_minutes": response.eta_minutes,
        "dispatched_at": _iso(response.dispatched_at),
        "arrives_at": _iso(response.arrives_at),
        "on_site_at": _iso(response.on_site_at),
    }


def _arrival(runtime: EldercareRuntime) -> datetime | None:
    """When help should be there: only while it is on the way."""
    alarm = _responding(runtime)
    if alarm is None or alarm.state is not AlarmState.DISPATCHED or alarm.response is None:
        return None
    return alarm.response.arrives_at


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


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
    # Who is coming, as the family page shows it: "社区护士 刘芳，约 8 分钟".
    EldercareSensorDescription(
        key="care_response",
        translation_key="care_response",
        value_fn=_response,
        attributes_fn=_response_attributes,
    ),
    EldercareSensorDescription(
        key="help_arrival",
        translation_key="help_arrival",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=_arrival,
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
        value_fn=lambda runtime: runtime.safety.raised_total,
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
    runtime = entry.runtime_data
    async_add_entities(EldercareSensor(runtime, description) for description in SENSORS)
    async_add_entities(LinkSensor(runtime, description) for description in LINK_SENSORS)
    async_add_entities([OpenServiceRequestsSensor(runtime, OPEN_SERVICE_REQUESTS)])
    # Each health monitor's sensors belong to its subentry (and its own device).
    runtime.monitors.set_entity_adder(
        lambda monitor: async_add_entities(
            monitor_sensors(monitor), config_subentry_id=monitor.subentry.subentry_id
        )
    )


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
