"""espeak-ng (Debian's package) as a speech engine: text in, WAV audio out, offline.

Mandarin is espeak-ng's `cmn-latn-pinyin` voice: it reads Chinese characters as Mandarin with
their tones. The plain `cmn` voice of espeak-ng 1.51 (Debian bookworm) reads the tone digits of
its pinyin aloud in English ("ni three hao three"), so it is not used. No Home Assistant imports.
"""

from __future__ import annotations

import asyncio
import io
import re
import shutil
import wave
from dataclasses import dataclass

ESPEAK = "espeak-ng"
MANDARIN = "cmn-latn-pinyin"
ENGLISH = "en-us"
# Words per minute; a little slower than espeak-ng's 175 for older listeners.
RATE = 150
LANGUAGES = ["zh-CN", "zh-Hans", "zh", "en", "en-US", "en-GB"]
_CHINESE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class SpeechError(Exception):
    """espeak-ng could not speak the text; the message says why and what to do."""


@dataclass(frozen=True)
class Speech:
    wav: bytes
    voice: str

    @property
    def seconds(self) -> float:
        return wav_seconds(self.wav)


def voice_for(language: str, text: str) -> str:
    """Mandarin for Chinese, English for English. Text without a Chinese character is read in
    English whatever the language asked for: a Chinese voice spells Latin letters as pinyin."""
    if language.lower().startswith("zh") and _CHINESE.search(text):
        return MANDARIN
    return ENGLISH


def installed() -> bool:
    return shutil.which(ESPEAK) is not None


async def speak(text: str, voice: str) -> Speech:
    """The text spoken by `voice`, as a WAV file's bytes."""
    try:
        process = await asyncio.create_subprocess_exec(
            ESPEAK,
            "-v",
            voice,
            "-s",
            str(RATE),
            "-b",
            "1",  # the text is UTF-8
            "--stdin",  # not argv: text starting with "-" is no option, any length works
            "--stdout",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except FileNotFoundError:
        raise SpeechError(
            f"{ESPEAK} is not installed: `make demo` installs it (scripts/bootstrap), or"
            f" `apt-get install {ESPEAK}`"
        ) from None
    out, err = await process.communicate(text.encode())
    if process.returncode != 0 or not out:
        detail = err.decode(errors="replace").strip() or f"exit code {process.returncode}"
        raise SpeechError(f"{ESPEAK} with voice {voice} failed: {detail}")
    return Speech(_with_true_sizes(out), voice)


def _with_true_sizes(data: bytes) -> bytes:
    """espeak-ng writes its WAV header to a pipe before it knows the length (it cannot seek
    back), so the sizes in it are placeholders; write the same audio with the real ones."""
    try:
        with wave.open(io.BytesIO(data)) as source:
            params = source.getparams()
            frames = source.readframes(source.getnframes())
    except (wave.Error, EOFError) as err:
        raise SpeechError(f"{ESPEAK} wrote no readable WAV: {err}") from None
    out = io.BytesIO()
    with wave.open(out, "wb") as target:
        target.setnchannels(params.nchannels)
        target.setsampwidth(params.sampwidth)
        target.setframerate(params.framerate)
        target.writeframes(frames)
    return out.getvalue()


def wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as audio:
        return float(audio.getnframes() / audio.getframerate())
