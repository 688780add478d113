"""The repository as HACS reads it: hacs.json, and custom_components/<domain>/manifest.json."""

from __future__ import annotations

import json
import re

from packaging.version import Version

from .conftest import ROOT

# The keys HACS's hacs.json schema knows; any other one fails its validation.
HACS_KEYS = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "hide_default_branch",
    "country",
    "homeassistant",
    "hacs",
    "persistent_directory",
    "render_readme",
}


def test_hacs_json_names_the_zip_that_make_release_builds() -> None:
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert set(hacs) <= HACS_KEYS
    assert hacs["name"] == "Eldercare Gateway"
    assert hacs["zip_release"] is True
    assert hacs["filename"] == "eldercare.zip"
    assert "dist/eldercare.zip" in (ROOT / "scripts" / "build_release.py").read_text()
    assert hacs["render_readme"] is True
    assert hacs.get("content_in_root", False) is False


def test_the_minimum_home_assistant_is_not_newer_than_the_one_we_test() -> None:
    hacs = json.loads((ROOT / "hacs.json").read_text())
    pinned = re.search(r"^homeassistant==(\S+)", (ROOT / "requirements/ha.txt").read_text(), re.M)
    assert pinned is not None
    assert Version(hacs["homeassistant"]) <= Version(pinned[1])
    assert Version(hacs["homeassistant"]).release[:2] == Version(pinned[1]).release[:2]


def test_custom_components_holds_the_integration_manifest() -> None:
    """HACS takes the first folder under custom_components/ as the integration and reads its
    manifest.json: ours is a link to integrations/eldercare/manifest.json, never a copy."""
    folders = [p for p in (ROOT / "custom_components").iterdir() if p.is_dir()]
    assert [p.name for p in folders] == ["eldercare"]
    manifest = folders[0] / "manifest.json"
    assert manifest.is_symlink()
    assert manifest.resolve() == (ROOT / "integrations" / "eldercare" / "manifest.json")
    assert json.loads(manifest.read_text())["domain"] == "eldercare"


def test_the_readme_tells_how_to_install_into_an_existing_home_assistant() -> None:
    readme = (ROOT / "README.md").read_text()
    assert readme.index("make demo") < readme.index("make release")
    assert "custom_components/eldercare" in readme
    assert "HACS" in readme
