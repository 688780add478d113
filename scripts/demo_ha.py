"""The demo's Home Assistant configuration folder, prepared before Home Assistant starts.

- configuration.yaml from demo/configuration.yaml, placeholders filled in;
- the custom integrations linked into custom_components (eldercare, and the demo-only
  virtual_ble_proxy, demo_speaker and demo_installer from demo/custom_components);
- onboarding's "core_config" and "analytics" steps marked done: the household's location, time
  zone, country and language come from configuration.yaml. Left to onboarding, that step would
  set the browser's time zone (UTC on many machines) and set up met, radio_browser and
  google_translate, which need the internet the demo home does not have;
- those three integrations forgotten if an earlier demo set them up.

Everything here blocks (files); the demo calls it through asyncio.to_thread.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from demo_hub import DemoError
from demo_settings import REPO, DemoPaths, DemoPorts

TEMPLATE = REPO / "demo" / "configuration.yaml"
DEMO_COMPONENTS = REPO / "demo" / "custom_components"
# The demo household is in Beijing.
HOUSEHOLD_TIME_ZONE = "Asia/Shanghai"
ONLINE_ONLY = frozenset({"met", "radio_browser", "google_translate"})
# The version of HA's onboarding storage (HA 2026.2: 4), and the steps the YAML answers.
_ONBOARDING_VERSION = 4
_ANSWERED_STEPS = ("core_config", "analytics")


def write_ha_config(paths: DemoPaths, ports: DemoPorts, enrollment_code: str) -> None:
    paths.ha_config.mkdir(parents=True, exist_ok=True)
    text = (
        TEMPLATE.read_text(encoding="utf-8")
        .replace("__HUB_URL__", ports.hub_url)
        .replace("__ENROLLMENT_CODE__", enrollment_code)
        .replace("__HA_PORT__", str(ports.ha))
        .replace("__BLE_PORT__", str(ports.ble))
        .replace("__TIME_ZONE__", HOUSEHOLD_TIME_ZONE)
    )
    (paths.ha_config / "configuration.yaml").write_text(text, encoding="utf-8")


def link_integrations(paths: DemoPaths) -> None:
    """Install the integrations by symlink so edits show up on Home Assistant's restart."""
    _link(paths, "eldercare", REPO / "integrations" / "eldercare")
    for component in ("virtual_ble_proxy", "demo_speaker", "demo_installer"):
        _link(paths, component, DEMO_COMPONENTS / component)


def _link(paths: DemoPaths, name: str, target: Path) -> None:
    link = paths.ha_config / "custom_components" / name
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() and link.readlink() == target:
        return
    if link.is_symlink() or link.is_file():
        link.unlink()
    elif link.exists():
        raise DemoError(f"{link} is a directory; remove it so the demo can link the integration.")
    link.symlink_to(target, target_is_directory=True)


def answer_onboarding(paths: DemoPaths) -> None:
    """Mark the onboarding steps that configuration.yaml answers as done; the owner account
    (and the last step) stay for the person trying the demo."""
    path = paths.ha_config / ".storage" / "onboarding"
    if path.exists():
        storage: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    else:
        storage = {
            "version": _ONBOARDING_VERSION,
            "minor_version": 1,
            "key": "onboarding",
            "data": {"done": []},
        }
    done: list[str] = storage["data"]["done"]
    missing = [step for step in _ANSWERED_STEPS if step not in done]
    if missing:
        done.extend(missing)
        _write_json(path, storage)


def forget_online_only_integrations(paths: DemoPaths) -> None:
    """Remove the entries (and their entities) of integrations that need the internet, left by
    an onboarding of an earlier demo."""
    storage_dir = paths.ha_config / ".storage"
    entries_path = storage_dir / "core.config_entries"
    if not entries_path.exists():
        return
    entries_store = json.loads(entries_path.read_text(encoding="utf-8"))
    entries = entries_store["data"]["entries"]
    gone = {e["entry_id"] for e in entries if e["domain"] in ONLINE_ONLY}
    if not gone:
        return
    entries_store["data"]["entries"] = [e for e in entries if e["entry_id"] not in gone]
    _write_json(entries_path, entries_store)
    registry_path = storage_dir / "core.entity_registry"
    if registry_path.exists():
        registry = json.loads(registry_path.read_text(encoding="utf-8"))
        registry["data"]["entities"] = [
            e for e in registry["data"]["entities"] if e.get("config_entry_id") not in gone
        ]
        _write_json(registry_path, registry)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".demo-tmp")
    temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    temporary.replace(path)
