"""What `python -m gateway.sim` prints: its help, and what a command says it did or why not.

The household's real control endpoint runs on 127.0.0.1; the CLI talks to it over HTTP as it
does from a shell beside `make demo`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from gateway.sim.__main__ import main
from gateway.sim.control import control_app
from gateway.sim.deconz_radio import DeconzRadio
from gateway.sim.household import VirtualHousehold


@pytest.fixture
async def control_url(tmp_path: Path, socket_enabled: None) -> AsyncIterator[str]:
    household = VirtualHousehold()
    household.air.permit_joins(60)
    household.join_all()
    runner = web.AppRunner(control_app(household, DeconzRadio(household.air, tmp_path / "r.json")))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    assert site._server is not None
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()
    household.close()


async def _cli(control_url: str, *words: str) -> int:
    # The CLI blocks on its request; the endpoint answers on this test's loop meanwhile.
    return await asyncio.to_thread(main, ["--control-url", control_url, *words])


def test_help_puts_each_command_on_its_own_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["help"]) == 0

    lines = capsys.readouterr().out.splitlines()
    heading = lines.index("Commands:")
    commands = lines[heading + 1 :]
    assert commands, "the commands follow their heading"
    assert all(line.startswith("  ") for line in commands), commands
    assert any(line.strip().startswith("press sos") for line in commands)
    assert any("hub stop | hub start" in line for line in commands)


@pytest.mark.parametrize(
    ("words", "said"),
    [
        (("door", "open"), "door open"),
        (("door", "close"), "door closed"),
        (("gas", "on"), "gas on"),
        (("smoke", "off"), "smoke off"),
    ],
)
async def test_a_command_says_what_it_did(
    control_url: str, capsys: pytest.CaptureFixture[str], words: tuple[str, ...], said: str
) -> None:
    assert await _cli(control_url, *words) == 0

    assert capsys.readouterr().out.strip() == said


@pytest.mark.parametrize("percent", ["150", "101", "-1"])
async def test_a_battery_level_outside_0_to_100_is_refused(
    control_url: str, capsys: pytest.CaptureFixture[str], percent: str
) -> None:
    code = await _cli(control_url, "battery", percent, "smoke")

    assert code != 0
    output = capsys.readouterr()
    assert output.out == ""
    assert "from 0 to 100" in output.err
    assert percent in output.err


async def test_a_battery_level_in_range_is_set(
    control_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await _cli(control_url, "battery", "100", "smoke") == 0

    assert capsys.readouterr().out.strip() == "battery 100% on smoke"
