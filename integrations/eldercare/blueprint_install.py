"""Installing the bundled automation blueprints into the configuration, without losing edits.

HA only loads blueprints from <config>/blueprints/, so ours are copied there. A user may have
edited a copy (they are policies meant to be tuned), so a manifest records the sha256 of what we
last wrote per file: a copy still matching it is ours to upgrade, any other copy is the user's.

Call it once Home Assistant has started (homeassistant.helpers.start.async_at_started): the
automation integration copies its own example blueprints only while blueprints/automation/ does
not exist yet, and creating our folder first would keep them from ever being added.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util.file import write_utf8_file

_LOGGER = logging.getLogger(__name__)

# Module-level so that tests can point it at a modified copy of the bundle.
BUNDLED_DIR = Path(__file__).parent / "blueprints" / "automation" / "eldercare"
# Relative to the configuration directory; HA lists blueprints/automation/**/*.yaml.
TARGET_DIR = ("blueprints", "automation", "eldercare")
# Hidden and not *.yaml: HA's blueprint loader never mistakes it for a blueprint.
MANIFEST_NAME = ".eldercare-installed.json"


async def async_install_blueprints(hass: HomeAssistant) -> list[str]:
    """Copy new and upgraded blueprints; return the names of the files written."""
    target = Path(hass.config.path(*TARGET_DIR))
    try:
        return await hass.async_add_executor_job(_install, BUNDLED_DIR, target)
    except (OSError, HomeAssistantError) as err:
        # Optional policies: a read-only or full disk must not keep the safety rules from running.
        _LOGGER.warning("Could not install the eldercare blueprints into %s: %s", target, err)
        return []


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_manifest(path: Path) -> dict[str, str]:
    """The hashes we last wrote; unreadable means unknown, so every differing copy is kept."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        _LOGGER.warning("Ignoring unreadable %s: %s", path, err)
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        return {}
    return {name: digest for name, digest in files.items() if isinstance(digest, str)}


def _install(bundled_dir: Path, target_dir: Path) -> list[str]:
    manifest_path = target_dir / MANIFEST_NAME
    recorded = _read_manifest(manifest_path)
    # Entries of files no longer bundled stay: if one comes back, an unedited copy still upgrades.
    updated = dict(recorded)
    written: list[str] = []
    target_dir.mkdir(parents=True, exist_ok=True)

    for source in sorted(bundled_dir.glob("*.yaml")):
        name = source.name
        content = source.read_bytes()
        digest = _sha256(content)
        destination = target_dir / name
        try:
            current: str | None = _sha256(destination.read_bytes())
        except FileNotFoundError:
            current = None

        if current == digest:
            # Already the bundled content (also when the manifest was lost): adopt it as ours.
            updated[name] = digest
            continue
        if current is not None and current != recorded.get(name):
            _LOGGER.info("Keeping %s: it was edited, so the bundled update is not applied", name)
            continue
        # Missing, or an unedited copy of an older bundle. Atomic, so a crash never leaves
        # a half-written blueprint that HA would fail to load.
        write_utf8_file(str(destination), content, mode="wb")
        updated[name] = digest
        written.append(name)

    if updated != recorded:
        text = json.dumps({"version": 1, "files": updated}, indent=2, sort_keys=True)
        write_utf8_file(str(manifest_path), text + "\n")
    if written:
        _LOGGER.info("Installed blueprints into %s: %s", target_dir, ", ".join(written))
    return written
