"""Which household an action acts on: the loaded entry it names, or the one there is."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import ServiceValidationError

from .const import ATTR_CONFIG_ENTRY_ID, DOMAIN
from .runtime import EldercareConfigEntry


def loaded_entry(hass: HomeAssistant, call: ServiceCall) -> EldercareConfigEntry:
    entry_id = call.data.get(ATTR_CONFIG_ENTRY_ID)
    # Only households are ever loaded (an older release's monitor entry never is).
    loaded: list[EldercareConfigEntry] = [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry_id in (None, entry.entry_id) and entry.state is ConfigEntryState.LOADED
    ]
    if not loaded:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="not_loaded")
    return loaded[0]
