"""Buttons of the household gateway: "Call for help" raises an SOS alarm."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from gateway.alarms import AlarmKind

from .entity import EldercareEntity
from .runtime import EldercareConfigEntry, EldercareRuntime

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class EldercareButtonDescription(ButtonEntityDescription):
    press_fn: Callable[[EldercareRuntime, str], object]


BUTTONS: tuple[EldercareButtonDescription, ...] = (
    EldercareButtonDescription(
        key="call_for_help",
        translation_key="call_for_help",
        press_fn=lambda runtime, source: runtime.raise_alarm(AlarmKind.SOS, source),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EldercareConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    async_add_entities(EldercareButton(entry.runtime_data, description) for description in BUTTONS)


class EldercareButton(EldercareEntity, ButtonEntity):
    entity_description: EldercareButtonDescription

    async def async_press(self) -> None:
        self.entity_description.press_fn(self.runtime, f"button:{self.entity_id}")
