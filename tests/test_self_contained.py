"""The repository explains itself: no file sends the reader to a file outside it (the design
notes beside the checkout are not shipped with it; docs/ holds what the code follows)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTSIDE = ("DESIGN.md", "../shared", "shared/")
THIS_FILE = Path(__file__).relative_to(ROOT).as_posix()
# CI's own script describes the machine it runs on (the clone with ../shared beside it).
NOT_READ = frozenset({THIS_FILE, ".ci/run"})


def test_no_tracked_file_cites_a_path_outside_the_repository() -> None:
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    citing = []
    for name in filter(None, tracked):
        path = ROOT / name
        if name in NOT_READ or path.suffix not in {".py", ".md", ".js", ".yaml", ".json", ""}:
            continue
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        citing += [f"{name}: {needle}" for needle in OUTSIDE if needle in text]
    assert citing == []
