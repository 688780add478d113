"""Actions of the eldercare integration, registered once for the domain."""

from __future__ import annotations

import voluptuous as vol
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv

from gateway.alarms import AlarmKind

from .const import ATTR_CONFIG_ENTRY_ID, ATTR_SOURCE, DOMAIN, SERVICE_TRIGGER_EMERGENCY
from .runtime import EldercareConfigEntry

TRIGGER_EMERGENCY_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_SOURCE, default="action"): vol.All(cv.string, vol.Length(max=100)),
    }
)


def _loaded_entry(hass: HomeAssistant, call: ServiceCall) -> EldercareConfigEntry:
    entry_id = call.data.get(ATTR_CONFIG_ENTRY_ID)
    entries: list[EldercareConfigEntry] = [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry_id in (None, entry.entry_id)
    ]
    loaded = [entry for entry in entries if entry.state is ConfigEntryState.LOADED]
    if not loaded:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="not_loaded")
    return loaded[0]


async def _trigger_emergency(call: ServiceCall) -> ServiceResponse:
    entry = _loaded_entry(call.hass, call)
    alarm = entry.runtime_data.raise_alarm(AlarmKind.SOS, f"action:{call.data[ATTR_SOURCE]}")
    return {"alarm_id": alarm.alarm_id}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    hass.services.async_register(
        DOMAIN,
        SERVICE_TRIGGER_EMERGENCY,
        _trigger_emergency,
        schema=TRIGGER_EMERGENCY_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
