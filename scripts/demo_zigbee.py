"""The simulated Zigbee household for `make demo`: seed HA's ZHA entry, and ask if it is ready.

ZHA is set up by a config entry (not YAML). On a fresh demo, before Home Assistant ever ran, we
write that entry into HA's config-entry storage, pointing ZHA at the emulated ConBee II on
socket://127.0.0.1:PORT. With a real stick the entry is made by ZHA's own config flow instead;
the device path is the only difference.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The version of HA's config-entry storage this entry is written in (HA 2026.2: 1.5).
_STORAGE_VERSION, _STORAGE_MINOR_VERSION = 1, 5
_ZHA_ENTRY_VERSION, _ZHA_ENTRY_MINOR_VERSION = 5, 1

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _zha_entry(radio_port: int) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    return {
        "created_at": now,
        "data": {
            "device": {
                "path": f"socket://127.0.0.1:{radio_port}",
                "baudrate": 115200,
                "flow_control": None,
            },
            "radio_type": "deconz",
        },
        "disabled_by": None,
        "discovery_keys": {},
        "domain": "zha",
        "entry_id": uuid.uuid4().hex.upper()[:26],
        "minor_version": _ZHA_ENTRY_MINOR_VERSION,
        "modified_at": now,
        "options": {},
        "pref_disable_new_entities": False,
        "pref_disable_polling": False,
        "source": "user",
        "subentries": [],
        "title": "Simulated ConBee II",
        "unique_id": None,
        "version": _ZHA_ENTRY_VERSION,
    }


def seed_zha_entry(ha_config: Path, radio_port: int) -> bool:
    """Add the ZHA entry unless HA already has one; True when it was added."""
    path = ha_config / ".storage" / "core.config_entries"
    if path.exists():
        storage = json.loads(path.read_text())
        entries = storage["data"]["entries"]
        if any(entry["domain"] == "zha" for entry in entries):
            return False
    else:
        storage = {
            "version": _STORAGE_VERSION,
            "minor_version": _STORAGE_MINOR_VERSION,
            "key": "core.config_entries",
            "data": {"entries": []},
        }
        entries = storage["data"]["entries"]
    entries.append(_zha_entry(radio_port))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(storage, indent=2))
    return True


def household_status(control_url: str) -> dict[str, Any] | None:
    try:
        with _OPENER.open(f"{control_url}/status", timeout=2) as response:
            status: dict[str, Any] = json.loads(response.read())
            return status
    except (OSError, ValueError):
        return None


def household_ready(control_url: str) -> bool:
    """Every device joined, and every IAS zone enrolled by ZHA (so ZHA configured it)."""
    status = household_status(control_url)
    if status is None or not status.get("radio_connected"):
        return False
    devices = status["devices"].values()
    return all(d["joined"] and d.get("enrolled", True) for d in devices)


def household_command(control_url: str, command: str) -> str:
    """Run a simulator command (as `python -m gateway.sim COMMAND` would)."""
    # control_url is always our own http://127.0.0.1 endpoint.
    request = urllib.request.Request(  # noqa: S310
        f"{control_url}/command", data=command.encode(), method="POST"
    )
    with _OPENER.open(request, timeout=5) as response:
        return str(json.loads(response.read()).get("result", ""))


def valve_open(control_url: str) -> bool | None:
    status = household_status(control_url)
    if status is None:
        return None
    return bool(status["devices"]["valve"]["open"])
