"""Can the demo's home speaker speak? It needs Debian's espeak-ng (the voice) and ffmpeg (Home
Assistant's text-to-speech needs it), which scripts/bootstrap installs."""

from __future__ import annotations

import shutil

TOOLS = ("espeak-ng", "ffmpeg")


def speech_problem() -> str | None:
    """A line for the terminal when a tool is missing; None when the speaker can speak."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not missing:
        return None
    return (
        f"The home speaker stays silent without {' and '.join(missing)}: `make demo` installs"
        f" them (scripts/bootstrap), or `apt-get install {' '.join(missing)}`."
    )
