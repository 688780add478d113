"""The simulated Zigbee household for `make demo`: seed HA's ZHA entry, and ask if it is ready.

ZHA is set up by a config entry (not YAML). On a fresh demo, before Home Assistant ever ran, we
write that entry into HA's config-entry storage, pointing ZHA at the emulated ConBee II on
socket://127.0.0.1:PORT. With a real stick the entry is made by ZHA's own config flow instead;
the device path is the only difference.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from demo_hub import DemoError

# The version of HA's config-entry storage this entry is written in (HA 2026.2: 1.5).
_STORAGE_VERSION, _STORAGE_MINOR_VERSION = 1, 5
_ZHA_ENTRY_VERSION, _ZHA_ENTRY_MINOR_VERSION = 5, 1

_TIMEOUT = aiohttp.ClientTimeout(total=5)


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


class HouseholdClient:
    """The simulated household's control endpoint (gateway/sim/control.py), as the demo uses it."""

    def __init__(self, session: aiohttp.ClientSession, control_url: str) -> None:
        self._session = session
        self._url = control_url

    async def status(self) -> dict[str, Any] | None:
        try:
            async with self._session.get(f"{self._url}/status", timeout=_TIMEOUT) as response:
                status: dict[str, Any] = await response.json()
                return status
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return None

    async def ready(self) -> bool:
        """Every device joined, and every IAS zone enrolled by ZHA (so ZHA configured it)."""
        status = await self.status()
        if status is None or not status.get("radio_connected"):
            return False
        devices = status["devices"].values()
        return all(d["joined"] and d.get("enrolled", True) for d in devices)

    async def command(self, text: str) -> str:
        """Run a simulator command (as `python -m gateway.sim COMMAND` would)."""
        async with self._session.post(
            f"{self._url}/command", data=text.encode(), timeout=_TIMEOUT
        ) as response:
            answer = await response.json()
            if response.status != 200:
                raise DemoError(f"the simulated household refused {text!r}: {answer.get('error')}")
            return str(answer.get("result", ""))

    async def valve_open(self) -> bool | None:
        status = await self.status()
        if status is None:
            return None
        return bool(status["devices"]["valve"]["open"])
