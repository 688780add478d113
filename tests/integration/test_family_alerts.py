"""Family members get critical alerts on their phones, in order, until one answers; the
care center hears of each silence. Phones are outside the system: their notify actions are
mocked, and their answers arrive as the companion app's `mobile_app_notification_action`."""

from __future__ import annotations

import time
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant, ServiceCall
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_service,
)

from ..conftest import RunningHub
from .conftest import travel

CALL_FOR_HELP = "button.wang_household_call_for_help"
STATUS = "sensor.wang_household_alarm_status"
FAMILY = [
    {"name": "Li Na", "notify_service": "mobile_app_li_phone", "phone": "+8613800000001"},
    {"name": "Wang Wei", "notify_service": "mobile_app_wang_phone", "phone": "+8613800000002"},
]


async def _family_household(
    hass: HomeAssistant, entry: MockConfigEntry
) -> tuple[list[ServiceCall], list[ServiceCall]]:
    li = async_mock_service(hass, "notify", "mobile_app_li_phone")
    wang = async_mock_service(hass, "notify", "mobile_app_wang_phone")
    hass.config_entries.async_update_entry(
        entry,
        options={
            **entry.options,
            "family": FAMILY,
            "family_answer_window": 60,
            "call_number": "+8610123456",
        },
    )
    await hass.async_block_till_done()
    return li, wang


async def _hub_actions(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hub: RunningHub,
    alarm_id: str,
    wanted: str,
) -> list[str]:
    """Poll the hub while the frozen clock moves on in small real-time steps, so the link's
    own timers (reconnect backoff) run as they would."""
    for _ in range(100):
        if wanted in (actions := await hub.alarm_actions(alarm_id)):
            return actions
        await hass.async_add_executor_job(time.sleep, 0.05)
        travel(hass, freezer, timedelta(seconds=0.05))
    raise AssertionError(f"the hub never recorded {wanted!r} for {alarm_id}: {actions}")


async def test_critical_alert_payload_for_ios_and_android(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry
) -> None:
    li, wang = await _family_household(hass, enrolled_entry)
    await hass.services.async_call(
        "button", "press", {ATTR_ENTITY_ID: CALL_FOR_HELP}, blocking=True
    )
    await hass.async_block_till_done()
    (call,) = li
    assert wang == []  # one at a time, in order
    alarm_id = hass.states.get(STATUS).attributes["alarm_id"]
    data = call.data["data"]
    assert data["push"]["interruption-level"] == "critical"
    assert data["push"]["sound"]["critical"] == 1
    assert (data["ttl"], data["priority"], data["channel"]) == (0, "high", "alarm_stream")
    assert data["tag"] == f"eldercare-{alarm_id}"
    on_my_way, dial = data["actions"]
    assert on_my_way["action"] == f"ELDERCARE_ON_MY_WAY|{alarm_id}|0"
    assert dial == {"action": "URI", "title": "Call", "uri": "tel:+8610123456"}
    assert call.data["title"] == "Emergency call"


async def test_silence_escalates_to_the_next_member_and_the_center_hears_of_it(
    hass: HomeAssistant,
    enrolled_entry: MockConfigEntry,
    hub_server: RunningHub,
    freezer: FrozenDateTimeFactory,
) -> None:
    li, wang = await _family_household(hass, enrolled_entry)
    await hass.services.async_call(
        "button", "press", {ATTR_ENTITY_ID: CALL_FOR_HELP}, blocking=True
    )
    alarm_id = hass.states.get(STATUS).attributes["alarm_id"]
    travel(hass, freezer, timedelta(seconds=59))
    await hass.async_block_till_done()
    assert (len(li), len(wang)) == (1, 0)
    travel(hass, freezer, timedelta(seconds=2))
    await hass.async_block_till_done()
    assert (len(li), len(wang)) == (1, 1)
    await _hub_actions(hass, freezer, hub_server, alarm_id, "family_unanswered")

    # Wang Wei answers "I'm on my way" from the phone.
    hass.bus.async_fire(
        "mobile_app_notification_action",
        {"action": f"ELDERCARE_ON_MY_WAY|{alarm_id}|1", "tag": f"eldercare-{alarm_id}"},
    )
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).attributes["family_acknowledged_by"] == "Wang Wei"
    await _hub_actions(hass, freezer, hub_server, alarm_id, "family_ack")
    # Both phones learn who is coming, on the same tag, without a second critical ring.
    for calls in (li, wang):
        update = calls[-1].data
        assert "Wang Wei is on the way" in update["message"]
        assert update["data"] == {"tag": f"eldercare-{alarm_id}", "group": "eldercare"}
    # Nobody else is alerted after an answer.
    travel(hass, freezer, timedelta(minutes=5))
    await hass.async_block_till_done()
    assert (len(li), len(wang)) == (2, 2)


async def test_all_family_silent_tells_the_center_and_stops(
    hass: HomeAssistant,
    enrolled_entry: MockConfigEntry,
    hub_server: RunningHub,
    freezer: FrozenDateTimeFactory,
) -> None:
    li, wang = await _family_household(hass, enrolled_entry)
    await hass.services.async_call(
        "button", "press", {ATTR_ENTITY_ID: CALL_FOR_HELP}, blocking=True
    )
    alarm_id = hass.states.get(STATUS).attributes["alarm_id"]
    for _ in range(3):
        travel(hass, freezer, timedelta(seconds=61))
        await hass.async_block_till_done()
    actions = await _hub_actions(hass, freezer, hub_server, alarm_id, "family_unanswered")
    assert actions.count("family_unanswered") == 2
    assert (len(li), len(wang)) == (1, 1)


async def test_alarm_survives_a_restart_and_escalation_carries_on(
    hass: HomeAssistant,
    enrolled_entry: MockConfigEntry,
    hub_server: RunningHub,
    freezer: FrozenDateTimeFactory,
) -> None:
    li, wang = await _family_household(hass, enrolled_entry)
    await hass.services.async_call(
        "button", "press", {ATTR_ENTITY_ID: CALL_FOR_HELP}, blocking=True
    )
    alarm_id = hass.states.get(STATUS).attributes["alarm_id"]
    await _hub_actions(hass, freezer, hub_server, alarm_id, "family_notified")

    assert await hass.config_entries.async_reload(enrolled_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "sos"
    assert hass.states.get(STATUS).attributes["alarm_id"] == alarm_id
    travel(hass, freezer, timedelta(seconds=61))
    await hass.async_block_till_done()
    assert (len(li), len(wang)) == (1, 1)
    # One card at the care center, raised once: a restart is not a second press.
    (alarm,) = await hub_server.open_alarms()
    assert (alarm.id, alarm.count) == (alarm_id, 1)
