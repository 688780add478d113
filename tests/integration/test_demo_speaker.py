"""The demo's home speaker (demo/custom_components/demo_speaker) in a real Home Assistant:
espeak-ng through HA's text-to-speech, the speaker that keeps what it played, and the demo
household's announcements wired to them."""

from __future__ import annotations

import array
import asyncio
import io
import json
import wave
from pathlib import Path

import pytest
from homeassistant.components import tts
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

ROOT = Path(__file__).resolve().parents[2]
ALARM_TEXT = "检测到燃气泄漏，正在关闭燃气阀门。请打开窗户。"
TTS_ENTITY = "tts.espeak_ng"
SPEAKER = "media_player.home_speaker"


@pytest.fixture
def demo_components(monkeypatch: pytest.MonkeyPatch) -> None:
    """demo/custom_components beside integrations/ in the tests' `custom_components`."""
    import custom_components  # noqa: PLC0415 (tests/conftest.py makes it)

    paths = [*custom_components.__path__, str(ROOT / "demo" / "custom_components")]
    monkeypatch.setattr(custom_components, "__path__", paths)


@pytest.fixture
async def speaker_home(hass: HomeAssistant, tmp_path: Path, demo_components: None) -> HomeAssistant:
    # The speaker's recordings and HA's speech cache go below the configuration folder.
    hass.config.config_dir = str(tmp_path)
    assert await async_setup_component(hass, "demo_speaker", {"demo_speaker": None})
    await hass.async_block_till_done()
    return hass


def _samples(wav_bytes: bytes) -> tuple[wave._wave_params, array.array[int]]:
    with wave.open(io.BytesIO(wav_bytes)) as audio:
        params = audio.getparams()
        frames = audio.readframes(audio.getnframes())
    return params, array.array("h", frames)


def _played(folder: Path) -> list[tuple[str, bytes]]:
    """What the speaker's log says it played: (text, the audio file's bytes)."""
    lines = (folder / "played.jsonl").read_text(encoding="utf-8").splitlines()
    return [(p["text"], Path(p["file"]).read_bytes()) for p in map(json.loads, lines)]


async def test_espeak_speaks_chinese_as_real_audio_through_home_assistant(
    speaker_home: HomeAssistant,
) -> None:
    media_id = tts.generate_media_source_id(
        speaker_home, ALARM_TEXT, engine=TTS_ENTITY, language="zh-CN", cache=False
    )

    extension, audio = await tts.async_get_media_source_audio(speaker_home, media_id)

    assert extension == "wav"
    params, samples = _samples(audio)
    assert params.nchannels == 1
    assert params.sampwidth == 2
    assert params.nframes == len(samples)  # the header tells the true length
    assert params.nframes / params.framerate > 2.0, "a sentence, not a blip"
    loud = sum(1 for sample in samples if abs(sample) > 1000)
    assert loud > len(samples) // 10, "speech, not silence"


async def test_speaking_through_the_speaker_keeps_the_audio_and_says_what_it_played(
    speaker_home: HomeAssistant, tmp_path: Path
) -> None:
    await speaker_home.services.async_call(
        "tts",
        "speak",
        {
            "entity_id": TTS_ENTITY,
            "media_player_entity_id": SPEAKER,
            "message": ALARM_TEXT,
            "cache": False,
        },
        blocking=True,
    )

    state = speaker_home.states.get(SPEAKER)
    assert state is not None
    assert state.state == "playing"
    assert state.attributes["media_title"] == ALARM_TEXT
    played = await asyncio.to_thread(_played, tmp_path / "speaker")
    assert [text for text, _audio in played] == [ALARM_TEXT]
    _params, samples = _samples(played[0][1])
    assert max(abs(sample) for sample in samples) > 1000


@pytest.mark.parametrize(
    ("language", "text", "voice"),
    [
        ("zh-CN", "救助人员正在赶来。", "cmn-latn-pinyin"),
        ("en", "Help is on the way.", "en-us"),
        ("zh-CN", "Help is on the way.", "en-us"),  # Latin letters are no Mandarin
    ],
)
async def test_each_language_gets_its_voice(
    speaker_home: HomeAssistant, language: str, text: str, voice: str
) -> None:
    from custom_components.demo_speaker import espeak  # noqa: PLC0415 (a demo component)

    media_id = tts.generate_media_source_id(
        speaker_home, text, engine=TTS_ENTITY, language=language, cache=False
    )

    _extension, audio = await tts.async_get_media_source_audio(speaker_home, media_id)

    assert audio == (await espeak.speak(text, voice)).wav


async def test_the_mandarin_voice_reads_characters_as_mandarin(demo_components: None) -> None:
    """espeak-ng 1.51's plain `cmn` voice reads pinyin tone digits in English ("ni three");
    the voice used reads 你好 as ni3 hao3 with Mandarin tones."""
    from custom_components.demo_speaker import espeak  # noqa: PLC0415 (a demo component)

    process = await asyncio.create_subprocess_exec(
        "espeak-ng",
        "-q",
        "-x",
        "-v",
        espeak.voice_for("zh-CN", "你好"),
        "你好",
        stdout=asyncio.subprocess.PIPE,
    )
    phonemes, _ = await process.communicate()

    assert "(en)" not in phonemes.decode(), phonemes
    assert "214" in phonemes.decode(), phonemes  # the third tone


async def test_the_demo_household_announces_through_the_speaker(
    hass: HomeAssistant, tmp_path: Path, demo_components: None
) -> None:
    hass.config.config_dir = str(tmp_path)
    household = MockConfigEntry(domain="eldercare", title="王奶奶家 (demo)", data={}, options={})
    monitor = MockConfigEntry(domain="eldercare", data={"monitor_address": "AA:BB"}, options={})
    chosen = MockConfigEntry(
        domain="eldercare", data={}, options={"tts_entity": "tts.other", "media_player": "x.y"}
    )
    for entry in (household, monitor, chosen):
        entry.mock_state(hass, ConfigEntryState.LOADED)
        entry.add_to_hass(hass)

    assert await async_setup_component(hass, "demo_speaker", {"demo_speaker": None})
    await hass.async_block_till_done()

    assert household.options == {"tts_entity": TTS_ENTITY, "media_player": SPEAKER}
    assert monitor.options == {}, "a health monitor's entry is not the household"
    assert chosen.options["tts_entity"] == "tts.other", "an installer's choice stays"
