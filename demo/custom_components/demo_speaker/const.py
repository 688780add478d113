"""Constants of the demo's home speaker."""

from typing import Final

DOMAIN: Final = "demo_speaker"
# Where the speaker keeps what it played, below Home Assistant's configuration folder.
RECORDINGS_DIR: Final = "speaker"
# Suggested entity ids; demo/configuration.yaml's automation speaks through them.
TTS_ENTITY_ID: Final = "tts.espeak_ng"
SPEAKER_ENTITY_ID: Final = "media_player.home_speaker"
