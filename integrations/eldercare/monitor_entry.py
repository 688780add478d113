"""Setting up and tearing down a health monitor's config entry."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady

from .const import DOMAIN
from .health_delivery import deliver_reading
from .health_monitor import HealthMonitor

MONITOR_PLATFORMS: list[Platform] = [Platform.SENSOR]

type MonitorConfigEntry = ConfigEntry[HealthMonitor]


async def async_setup_monitor(hass: HomeAssistant, entry: MonitorConfigEntry) -> bool:
    if "bluetooth" not in hass.config.components:
        raise ConfigEntryNotReady(translation_domain=DOMAIN, translation_key="no_bluetooth")
    monitor = HealthMonitor(hass, entry, deliver_reading)
    entry.runtime_data = monitor
    await hass.config_entries.async_forward_entry_setups(entry, MONITOR_PLATFORMS)
    entry.async_on_unload(await monitor.async_start())
    monitor.flush_pending()
    return True


async def async_unload_monitor(hass: HomeAssistant, entry: MonitorConfigEntry) -> bool:
    unloaded = await hass.config_entries.async_unload_platforms(entry, MONITOR_PLATFORMS)
    if unloaded:
        await entry.runtime_data.async_stop()
    return unloaded


async def async_remove_monitor(hass: HomeAssistant, entry: ConfigEntry) -> None:
    await HealthMonitor(hass, entry, deliver_reading).async_remove()
