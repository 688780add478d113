"""The demo's Home Assistant folder (scripts/demo_ha.py): the household's time zone, onboarding
that asks only for the owner, and no integration that needs the internet."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT / "scripts"))  # the demo's modules, as scripts/demo.py imports them

from demo_ha import (  # noqa: E402
    answer_onboarding,
    forget_online_only_integrations,
    write_ha_config,
)
from demo_settings import DemoPaths, DemoPorts  # noqa: E402


def _storage(paths: DemoPaths, key: str) -> dict[str, object]:
    data: dict[str, object] = json.loads(
        (paths.ha_config / ".storage" / key).read_text(encoding="utf-8")
    )
    return data


def test_the_configuration_puts_the_household_in_beijing(tmp_path: Path) -> None:
    paths = DemoPaths(tmp_path)

    write_ha_config(paths, DemoPorts(ha=18123), "CODE-1")

    text = (paths.ha_config / "configuration.yaml").read_text(encoding="utf-8")
    assert "time_zone: Asia/Shanghai" in text
    assert "server_port: 18123" in text
    assert "enrollment_code: CODE-1" in text
    settings = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in settings if re.search(r"__[A-Z_]+__", line)], "all filled in"


def test_onboarding_asks_only_for_the_owner(tmp_path: Path) -> None:
    paths = DemoPaths(tmp_path)

    answer_onboarding(paths)
    answer_onboarding(paths)  # again: nothing added twice

    onboarding = _storage(paths, "onboarding")
    assert onboarding["data"] == {"done": ["core_config", "analytics"]}


def test_an_owner_made_earlier_stays(tmp_path: Path) -> None:
    paths = DemoPaths(tmp_path)
    store = paths.ha_config / ".storage" / "onboarding"
    store.parent.mkdir(parents=True)
    store.write_text(json.dumps({"version": 4, "key": "onboarding", "data": {"done": ["user"]}}))

    answer_onboarding(paths)

    assert _storage(paths, "onboarding")["data"] == {"done": ["user", "core_config", "analytics"]}


def test_integrations_that_need_the_internet_are_forgotten(tmp_path: Path) -> None:
    paths = DemoPaths(tmp_path)
    storage = paths.ha_config / ".storage"
    storage.mkdir(parents=True)
    entries = [
        {"entry_id": "M", "domain": "met"},
        {"entry_id": "R", "domain": "radio_browser"},
        {"entry_id": "G", "domain": "google_translate"},
        {"entry_id": "Z", "domain": "zha"},
    ]
    (storage / "core.config_entries").write_text(json.dumps({"data": {"entries": entries}}))
    entities = [
        {"entity_id": "weather.forecast_home", "config_entry_id": "M"},
        {"entity_id": "tts.google_translate_en_com", "config_entry_id": "G"},
        {"entity_id": "switch.valve", "config_entry_id": "Z"},
    ]
    (storage / "core.entity_registry").write_text(json.dumps({"data": {"entities": entities}}))

    forget_online_only_integrations(paths)

    kept = _storage(paths, "core.config_entries")["data"]["entries"]  # type: ignore[index]
    assert [e["domain"] for e in kept] == ["zha"]
    registry = _storage(paths, "core.entity_registry")["data"]["entities"]  # type: ignore[index]
    assert [e["entity_id"] for e in registry] == ["switch.valve"]
