"""espeak-ng as Home Assistant's text-to-speech entity: Simplified Chinese and English."""

from __future__ import annotations

from typing import Any

from homeassistant.components.tts import (
    ATTR_PREFERRED_FORMAT,
    ATTR_VOICE,
    TextToSpeechEntity,
    TtsAudioType,
    Voice,
)
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import TTS_ENTITY_ID
from .espeak import ENGLISH, LANGUAGES, MANDARIN, SpeechError, speak, voice_for

_VOICES = {
    "zh": [Voice(MANDARIN, "普通话 (espeak-ng)")],
    "en": [Voice(ENGLISH, "English (espeak-ng)")],
}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    async_add_entities([EspeakTts(entry)])


class EspeakTts(TextToSpeechEntity):
    _attr_name = "espeak-ng"
    _attr_default_language = "zh-CN"

    def __init__(self, entry: ConfigEntry) -> None:
        self._attr_unique_id = f"{entry.entry_id}-espeak"
        self.entity_id = TTS_ENTITY_ID
        self._attr_supported_languages = list(LANGUAGES)
        self._attr_supported_options = [ATTR_VOICE, ATTR_PREFERRED_FORMAT]
        # espeak-ng makes WAV: asking for it by default spares an ffmpeg conversion to MP3.
        self._attr_default_options = {ATTR_PREFERRED_FORMAT: "wav"}

    @callback
    def async_get_supported_voices(self, language: str) -> list[Voice] | None:
        return _VOICES["zh" if language.lower().startswith("zh") else "en"]

    async def async_get_tts_audio(
        self, message: str, language: str, options: dict[str, Any]
    ) -> TtsAudioType:
        voice = options.get(ATTR_VOICE) or voice_for(language, message)
        try:
            speech = await speak(message, voice)
        except SpeechError as err:
            raise HomeAssistantError(str(err)) from err
        return "wav", speech.wav
