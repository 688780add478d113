"""The logbook's lines for the household's alarms: what happened, and who is coming.

Without them the logbook shows only that an event entity "detected an event". HA's logbook
takes no translation keys, so the lines are built from the integration's own translations
(the alarm kinds and steps its entities already show), in the household's language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ENTITY_ID,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.translation import async_get_cached_translations

from gateway.alarms import AlarmAction
from gateway.safety.book import CareResponse
from gateway.safety.care_response import language_of, response_summary

from .const import DOMAIN, EVENT_ALARM_RAISED, EVENT_ALARM_UPDATED
from .event import FAMILIES, AlarmFamilyDescription
from .runtime import EldercareConfigEntry

_PREFIX = f"component.{DOMAIN}.entity"
# Steps no entity shows (the event entities announce only the steps people act on).
_OTHER_STEPS: dict[str, dict[str, str]] = {
    "en": {
        AlarmAction.SIRENS_ON: "Sirens on",
        AlarmAction.VALVE_RETRY: "Closing the valve again",
        AlarmAction.PREWARNING: "Pre-warning at home",
    },
    "zh-Hans": {
        AlarmAction.SIRENS_ON: "警报器已鸣响",
        AlarmAction.VALVE_RETRY: "再次关闭阀门",
        AlarmAction.PREWARNING: "已在家中预警",
    },
}
_FORMAT = {
    "en": ("{kind}: {step}", "{line} ({detail})"),
    "zh-Hans": ("{kind}：{step}", "{line}（{detail}）"),
}


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, str]]], None],
) -> None:
    @callback
    def describe(event: Event) -> dict[str, str]:
        return _describe(hass, event.data)

    async_describe_event(DOMAIN, EVENT_ALARM_RAISED, describe)
    async_describe_event(DOMAIN, EVENT_ALARM_UPDATED, describe)


def _describe(hass: HomeAssistant, data: Mapping[str, Any]) -> dict[str, str]:
    language = hass.config.language
    texts = _Texts(hass, language)
    kind = str(data.get("kind", ""))
    step = str(data.get("change", "raised"))
    family = next((f for f in FAMILIES if kind in f.kinds), None)
    line_format, detail_format = _FORMAT[language_of(language)]
    line = line_format.format(kind=texts.kind(kind), step=texts.step(family, step))
    if detail := _detail(data, step, language):
        line = detail_format.format(line=line, detail=detail)
    description = {LOGBOOK_ENTRY_NAME: texts.kind(kind), LOGBOOK_ENTRY_MESSAGE: line}
    entity_id = _event_entity(hass, family) if family is not None else None
    if entity_id is not None:
        description[LOGBOOK_ENTRY_ENTITY_ID] = entity_id
        if (state := hass.states.get(entity_id)) is not None:
            description[LOGBOOK_ENTRY_NAME] = state.name
    return description


def _detail(data: Mapping[str, Any], step: str, language: str) -> str:
    """What the line adds to its step: the source of a raise, who is coming."""
    match step:
        case "raised":
            return str(data.get("source_name") or data.get("source") or "")
        case AlarmAction.DISPATCHED | AlarmAction.ON_SITE:
            eta = data.get("eta_minutes")
            response = CareResponse(
                responder=str(data.get("responder") or ""),
                eta_minutes=eta if isinstance(eta, int) else None,
            )
            return response_summary(step, response, language)
        case AlarmAction.ACKNOWLEDGED:
            return str(data.get("staff") or "")
        case AlarmAction.FAMILY_ACK:
            return str(data.get("detail") or "")
    return ""


def _event_entity(hass: HomeAssistant, family: AlarmFamilyDescription) -> str | None:
    """The household's event entity of this alarm family, so the line shows on its page."""
    registry = er.async_get(hass)
    entries: list[EldercareConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    for entry in entries:
        unique_id = f"{entry.runtime_data.identity}_{family.key}"
        if entity_id := registry.async_get_entity_id("event", DOMAIN, unique_id):
            return entity_id
    return None


class _Texts:
    """The integration's translations in the household's language, English where missing."""

    def __init__(self, hass: HomeAssistant, language: str) -> None:
        self._language = language_of(language)
        self._strings = [
            async_get_cached_translations(hass, language, "entity", DOMAIN),
            async_get_cached_translations(hass, "en", "entity", DOMAIN),
        ]

    def _get(self, key: str) -> str | None:
        return next((s[key] for s in self._strings if key in s), None)

    def kind(self, kind: str) -> str:
        return self._get(f"{_PREFIX}.sensor.alarm_status.state.{kind}") or kind

    def step(self, family: AlarmFamilyDescription | None, step: str) -> str:
        if family is not None and (
            text := self._get(
                f"{_PREFIX}.event.{family.translation_key}.state_attributes.event_type.state.{step}"
            )
        ):
            return text
        lifecycle = f"{_PREFIX}.sensor.care_response.state_attributes.lifecycle.state.{step}"
        if text := self._get(lifecycle):
            return text
        return _OTHER_STEPS[self._language].get(step, step.replace("_", " "))
