"""Who is coming, in Home Assistant: when the care center dispatches someone from its
dispatch screen (a real hub), the household and the family see who and how soon, as the
family page shows it ("社区护士 刘芳，约 8 分钟"): a sensor, the event entity's event, the
logbook, and a normal-priority notification on the family's phones, in the household's
language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_mock_service,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.eldercare.const import EVENT_ANNOUNCEMENT
from gateway.safety.book import AlarmState
from hub.core.desk_model import StaffStep

from ..conftest import RunningHub, until

CALL_FOR_HELP = "button.wang_household_call_for_help"
RESPONSE = "sensor.wang_household_care_center_response"
ARRIVAL = "sensor.wang_household_help_arrives_around"
EMERGENCY_EVENTS = "event.wang_household_emergency_alarm"
FAMILY = [{"name": "Li Na", "notify_service": "mobile_app_li_phone", "phone": ""}]


@dataclass(frozen=True)
class Household:
    language: str
    responder: str
    received: str  # the sensor once the care center has the alarm
    coming: str  # the sensor after the dispatch
    on_site: str  # the sensor once the responder is there
    notified: str  # in the family's notification
    logbook: tuple[str, ...]  # in the logbook's line of the dispatch


HOUSEHOLDS = [
    Household(
        "zh-Hans",
        "社区护士 刘芳",
        "服务中心已收到警报",
        "社区护士 刘芳，约 8 分钟",
        "社区护士 刘芳 已到场",
        "社区护士 刘芳 正在赶来，约 8 分钟后到达",
        ("紧急呼叫：已派人救助", "社区护士 刘芳，约 8 分钟"),
    ),
    Household(
        "en",
        "Nurse Liu Fang",
        "The care center has the alarm",
        "Nurse Liu Fang on the way, about 8 min",
        "Nurse Liu Fang on site",
        "Nurse Liu Fang is on the way, arriving in about 8 min",
        ("Emergency call: Help dispatched", "Nurse Liu Fang on the way, about 8 min"),
    ),
]


@pytest.fixture
def mock_recorder_before_hass(async_test_recorder: Any) -> None:
    """The recorder's database is prepared before `hass` (the logbook reads it)."""


@pytest.fixture(params=HOUSEHOLDS, ids=[h.language for h in HOUSEHOLDS])
def household(request: pytest.FixtureRequest, hass: HomeAssistant) -> Household:
    """The household's language, set before the integration loads (as in a real home)."""
    chosen: Household = request.param
    hass.config.language = chosen.language
    return chosen


async def _logbook(hass: HomeAssistant, ws: WebSocketGenerator, since: datetime) -> list[Any]:
    await async_wait_recording_done(hass)
    client = await ws()
    await client.send_json({"id": 1, "type": "logbook/get_events", "start_time": since.isoformat()})
    response = await client.receive_json()
    assert response["success"], response
    entries: list[Any] = response["result"]
    return entries


async def test_the_household_and_family_see_who_is_coming_and_how_soon(
    recorder_mock: Any,
    hass: HomeAssistant,
    household: Household,
    enrolled_entry: MockConfigEntry,
    hub_server: RunningHub,
    hass_ws_client: WebSocketGenerator,
) -> None:
    started = dt_util.utcnow()
    assert await async_setup_component(hass, "logbook", {})
    family_phone = async_mock_service(hass, "notify", "mobile_app_li_phone")
    hass.config_entries.async_update_entry(
        enrolled_entry, options={**enrolled_entry.options, "family": FAMILY}
    )
    await hass.async_block_till_done()
    safety = enrolled_entry.runtime_data.safety
    announcements = async_capture_events(hass, EVENT_ANNOUNCEMENT)

    await hass.services.async_call(
        "button", "press", {ATTR_ENTITY_ID: CALL_FOR_HELP}, blocking=True
    )
    (alarm,) = await hub_server.wait_for_open_alarms(1)
    await until(lambda: safety.alarm(alarm.id).state is AlarmState.REPORTED)
    await hass.async_block_till_done()
    assert hass.states.get(RESPONSE).state == household.received
    assert len(family_phone) == 1  # the critical alert

    # The dispatcher sends the community nurse, 8 minutes away.
    await hub_server.staff_step(alarm.id, StaffStep.ACKNOWLEDGED, staff="li.na")
    await hub_server.staff_step(
        alarm.id,
        StaffStep.DISPATCHED,
        staff="li.na",
        note="带上血压计",
        responder=household.responder,
        eta_minutes=8,
    )
    await until(lambda: safety.alarm(alarm.id).state is AlarmState.DISPATCHED)
    await hass.async_block_till_done()

    # The sensor says who is coming and how soon; the arrival time is a timestamp.
    response = hass.states.get(RESPONSE)
    assert response.state == household.coming
    assert response.attributes["responder"] == household.responder
    assert response.attributes["eta_minutes"] == 8
    assert response.attributes["lifecycle"] == "dispatched"
    assert response.attributes["staff"] == "li.na"
    dispatched_at = datetime.fromisoformat(response.attributes["dispatched_at"])
    arrives_at = dispatched_at + timedelta(minutes=8)
    assert response.attributes["arrives_at"] == arrives_at.isoformat()
    assert abs(dispatched_at - dt_util.utcnow()) < timedelta(seconds=30)
    # (A timestamp sensor shows whole seconds.)
    assert datetime.fromisoformat(hass.states.get(ARRIVAL).state) == arrives_at.replace(
        microsecond=0
    )

    # The event entity's dispatch event carries the responder and the ETA.
    event = hass.states.get(EMERGENCY_EVENTS)
    assert event.attributes["event_type"] == "dispatched"
    assert event.attributes["responder"] == household.responder
    assert event.attributes["eta_minutes"] == 8
    assert event.attributes["arrives_at"] == arrives_at.isoformat()

    # The family member who got the alert hears who is coming, on the same notification,
    # at normal priority (no second critical ring).
    update = family_phone[-1].data
    assert household.notified in update["message"]
    assert update["data"] == {"tag": f"eldercare-{alarm.id}", "group": "eldercare"}

    # The resident hears who is coming.
    assert household.responder in announcements[-1].data["text"]

    # The logbook says it in words, on the emergency event entity's page.
    entries = await _logbook(hass, hass_ws_client, started)
    dispatched = [
        e
        for e in entries
        if e.get("domain") == "eldercare" and household.logbook[0] in e.get("message", "")
    ]
    assert len(dispatched) == 1, entries
    assert household.logbook[1] in dispatched[0]["message"]
    assert dispatched[0]["entity_id"] == EMERGENCY_EVENTS

    # On site: the sensor follows; the arrival time is no longer a forecast.
    await hub_server.staff_step(alarm.id, StaffStep.ON_SITE, staff="li.na")
    await until(lambda: safety.alarm(alarm.id).state is AlarmState.ON_SITE)
    await hass.async_block_till_done()
    assert hass.states.get(RESPONSE).state == household.on_site
    assert hass.states.get(ARRIVAL).state == "unknown"
