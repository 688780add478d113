"""Assist (HA's voice assistant) asks for life services: a sentence in Chinese or English
becomes a request stored at the hub, answered in the language it was asked in; a service the
household is not offered gets a refusal, not a request. Through HA's real conversation agent."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hassil import Intents, recognize_all
from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.eldercare.assist import load_sentences
from gateway.services.catalogue import ServiceType

from ..conftest import RunningHub, until
from .conftest import credentials_of


@pytest.fixture
async def assist(hass: HomeAssistant, enrolled_entry: MockConfigEntry) -> None:
    assert await async_setup_component(hass, "conversation", {})
    await hass.async_block_till_done()


async def _say(hass: HomeAssistant, text: str, language: str) -> str:
    result = await conversation.async_converse(hass, text, None, Context(), language=language)
    speech: str = result.response.speech["plain"]["speech"]
    return speech


async def _requests_at_hub(hub: RunningHub, entry: MockConfigEntry, count: int) -> list[Any]:
    context = hub.context
    household_id = credentials_of(entry).household_id
    for _ in range(100):
        requests = await context.db(context.store.services.household_requests, household_id)
        if len(requests) >= count:
            return list(requests)
        await asyncio.sleep(0.05)
    return list(requests)


async def test_a_chinese_and_an_english_sentence_each_make_a_request_at_the_hub(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub, assist: None
) -> None:
    said = await _say(hass, "帮我叫个修水管的", "zh-CN")
    assert "水电维修" in said
    assert said.isascii() is False
    [stored] = await _requests_at_hub(hub_server, enrolled_entry, 1)
    assert (stored.service, stored.source_name, stored.note) == (
        ServiceType.REPAIR,
        "Assist",
        "帮我叫个修水管的",
    )

    said = await _say(hass, "The drain is blocked!", "en")
    assert said == "OK, I have asked the care center for Drain unblocking."
    requests = await _requests_at_hub(hub_server, enrolled_entry, 2)
    assert {r.service for r in requests} == {ServiceType.REPAIR, ServiceType.DRAIN}

    # Asked again while the request is open: the same request, and Assist says so.
    said = await _say(hass, "I need a plumber", "en")
    assert said == "Your Plumbing and electrical repair request is already being handled."
    await until(lambda: enrolled_entry.runtime_data.services.open_requests()[0].count == 2)


async def test_a_service_the_household_is_not_offered_is_refused_not_requested(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub, assist: None
) -> None:
    household_id = credentials_of(enrolled_entry).household_id
    context = hub_server.context
    await context.db(
        context.store.services.set_entitlement, household_id, (ServiceType.MEAL,), context.clock()
    )
    await context.gateways.push_config(household_id)
    services = enrolled_entry.runtime_data.services
    await until(lambda: services.desk.entitled == {ServiceType.MEAL})

    said = await _say(hass, "I need a plumber", "en")
    assert said == (
        "Your household is not signed up for Plumbing and electrical repair."
        " Please ask the care center."
    )
    said = await _say(hass, "下水道堵了", "zh-CN")
    assert said == "您家还没有开通下水疏通服务，请联系服务中心"
    assert services.open_requests() == []
    # What it is offered still works.
    said = await _say(hass, "我要订餐", "zh-CN")
    assert "助餐" in said
    [stored] = await _requests_at_hub(hub_server, enrolled_entry, 1)
    assert stored.service is ServiceType.MEAL


def test_every_service_has_sentences_in_both_languages_and_each_names_one_service() -> None:
    sentences = load_sentences()
    assert set(sentences) == set(ServiceType)
    intents = Intents.from_dict(
        {
            "language": "en",
            "intents": {s.value: {"data": [{"sentences": t}]} for s, t in sentences.items()},
        }
    )
    asked = {
        "帮我叫个修水管的": ServiceType.REPAIR,
        "下水道堵了": ServiceType.DRAIN,
        "我要订餐": ServiceType.MEAL,
        "请给我回个电话": ServiceType.CALL_BACK,
        "我要保洁": ServiceType.CLEANING,
        "帮我洗澡": ServiceType.BATHING,
        "陪我去医院": ServiceType.ESCORT,
        "帮我买点菜": ServiceType.SHOPPING,
        "我需要生活服务": ServiceType.OTHER,
        "I need a plumber": ServiceType.REPAIR,
        "the drain is blocked": ServiceType.DRAIN,
        "I'd like a meal delivered": ServiceType.MEAL,
        "please call me back": ServiceType.CALL_BACK,
        "I need a cleaner": ServiceType.CLEANING,
        "I need help with a bath": ServiceType.BATHING,
        "please take me to the doctor": ServiceType.ESCORT,
        "I need some shopping done": ServiceType.SHOPPING,
        "I need a home service": ServiceType.OTHER,
    }
    for text, service in asked.items():
        matched = {r.intent.name for r in recognize_all(text, intents)}
        assert matched == {service.value}, text
    # A cry for help is an emergency, never a service request.
    for text in ("help", "I need help", "救命", "我摔倒了"):
        assert not list(recognize_all(text, intents)), text
