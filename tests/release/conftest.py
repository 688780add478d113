"""The release artifacts, built once per test session the way `make release` and a maintainer
build them, into temporary folders (the working tree gets no build/ or dist/ from tests)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = ROOT / "scripts" / "build_release.py"
# What setuptools reads to build the wheel and sdist of eldercare-gateway.
DISTRIBUTION_SOURCES = ("pyproject.toml", "README.md", "gateway", "hub", "provisioning")


def run(command: list[str], cwd: Path = ROOT) -> str:
    """Run a command to its end; its output is the failure message if it fails."""
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def build_release_zip(output: Path) -> Path:
    """What `make release` runs, writing `output` instead of dist/eldercare.zip."""
    run([sys.executable, str(BUILD_SCRIPT), "--output", str(output)])
    return output


@pytest.fixture(scope="session")
def release_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_release_zip(tmp_path_factory.mktemp("release") / "eldercare.zip")


@pytest.fixture(scope="session")
def release_tree(release_zip: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The zip unpacked as a person installs it: <config>/custom_components/eldercare."""
    target = tmp_path_factory.mktemp("config") / "custom_components" / "eldercare"
    with zipfile.ZipFile(release_zip) as archive:
        archive.extractall(target)
    return target


def tracked_and_new_files() -> list[str]:
    """The repository's files that git tracks or would add (not the ignored ones)."""
    listing = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"])
    return [name for name in listing.split("\0") if name]


@pytest.fixture(scope="session")
def distributions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(wheel, sdist) of eldercare-gateway: `python -m build` on a copy of the sources, so
    setuptools' build/ and egg-info never land in the working tree. The wheel is built from
    the sdist, which proves the sdist complete."""
    source = tmp_path_factory.mktemp("source")
    for name in tracked_and_new_files():
        path = ROOT / name
        if name.split("/")[0] in DISTRIBUTION_SOURCES and path.is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, source / name)
    out = tmp_path_factory.mktemp("dist")
    # No isolation: setuptools comes from the pinned dev environment, not a fresh download.
    command = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)]
    run(command)
    return next(out.glob("*.whl")), next(out.glob("*.tar.gz"))
