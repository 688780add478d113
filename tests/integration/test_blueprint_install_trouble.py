"""Installing the bundled blueprints when the configuration directory is not as expected: the
policies are optional, so trouble there is a warning, never a failed start or a lost edit."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from homeassistant.core import HomeAssistant

from custom_components.eldercare import blueprint_install
from custom_components.eldercare.blueprint_install import MANIFEST_NAME, async_install_blueprints


@pytest.fixture
def config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """A configuration directory of this test alone (the default one is shared)."""
    path = tmp_path / "config"
    path.mkdir()
    hass.config.config_dir = str(path)
    return path


async def test_a_blueprints_folder_that_cannot_be_made_is_a_warning(
    hass: HomeAssistant, config_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Something else sits where the blueprints folder goes (a file restored from a backup).
    (config_dir / "blueprints").write_text("not a folder")
    with caplog.at_level(logging.WARNING, logger=blueprint_install.__name__):
        assert await async_install_blueprints(hass) == []
    assert "Could not install the eldercare blueprints" in caplog.text
    assert (config_dir / "blueprints").read_text() == "not a folder"


async def test_a_manifest_without_its_file_list_keeps_every_edited_copy(
    hass: HomeAssistant, config_dir: Path
) -> None:
    target = config_dir / "blueprints" / "automation" / "eldercare"
    await async_install_blueprints(hass)
    (target / MANIFEST_NAME).write_text('{"version": 1}')
    edited = target / "weekly_test_alarm.yaml"
    edited.write_text("# tuned by the family\n")
    # Unknown history: the edited copy might be the user's, so it stays.
    assert await async_install_blueprints(hass) == []
    assert edited.read_text() == "# tuned by the family\n"
