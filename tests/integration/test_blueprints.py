"""The bundled automation blueprints: installed without losing edits, valid, and working."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation.config import (
    AUTOMATION_BLUEPRINT_SCHEMA,
    async_validate_config_item,
)
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util import yaml as yaml_util
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.eldercare import blueprint_install
from custom_components.eldercare.blueprint_install import (
    MANIFEST_NAME,
    async_install_blueprints,
)
from custom_components.eldercare.const import (
    EVENT_ALARM_RAISED,
    EVENT_ALARM_UPDATED,
    EVENT_ANNOUNCEMENT,
)
from gateway.alarms import AlarmAction, AlarmKind

BUNDLED = sorted(path.name for path in blueprint_install.BUNDLED_DIR.glob("*.yaml"))
EMERGENCY_SENSOR = "binary_sensor.wang_household_emergency_active"

# What a user fills in for each blueprint's inputs that have no default.
REQUIRED_INPUTS: dict[str, dict[str, Any]] = {
    "emergency_lights.yaml": {"lights": {"entity_id": ["light.hallway", "light.bedroom"]}},
    "help_on_the_way_announcement.yaml": {
        "tts_entity": "tts.home_assistant_cloud",
        "media_players": ["media_player.bedroom_speaker"],
    },
    "weekly_test_alarm.yaml": {"emergency_sensor": EMERGENCY_SENSOR},
    "emergency_door_unlock.yaml": {"door_lock": "lock.front_door"},
}


@pytest.fixture
def config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """A configuration directory of this test alone (the default one is shared)."""
    path = tmp_path / "config"
    path.mkdir()
    hass.config.config_dir = str(path)
    return path


@pytest.fixture
def target(config_dir: Path) -> Path:
    return config_dir / "blueprints" / "automation" / "eldercare"


@pytest.fixture
def bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the bundled blueprints that a test can change, as a new release would."""
    path = tmp_path / "bundle"
    shutil.copytree(blueprint_install.BUNDLED_DIR, path)
    monkeypatch.setattr(blueprint_install, "BUNDLED_DIR", path)
    return path


def _manifest(target: Path) -> dict[str, str]:
    files: dict[str, str] = json.loads((target / MANIFEST_NAME).read_text())["files"]
    return files


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _release_update(bundle: Path, name: str) -> bytes:
    """Change a bundled blueprint the way a new version of the integration would."""
    path = bundle / name
    content = path.read_bytes().replace(
        b"author: Eldercare Gateway", b"author: Eldercare Gateway\n  # v2"
    )
    assert content != path.read_bytes()
    path.write_bytes(content)
    return content


# --- installing ------------------------------------------------------------------------------


def test_every_required_input_is_listed_here() -> None:
    assert sorted(REQUIRED_INPUTS) == BUNDLED
    assert len(BUNDLED) >= 3


async def test_installs_every_bundled_blueprint(
    hass: HomeAssistant, config_dir: Path, target: Path
) -> None:
    written = await async_install_blueprints(hass)

    assert written == BUNDLED
    for name in BUNDLED:
        assert (target / name).read_bytes() == (blueprint_install.BUNDLED_DIR / name).read_bytes()
    assert _manifest(target) == {name: _sha256(target / name) for name in BUNDLED}


async def test_a_second_run_writes_nothing(
    hass: HomeAssistant, config_dir: Path, target: Path
) -> None:
    await async_install_blueprints(hass)
    manifest = (target / MANIFEST_NAME).read_bytes()
    stamps = {name: (target / name).stat().st_mtime_ns for name in BUNDLED}

    assert await async_install_blueprints(hass) == []
    assert (target / MANIFEST_NAME).read_bytes() == manifest
    assert {name: (target / name).stat().st_mtime_ns for name in BUNDLED} == stamps


async def test_an_edited_blueprint_is_kept_after_a_bundled_update(
    hass: HomeAssistant,
    config_dir: Path,
    target: Path,
    bundle: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await async_install_blueprints(hass)
    edited = target / "emergency_lights.yaml"
    user_text = edited.read_text().replace('default: "20:00:00"', 'default: "21:30:00"')
    edited.write_text(user_text)
    _release_update(bundle, "emergency_lights.yaml")

    with caplog.at_level(logging.INFO, logger=blueprint_install.__name__):
        written = await async_install_blueprints(hass)

    assert written == []
    assert edited.read_text() == user_text
    assert "Keeping emergency_lights.yaml" in caplog.text
    # Still the hash of what we wrote: the copy stays the user's on every later run too.
    assert await async_install_blueprints(hass) == []
    assert edited.read_text() == user_text


async def test_an_unedited_old_copy_is_upgraded(
    hass: HomeAssistant, config_dir: Path, target: Path, bundle: Path
) -> None:
    await async_install_blueprints(hass)
    new_content = _release_update(bundle, "weekly_test_alarm.yaml")

    assert await async_install_blueprints(hass) == ["weekly_test_alarm.yaml"]
    assert (target / "weekly_test_alarm.yaml").read_bytes() == new_content
    assert _manifest(target)["weekly_test_alarm.yaml"] == hashlib.sha256(new_content).hexdigest()
    assert await async_install_blueprints(hass) == []


async def test_a_deleted_blueprint_is_installed_again(
    hass: HomeAssistant, config_dir: Path, target: Path
) -> None:
    await async_install_blueprints(hass)
    (target / "emergency_door_unlock.yaml").unlink()

    assert await async_install_blueprints(hass) == ["emergency_door_unlock.yaml"]


def _write_before_any_install(target: Path) -> None:
    target.mkdir(parents=True)
    shutil.copy(blueprint_install.BUNDLED_DIR / "emergency_lights.yaml", target)
    (target / "weekly_test_alarm.yaml").write_text("# my own\n")


async def test_files_we_did_not_write_are_kept_without_a_manifest(
    hass: HomeAssistant, config_dir: Path, target: Path
) -> None:
    """A lost manifest: an identical copy is adopted, a different one is never overwritten."""
    _write_before_any_install(target)

    written = await async_install_blueprints(hass)

    assert sorted(written) == sorted(
        set(BUNDLED) - {"emergency_lights.yaml", "weekly_test_alarm.yaml"}
    )
    assert (target / "weekly_test_alarm.yaml").read_text() == "# my own\n"
    assert "weekly_test_alarm.yaml" not in _manifest(target)
    assert "emergency_lights.yaml" in _manifest(target)


async def test_a_corrupt_manifest_keeps_edited_files(
    hass: HomeAssistant, config_dir: Path, target: Path, bundle: Path
) -> None:
    await async_install_blueprints(hass)
    (target / MANIFEST_NAME).write_text("{not json")
    _release_update(bundle, "emergency_lights.yaml")

    # Unknown history: the old copy might be an edit, so it stays; the rest are adopted.
    assert await async_install_blueprints(hass) == []
    assert set(_manifest(target)) == set(BUNDLED) - {"emergency_lights.yaml"}


# --- validity --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BUNDLED)
async def test_blueprint_is_valid_for_home_assistant(
    hass: HomeAssistant, config_dir: Path, name: str
) -> None:
    data = yaml_util.load_yaml_dict(blueprint_install.BUNDLED_DIR / name)
    blueprint = Blueprint(
        data, path=name, expected_domain="automation", schema=AUTOMATION_BLUEPRINT_SCHEMA
    )
    assert blueprint.validate() is None  # min_version is met
    assert blueprint.metadata["author"] == "Eldercare Gateway"
    assert blueprint.metadata["description"]
    assert blueprint.name.startswith("Eldercare: ")

    # Instantiated with what a user fills in, it is a valid automation (triggers,
    # conditions and actions validated as HA does when the automation is saved).
    await async_install_blueprints(hass)
    config = {
        "id": name,
        "alias": blueprint.name,
        "use_blueprint": {"path": f"eldercare/{name}", "input": REQUIRED_INPUTS[name]},
    }
    validated = await async_validate_config_item(hass, "automation", config)
    assert validated is not None
    assert validated.validation_status == "ok"

    # No input without a default is left out of REQUIRED_INPUTS.
    without_default = {key for key, spec in blueprint.inputs.items() if "default" not in spec}
    assert without_default == set(REQUIRED_INPUTS[name])


@pytest.mark.parametrize("name", BUNDLED)
def test_blueprint_speaks_the_integrations_vocabulary(name: str) -> None:
    """Event types, alarm kinds and changes all exist: a typo would make a silent no-op."""
    data = yaml_util.load_yaml_dict(blueprint_install.BUNDLED_DIR / name)
    for trigger in data["triggers"]:
        if trigger["trigger"] == "event":
            assert trigger["event_type"] in {
                EVENT_ALARM_RAISED,
                EVENT_ALARM_UPDATED,
                EVENT_ANNOUNCEMENT,
            }
            change = trigger.get("event_data", {}).get("change")
            assert change is None or change in {*AlarmAction, "cleared", "reported"}
    kinds_input = data["blueprint"]["input"].get("alarm_kinds")
    if kinds_input is not None:
        options = {option["value"] for option in kinds_input["selector"]["select"]["options"]}
        assert options <= set(AlarmKind)
        assert set(kinds_input["default"]) <= options


# --- as real automations ---------------------------------------------------------------------


async def _automation(hass: HomeAssistant, name: str, **inputs: Any) -> None:
    await async_install_blueprints(hass)
    alias = name.removesuffix(".yaml")
    config = {
        "id": alias,
        "alias": alias,
        "use_blueprint": {
            "path": f"eldercare/{name}",
            "input": {**REQUIRED_INPUTS[name], **inputs},
        },
    }
    assert await async_setup_component(hass, "automation", {"automation": [config]})
    await hass.async_block_till_done()
    state = hass.states.get(f"automation.{alias}")
    assert state is not None
    assert state.state == "on"


def _local(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of January 2026 in the test instance's time zone (the 5th is a Monday)."""
    return datetime(2026, 1, day, hour, minute, tzinfo=dt_util.get_default_time_zone())


def _raised(kind: str) -> dict[str, Any]:
    return {
        "alarm_id": f"a-{kind}",
        "kind": kind,
        "severity": "critical",
        "state": "raised",
        "count": 1,
        "source": "test",
    }


def _updated(kind: str, change: str) -> dict[str, Any]:
    return {**_raised(kind), "change": change, "detail": ""}


async def test_emergency_lights_come_on_for_a_fall_at_night(
    hass: HomeAssistant, config_dir: Path, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to(_local(10, 2, 30))
    turn_on = async_mock_service(hass, "light", "turn_on")
    await _automation(hass, "emergency_lights.yaml")

    hass.bus.async_fire(EVENT_ALARM_RAISED, _raised("battery_low"))
    await hass.async_block_till_done()
    assert turn_on == []

    hass.bus.async_fire(EVENT_ALARM_RAISED, _raised("fall"))
    await hass.async_block_till_done()
    (call,) = turn_on
    assert call.data["entity_id"] == ["light.hallway", "light.bedroom"]
    assert call.data["brightness_pct"] == 100


async def test_emergency_lights_stay_off_by_day(
    hass: HomeAssistant, config_dir: Path, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to(_local(10, 14, 0))
    turn_on = async_mock_service(hass, "light", "turn_on")
    await _automation(hass, "emergency_lights.yaml")

    hass.bus.async_fire(EVENT_ALARM_RAISED, _raised("sos"))
    await hass.async_block_till_done()
    assert turn_on == []


async def test_help_on_the_way_is_announced(hass: HomeAssistant, config_dir: Path) -> None:
    speak = async_mock_service(hass, "tts", "speak")
    await _automation(
        hass, "help_on_the_way_announcement.yaml", announce_family=False, dispatched_message="Hi"
    )

    for kind, change in (("fall", "family_ack"), ("test", "dispatched"), ("fall", "resolved")):
        hass.bus.async_fire(EVENT_ALARM_UPDATED, _updated(kind, change))
    await hass.async_block_till_done()
    assert speak == []

    hass.bus.async_fire(EVENT_ALARM_UPDATED, _updated("fall", "dispatched"))
    await hass.async_block_till_done()
    (call,) = speak
    assert call.data["entity_id"] == ["tts.home_assistant_cloud"]
    assert call.data["media_player_entity_id"] == ["media_player.bedroom_speaker"]
    assert call.data["message"] == "Hi"


async def test_door_is_unlocked_when_help_is_dispatched(
    hass: HomeAssistant, config_dir: Path
) -> None:
    unlock = async_mock_service(hass, "lock", "unlock")
    await _automation(hass, "emergency_door_unlock.yaml")

    hass.bus.async_fire(EVENT_ALARM_RAISED, _raised("fall"))
    hass.bus.async_fire(EVENT_ALARM_UPDATED, _updated("water_leak", "dispatched"))
    await hass.async_block_till_done()
    assert unlock == []

    hass.bus.async_fire(EVENT_ALARM_UPDATED, _updated("fall", "dispatched"))
    await hass.async_block_till_done()
    (call,) = unlock
    assert call.data["entity_id"] == ["lock.front_door"]


async def test_weekly_test_alarm_runs_on_its_day_unless_an_emergency_is_active(
    hass: HomeAssistant, config_dir: Path, freezer: FrozenDateTimeFactory
) -> None:
    test_action = async_mock_service(hass, "eldercare", "test")
    hass.states.async_set(EMERGENCY_SENSOR, "off")
    freezer.move_to(_local(5, 9, 0))  # a Monday
    await _automation(hass, "weekly_test_alarm.yaml", test_day="mon", test_time="09:30:00")

    async def at(moment: datetime) -> None:
        freezer.move_to(moment)
        async_fire_time_changed(hass, moment)
        await hass.async_block_till_done()

    await at(_local(5, 9, 30))
    assert len(test_action) == 1

    await at(_local(6, 9, 30))  # Tuesday
    assert len(test_action) == 1

    hass.states.async_set(EMERGENCY_SENSOR, "on")
    await at(_local(12, 9, 30))  # Monday, during an emergency
    assert len(test_action) == 1

    hass.states.async_set(EMERGENCY_SENSOR, "off")
    await at(_local(19, 9, 30))
    assert len(test_action) == 2
