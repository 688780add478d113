"""What the library distribution and the release zip declare is exactly what their code imports."""

from __future__ import annotations

import importlib.metadata
import json
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .imports import (
    HA_COMPONENTS,
    distribution,
    import_closure,
    imports_of,
    is_third_party,
    python_files,
    requirement_closure,
)

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("gateway", "hub", "provisioning")
# Which extra serves each module: the longest prefix wins; "" is the core `dependencies`.
EXTRA_OF = {
    "gateway": "",
    "provisioning": "",
    "gateway.health.session": "ble",
    "hub": "hub",
}
SIMULATORS = "gateway.sim"  # in the repository for tests and the demo, not in the distribution


def _declared() -> dict[str, set[str]]:
    """Extra ("" for the core) -> canonical distribution names, from pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lists = {"": project["dependencies"], **project["optional-dependencies"]}
    return {
        extra: {canonicalize_name(Requirement(text).name) for text in texts}
        for extra, texts in lists.items()
    }


def _pins() -> dict[str, str]:
    """Canonical name -> the exact version requirements/constraints.txt pins."""
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements" / "constraints.txt").read_text().splitlines():
        if match := re.fullmatch(r"([A-Za-z0-9_.\-]+)==(\S+)", line.strip()):
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def _shipped(root: Path = ROOT) -> dict[str, Path]:
    """The distribution's modules: every module of PACKAGES but the simulators."""
    return {
        name: path
        for name, path in python_files(root, PACKAGES).items()
        if name != SIMULATORS and not name.startswith(SIMULATORS + ".")
    }


def _requirement_names(path: Path) -> set[str]:
    """The distributions a requirements file lists, its `-r` includes followed."""
    names: set[str] = set()
    for line in path.read_text().splitlines():
        text = line.partition("#")[0].strip()
        if text.startswith("-r"):
            names |= _requirement_names(path.parent / text.removeprefix("-r").strip())
        elif text:
            names.add(canonicalize_name(Requirement(text).name))
    return names


def _extra_of(module: str) -> str:
    prefix = max(
        (p for p in EXTRA_OF if module == p or module.startswith(p + ".")), key=len, default=None
    )
    assert prefix is not None, f"{module}: which extra serves it? (EXTRA_OF)"
    return EXTRA_OF[prefix]


def _needed(modules: set[str], files: dict[str, Path], root: Path) -> set[str]:
    """Third-party distributions the modules (and what they import of ours) import."""
    first_party = {name.partition(".")[0] for name in files}
    return {
        distribution(found.module)
        for name in import_closure(modules, files, root)
        for found in imports_of(files[name], root)
        if is_third_party(found.module, first_party)
    }


def test_each_extra_declares_what_its_modules_import() -> None:
    """`pip install eldercare-gateway[hub]` gets what `python -m hub` imports, and nothing
    a part does not import is declared for it."""
    declared = _declared()
    files = _shipped()
    assert set(declared) == set(EXTRA_OF.values())
    for extra in declared:
        needed = _needed({m for m in files if _extra_of(m) == extra}, files, ROOT)
        if extra == "":
            assert declared[""] == needed, "core dependencies"
        else:
            assert needed - declared[""] - declared[extra] == set(), f"[{extra}] misses these"
            assert declared[extra] - needed == set(), f"[{extra}] declares unused ones"


def test_declared_dependencies_are_the_imported_distributions() -> None:
    declared = set().union(*_declared().values())
    files = _shipped()
    assert declared == _needed(set(files), files, ROOT)


def test_nothing_shipped_imports_the_simulators() -> None:
    files = python_files(ROOT, PACKAGES)
    shipped = set(_shipped())
    reached = import_closure(shipped, files, ROOT)
    assert not {m for m in reached if m == SIMULATORS or m.startswith(SIMULATORS + ".")}


def test_the_development_requirements_bring_what_the_simulators_import() -> None:
    """`make test` and `make demo` run the simulators from the checkout: what they import
    comes with requirements/dev.txt (its own lines and what they require)."""
    files = python_files(ROOT, PACKAGES)
    simulators = {m for m in files if m not in _shipped()}
    assert simulators, "gateway/sim has moved: update SIMULATORS"
    installed = requirement_closure(_requirement_names(ROOT / "requirements" / "dev.txt"))
    assert _needed(simulators, files, ROOT) - installed == set()


def test_the_pinned_versions_satisfy_the_declared_ranges() -> None:
    """The versions the project runs and tests with (installed from the pins) are allowed."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"].values()
    texts = [*project["dependencies"], *(text for texts in extras for text in texts)]
    for requirement in map(Requirement, texts):
        installed = importlib.metadata.version(requirement.name)
        assert requirement.specifier.contains(installed), f"{requirement} vs {installed}"


def test_release_manifest_requires_what_stock_home_assistant_lacks(release_tree: Path) -> None:
    """The zip's manifest lists, pinned as in constraints.txt, each third-party distribution
    its code imports that neither `pip install homeassistant==<pin>` brings nor an HA
    integration the importing function goes through (ZHA's own zigpy) provides."""
    files = python_files(release_tree.parent.parent, ["custom_components"])
    stock = requirement_closure(["homeassistant"])
    needed: set[str] = set()
    for path in files.values():
        found = imports_of(path, release_tree.parent.parent)
        # Per function: which HA integrations it imports; their requirements are there then.
        through: dict[str, set[str]] = {}
        for item in found:
            if item.module.startswith(HA_COMPONENTS) and item.scope:
                domain = item.module.removeprefix(HA_COMPONENTS).partition(".")[0]
                through.setdefault(item.scope, set()).update(_integration_closure(domain))
        for item in found:
            if is_third_party(item.module, {"custom_components"}):
                name = distribution(item.module)
                if name not in stock and name not in through.get(item.scope, set()):
                    needed.add(name)

    manifest = json.loads((release_tree / "manifest.json").read_text())
    requirements = [Requirement(text) for text in manifest["requirements"]]
    assert {canonicalize_name(r.name) for r in requirements} == needed
    pins = _pins()
    for requirement in requirements:
        assert str(requirement.specifier) == f"=={pins[canonicalize_name(requirement.name)]}"


def test_source_manifest_requires_what_the_release_does(release_tree: Path) -> None:
    """Tests and the Docker image load integrations/eldercare itself: the same requirements,
    and never our own distribution, which no package index serves."""
    source = json.loads((ROOT / "integrations" / "eldercare" / "manifest.json").read_text())
    released = json.loads((release_tree / "manifest.json").read_text())
    assert source["requirements"] == released["requirements"]
    assert not any(
        canonicalize_name(Requirement(text).name) == "eldercare-gateway"
        for text in source["requirements"]
    )


def _integration_closure(domain: str) -> set[str]:
    """The distributions an HA integration's manifest requirements bring in."""
    import homeassistant.components  # noqa: PLC0415 (only this test needs HA's path)

    folder = Path(homeassistant.components.__path__[0]) / domain
    manifest = json.loads((folder / "manifest.json").read_text())
    return requirement_closure(Requirement(text).name for text in manifest["requirements"])
