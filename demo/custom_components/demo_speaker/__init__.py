"""Demo only: a home speaker that speaks Simplified Chinese and English offline.

    demo_speaker:

- `tts.espeak_ng`: espeak-ng (Debian's package) as a text-to-speech entity, Mandarin and English;
- `media_player.home_speaker`: plays spoken announcements by keeping their audio in
  <config>/speaker/ with one line per announcement in played.jsonl (there is no sound card);
- the household's eldercare entry announces through them (its options), unless it already
  names a speaker.

Set up from configuration.yaml (imported into a config entry once) or from the UI.
"""

from __future__ import annotations

import voluptuous as vol
from homeassistant.config_entries import SOURCE_IMPORT, ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN
from .household_wiring import async_wire_household

PLATFORMS = [Platform.MEDIA_PLAYER, Platform.TTS]
# `demo_speaker:` takes no settings.
CONFIG_SCHEMA = vol.Schema({vol.Optional(DOMAIN): vol.Any(None, {})}, extra=vol.ALLOW_EXTRA)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    if DOMAIN in config and not hass.config_entries.async_entries(DOMAIN):
        hass.async_create_task(
            hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_IMPORT})
        )
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    registry = er.async_get(hass)
    tts_entity = registry.async_get_entity_id("tts", DOMAIN, f"{entry.entry_id}-espeak")
    speaker = registry.async_get_entity_id("media_player", DOMAIN, f"{entry.entry_id}-speaker")
    if tts_entity and speaker:
        entry.async_on_unload(async_wire_household(hass, tts_entity, speaker))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
