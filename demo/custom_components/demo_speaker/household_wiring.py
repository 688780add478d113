"""The demo household speaks through this speaker: its eldercare entry's options get the
text-to-speech entity and the media player, as an installer would pick them in the options
("Rules" step), unless someone already picked others."""

from __future__ import annotations

import logging

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
    ConfigEntryState,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect

_LOGGER = logging.getLogger(__name__)

# integrations/eldercare/const.py; the demo component does not import the integration.
ELDERCARE = "eldercare"
OPTION_TTS_ENTITY = "tts_entity"
OPTION_MEDIA_PLAYER = "media_player"
_MONITOR_ADDRESS = "monitor_address"  # in a health monitor's entry, not the household's


@callback
def async_wire_household(hass: HomeAssistant, tts_entity: str, media_player: str) -> CALLBACK_TYPE:
    """Wire the household entry now if it is loaded, else when it loads; returns the undo."""

    @callback
    def wire(entry: ConfigEntry) -> None:
        if (
            entry.domain != ELDERCARE
            or _MONITOR_ADDRESS in entry.data
            or entry.state is not ConfigEntryState.LOADED
            or entry.options.get(OPTION_TTS_ENTITY)
            or entry.options.get(OPTION_MEDIA_PLAYER)
        ):
            return
        options = {
            **entry.options,
            OPTION_TTS_ENTITY: tts_entity,
            OPTION_MEDIA_PLAYER: media_player,
        }
        hass.config_entries.async_update_entry(entry, options=options)
        _LOGGER.info("%s speaks through %s on %s", entry.title, tts_entity, media_player)

    @callback
    def changed(change: ConfigEntryChange, entry: ConfigEntry) -> None:
        if change is not ConfigEntryChange.REMOVED:
            wire(entry)

    for entry in hass.config_entries.async_entries(ELDERCARE):
        wire(entry)
    return async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, changed)
