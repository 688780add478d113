"""The two kinds of eldercare config entry: the household (enrolled with the care center)
and a health monitor (a Bluetooth device assigned to one of its residents)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeGuard

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant

from .const import CONF_MONITOR_ADDRESS, DOMAIN

if TYPE_CHECKING:
    from .monitor_entry import MonitorConfigEntry
    from .runtime import EldercareConfigEntry, EldercareRuntime


# A TypeGuard, not a TypeIs: both kinds are the same class to mypy (ConfigEntry[...]), so only
# the positive branch can be narrowed; a household entry stays as its caller typed it.
def is_monitor(entry: ConfigEntry) -> TypeGuard[MonitorConfigEntry]:
    return CONF_MONITOR_ADDRESS in entry.data


def household_entries(hass: HomeAssistant) -> list[EldercareConfigEntry]:
    return [e for e in hass.config_entries.async_entries(DOMAIN) if not is_monitor(e)]


def monitor_entries(hass: HomeAssistant) -> list[MonitorConfigEntry]:
    return [e for e in hass.config_entries.async_entries(DOMAIN) if is_monitor(e)]


def household_runtime(hass: HomeAssistant) -> EldercareRuntime | None:
    """The running household, if its entry is loaded (not during a reload)."""
    for entry in household_entries(hass):
        if entry.state is ConfigEntryState.LOADED:
            return entry.runtime_data
    return None
