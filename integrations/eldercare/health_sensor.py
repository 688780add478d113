"""Sensors of a health monitor: one per value it measures, and its battery.

A sensor's state carries the time the resident took the reading, as the device stamped it,
not the time it reached Home Assistant: a glucose meter synced in the evening must put the
morning's readings in the morning of the history graph.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfBloodGlucoseConcentration,
    UnitOfMass,
    UnitOfPressure,
    UnitOfTemperature,
)
from homeassistant.core import callback
from homeassistant.helpers import entity as entity_helper
from homeassistant.helpers.device_registry import CONNECTION_BLUETOOTH, DeviceInfo
from homeassistant.util import dt as dt_util

from gateway.health.profiles import MonitorProfile
from gateway.health.readings import HealthReading, Quantity
from gateway.health.vitals import KPA_TO_MMHG

from .const import DOMAIN
from .health_monitor import HealthMonitor

BEATS_PER_MINUTE = "bpm"

# HA's units for the UCUM units the readings carry.
_HA_UNITS: dict[str, str] = {
    "mm[Hg]": UnitOfPressure.MMHG,
    "/min": BEATS_PER_MINUTE,
    "%": PERCENTAGE,
    "mg/dL": UnitOfBloodGlucoseConcentration.MILLIGRAMS_PER_DECILITER,
    "mmol/L": UnitOfBloodGlucoseConcentration.MILLIMOLE_PER_LITER,
    "Cel": UnitOfTemperature.CELSIUS,
    "[degF]": UnitOfTemperature.FAHRENHEIT,
    "kg": UnitOfMass.KILOGRAMS,
    "[lb_av]": UnitOfMass.POUNDS,
    "kg/m2": "kg/m²",
}


@dataclass(frozen=True, kw_only=True)
class HealthSensorDescription(SensorEntityDescription):
    quantity: Quantity
    default_unit: str


def _description(
    quantity: Quantity, unit: str, device_class: SensorDeviceClass | None = None
) -> HealthSensorDescription:
    return HealthSensorDescription(
        key=quantity.value,
        translation_key=quantity.value,
        quantity=quantity,
        default_unit=unit,
        native_unit_of_measurement=_HA_UNITS[unit],
        device_class=device_class,
        state_class=SensorStateClass.MEASUREMENT,
    )


_PRESSURES = tuple(
    _description(q, "mm[Hg]")
    for q in (Quantity.SYSTOLIC, Quantity.DIASTOLIC, Quantity.MEAN_ARTERIAL)
)
_PULSE = _description(Quantity.PULSE, "/min")
SENSORS: dict[MonitorProfile, tuple[HealthSensorDescription, ...]] = {
    MonitorProfile.BLOOD_PRESSURE: (*_PRESSURES, _PULSE),
    MonitorProfile.PULSE_OXIMETER: (_description(Quantity.SPO2, "%"), _PULSE),
    MonitorProfile.GLUCOSE: (
        _description(Quantity.GLUCOSE, "mg/dL", SensorDeviceClass.BLOOD_GLUCOSE_CONCENTRATION),
    ),
    MonitorProfile.THERMOMETER: (
        _description(Quantity.TEMPERATURE, "Cel", SensorDeviceClass.TEMPERATURE),
    ),
    MonitorProfile.HEART_RATE: (_description(Quantity.HEART_RATE, "/min"),),
    MonitorProfile.SCALE: (
        _description(Quantity.WEIGHT, "kg", SensorDeviceClass.WEIGHT),
        _description(Quantity.BMI, "kg/m2"),
    ),
}
BATTERY = SensorEntityDescription(
    key="battery",
    device_class=SensorDeviceClass.BATTERY,
    native_unit_of_measurement=PERCENTAGE,
    state_class=SensorStateClass.MEASUREMENT,
    entity_category=EntityCategory.DIAGNOSTIC,
)


def monitor_sensors(monitor: HealthMonitor) -> list[MonitorEntity]:
    """One sensor per value the monitor's profile measures, and its battery."""
    descriptions = SENSORS[monitor.identity.profile]
    return [
        *(MeasurementSensor(monitor, description) for description in descriptions),
        BatterySensor(monitor, BATTERY),
    ]


def monitor_device_info(monitor: HealthMonitor) -> DeviceInfo:
    identity = monitor.identity
    return DeviceInfo(
        identifiers={(DOMAIN, identity.address)},
        connections={(CONNECTION_BLUETOOTH, identity.address)},
        name=identity.name,
        manufacturer=monitor.info.get("manufacturer"),
        model=monitor.info.get("model"),
        serial_number=monitor.info.get("serial"),
        sw_version=monitor.info.get("firmware"),
        hw_version=monitor.info.get("hardware"),
    )


class MonitorEntity(RestoreSensor):
    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, monitor: HealthMonitor, description: SensorEntityDescription) -> None:
        self.monitor = monitor
        self.entity_description = description
        self._attr_unique_id = f"{monitor.identity.address}_{description.key}"
        self._attr_device_info = monitor_device_info(monitor)

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(self.monitor.add_listener(self._readings))
        if self.registry_entry is not None and self.registry_entry.device_id:
            self.monitor.device_id = self.registry_entry.device_id

    @callback
    def _readings(self, readings: list[HealthReading]) -> None:
        raise NotImplementedError


class BatterySensor(MonitorEntity):
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self._attr_native_value = self.monitor.battery

    @callback
    def _readings(self, readings: list[HealthReading]) -> None:
        if self.monitor.battery != self._attr_native_value:
            self._attr_native_value = self.monitor.battery
            self.async_write_ha_state()


class MeasurementSensor(MonitorEntity):
    entity_description: HealthSensorDescription

    def __init__(self, monitor: HealthMonitor, description: HealthSensorDescription) -> None:
        super().__init__(monitor, description)
        self._measured_at: datetime | None = None
        self._attributes: dict[str, Any] = {}

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        return self._attributes

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        last = await self.async_get_last_sensor_data()
        state = await self.async_get_last_state()
        if last is not None and state is not None:
            self._attr_native_value = last.native_value
            self._attr_native_unit_of_measurement = last.native_unit_of_measurement
            self._attributes = {
                k: v for k, v in state.attributes.items() if k in _RESTORED_ATTRIBUTES
            }
            measured = dt_util.parse_datetime(str(self._attributes.get("measured_at", "")))
            self._measured_at = measured

    @callback
    def _readings(self, readings: list[HealthReading]) -> None:
        """Each reading newer than the one shown becomes a state, at its own time."""
        quantity = self.entity_description.quantity
        for reading in readings:
            observed = reading.value_of(quantity)
            if observed is None:
                continue
            if self._measured_at is not None and reading.measured_at < self._measured_at:
                continue  # an older record caught up: history at the care center, not here
            value, unit = observed.value, observed.unit
            if unit == "kPa":  # cuffs in kPa are shown like every other cuff
                value, unit = round(value * KPA_TO_MMHG), "mm[Hg]"
            # 165, not 165.0: a whole number is shown as the device shows it.
            self._attr_native_value = int(value) if float(value).is_integer() else value
            self._attr_native_unit_of_measurement = _HA_UNITS[unit]
            self._measured_at = reading.measured_at
            self._attributes = _attributes(reading)
            self.async_write_ha_state()

    @callback
    def _async_write_ha_state(self) -> None:
        measured_at = self._measured_at
        if measured_at is None:
            super()._async_write_ha_state()
            return
        with _state_time(min(measured_at, dt_util.utcnow()).timestamp()):
            super()._async_write_ha_state()


_RESTORED_ATTRIBUTES = frozenset(
    {"measured_at", "device_time", "flags", "irregular_pulse", "sequence", "resident"}
)


def _attributes(reading: HealthReading) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "measured_at": reading.measured_at.isoformat(),
        "device_time": reading.device_time,
        "flags": list(reading.flags),
        # The flag a family asks about first gets its own attribute for automations.
        "irregular_pulse": "irregular_pulse" in reading.flags,
    }
    if reading.sequence is not None:
        attributes["sequence"] = reading.sequence
    return attributes | reading.details


@contextmanager
def _state_time(timestamp: float) -> Iterator[None]:
    """Write a state stamped `timestamp`: HA's entity helper takes the state's time from its
    module clock, and offers no other way to give it the device's measurement time. The
    swap lasts one synchronous write inside the event loop, so nothing else sees it."""
    clock = entity_helper.timer
    entity_helper.timer = lambda: timestamp
    try:
        yield
    finally:
        entity_helper.timer = clock
