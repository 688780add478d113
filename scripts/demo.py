"""`make demo`: run the care-center hub and a Home Assistant gateway enrolled with it.

    .venv/bin/python scripts/demo.py            run until Ctrl-C
    .venv/bin/python scripts/demo.py --check    start, try what the demo promises, stop

While it runs, `.venv/bin/python -m gateway.sim hub stop` takes the care center down and
`hub start` brings it back: the home keeps protecting meanwhile (see README, "When the care
center is down"). All state lives in demo/.run/ (or --run-dir) and is kept between runs; delete
that directory to start fresh. Each process logs to its own file there; the terminal gets short
lines.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import socket
import sys
import time
from datetime import datetime
from pathlib import Path

import aiohttp
from demo_checks import (
    DemoWorld,
    check_gas_closes_the_valve,
    check_home_protects_while_the_hub_is_down,
    check_panel_reaches_the_dispatch_screen,
)
from demo_control import HubSwitch, start_control
from demo_ha import (
    HOUSEHOLD_TIME_ZONE,
    answer_onboarding,
    forget_online_only_integrations,
    link_integrations,
    write_ha_config,
)
from demo_hub import DEMO_ACCOUNTS, HOUSEHOLD_NAME, DemoError, DemoHub
from demo_narrator import Narrator
from demo_service_check import check_life_service_from_the_remote
from demo_settings import HOST, REPO, DemoPaths, DemoPorts
from demo_speech import speech_problem
from demo_supervisor import ChildSpec, Supervisor
from demo_zigbee import HouseholdClient, seed_zha_entry

HUB_START_TIMEOUT = 30.0
HA_START_TIMEOUT = 300.0  # the first start on a new machine compiles and sets up more
ENROLL_TIMEOUT = 120.0
# Measured on an idle 2-core machine; the demo prints the real figures as it starts.
HA_USUAL_START = "it answers within seconds, the home is ready in about 20 s (30 s the first time)"


def say(line: str) -> None:
    """One short line on the demo's terminal."""
    print(f"[{datetime.now().astimezone():%H:%M:%S}] {line}", flush=True)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--check", action="store_true", help="start, try what the demo promises, then stop"
    )
    defaults = DemoPorts()
    parser.add_argument(
        "--hub-port",
        type=int,
        default=defaults.hub,
        help="care-center hub port (HA keeps the URL it enrolled with: delete demo/.run to move)",
    )
    parser.add_argument("--ha-port", type=int, default=defaults.ha, help="Home Assistant port")
    parser.add_argument(
        "--radio-port",
        type=int,
        default=defaults.radio,
        help="simulated ConBee II port (ZHA keeps its first path: delete demo/.run to move)",
    )
    parser.add_argument(
        "--control-port",
        type=int,
        default=defaults.household,
        help="simulated household control endpoint",
    )
    parser.add_argument(
        "--ble-port", type=int, default=defaults.ble, help="simulated Bluetooth proxy (monitors)"
    )
    parser.add_argument(
        "--panel-port",
        type=int,
        default=defaults.panel,
        help="the hub's SIA DC-09 listener for alarm panels (TCP and UDP)",
    )
    parser.add_argument(
        "--demo-port",
        type=int,
        default=defaults.demo,
        help="the demo's own control endpoint (`python -m gateway.sim hub stop|start`)",
    )
    parser.add_argument(
        "--run-dir",
        type=Path,
        default=REPO / "demo" / ".run",
        help="where the demo keeps its state (default demo/.run)",
    )
    return parser.parse_args(argv)


def _ports(args: argparse.Namespace) -> DemoPorts:
    return DemoPorts(
        hub=args.hub_port,
        ha=args.ha_port,
        radio=args.radio_port,
        household=args.control_port,
        ble=args.ble_port,
        panel=args.panel_port,
        demo=args.demo_port,
    )


def ensure_ports_free(ports: DemoPorts) -> None:
    # Otherwise a leftover server would answer the readiness probe in place of our child.
    wanted = [
        (ports.hub, "hub", "--hub-port"),
        (ports.ha, "Home Assistant", "--ha-port"),
        (ports.radio, "simulated radio", "--radio-port"),
        (ports.household, "household control", "--control-port"),
        (ports.ble, "simulated Bluetooth proxy", "--ble-port"),
        (ports.panel, "hub panel listener", "--panel-port"),
        (ports.demo, "demo control", "--demo-port"),
    ]
    for port, what, flag in wanted:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((HOST, port))
            except OSError as err:
                raise DemoError(
                    f"Port {port} for the {what} is taken ({err.strerror}). Stop whatever runs"
                    f" there or pick another port with {flag}."
                ) from err


def _child_specs(paths: DemoPaths, ports: DemoPorts) -> list[ChildSpec]:
    python = sys.executable  # .venv/bin/python; not resolved, or we would leave the venv
    hub = [python, "-m", "hub", "--data", str(paths.hub_data), "--log-format", "text"]
    hub += ["--host", HOST, "--port", str(ports.hub)]
    hub += ["--dc09-host", HOST, "--dc09-port", str(ports.panel)]
    household = [python, "-m", "gateway.sim", "serve", "--radio-port", str(ports.radio)]
    household += ["--control-port", str(ports.household), "--state", str(paths.radio_state)]
    household += ["--ble-port", str(ports.ble)]
    hass = [str(Path(python).parent / "hass"), "-c", str(paths.ha_config), "--skip-pip"]
    return [
        ChildSpec(
            "hub",
            "the care-center hub",
            hub,
            paths.log("hub"),
            after_exit="The home keeps protecting; bring the hub back with"
            " `.venv/bin/python -m gateway.sim hub start`.",
        ),
        ChildSpec(
            "household",
            "the simulated household",
            household,
            paths.log("household"),
            essential=True,
        ),
        # The household's clock: its log lines in Beijing time, like its screens.
        ChildSpec(
            "ha",
            "Home Assistant",
            hass,
            paths.log("ha"),
            essential=True,
            env={"TZ": HOUSEHOLD_TIME_ZONE},
        ),
    ]


async def _http_answers(session: aiohttp.ClientSession, url: str, *, need_ok: bool) -> bool:
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as response:
            return response.status == 200 or (not need_ok and response.status < 500)
    except (aiohttp.ClientError, TimeoutError):
        return False


def _prepare(paths: DemoPaths, ports: DemoPorts, hub: DemoHub) -> tuple[str, dict[str, str]]:
    """The hub's household, accounts and panel, and HA's configuration folder (blocking)."""
    paths.run.mkdir(parents=True, exist_ok=True)
    code, household_id = hub.mint_enrollment_code(hub.ensure_household())
    passwords = {a.username: hub.ensure_account(a, household_id) for a in DEMO_ACCOUNTS}
    hub.ensure_household_details(household_id)
    hub.ensure_providers()
    hub.ensure_panel(household_id)
    write_ha_config(paths, ports, code)
    link_integrations(paths)
    answer_onboarding(paths)
    forget_online_only_integrations(paths)
    return household_id, passwords


def _banner(paths: DemoPaths, ports: DemoPorts, passwords: dict[str, str]) -> str:
    accounts = "\n".join(
        f"    {a.role:<11} sign in as {a.username!r:<13} password {passwords[a.username]}"
        for a in DEMO_ACCOUNTS
    )
    sim = ".venv/bin/python -m gateway.sim"
    defaults = DemoPorts()
    if ports.household != defaults.household:
        sim += f" --control-url {ports.household_url}"
    if ports.demo != defaults.demo:
        sim += f" --demo-url {ports.demo_url}"
    return f"""
Eldercare demo is running. 长者关怀演示已启动。

  Dispatch screen (care center 调度台): {ports.hub_url}/dispatch
    family page: {ports.hub_url}/family
{accounts}
    (passwords kept in {paths.run}/<user>.password)
  Home Assistant (household 家庭网关): {ports.ha_url}
    First visit: create the owner account. Then Settings → Devices → "{HOUSEHOLD_NAME}" has a
    "Call for help" (一键呼叫) button; or run the action eldercare.trigger_emergency.

  Simulated Zigbee household (ZHA on an emulated ConBee II; devices pair by themselves):
    {sim} press sos      smoke on|off    gas on|off    door open|close
    motion    battery 10 smoke    silent valve    jam valve    help
  Simulated Bluetooth health monitors (through a virtual Bluetooth proxy, like ESPHome's):
    {sim} measure bp 165/100 pulse 92 irregular    measure glucose 11.2
    measure spo2 91 pulse 88    measure temp 38.6    measure weight 62.5    ble drop bp 1
    A measured monitor appears in HA under Settings → Devices & services → Discovered: add it
    and pick the resident (王秀英); its readings then reach the sensors, the alarms and the hub.
  Simulated alarm panel in the home (SIA DC-09 account to the hub's port {ports.panel}):
    {sim} panel fire    panel fire restore    panel sos --zone 2
  The home speaker (客厅音箱) speaks alarms in Chinese, offline (espeak-ng); what it played:
    {paths.speaker}

  When the care center is down (护理中心停机时), the home keeps protecting:
    {sim} hub stop     (the hub stops; Home Assistant keeps running)
    {sim} gas on       (the valve closes, HA alarms, the speaker says it)
    {sim} hub start    (what waited in the outbox reaches the hub)

  Logs: {paths.log("hub")}
        {paths.log("ha")}
        {paths.log("household")}
"""


async def run(args: argparse.Namespace, supervisor: Supervisor) -> None:
    paths, ports = DemoPaths(args.run_dir.resolve()), _ports(args)
    ensure_ports_free(ports)
    if problem := speech_problem():
        say(problem)
    hub = DemoHub(paths)
    household_id, passwords = await asyncio.to_thread(_prepare, paths, ports, hub)
    for spec in _child_specs(paths, ports):
        supervisor.add(spec)

    async with aiohttp.ClientSession() as session:
        household = HouseholdClient(session, ports.household_url)
        world = DemoWorld(paths, ports, supervisor, household, hub, household_id, say)

        async def hub_ready() -> bool:
            return await _http_answers(session, f"{ports.hub_url}/login", need_ok=True)

        async def wait_hub() -> None:
            await world.wait("the hub", hub_ready, HUB_START_TIMEOUT, ("hub",))

        say(f"Starting the care-center hub on {ports.hub_url} (log: {paths.log('hub')})")
        await supervisor.start("hub")
        await wait_hub()

        say(f"Starting the simulated household (log: {paths.log('household')})")
        await supervisor.start("household")

        async def household_up() -> bool:
            return await household.status() is not None

        await world.wait("the simulated household", household_up, HUB_START_TIMEOUT, ("household",))
        await asyncio.to_thread(seed_zha_entry, paths.ha_config, ports.radio)

        say(f"Starting Home Assistant on {ports.ha_url} (log: {paths.log('ha')}); {HA_USUAL_START}")
        ha_began = time.monotonic()
        await supervisor.start("ha")

        async def ha_answers() -> bool:
            return await _http_answers(session, ports.ha_url, need_ok=False)

        await world.wait("Home Assistant", ha_answers, HA_START_TIMEOUT, ("ha",))
        say(f"Home Assistant answers after {time.monotonic() - ha_began:.0f} s.")

        control = await start_control(
            HubSwitch(supervisor, wait_hub, ports.hub_url, say), ports.demo
        )
        try:
            if args.check:
                await _check(world)
                print(_banner(paths, ports, passwords), flush=True)
                say(
                    "Check passed: ZHA paired every device, `gas on` closed the valve and"
                    " alarmed the care center, the panel's DC-09 event reached it; with the hub"
                    " down the home still closed the valve and spoke the alarm, which reached"
                    " the hub once it was back."
                )
                return
            print(_banner(paths, ports, passwords), flush=True)
            say("Press Ctrl-C to stop.")
            await _keep_running(world, ha_began)
        finally:
            await control.cleanup()


async def _keep_running(world: DemoWorld, ha_began: float) -> None:
    """Until an essential process stops: say when the home is ready, then what it does."""
    narrator = Narrator(world.say, world.household, world.hub, world.household_id, world.paths)
    tasks = [
        asyncio.create_task(_say_when_ready(world, ha_began)),
        asyncio.create_task(narrator.run()),
    ]
    try:
        await world.supervisor.essential_exit.wait()
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    key = world.supervisor.exited_essential or ""
    raise DemoError(f"The demo cannot go on without {world.supervisor.spec(key).title}.")


async def _say_when_ready(world: DemoWorld, ha_began: float) -> None:
    try:
        await world.wait("ZHA", world.household.ready, ENROLL_TIMEOUT, ("household", "ha"))
    except DemoError:
        world.say(
            f"ZHA has not paired the household's devices after {ENROLL_TIMEOUT:.0f} s;"
            f" see {world.paths.log('ha')}."
        )
        return
    world.say(
        f"The home is ready (家庭已就绪) {time.monotonic() - ha_began:.0f} s after Home Assistant"
        " started: ZHA has paired its Zigbee devices."
    )


async def _check(world: DemoWorld) -> None:
    hub, household_id = world.hub, world.household_id
    log = world.paths.log("ha")

    async def enrolled() -> bool:
        return await asyncio.to_thread(hub.gateway_enrolled, household_id)

    await world.wait(
        "the gateway to enroll with the hub",
        enrolled,
        ENROLL_TIMEOUT,
        ("hub", "ha"),
        hint=f" See {log}; if the hub data was reset, delete {world.paths.run} and retry.",
    )
    await world.wait(
        "ZHA to pair the simulated household",
        world.household.ready,
        ENROLL_TIMEOUT,
        ("household", "ha"),
        hint=f" See {log} and {world.paths.log('household')}.",
    )
    await check_gas_closes_the_valve(world)
    await check_panel_reaches_the_dispatch_screen(world)
    await check_life_service_from_the_remote(world)
    await check_home_protects_while_the_hub_is_down(world)


async def main_async(args: argparse.Namespace) -> int:
    supervisor = Supervisor(REPO, say)
    runner = asyncio.create_task(run(args, supervisor))
    loop = asyncio.get_running_loop()
    interrupted = False

    def interrupt() -> None:
        nonlocal interrupted
        interrupted = True
        runner.cancel()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, interrupt)
    status = 0
    try:
        await runner
    except asyncio.CancelledError:
        if not interrupted:
            raise
        print()
        status = 1 if args.check else 0  # an interrupted check verified nothing
    except DemoError as err:
        say(f"Demo failed: {err}")
        status = 1
    finally:
        # The processes sit in their own sessions: a second Ctrl-C must not abandon them
        # half-way. Each stop is bounded by the supervisor's timeout.
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, lambda: None)
        await supervisor.stop_all(lambda spec: say(f"Stopping {spec.title}…"))
    return status


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    started = time.monotonic()
    status = asyncio.run(main_async(args))
    if args.check and status == 0:
        say(f"Done in {time.monotonic() - started:.0f} s.")
    return status


if __name__ == "__main__":
    sys.exit(main())
