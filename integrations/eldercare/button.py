"""Buttons of the household: call for help, cancel (an accidental press or the inactivity
pre-warning), a test alarm that proves the path to the care center, and one button per life
service the care center offers (service_button.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from gateway.alarms import AlarmKind
from gateway.safety.engine import NothingToCancel

from .const import DOMAIN
from .entity import EldercareEntity
from .runtime import EldercareConfigEntry, EldercareRuntime
from .service_button import ServiceButtons

PARALLEL_UPDATES = 0


def _cancel(runtime: EldercareRuntime, source: str, _name: str) -> None:
    try:
        runtime.safety.cancel(source)
    except NothingToCancel:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="nothing_to_cancel"
        ) from None


@dataclass(frozen=True, kw_only=True)
class EldercareButtonDescription(ButtonEntityDescription):
    # (runtime, source, what the household calls the button)
    press_fn: Callable[[EldercareRuntime, str, str], object]


BUTTONS: tuple[EldercareButtonDescription, ...] = (
    EldercareButtonDescription(
        key="call_for_help",
        translation_key="call_for_help",
        press_fn=lambda runtime, source, name: runtime.raise_alarm(AlarmKind.SOS, source, name),
    ),
    EldercareButtonDescription(key="cancel", translation_key="cancel", press_fn=_cancel),
    EldercareButtonDescription(
        key="send_test_alarm",
        translation_key="send_test_alarm",
        press_fn=lambda runtime, source, name: runtime.send_test(source, name),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EldercareConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    runtime = entry.runtime_data
    async_add_entities(EldercareButton(runtime, description) for description in BUTTONS)
    service_buttons = ServiceButtons(runtime, async_add_entities)
    service_buttons.sync()
    entry.async_on_unload(runtime.services.add_entitlement_listener(service_buttons.sync))


class EldercareButton(EldercareEntity, ButtonEntity):
    entity_description: EldercareButtonDescription

    async def async_press(self) -> None:
        # The name the household sees on the button (its friendly name, renamed or not).
        state = self.hass.states.get(self.entity_id)
        name = state.name if state is not None else self.entity_id
        self.entity_description.press_fn(self.runtime, f"button:{self.entity_id}", name)
