"""The Dockerfile stays in step with the repository: its pins, its paths, its two targets.

No Docker engine runs here, so the file is read with a small parser instead of being built.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
CONSTRAINTS = "-c requirements/constraints.txt"


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case, e.g. "COPY"
    args: str  # everything after the keyword, continuations joined
    stage: str | None  # the `AS` name of the stage it belongs to


def parse(text: str) -> list[Instruction]:
    """Split a Dockerfile into instructions: `\\` continues a line, `#` lines are comments."""
    instructions: list[Instruction] = []
    stage: str | None = None
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # Docker drops these even inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        pending = ""
        keyword, args = keyword.upper(), args.strip()
        if keyword == "FROM":
            words = args.split()
            stage = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
        instructions.append(Instruction(keyword, args, stage))
    assert not pending, "Dockerfile ends inside a continued line"
    return instructions


def words(args: str) -> list[str]:
    """The arguments of an instruction in exec (JSON) or shell form, flags removed."""
    parts = json.loads(args) if args.startswith("[") else shlex.split(args)
    return [part for part in parts if not part.startswith("--")]


INSTRUCTIONS = parse(DOCKERFILE.read_text(encoding="utf-8"))


def base_image(stage: str) -> str:
    (args,) = [i.args for i in INSTRUCTIONS if i.keyword == "FROM" and i.stage == stage]
    return args.split()[0]


def test_both_targets_exist() -> None:
    stages = [i.stage for i in INSTRUCTIONS if i.keyword == "FROM"]
    assert {"gateway", "hub"} <= set(stages)
    assert stages[-1] == "hub"  # a plain `docker build` gives the hub image


def test_gateway_image_is_the_pinned_home_assistant() -> None:
    pin = re.search(r"^homeassistant==(\S+)", (ROOT / "requirements/ha.txt").read_text(), re.M)
    assert pin is not None
    image, _, tag = base_image("gateway").partition(":")
    assert image.endswith("home-assistant/home-assistant")
    assert tag == pin.group(1)


def test_hub_python_is_the_one_bootstrap_builds() -> None:
    pin = re.search(r'^PY_VERSION="([^"]+)"', (ROOT / "scripts/bootstrap").read_text(), re.M)
    assert pin is not None
    image, _, tag = base_image("hub").partition(":")
    assert image == "python"
    assert tag.split("-")[0] == pin.group(1)


def test_copy_sources_exist() -> None:
    copies = [i for i in INSTRUCTIONS if i.keyword == "COPY"]
    assert copies
    for copy in copies:
        if "--from=" in copy.args:
            continue  # sources from another stage or image, not from this tree
        *sources, _destination = words(copy.args)
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {copy.args}: {source} is not in the repo"


def test_gateway_installs_the_integration_as_a_custom_component() -> None:
    copies = [words(i.args) for i in INSTRUCTIONS if i.keyword == "COPY" and i.stage == "gateway"]
    normalized = [[part.rstrip("/") for part in copy] for copy in copies]
    assert ["integrations/eldercare", "/config/custom_components/eldercare"] in normalized


def test_every_pip_install_uses_the_constraints() -> None:
    commands = [
        (run.stage, command)
        for run in INSTRUCTIONS
        if run.keyword == "RUN"
        for command in re.split(r"&&|\|\||;", run.args)
        if re.search(r"\bpip3? install\b", command)
    ]
    assert {stage for stage, _ in commands} == {"gateway", "hub"}
    for _, command in commands:
        assert CONSTRAINTS in " ".join(command.split()), command
