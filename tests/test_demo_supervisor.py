"""The demo's process supervision and its hub switch (scripts/demo_supervisor.py,
scripts/demo_control.py), with small stand-in processes; and what the demo's terminal says
(scripts/demo_narrator.py). The real demo is tried end to end in tests/test_demo.py."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT / "scripts"))  # the demo's modules, as scripts/demo.py imports them

from demo_control import HubSwitch, start_control  # noqa: E402
from demo_hub import HubAlarm  # noqa: E402
from demo_narrator import OutboxWatch, hub_alarm_lines, valve_line  # noqa: E402
from demo_supervisor import ChildSpec, ChildState, Supervisor  # noqa: E402

from gateway.sim.__main__ import main as sim_cli  # noqa: E402

# A stand-in process: runs until it is stopped (or exits with the given code).
SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


def _crasher(code: int) -> list[str]:
    return [sys.executable, "-c", f"import sys; print('boom', flush=True); sys.exit({code})"]


class Terminal:
    """What the demo printed."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def say(self, line: str) -> None:
        self.lines.append(line)


@pytest.fixture
def terminal() -> Terminal:
    return Terminal()


@pytest.fixture
async def supervisor(tmp_path: Path, terminal: Terminal) -> AsyncIterator[Supervisor]:
    supervisor = Supervisor(tmp_path, terminal.say)
    supervisor.add(ChildSpec("hub", "the care-center hub", SLEEPER, tmp_path / "hub.log"))
    supervisor.add(ChildSpec("ha", "Home Assistant", SLEEPER, tmp_path / "ha.log", essential=True))
    yield supervisor
    await supervisor.stop_all()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_stopping_the_hub_leaves_home_assistant_running(supervisor: Supervisor) -> None:
    await supervisor.start("hub")
    await supervisor.start("ha")
    ha_pid = supervisor.pid("ha")
    assert ha_pid is not None

    assert await supervisor.stop("hub")

    assert supervisor.state("hub") is ChildState.STOPPED
    assert supervisor.state("ha") is ChildState.RUNNING
    assert _alive(ha_pid)
    assert not supervisor.essential_exit.is_set()

    await supervisor.start("hub")
    assert supervisor.state("hub") is ChildState.RUNNING
    assert supervisor.pid("ha") == ha_pid, "Home Assistant was never restarted"


async def test_a_hub_that_stops_by_itself_is_one_line_and_nothing_else_stops(
    tmp_path: Path, terminal: Terminal
) -> None:
    supervisor = Supervisor(tmp_path, terminal.say)
    supervisor.add(
        ChildSpec(
            "hub",
            "the care-center hub",
            _crasher(3),
            tmp_path / "hub.log",
            after_exit="Bring it back with `hub start`.",
        )
    )
    supervisor.add(ChildSpec("ha", "Home Assistant", SLEEPER, tmp_path / "ha.log", essential=True))
    await supervisor.start("ha")
    await supervisor.start("hub")

    async with asyncio.timeout(30):
        while supervisor.state("hub") is ChildState.RUNNING:  # noqa: ASYNC110
            await asyncio.sleep(0.05)

    assert supervisor.state("hub") is ChildState.EXITED
    assert supervisor.returncode("hub") == 3
    assert supervisor.state("ha") is ChildState.RUNNING
    assert not supervisor.essential_exit.is_set()
    assert terminal.lines == [
        f"The care-center hub stopped by itself (exit code 3); see {tmp_path / 'hub.log'}."
        " Bring it back with `hub start`."
    ]
    assert (tmp_path / "hub.log").read_text() == "boom\n", "its output went to its log only"
    await supervisor.stop_all()


async def test_an_essential_process_that_stops_ends_the_demo(
    tmp_path: Path, terminal: Terminal
) -> None:
    supervisor = Supervisor(tmp_path, terminal.say)
    supervisor.add(
        ChildSpec("ha", "Home Assistant", _crasher(1), tmp_path / "ha.log", essential=True)
    )
    await supervisor.start("ha")

    async with asyncio.timeout(30):
        await supervisor.essential_exit.wait()

    assert supervisor.exited_essential == "ha"


async def test_everything_stops_the_last_started_first(
    supervisor: Supervisor, terminal: Terminal
) -> None:
    await supervisor.start("hub")
    await supervisor.start("ha")
    await supervisor.stop("hub")
    await supervisor.start("hub")  # a restart keeps its place
    stopped: list[str] = []

    await supervisor.stop_all(lambda spec: stopped.append(spec.key))

    assert stopped == ["ha", "hub"]
    assert supervisor.state("ha") is ChildState.STOPPED
    assert terminal.lines == [], "a stop on request is not news"


async def test_the_sim_cli_stops_and_starts_the_demo_hub(
    supervisor: Supervisor,
    terminal: Terminal,
    socket_enabled: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    readiness_waits = 0

    async def hub_ready() -> None:
        nonlocal readiness_waits
        readiness_waits += 1

    await supervisor.start("hub")
    await supervisor.start("ha")
    switch = HubSwitch(supervisor, hub_ready, "http://127.0.0.1:1", terminal.say)
    runner = await start_control(switch, 0)
    port = runner.addresses[0][1]

    async def cli(*words: str) -> int:
        argv = ["--demo-url", f"http://127.0.0.1:{port}", *words]
        return await asyncio.to_thread(sim_cli, argv)

    try:
        assert await cli("hub", "stop") == 0
        assert supervisor.state("hub") is ChildState.STOPPED
        assert supervisor.state("ha") is ChildState.RUNNING
        assert "stopped" in capsys.readouterr().out
        assert await cli("hub", "status") == 0
        assert "stopped" in capsys.readouterr().out

        assert await cli("hub", "start") == 0
        assert supervisor.state("hub") is ChildState.RUNNING
        assert readiness_waits == 1, "`hub start` answers once the hub is ready"
        assert "started" in capsys.readouterr().out

        assert await cli("hub", "explode") != 0
        assert "hub stop|start|status" in capsys.readouterr().err
    finally:
        await runner.cleanup()
    assert any("The home keeps protecting" in line for line in terminal.lines)
    assert any("is back on" in line for line in terminal.lines)


async def test_the_sim_cli_says_when_no_demo_runs(
    socket_enabled: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await asyncio.to_thread(sim_cli, ["--demo-url", "http://127.0.0.1:9", "hub", "stop"])

    assert code != 0
    assert "start it with `make demo`" in capsys.readouterr().err


def test_the_terminal_says_when_the_valve_moves() -> None:
    assert valve_line(True, False) == "Gas valve closed (燃气阀门已关闭)."
    assert valve_line(False, True) == "Gas valve open (燃气阀门已打开)."
    assert valve_line(True, True) is None
    assert valve_line(None, False) is None


def test_the_terminal_says_when_alarms_reach_the_dispatch_screen() -> None:
    gas = HubAlarm("A1", "gas", 1, "raised", "2026-01-01T00:00:00.000Z")
    again = HubAlarm("A1", "gas", 2, "raised", "2026-01-01T00:01:00.000Z")

    assert hub_alarm_lines((), (gas,)) == [
        "Dispatch screen: gas alarm from 王奶奶家 (demo) arrived (调度台收到警报)."
    ]
    assert hub_alarm_lines((gas,), (again,)) == [
        "Dispatch screen: gas alarm again, 2 times (再次报警)."
    ]
    assert hub_alarm_lines((gas,), (gas,)) == []
    assert hub_alarm_lines(None, (gas,)) == [], "nothing is news on the first look"


def test_the_terminal_tells_of_messages_that_wait_not_of_passing_ones() -> None:
    outbox = OutboxWatch()
    looks = [0, 1, 0, 1, 1, 2, 2, 0, 0]

    said = [outbox.line(waiting) for waiting in looks]

    assert said == [
        None,
        None,  # seen once: on its way
        None,
        None,
        "Gateway outbox: 1 alarm message(s) waiting for the care center (网关发件箱待发 1 条).",
        "Gateway outbox: 2 alarm message(s) waiting for the care center (网关发件箱待发 2 条).",
        None,
        "Gateway outbox delivered to the care center (已全部送达服务中心).",
        None,
    ]
