"""`scripts/demo.py --check`: what the demo promises, tried once against the running demo.

1. `gas on` closes the valve and the gas alarm reaches the care center, which names the
   detector and the valve as the household does.
2. An alarm panel's SIA DC-09 event reaches the care center.
3. With the care center down (`python -m gateway.sim hub stop`): Home Assistant keeps running,
   `gas on` still closes the valve, the home speaker says so in Chinese, the alarm waits in the
   gateway's outbox, and reaches the hub once it is back (`hub start`).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from demo_hub import DemoError, DemoHub, utc_now_iso
from demo_narrator import SPOKEN_LOG, outbox_waiting
from demo_settings import HOST, REPO, DemoPaths, DemoPorts
from demo_supervisor import ChildState, Supervisor
from demo_zigbee import HouseholdClient

from gateway.alarms import AlarmKind
from gateway.sim.panel import DEFAULT_PANEL_ACCOUNT, panel_frame, send_panel_event

SETTLE_SECONDS = 2.0
NAMED = ("厨房燃气报警器", "厨房燃气阀")  # demo/configuration.yaml, demo_installer
STEP_TIMEOUT = 30.0
# The gateway retries within seconds when an alarm waits; allow for a slow machine.
DELIVERY_TIMEOUT = 60.0


@dataclass(frozen=True)
class DemoWorld:
    paths: DemoPaths
    ports: DemoPorts
    supervisor: Supervisor
    household: HouseholdClient
    hub: DemoHub
    household_id: str
    say: Callable[[str], None]

    async def wait(
        self,
        what: str,
        ready: Callable[[], Awaitable[bool]],
        timeout: float,
        watching: tuple[str, ...],
        hint: str = "",
    ) -> None:
        await wait_until(
            what,
            ready,
            timeout=timeout,
            supervisor=self.supervisor,
            watching=watching,
            hint=hint,
        )


async def wait_until(
    what: str,
    ready: Callable[[], Awaitable[bool]],
    *,
    timeout: float,
    supervisor: Supervisor,
    watching: tuple[str, ...],
    hint: str = "",
) -> None:
    """Wait for `ready`, as long as the processes in `watching` keep running."""
    deadline = time.monotonic() + timeout
    while not await ready():
        for key in watching:
            if supervisor.state(key) is not ChildState.RUNNING:
                spec = supervisor.spec(key)
                raise DemoError(
                    f"{spec.sentence_title} stopped (exit code {supervisor.returncode(key)}) while"
                    f" waiting for {what}; see {spec.log_path}."
                )
        if time.monotonic() > deadline:
            raise DemoError(f"Timed out after {timeout:.0f} s waiting for {what}.{hint}")
        await asyncio.sleep(0.5)


async def _blocking(check: Callable[[], bool]) -> bool:
    return await asyncio.to_thread(check)


async def _start_with_open_valve(world: DemoWorld, watching: tuple[str, ...]) -> None:
    # Start from a quiet detector and an open valve, whatever an earlier run left behind (a
    # "gas off" that HA did not see before it stopped keeps ZHA's cached state "on").
    await world.household.command("gas off")
    await world.household.command("valve open")

    async def valve_open() -> bool:
        return await world.household.valve_open() is True

    await world.wait("the valve to open", valve_open, STEP_TIMEOUT, watching)


async def _valve_closed(world: DemoWorld) -> bool:
    return await world.household.valve_open() is False


async def check_gas_closes_the_valve(world: DemoWorld) -> None:
    """`gas on` in the simulator: the gateway's rule closes the valve and alarms the center."""
    watching = ("hub", "household", "ha")
    await _start_with_open_valve(world, watching)
    since = utc_now_iso()
    world.say("Check: gas on")
    await world.household.command("gas on")
    try:
        await world.wait("the valve to close", lambda: _valve_closed(world), STEP_TIMEOUT, watching)
        # Right after Home Assistant started, the link may still be connecting.
        await world.wait(
            "the gas alarm at the hub",
            lambda: _blocking(lambda: world.hub.alarm_since(world.household_id, "gas", since)),
            DELIVERY_TIMEOUT,
            watching,
        )
        # The names the installer gave (demo_installer), not ZHA's model ids, at the hub.
        await world.wait(
            "the household's names for the gas detector and the valve at the hub",
            lambda: _blocking(lambda: world.hub.named_as(world.household_id, NAMED)),
            STEP_TIMEOUT,
            watching,
        )
    finally:
        await world.household.command("gas off")
        await asyncio.sleep(SETTLE_SECONDS)  # let HA see the restore before the demo stops it


async def check_panel_reaches_the_dispatch_screen(world: DemoWorld) -> None:
    """An alarm panel's DC-09 event becomes the household's alarm at the hub."""
    since = utc_now_iso()
    world.say("Check: panel water_leak (SIA DC-09)")
    frame = panel_frame(
        AlarmKind.WATER_LEAK, restore=False, zone=4, account=DEFAULT_PANEL_ACCOUNT, key=None
    )
    answer = await send_panel_event(HOST, world.ports.panel, frame, None)
    if answer != "ACK":
        raise DemoError(f"the hub's panel listener answered {answer}, not ACK")
    await world.wait(
        "the panel's alarm at the hub",
        lambda: _blocking(lambda: world.hub.alarm_since(world.household_id, "water_leak", since)),
        STEP_TIMEOUT,
        ("hub",),
    )


async def sim_cli(world: DemoWorld, *words: str) -> str:
    """`python -m gateway.sim ...`, as a person types it beside the demo."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway.sim",
        "--demo-url",
        world.ports.demo_url,
        "--control-url",
        world.ports.household_url,
        *words,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        raise DemoError(
            f"`python -m gateway.sim {' '.join(words)}` failed ({process.returncode}):"
            f" {err.decode().strip()}"
        )
    return out.decode().strip()


def spoken_since(world: DemoWorld, since: str, words: str) -> bool:
    """The home speaker played something with `words` in it since `since`."""
    path = world.paths.speaker / SPOKEN_LOG
    if not path.exists():
        return False
    for raw in path.read_text(encoding="utf-8").splitlines():
        played = json.loads(raw)
        if played["at"] >= since and words in played["text"]:
            return True
    return False


async def check_home_protects_while_the_hub_is_down(world: DemoWorld) -> None:
    """The product's promise: the home keeps protecting while the care center is down, and
    nothing raised meanwhile is lost."""
    home = ("household", "ha")
    world.say("Check: hub stop; gas on; hub start")
    await sim_cli(world, "hub", "stop")
    if world.supervisor.state("hub") is not ChildState.STOPPED:
        raise DemoError("`hub stop` did not stop the hub")
    await _start_with_open_valve(world, home)
    since = utc_now_iso()
    await world.household.command("gas on")
    try:
        await world.wait(
            "the valve to close with the hub down",
            lambda: _valve_closed(world),
            STEP_TIMEOUT,
            home,
        )
        await world.wait(
            "the home speaker to announce the gas leak in Chinese",
            lambda: _blocking(lambda: spoken_since(world, since, "燃气")),
            STEP_TIMEOUT,
            home,
            hint=f" See {world.paths.log('ha')}.",
        )
        await world.wait(
            "the gas alarm to wait in the gateway's outbox",
            lambda: _blocking(lambda: (outbox_waiting(world.paths.ha_config) or 0) > 0),
            STEP_TIMEOUT,
            home,
        )
        if world.supervisor.state("ha") is not ChildState.RUNNING:
            raise DemoError("Home Assistant stopped with the hub")
        await sim_cli(world, "hub", "start")
        await world.wait(
            "the gas alarm raised while the hub was down to reach it",
            lambda: _blocking(lambda: world.hub.alarm_since(world.household_id, "gas", since)),
            DELIVERY_TIMEOUT,
            ("hub", *home),
        )
        await world.wait(
            "the gateway's outbox to empty",
            lambda: _blocking(lambda: outbox_waiting(world.paths.ha_config) == 0),
            DELIVERY_TIMEOUT,
            ("hub", *home),
        )
    finally:
        await world.household.command("gas off")
        await asyncio.sleep(SETTLE_SECONDS)
