"""A new health reading, handed to the household: the safety engine judges it against the
resident's thresholds, and each value goes to the care center as a `vital`.

The outbox keeps the vitals on disk until the hub acks them; the engine's verdict does not
wait for the network, so an out-of-range reading alarms the family with the link down.
"""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util

from gateway.health.readings import HealthReading
from gateway.health.vitals import vital_observations
from gateway.link import HubLink
from gateway.protocol import MessageType, vital_body
from gateway.safety.observations import Activity, Observation, VitalReading
from gateway.ulid import new_ulid

from .health_monitor import HealthMonitor


class VitalsDelivery:
    """Hands a monitor's readings to the household it belongs to: built with the household's
    care-center link and its safety controller's `observe`, both running while monitors run."""

    def __init__(self, link: HubLink, observe: Callable[[Observation], object]) -> None:
        self._link = link
        self._observe = observe

    def __call__(self, monitor: HealthMonitor, reading: HealthReading) -> bool:
        resident = monitor.resident
        device = monitor.device_id or monitor.identity.address
        name = _monitor_name(monitor)
        reading_id = new_ulid()
        current = reading.is_current(dt_util.utcnow())
        for observation in vital_observations(reading):
            self._link.send(
                MessageType.VITAL,
                vital_body(
                    code=observation.code,
                    value=observation.value,
                    unit=observation.unit,
                    measured_at=reading.measured_at,
                    device=device,
                    resident=resident,
                    flags=reading.flags,
                    reading=reading_id,
                ),
            )
            # A reading the device itself doubts (sensor fault, demonstration data) is
            # recorded, but never rings the family's phones.
            # An old record (a meter synced days later) is history, not an emergency now.
            if observation.sign is not None and reading.trusted and current:
                self._observe(
                    VitalReading(
                        monitor.subentry.subentry_id,
                        observation.sign,
                        observation.value,
                        observation.unit,
                        resident=resident,
                        source_name=name,
                    )
                )
        if current:
            # Someone just used a cuff: the resident is up and about.
            self._observe(Activity(monitor.identity.name))
        return True


def _monitor_name(monitor: HealthMonitor) -> str:
    """What the household calls the monitor: its device's name in Home Assistant."""
    if monitor.device_id is not None:
        device = dr.async_get(monitor.hass).async_get(monitor.device_id)
        if device is not None and (name := device.name_by_user or device.name):
            return name
    return monitor.identity.name
