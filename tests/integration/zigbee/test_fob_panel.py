"""An SOS fob whose ZHA alarm panel the family had armed: the SOS key raises the alarm, and the
panel is put back to the mode it was in, so the next press is seen and the arming is kept."""

from __future__ import annotations

from pytest_homeassistant_custom_component.common import MockConfigEntry

from .conftest import SimulatedZigbee, wait_for

STATUS = "sensor.wang_household_alarm_status"


async def test_an_armed_fob_panel_is_armed_again_after_its_sos_key(
    zigbee: SimulatedZigbee, enrolled_entry: MockConfigEntry
) -> None:
    hass, fob = zigbee.hass, zigbee.household.sos_fob
    await zigbee.permit_joins()
    await zigbee.join(fob)
    panel = next(iter(hass.states.async_entity_ids("alarm_control_panel")))
    await hass.services.async_call(
        "alarm_control_panel", "alarm_arm_home", {"entity_id": panel, "code": "1234"}, blocking=True
    )
    await wait_for(hass, lambda: hass.states.get(panel).state == "armed_home", timeout=3)

    fob.press_sos()
    await wait_for(hass, lambda: hass.states.get(STATUS).state == "sos", timeout=3)
    first = hass.states.get(STATUS).attributes["alarm_id"]
    await wait_for(hass, lambda: hass.states.get(panel).state == "armed_home", timeout=3)

    await hass.services.async_call("eldercare", "resolve", {"note": "ok"}, blocking=True)
    fob.press_sos()
    await wait_for(hass, lambda: hass.states.get(STATUS).state == "sos", timeout=3)
    assert hass.states.get(STATUS).attributes["alarm_id"] != first
    # Put back again; ZHA's last replies to the fob go out before the radio stops.
    await wait_for(hass, lambda: hass.states.get(panel).state == "armed_home", timeout=3)
    await zigbee.settle()
