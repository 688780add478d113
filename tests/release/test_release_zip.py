"""dist/eldercare.zip, the HACS zip release: what is in it and that its code imports inside it."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from .conftest import BUILD_SCRIPT, ROOT, build_release_zip
from .imports import imports_of, python_files

INTEGRATION = ROOT / "integrations" / "eldercare"


def _names(release_zip: Path) -> list[str]:
    with zipfile.ZipFile(release_zip) as archive:
        return archive.namelist()


def test_the_zip_root_is_the_integration_folder(release_zip: Path) -> None:
    """HACS unpacks it into custom_components/eldercare: the manifest sits at the root."""
    names = set(_names(release_zip))
    integration = {p.relative_to(INTEGRATION).as_posix() for p in INTEGRATION.rglob("*.*")}
    assert {n for n in integration if "__pycache__" not in n} <= names
    with zipfile.ZipFile(release_zip) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["domain"] == "eldercare"


def test_the_library_is_inside_without_simulators_or_caches(release_zip: Path) -> None:
    names = _names(release_zip)
    assert "vendor/gateway/protocol.py" in names
    assert "vendor/provisioning/codes.py" in names
    assert not [n for n in names if n.startswith(("vendor/gateway/sim/", "vendor/hub/"))]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_the_same_tree_builds_the_same_bytes(release_zip: Path, tmp_path: Path) -> None:
    again = build_release_zip(tmp_path / "again.zip")
    assert again.read_bytes() == release_zip.read_bytes()
    with zipfile.ZipFile(again) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}


def test_every_import_of_ours_resolves_inside_the_zip(release_tree: Path) -> None:
    """No absolute import of gateway, provisioning or hub is left: each import of our code
    names a module that the zip itself holds."""
    config = release_tree.parent.parent
    files = python_files(config, ["custom_components"])
    packages = {name.rpartition(".")[0] for name in files}
    for name, path in files.items():
        for found in imports_of(path, config):
            top = found.module.partition(".")[0]
            assert top not in {"gateway", "provisioning", "hub"}, f"{name}: {found.module}"
            if top == "custom_components":
                assert found.module in files or found.module in packages, f"{name}: {found}"


def test_every_module_of_the_zip_imports(release_tree: Path) -> None:
    """Imported from the unpacked folder as HA imports it (custom_components.eldercare....),
    in a fresh interpreter: none of them reaches for this repository's packages."""
    config = release_tree.parent.parent
    names = sorted(python_files(config, ["custom_components"]))
    script = (
        "import importlib, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "for name in sys.argv[2:]:\n"
        "    importlib.import_module(name)\n"
        "print(sorted({'gateway', 'provisioning', 'hub'} & set(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", script, str(config), *names],
        cwd=config,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def _build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_release", BUILD_SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_imports_become_relative_to_where_the_module_sits() -> None:
    build = _build_script()
    source = "from gateway.alarms import AlarmKind\nfrom provisioning import keys\n"
    assert build.relative_imports(source.encode(), "vendor/gateway/link/client.py") == (
        b"from ..alarms import AlarmKind\nfrom ...provisioning import keys\n"
    )
    assert build.relative_imports(source.encode(), "sensor.py") == (
        b"from .vendor.gateway.alarms import AlarmKind\nfrom .vendor.provisioning import keys\n"
    )


def test_the_build_refuses_what_the_zip_cannot_hold() -> None:
    """A simulator or hub import, or `import gateway.x` (no relative form), stops the build
    with the file and line, instead of a zip that fails inside Home Assistant."""
    build = _build_script()
    for source in ("from gateway.sim.air import Air\n", "import gateway.protocol\n"):
        with pytest.raises(build.ReleaseError, match=r"sensor\.py:1"):
            build.relative_imports(source.encode(), "sensor.py")
    with pytest.raises(build.ReleaseError, match="not part of the release"):
        build.relative_imports(b"x = 1\nfrom hub.storage import HubStore\n", "sensor.py")
