"""Assist (Home Assistant's voice assistant): "帮我叫个修水管的", "I need a plumber" becomes a
request at the household's service desk, and Assist answers in the language it was asked in.

How the sentences get to Assist. HA's default conversation agent matches what was said
against the language intents of the home-assistant-intents package, against files the user
puts in <config>/custom_sentences/<language>/, and against *sentence triggers*. An integration
cannot add to the first (it is a separate project, reviewed per language), and the second would
make every installer copy files. Sentence triggers are what the agent offers code: the
`conversation` trigger platform registers its sentences with the agent manager
(`get_agent_manager(hass).register_trigger(TriggerDetails(sentences, callback))`), and the
agent tries them before any intent, in whatever language the pipeline runs, and speaks what
the callback returns. We register one trigger per service with the sentences shipped in
assist_sentences.yaml (Chinese and English together), so it works as soon as the integration
is installed. An intent (`intent.async_register`) would also need sentences from one of the
first two places, so it buys nothing here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.util.yaml import load_yaml_dict

from gateway.services.catalogue import SERVICE_NAMES, ServiceNames, ServiceType
from gateway.services.desk import ServiceRefused
from gateway.services.observations import ServicePressed
from gateway.services.refusals import refusal_text

from .const import DOMAIN
from .runtime import EldercareConfigEntry

if TYPE_CHECKING:
    from hassil.recognize import RecognizeResult
    from homeassistant.components.conversation import ConversationInput

_LOGGER = logging.getLogger(__name__)

SENTENCES = Path(__file__).with_name("assist_sentences.yaml")
LANGUAGES = ("zh", "en")
SOURCE = "assist"
SOURCE_NAME = ServiceNames("语音助手", "Assist")
# What Assist answers; the desk then says on the home speaker when the care center has it.
_ASKED = ServiceNames(
    "好的，已为您申请{service}服务，服务中心会尽快联系您",
    "OK, I have asked the care center for {service}.",
)
_ALREADY = ServiceNames(
    "您的{service}请求已在处理中", "Your {service} request is already being handled."
)
_NOT_SET_UP = ServiceNames("生活服务还没有设置好", "Life services are not set up yet.")

type Sentences = dict[ServiceType, list[str]]
type TriggerCallback = Callable[["ConversationInput", "RecognizeResult"], Awaitable[str | None]]


class SentencesError(ValueError):
    """The shipped sentence file misses a service or a language."""


def load_sentences(path: Path = SENTENCES) -> Sentences:
    """Every service's sentences in both languages (read in an executor: it is a file)."""
    raw: dict[str, Any] = load_yaml_dict(path)
    sentences: Sentences = {}
    for service in ServiceType:
        by_language = raw.get(service.value) or {}
        missing = [language for language in LANGUAGES if not by_language.get(language)]
        if missing:
            raise SentencesError(f"{path.name}: no {'/'.join(missing)} sentences for {service}")
        sentences[service] = [str(s) for language in LANGUAGES for s in by_language[language]]
    unknown = set(raw) - {s.value for s in ServiceType}
    if unknown:
        raise SentencesError(f"{path.name}: sentences for no service: {sorted(unknown)}")
    return sentences


async def async_setup_assist(hass: HomeAssistant) -> None:
    """Register the sentences with Assist's default agent, once for the domain (requests go to
    the loaded household). Without the conversation integration there is nothing to do."""
    try:
        from homeassistant.components.conversation.agent_manager import (  # noqa: PLC0415
            get_agent_manager,
        )
        from homeassistant.components.conversation.trigger import (  # noqa: PLC0415
            TriggerDetails,
        )
    except ImportError as err:  # conversation's requirements (hassil) are not installed
        _LOGGER.info("Assist sentences not registered: %s", err)
        return
    sentences = await hass.async_add_executor_job(load_sentences, SENTENCES)
    manager = get_agent_manager(hass)
    for service, texts in sentences.items():
        manager.register_trigger(TriggerDetails(texts, _answerer(hass, service)))


def _answerer(hass: HomeAssistant, service: ServiceType) -> TriggerCallback:
    async def answer(user_input: ConversationInput, _result: RecognizeResult) -> str:
        language = user_input.language or hass.config.language
        return spoken_request(hass, service, user_input.text, language)

    return answer


def spoken_request(hass: HomeAssistant, service: ServiceType, said: str, language: str) -> str:
    """Ask the household's desk for `service`; what Assist says back, in `language`."""
    entry = _household(hass)
    if entry is None:
        return _NOT_SET_UP.in_language(language)
    services = entry.runtime_data.services
    already = any(request.service is service for request in services.open_requests())
    press = ServicePressed(
        SOURCE, service, SOURCE_NAME.in_language(hass.config.language), note=said
    )
    try:
        services.observe(press)
    except ServiceRefused as err:
        return refusal_text(err, language)
    template = _ALREADY if already else _ASKED
    return template.in_language(language).format(
        service=SERVICE_NAMES[service].in_language(language)
    )


def _household(hass: HomeAssistant) -> EldercareConfigEntry | None:
    loaded: list[EldercareConfigEntry] = [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.state is ConfigEntryState.LOADED
    ]
    return loaded[0] if loaded else None
