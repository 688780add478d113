"""The virtual household behind the real ZHA integration: entities, states, commands."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from .conftest import SimulatedZigbee, wait_for


def _entity(
    hass: HomeAssistant, device_id: str, domain: str, device_class: str | None = None
) -> str:
    for entry in er.async_entries_for_device(er.async_get(hass), device_id):
        state = hass.states.get(entry.entity_id)
        if (
            entry.domain == domain
            and state is not None
            and (device_class is None or state.attributes.get("device_class") == device_class)
        ):
            return entry.entity_id
    raise AssertionError(f"no {domain} {device_class} entity on device {device_id}")


async def test_smoke_detector_joins_enrolls_and_alarms(zigbee: SimulatedZigbee) -> None:
    hass, smoke = zigbee.hass, zigbee.household.smoke
    await zigbee.permit_joins()
    device = await zigbee.join(smoke)
    assert device.manufacturer == "HEIMAN"
    # ZHA writes the CIE address and answers the enroll request while it configures the device.
    await wait_for(hass, lambda: smoke.enrolled, timeout=10)
    entity_id = _entity(hass, device.id, "binary_sensor", "smoke")
    assert hass.states.get(entity_id).state == "off"
    smoke.set_alarm(True)
    await wait_for(hass, lambda: hass.states.get(entity_id).state == "on")
    smoke.set_alarm(False)
    await wait_for(hass, lambda: hass.states.get(entity_id).state == "off")
