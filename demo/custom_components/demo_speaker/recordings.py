"""What the demo's speaker played: each announcement's audio as a file, and one JSON line per
announcement in `played.jsonl` (time, seconds, text, file) that the demo's terminal follows.
Only the newest files are kept. Blocking file work: run it in an executor. No HA imports.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

PLAYED_LOG = "played.jsonl"
KEEP_FILES = 50


@dataclass(frozen=True)
class Played:
    at: str  # UTC, ISO-8601 with milliseconds and Z
    seconds: float | None
    text: str
    file: str


def keep(folder: Path, extension: str, audio: bytes, text: str, seconds: float | None) -> Played:
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    path = folder / f"{now:%Y%m%d-%H%M%S-%f}.{extension}"
    path.write_bytes(audio)
    played = Played(
        at=now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        seconds=None if seconds is None else round(seconds, 2),
        text=text,
        file=str(path),
    )
    with (folder / PLAYED_LOG).open("a", encoding="utf-8") as log:
        log.write(json.dumps(asdict(played), ensure_ascii=False) + "\n")
    _forget_old(folder)
    return played


def _forget_old(folder: Path) -> None:
    audio = sorted(p for p in folder.iterdir() if p.name != PLAYED_LOG and p.is_file())
    for old in audio[:-KEEP_FILES]:
        old.unlink(missing_ok=True)
