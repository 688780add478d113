"""`make demo` end to end: scripts/demo.py --check runs the real hub, the simulated household and
a real Home Assistant with the integration, on free ports and a fresh state folder, and tries
what the demo promises (scripts/demo_checks.py). Among them the care center going down: Home
Assistant keeps running when the hub stops (`python -m gateway.sim hub stop`), `gas on` still
closes the valve and the home speaker says so in Chinese, and the hub, started again
(`hub start`), receives the alarm raised while it was down."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PORT_FLAGS = (
    "--hub-port",
    "--ha-port",
    "--radio-port",
    "--control-port",
    "--ble-port",
    "--panel-port",
    "--demo-port",
)


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@pytest.mark.timeout(900)
def test_the_demo_keeps_the_home_running_while_the_care_center_is_down(
    tmp_path: Path, socket_enabled: None
) -> None:
    run_dir = tmp_path / "run"
    ports = _free_ports(len(PORT_FLAGS))
    flags = [arg for flag, port in zip(PORT_FLAGS, ports, strict=True) for arg in (flag, str(port))]

    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "demo.py"),
            "--check",
            "--run-dir",
            str(run_dir),
            *flags,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=840,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    terminal = result.stdout.splitlines()
    assert any("Check passed" in line for line in terminal), result.stdout
    assert any("Care-center hub stopped" in line for line in terminal)
    assert any("Care-center hub is back" in line for line in terminal)
    # Short lines for people: no process's log reaches the terminal.
    assert not [line for line in terminal if line.lstrip().startswith("{")], result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    # Home Assistant's log: no errors (no integration that needs the internet was set up).
    ha_log = (run_dir / "ha.log").read_text(encoding="utf-8")
    assert not [line for line in ha_log.splitlines() if " ERROR " in line], ha_log
    # What the home speaker said while the hub was down, in Chinese.
    played = (run_dir / "ha" / "speaker" / "played.jsonl").read_text(encoding="utf-8")
    assert any("燃气" in json.loads(line)["text"] for line in played.splitlines())
