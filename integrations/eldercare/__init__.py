"""Eldercare Gateway: household safety hub linked to the community care center."""

from __future__ import annotations

import voluptuous as vol
from homeassistant.config_entries import SOURCE_IMPORT
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from gateway.link import GatewayCredentials, HubLink

from .const import CONF_ENROLLMENT_CODE, CONF_HUB_URL, DOMAIN
from .runtime import EldercareConfigEntry, EldercareRuntime
from .services import async_setup_services

PLATFORMS: list[Platform] = [Platform.BUTTON]

# An installer may pre-provision an appliance image with the hub URL and a one-time code in
# configuration.yaml; it is imported into a config entry once, like the user step.
CONFIG_SCHEMA = vol.Schema(
    {
        DOMAIN: vol.Schema(
            {vol.Required(CONF_HUB_URL): cv.url, vol.Required(CONF_ENROLLMENT_CODE): cv.string}
        )
    },
    extra=vol.ALLOW_EXTRA,
)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    async_setup_services(hass)
    if DOMAIN in config and not hass.config_entries.async_entries(DOMAIN):
        hass.async_create_task(
            hass.config_entries.flow.async_init(
                DOMAIN, context={"source": SOURCE_IMPORT}, data=dict(config[DOMAIN])
            )
        )
    return True


async def async_setup_entry(hass: HomeAssistant, entry: EldercareConfigEntry) -> bool:
    credentials = GatewayCredentials.from_dict(dict(entry.data))
    link = HubLink(async_get_clientsession(hass), credentials)
    entry.runtime_data = EldercareRuntime(hass, credentials, link)
    # A background task of the entry: cancelled by HA on unload and at shutdown.
    entry.async_create_background_task(hass, link.run(), "eldercare hub link")
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: EldercareConfigEntry) -> bool:
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
