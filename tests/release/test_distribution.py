"""The library distribution, eldercare-gateway: a wheel and an sdist a package index accepts,
carrying every file of its packages."""

from __future__ import annotations

import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path, PurePosixPath

from .conftest import ROOT, run, tracked_and_new_files

PACKAGES = ("gateway", "hub", "provisioning")
SIMULATORS = "gateway/sim/"
PROJECT_URL = "https://github.com/eldercare-gateway/eldercare-gateway"


def test_twine_accepts_the_wheel_and_the_sdist(distributions: tuple[Path, Path]) -> None:
    output = run([sys.executable, "-m", "twine", "check", "--strict", *map(str, distributions)])
    assert output.count("PASSED") == 2, output


def test_the_wheel_carries_every_file_of_the_packages(distributions: tuple[Path, Path]) -> None:
    """Static files, subfolders included: nothing the repository has is left behind but the
    simulators, which serve the tests and the demo from the checkout."""
    wheel, _ = distributions
    in_repo = {
        name
        for name in tracked_and_new_files()
        if PurePosixPath(name).parts[0] in PACKAGES
        and not name.startswith(SIMULATORS)
        and (ROOT / name).is_file()
    }
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = {name for name in archive.namelist() if name.split("/")[0] in PACKAGES}
    assert {n for n in in_wheel if not n.endswith(".py")} == {
        n for n in in_repo if not n.endswith(".py")
    }
    assert {n for n in in_wheel if n.endswith(".py")} == {n for n in in_repo if n.endswith(".py")}


def test_the_sdist_names_the_project_and_its_extras(distributions: tuple[Path, Path]) -> None:
    _, sdist = distributions
    with tarfile.open(sdist) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("/PKG-INFO"))
        handle = archive.extractfile(member)
        assert handle is not None
        metadata = Parser().parsestr(handle.read().decode())
    assert metadata["Name"] == "eldercare-gateway"
    assert set(metadata.get_all("Provides-Extra") or []) == {"ble", "hub"}
    assert f"Homepage, {PROJECT_URL}" in (metadata.get_all("Project-URL") or [])
    assert metadata["Description-Content-Type"] == "text/markdown"
