"""`make bench`'s services-beside-alarms section still runs: tiny sizes; it prints both lanes'
figures, stores every acked service request and loses no alarm (its own checks, exit 0)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_services_runs_with_tiny_sizes() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.services",
            *("--runs", "2", "--seconds", "3", "--window", "1"),
            *("--gateways", "20", "--screens", "2", "--burst", "100"),
            *("--alarm-rate", "600", "--service-rate", "600"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "median run p99" in result.stdout
    assert "B p99 within 10 % of A:" in result.stdout
    assert "every alarm acked and on every screen, every request acked and stored" in result.stdout
    counts = re.search(r"(\d+) sent in lane B, (\d+) acked, naks 0; stored (\d+)", result.stdout)
    assert counts is not None, result.stdout
    sent, acked, stored = (int(n) for n in counts.groups())
    assert sent > 0
    assert sent == acked == stored
