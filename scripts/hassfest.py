#!/usr/bin/env python3
"""`make hassfest`: Home Assistant's own validator (hassfest) over integrations/eldercare.

hassfest lives only in Home Assistant's git repository (script/hassfest); no package ships it,
and this project neither vendors it nor downloads it. It is run from a copy that is already on
the machine: the directory in $HASSFEST_SOURCE (an error if that holds none), else the cache
directory below. Either holds `script/hassfest/` (a checkout of home-assistant/core is one).
The run is the one the hassfest GitHub action makes for a custom integration:

    cd <source> && python -m script.hassfest --action validate --integration-path <integration>

with this project's interpreter, so `homeassistant` is the version we pin (a full core checkout
imports its own, as in Home Assistant's CI).

Without a copy it prints one line saying hassfest was not run and why, and exits 0: a fresh
machine cannot obtain it. tests/integration/test_manifest_rules.py checks the defects hassfest
has caught here on every machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "integrations" / "eldercare"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "eldercare-gateway"
DEFAULT_SOURCE = CACHE / "hassfest"


def holds_hassfest(directory: Path) -> bool:
    return (directory / "script" / "hassfest" / "__main__.py").is_file()


def main() -> int:
    configured = os.environ.get("HASSFEST_SOURCE")
    source = Path(configured).expanduser() if configured else DEFAULT_SOURCE
    if not holds_hassfest(source):
        if configured:  # asked for, and not there: a typo must not pass as "not run"
            print(f"hassfest: HASSFEST_SOURCE={configured} holds no script/hassfest/__main__.py")
            return 2
        print(
            f"hassfest: not run: no copy of Home Assistant's script/hassfest in {DEFAULT_SOURCE}"
            " or $HASSFEST_SOURCE (it ships only in Home Assistant's git repository)."
        )
        return 0
    env = dict(os.environ)
    # hassfest formats the files it generates with ruff: the project's own is in the venv.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.pop("PYTHONPATH", None)
    command = [
        sys.executable,
        "-m",
        "script.hassfest",
        "--action",
        "validate",
        "--integration-path",
        str(INTEGRATION),
    ]
    print(f"hassfest: {' '.join(command[1:])} (in {source})", flush=True)
    return subprocess.run(command, cwd=source, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
