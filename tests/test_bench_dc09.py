"""`make bench`'s dc09 section still runs: tiny sizes, every check it makes must pass."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_dc09_runs_with_tiny_sizes() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.dc09",
            "--connections",
            "3",
            "--warmup",
            "0.2",
            "--duration",
            "0.5",
            "--events",
            "20",
            "--check-frames",
            "40",
            "--check-repeats",
            "1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ours beside pysiaalarm" in result.stdout
    assert "every event ACKed once and held once" in result.stdout
