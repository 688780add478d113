"""The demo home's speaker: plays spoken announcements by keeping their audio as files (there is
no sound card) and logging what it said, so a person can listen to them and read them."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from homeassistant.components import media_source, tts
from homeassistant.components.media_player import MediaPlayerEntity
from homeassistant.components.media_player.const import (
    MediaPlayerEntityFeature,
    MediaPlayerState,
    MediaType,
)
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_call_later
from yarl import URL

from . import recordings
from .const import RECORDINGS_DIR, SPEAKER_ENTITY_ID
from .espeak import wav_seconds

_LOGGER = logging.getLogger(__name__)
_TTS_MEDIA = "media-source://tts/"


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    async_add_entities([HomeSpeaker(entry, Path(hass.config.path(RECORDINGS_DIR)))])


def spoken_text(media_id: str) -> str:
    """The text of a text-to-speech media id, as `tts.speak` makes it ("" for a stream)."""
    return URL(media_id).query.get("message", "")


class HomeSpeaker(MediaPlayerEntity):
    _attr_name = "Home speaker 客厅音箱"
    _attr_supported_features = (
        MediaPlayerEntityFeature.PLAY_MEDIA | MediaPlayerEntityFeature.MEDIA_ANNOUNCE
    )
    _attr_state = MediaPlayerState.IDLE
    _attr_media_content_type = MediaType.MUSIC

    def __init__(self, entry: ConfigEntry, folder: Path) -> None:
        self._attr_unique_id = f"{entry.entry_id}-speaker"
        self.entity_id = SPEAKER_ENTITY_ID
        self._folder = folder
        self._done: CALLBACK_TYPE | None = None

    async def async_play_media(self, media_type: str, media_id: str, **kwargs: Any) -> None:
        if not (media_source.is_media_source_id(media_id) and media_id.startswith(_TTS_MEDIA)):
            raise HomeAssistantError(
                "The demo's home speaker plays spoken announcements (text-to-speech) only."
            )
        try:
            extension, audio = await tts.async_get_media_source_audio(self.hass, media_id)
        except (HomeAssistantError, ValueError) as err:
            raise HomeAssistantError(f"Nothing to play: {err}") from err
        seconds = wav_seconds(audio) if extension == "wav" else None
        played = await self.hass.async_add_executor_job(
            recordings.keep, self._folder, extension, audio, spoken_text(media_id), seconds
        )
        _LOGGER.info("Played %s s: %s (%s)", played.seconds, played.text, played.file)
        self._attr_state = MediaPlayerState.PLAYING
        self._attr_media_title = played.text
        self._attr_media_duration = None if seconds is None else round(seconds)
        self.async_write_ha_state()
        if self._done is not None:
            self._done()
        self._done = async_call_later(self.hass, seconds or 1.0, self._finished)

    @callback
    def _finished(self, _now: object) -> None:
        self._done = None
        self._attr_state = MediaPlayerState.IDLE
        self.async_write_ha_state()

    async def async_will_remove_from_hass(self) -> None:
        if self._done is not None:
            self._done()
            self._done = None
