"""The two kinds of eldercare config entry: the household (enrolled with the care center)
and a health monitor (a Bluetooth device assigned to one of its residents)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant

from .const import CONF_MONITOR_ADDRESS, DOMAIN

if TYPE_CHECKING:
    from .runtime import EldercareRuntime


def is_monitor(entry: ConfigEntry) -> bool:
    return CONF_MONITOR_ADDRESS in entry.data


def household_entries(hass: HomeAssistant) -> list[ConfigEntry]:
    return [e for e in hass.config_entries.async_entries(DOMAIN) if not is_monitor(e)]


def monitor_entries(hass: HomeAssistant) -> list[ConfigEntry]:
    return [e for e in hass.config_entries.async_entries(DOMAIN) if is_monitor(e)]


def household_runtime(hass: HomeAssistant) -> EldercareRuntime | None:
    """The running household, if its entry is loaded (not during a reload)."""
    for entry in household_entries(hass):
        if entry.state is ConfigEntryState.LOADED:
            runtime: EldercareRuntime = entry.runtime_data
            return runtime
    return None
