"""The household's actions (`eldercare.acknowledge`, `resolve`, `test`) as a family member's
dashboard or an automation calls them: what they change at home and at the care center, and
how each wrong call is refused with a message in the user's language."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from custom_components.eldercare.const import DOMAIN
from gateway.alarms import AlarmKind

from ..conftest import RunningHub, until
from .conftest import travel
from .translated import texts

STATUS = "sensor.wang_household_alarm_status"


async def _refusal(hass: HomeAssistant, action: str, data: dict) -> ServiceValidationError:
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(DOMAIN, action, data, blocking=True)
    return caught.value


async def _hub_actions(hub: RunningHub, alarm_id: str, wanted: str) -> list[str]:
    """The alarm's log at the hub once it holds `wanted` (the link delivers in the background)."""
    actions: list[str] = []
    for _ in range(200):
        if wanted in (actions := await hub.alarm_actions(alarm_id)):
            return actions
        await asyncio.sleep(0.05)
    raise AssertionError(f"the hub never recorded {wanted!r}: {actions}")


async def test_acknowledge_with_no_open_alarm_says_so_in_both_languages(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry
) -> None:
    refusal = await _refusal(hass, "acknowledge", {})
    assert refusal.translation_key == "no_open_alarm"
    message = await texts(hass, "exceptions", "no_open_alarm.message")
    assert str(refusal) == message["en"].rstrip(".")
    assert "没有" in message["zh-Hans"]


async def test_an_unknown_alarm_id_is_named_in_the_refusal(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry
) -> None:
    await hass.services.async_call(DOMAIN, "trigger_emergency", {}, blocking=True)
    refusal = await _refusal(hass, "resolve", {"alarm_id": "01NOTANALARM"})
    assert refusal.translation_key == "unknown_alarm"
    assert refusal.translation_placeholders == {"alarm_id": "01NOTANALARM"}
    assert "01NOTANALARM" in str(refusal)
    message = await texts(hass, "exceptions", "unknown_alarm.message")
    assert "{alarm_id}" in message["zh-Hans"]
    # The open alarm is untouched by the wrong call.
    assert hass.states.get(STATUS).state == "sos"


async def test_resolve_closes_the_alarm_at_home_and_at_the_center_and_only_once(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    raised = await hass.services.async_call(
        DOMAIN, "trigger_emergency", {}, blocking=True, return_response=True
    )
    assert raised is not None
    alarm_id = raised["alarm_id"]
    await hub_server.wait_for_open_alarms(1)
    resolved = await hass.services.async_call(
        DOMAIN,
        "resolve",
        {"alarm_id": alarm_id, "note": "grandma pressed it by mistake"},
        blocking=True,
        return_response=True,
    )
    assert resolved == {"alarm_id": alarm_id}
    assert hass.states.get(STATUS).state == "idle"
    await _hub_actions(hub_server, alarm_id, "resolved")
    last = enrolled_entry.runtime_data.safety.alarm(alarm_id).history[-1]
    assert (last.actor, last.detail) == ("family:automation", "grandma pressed it by mistake")

    refusal = await _refusal(hass, "resolve", {"alarm_id": alarm_id})
    assert refusal.translation_key == "alarm_closed"
    assert alarm_id in str(refusal)
    await texts(hass, "exceptions", "alarm_closed.message")


@pytest.mark.parametrize(("user_name", "shown"), [("Wang Wei", "Wang Wei"), (None, "user")])
async def test_acknowledge_from_the_app_names_the_user_and_stops_alerting_the_family(
    hass: HomeAssistant,
    enrolled_entry: MockConfigEntry,
    hub_server: RunningHub,
    freezer: FrozenDateTimeFactory,
    user_name: str | None,
    shown: str,
) -> None:
    li = async_mock_service(hass, "notify", "mobile_app_li_phone")
    wang = async_mock_service(hass, "notify", "mobile_app_wang_phone")
    family = [
        {"name": "Li Na", "notify_service": "mobile_app_li_phone", "phone": ""},
        {"name": "Wang Wei", "notify_service": "mobile_app_wang_phone", "phone": ""},
    ]
    hass.config_entries.async_update_entry(
        enrolled_entry,
        options={**enrolled_entry.options, "family": family, "family_answer_window": 60},
    )
    await hass.async_block_till_done()
    await hass.services.async_call(DOMAIN, "trigger_emergency", {}, blocking=True)
    await hass.async_block_till_done()
    assert (len(li), len(wang)) == (1, 0)

    user = await hass.auth.async_create_user(user_name)
    response = await hass.services.async_call(
        DOMAIN,
        "acknowledge",
        {},
        blocking=True,
        context=Context(user_id=user.id),
        return_response=True,
    )
    assert response is not None
    alarm = enrolled_entry.runtime_data.safety.alarm(response["alarm_id"])
    assert alarm.family.acked_by == shown
    assert hass.states.get(STATUS).attributes["family_acknowledged_by"] == shown
    # Nobody else's phone rings once someone answered.
    travel(hass, freezer, timedelta(seconds=61))
    await hass.async_block_till_done()
    assert len(wang) == 0
    assert alarm.history[-1].actor == f"family:{shown}"


async def test_test_action_proves_the_round_trip_to_the_center(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    response = await hass.services.async_call(
        DOMAIN, "test", {}, blocking=True, return_response=True
    )
    assert response is not None
    safety = enrolled_entry.runtime_data.safety
    alarm = safety.alarm(response["alarm_id"])
    assert alarm.kind is AlarmKind.TEST
    # Resolved by itself once the care center confirms receipt; no alarm shows at home.
    await until(lambda: not safety.alarm(alarm.id).open, timeout=10)
    assert hass.states.get(STATUS).state == "idle"
    assert "raised" in await _hub_actions(hub_server, alarm.id, "raised")
