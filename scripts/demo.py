"""`make demo`: run the care-center hub and a Home Assistant gateway enrolled with it.

    .venv/bin/python scripts/demo.py            run until Ctrl-C
    .venv/bin/python scripts/demo.py --check    start, verify the gateway enrolled, stop

All state lives in demo/.run/ and is kept between runs; delete that directory to start fresh.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

from demo_zigbee import (
    household_command,
    household_ready,
    household_status,
    seed_zha_entry,
    valve_open,
)

from gateway.alarms import AlarmKind
from gateway.sim.panel import (
    DEFAULT_PANEL_ACCOUNT,
    DEFAULT_PANEL_PORT,
    panel_frame,
    send_panel_event,
)
from hub.storage import HubStore

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "demo" / "configuration.yaml"
RUN = REPO / "demo" / ".run"
HUB_DATA = RUN / "hub"
HA_CONFIG = RUN / "ha"
HOUSEHOLD_ID_FILE = RUN / "household_id"
DISPATCHER = "dispatcher"
HUB_DATABASE = HUB_DATA / "hub.sqlite3"

HOUSEHOLD_NAME = "王奶奶家 (demo)"
HOUSEHOLD_ADDRESS = "幸福社区 3 栋 2 单元 501"
HOST = "127.0.0.1"

HUB_START_TIMEOUT = 30.0
HA_START_TIMEOUT = 300.0  # the first start compiles translations and sets up the recorder
ENROLL_TIMEOUT = 120.0
SETTLE_SECONDS = 2.0
STOP_TIMEOUT = 20.0
LOG_TAIL_LINES = 40

# The demo only ever talks to 127.0.0.1: never route these probes through an HTTP proxy
# configured in the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class DemoError(Exception):
    """Something the user has to fix; the message says what."""


class Stop(BaseException):  # like KeyboardInterrupt: no `except Exception` swallows it
    """Raised from the signal handler on Ctrl-C / SIGTERM."""


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log: IO[bytes]

    def exited(self) -> bool:
        return self.process.poll() is not None


# --- hub administration --------------------------------------------------------------------


def _hub_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", "--data", str(HUB_DATA), *args],
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def _hub_cli_output(*args: str) -> str:
    result = _hub_cli(*args)
    if result.returncode != 0:
        raise DemoError(f"`python -m hub {' '.join(args)}` failed:\n{result.stderr.strip()}")
    return result.stdout.strip()


def _register_household() -> str:
    household_id = _hub_cli_output("household", "add", HOUSEHOLD_NAME, HOUSEHOLD_ADDRESS)
    HOUSEHOLD_ID_FILE.write_text(household_id + "\n", encoding="utf-8")
    return household_id


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    display: str

    @property
    def password_file(self) -> Path:
        return RUN / f"{self.username}.password"


DEMO_ACCOUNTS = (
    DemoAccount(DISPATCHER, "dispatcher", "值班调度员"),
    DemoAccount("supervisor", "supervisor", "值班主管"),
    DemoAccount("family", "family", "王伟 (儿子)"),
)


def ensure_account(account: DemoAccount, household_id: str) -> str:
    """The demo account's password, creating the account on the first run (again if the
    hub's data was deleted by hand). The family member belongs to the demo household."""
    known = _hub_has_row("SELECT 1 FROM users WHERE username = ?", (account.username,))
    if known and account.password_file.exists():
        return account.password_file.read_text(encoding="utf-8").strip()
    password = secrets.token_urlsafe(9)
    argv = ["user", "add", account.username, "--role", account.role]
    argv += ["--display", account.display, "--password-stdin"]
    if account.role == "family":
        argv += ["--household", household_id]
    result = _hub_cli(*argv, stdin=password + "\n")
    if result.returncode != 0:
        raise DemoError(f"could not create the demo {account.role}:\n{result.stderr.strip()}")
    account.password_file.write_text(password + "\n", encoding="utf-8")
    account.password_file.chmod(0o600)
    return password


def ensure_household_details(household_id: str) -> None:
    """A fictional resident and contacts for the demo household, so the alarm card has what a
    dispatcher would see (never a real person's data)."""
    store = HubStore(HUB_DATABASE)
    try:
        now = datetime.now(UTC)
        if not store.registry.residents(household_id):
            store.registry.update_household(
                household_id, building="3", unit="2", grid_area="幸福社区第二网格"
            )
            store.registry.add_resident(
                household_id,
                "王秀英",
                now,
                birth_year=1941,
                conditions=["高血压", "房颤"],
                medications=["华法林 3mg", "氨氯地平 5mg"],
                allergies=["青霉素"],
                mobility="助行器",
                thresholds={"8867-4": {"low": 45, "high": 120}, "8480-6": {"high": 160}},
            )
        if not store.registry.contacts(household_id):
            store.registry.set_contacts(
                household_id,
                [
                    {"name": "王伟", "phone": "+86 138 0000 0001", "relation": "儿子"},
                    {"name": "社区医生 孙", "phone": "010-5550001", "relation": "家庭医生"},
                ],
            )
    finally:
        store.close()


def ensure_panel(household_id: str) -> None:
    """A (simulated) alarm panel already in the demo home, reporting to the hub over DC-09."""
    known = _hub_has_row(
        "SELECT 1 FROM panel_accounts WHERE account = ? AND household_id = ?",
        (DEFAULT_PANEL_ACCOUNT, household_id),
    )
    if not known:
        _hub_cli_output(
            "panel-add", DEFAULT_PANEL_ACCOUNT, household_id, "--label", "客厅报警主机 (模拟)"
        )


def ensure_household() -> str:
    """The demo household's id, registering it on the first run."""
    if HOUSEHOLD_ID_FILE.exists():
        return HOUSEHOLD_ID_FILE.read_text(encoding="utf-8").strip()
    return _register_household()


def mint_enrollment_code(household_id: str) -> tuple[str, str]:
    """A fresh one-time code, and the household id it belongs to."""
    result = _hub_cli("enrollment-code", household_id)
    if result.returncode == 0:
        return result.stdout.strip(), household_id
    # household_id outlived the hub database (demo/.run/hub deleted by hand): register again.
    household_id = _register_household()
    return _hub_cli_output("enrollment-code", household_id), household_id


def gateway_connected_since(household_id: str, since: str) -> bool:
    """The household's gateway is enrolled and its link said hello to this hub run."""
    return _hub_has_row(
        "SELECT 1 FROM gateways WHERE household_id = ? AND last_seen >= ? LIMIT 1",
        (household_id, since),
    )


def _hub_has_row(sql: str, params: tuple[str, ...]) -> bool:
    """Read the hub's database (read-only) beside the running hub."""
    if not HUB_DATABASE.exists():
        return False
    try:
        with sqlite3.connect(f"file:{HUB_DATABASE}?mode=ro", uri=True, timeout=5) as db:
            row = db.execute(sql, params).fetchone()
    except sqlite3.OperationalError:
        return False  # schema not created yet, or the hub holds a write lock
    return row is not None


# --- Home Assistant config -----------------------------------------------------------------


def write_ha_config(hub_url: str, enrollment_code: str, ha_port: int, ble_port: int) -> None:
    HA_CONFIG.mkdir(parents=True, exist_ok=True)
    text = (
        TEMPLATE.read_text(encoding="utf-8")
        .replace("__HUB_URL__", hub_url)
        .replace("__ENROLLMENT_CODE__", enrollment_code)
        .replace("__HA_PORT__", str(ha_port))
        .replace("__BLE_PORT__", str(ble_port))
    )
    (HA_CONFIG / "configuration.yaml").write_text(text, encoding="utf-8")


def link_integration(
    name: str = "eldercare", target: Path = REPO / "integrations" / "eldercare"
) -> None:
    """Install the integration by symlink so edits in integrations/ show up on restart."""
    link = HA_CONFIG / "custom_components" / name
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() and link.readlink() == target:
        return
    if link.is_symlink() or link.is_file():
        link.unlink()
    elif link.exists():
        raise DemoError(f"{link} is a directory; remove it so the demo can link the integration.")
    link.symlink_to(target, target_is_directory=True)


# --- child processes -----------------------------------------------------------------------


def ensure_port_free(port: int, what: str, flag: str) -> None:
    # Otherwise a leftover server would answer the readiness probe in place of our child.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError as err:
            raise DemoError(
                f"Port {port} for the {what} is taken ({err.strerror}). Stop whatever runs there "
                f"or pick another port with {flag}."
            ) from err


def start_child(name: str, argv: list[str], log_path: Path) -> Child:
    log = log_path.open("wb")
    # Own session: a terminal Ctrl-C reaches only us, and we stop the children in order.
    process = subprocess.Popen(
        argv,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        # Unbuffered, so the log tail we print on an early exit is complete.
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    return Child(name, process, log_path, log)


def stop_child(child: Child) -> None:
    if not child.exited():
        child.process.terminate()
        try:
            child.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            print(f"{child.name} did not stop within {STOP_TIMEOUT:.0f} s; killing it.")
            child.process.kill()
            child.process.wait()
    child.log.close()


def log_tail(child: Child) -> str:
    lines = child.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(lines[-LOG_TAIL_LINES:])


def check_alive(children: list[Child]) -> None:
    for child in children:
        if child.exited():
            raise DemoError(
                f"{child.name} exited early (code {child.process.returncode}). "
                f"Last lines of {child.log_path}:\n{log_tail(child)}"
            )


def http_answers(url: str, *, need_ok: bool) -> bool:
    try:
        with _OPENER.open(url, timeout=5) as response:
            return response.status == 200 or not need_ok
    except urllib.error.HTTPError as err:
        return not need_ok and err.code < 500
    except (urllib.error.URLError, OSError):
        return False


def wait_for(
    what: str, ready: Callable[[], bool], timeout: float, children: list[Child], hint: str = ""
) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        check_alive(children)
        if time.monotonic() > deadline:
            raise DemoError(f"Timed out after {timeout:.0f} s waiting for {what}.{hint}")
        time.sleep(1)


# --- main ----------------------------------------------------------------------------------


def hub_alarm_since(household_id: str, kind: str, since: str) -> bool:
    """The hub holds an open `kind` alarm of the household, raised or repeated since `since`."""
    return _hub_has_row(
        "SELECT 1 FROM alarms WHERE household_id = ? AND kind = ? AND status != 'resolved'"
        " AND last_seen >= ? LIMIT 1",
        (household_id, kind, since),
    )


def check_gas_closes_the_valve(control_url: str, household_id: str, children: list[Child]) -> None:
    """`gas on` in the simulator: the gateway's rule closes the valve and alarms the center."""
    # Start from a quiet detector and an open valve, whatever an earlier run left behind (a
    # "gas off" that HA did not see before it stopped keeps ZHA's cached state "on").
    household_command(control_url, "gas off")
    household_command(control_url, "valve open")
    wait_for("the valve to open", lambda: valve_open(control_url) is True, 10, children)
    since = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    print("Check: gas on", flush=True)
    household_command(control_url, "gas on")
    try:
        wait_for("the valve to close", lambda: valve_open(control_url) is False, 15, children)
        wait_for(
            "the gas alarm at the hub",
            lambda: hub_alarm_since(household_id, "gas", since),
            15,
            children,
        )
    finally:
        household_command(control_url, "gas off")
        time.sleep(SETTLE_SECONDS)  # let HA see the restore before the demo stops it


def check_panel_reaches_the_dispatch_screen(
    port: int, household_id: str, children: list[Child]
) -> None:
    """An alarm panel's DC-09 event becomes the household's alarm at the hub."""
    since = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    print("Check: panel water_leak (SIA DC-09)", flush=True)
    frame = panel_frame(
        AlarmKind.WATER_LEAK, restore=False, zone=4, account=DEFAULT_PANEL_ACCOUNT, key=None
    )
    answer = asyncio.run(send_panel_event(HOST, port, frame, None))
    if answer != "ACK":
        raise DemoError(f"the hub's panel listener answered {answer}, not ACK")
    wait_for(
        "the panel's alarm at the hub",
        lambda: hub_alarm_since(household_id, "water_leak", since),
        10,
        children,
    )


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--check", action="store_true", help="start, verify the gateway enrolled, then stop"
    )
    parser.add_argument(
        "--hub-port",
        type=int,
        default=8080,
        help="care-center hub port (HA keeps the URL it enrolled with: delete demo/.run to move)",
    )
    parser.add_argument("--ha-port", type=int, default=8123, help="Home Assistant port")
    parser.add_argument(
        "--radio-port",
        type=int,
        default=8765,
        help="simulated ConBee II port (ZHA keeps its first path: delete demo/.run to move)",
    )
    parser.add_argument(
        "--control-port", type=int, default=8081, help="simulated household control endpoint"
    )
    parser.add_argument(
        "--ble-port", type=int, default=8766, help="simulated Bluetooth proxy (health monitors)"
    )
    parser.add_argument(
        "--panel-port",
        type=int,
        default=DEFAULT_PANEL_PORT,
        help="the hub's SIA DC-09 listener for alarm panels (TCP and UDP)",
    )
    return parser.parse_args(argv)


def _raise_stop(signum: int, _frame: FrameType | None) -> None:
    raise Stop(signal.Signals(signum).name)


def _print_banner(
    hub_url: str, ha_url: str, control_url: str, passwords: dict[str, str], panel_port: int
) -> None:
    accounts = "\n".join(
        f"    {a.role:<11} sign in as {a.username!r:<13} password {passwords[a.username]}"
        for a in DEMO_ACCOUNTS
    )
    print(
        f"""
Eldercare demo is running.

  Dispatch screen (care center): {hub_url}/dispatch    family page: {hub_url}/family
{accounts}
    (passwords kept in {RUN}/<user>.password)
  Home Assistant (household):    {ha_url}
    First visit: create the owner account in onboarding. Then Settings → Devices →
    "{HOUSEHOLD_NAME}" has a "Call for help" (一键呼叫) button; or run the action
    eldercare.trigger_emergency in Developer tools → Actions.

  Simulated Zigbee household (ZHA on an emulated ConBee II; devices pair by themselves):
    .venv/bin/python -m gateway.sim press sos      smoke on|off    gas on|off    door open|close
    motion    battery 10 smoke    silent valve    jam valve    help      (control: {control_url})
  Simulated Bluetooth health monitors (through a virtual Bluetooth proxy, like ESPHome's):
    .venv/bin/python -m gateway.sim measure bp 165/100 pulse 92 irregular    measure glucose 11.2
    measure spo2 91 pulse 88    measure temp 38.6    measure weight 62.5    ble drop bp 1
    A measured monitor appears in HA under Settings → Devices & services → Discovered: add it
    and pick the resident (王秀英); its readings then reach the sensors, the alarms and the hub.
  Simulated alarm panel already in the home (SIA DC-09 account {DEFAULT_PANEL_ACCOUNT} to the hub's
  panel listener, port {panel_port}; its alarms show on the dispatch screen as this household's):
    .venv/bin/python -m gateway.sim panel fire    panel fire restore    panel sos --zone 2
  Reporting to a commercial alarm receiving centre: in HA, the Eldercare entry's options →
    "Report to an alarm receiving centre (SIA DC-09)".

  Logs: {RUN / "hub.log"}
        {RUN / "ha.log"}
        {RUN / "household.log"}
""",
        flush=True,
    )


def run(args: argparse.Namespace, children: list[Child]) -> None:
    hub_url = f"http://{HOST}:{args.hub_port}"
    ha_url = f"http://{HOST}:{args.ha_port}"
    ensure_port_free(args.hub_port, "hub", "--hub-port")
    ensure_port_free(args.ha_port, "Home Assistant", "--ha-port")
    ensure_port_free(args.radio_port, "simulated radio", "--radio-port")
    ensure_port_free(args.control_port, "household control", "--control-port")
    ensure_port_free(args.ble_port, "simulated Bluetooth proxy", "--ble-port")
    ensure_port_free(args.panel_port, "hub panel listener", "--panel-port")

    RUN.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    code, household_id = mint_enrollment_code(ensure_household())
    passwords = {a.username: ensure_account(a, household_id) for a in DEMO_ACCOUNTS}
    ensure_household_details(household_id)
    ensure_panel(household_id)
    write_ha_config(hub_url, code, args.ha_port, args.ble_port)
    link_integration()
    # The simulator's Bluetooth proxy, registered with HA's Bluetooth as ESPHome proxies are.
    link_integration("virtual_ble_proxy", REPO / "demo" / "custom_components" / "virtual_ble_proxy")

    print(f"Starting the hub on {hub_url} (log: {RUN / 'hub.log'})", flush=True)
    hub_argv = [sys.executable, "-m", "hub", "--data", str(HUB_DATA)]
    hub_argv += ["--host", HOST, "--port", str(args.hub_port)]
    hub_argv += ["--dc09-host", HOST, "--dc09-port", str(args.panel_port)]
    children.append(start_child("hub", hub_argv, RUN / "hub.log"))
    wait_for(
        "the hub",
        lambda: http_answers(f"{hub_url}/login", need_ok=True),
        HUB_START_TIMEOUT,
        children,
    )

    control_url = f"http://{HOST}:{args.control_port}"
    print(f"Starting the simulated Zigbee household (log: {RUN / 'household.log'})", flush=True)
    sim_argv = [sys.executable, "-m", "gateway.sim", "serve", "--radio-port", str(args.radio_port)]
    sim_argv += ["--control-port", str(args.control_port), "--state", str(RUN / "radio.json")]
    sim_argv += ["--ble-port", str(args.ble_port)]
    children.append(start_child("simulated household", sim_argv, RUN / "household.log"))
    wait_for(
        "the simulated household",
        lambda: household_status(control_url) is not None,
        HUB_START_TIMEOUT,
        children,
    )
    seed_zha_entry(HA_CONFIG, args.radio_port)

    print(
        f"Starting Home Assistant on {ha_url} (log: {RUN / 'ha.log'}); the first start takes a "
        "few minutes.",
        flush=True,
    )
    # sys.executable is .venv/bin/python; don't resolve it, or we'd leave the venv.
    hass = Path(sys.executable).parent / "hass"
    ha_argv = [str(hass), "-c", str(HA_CONFIG), "--skip-pip"]
    children.append(start_child("Home Assistant", ha_argv, RUN / "ha.log"))
    wait_for(
        "Home Assistant", lambda: http_answers(ha_url, need_ok=False), HA_START_TIMEOUT, children
    )

    if args.check:
        wait_for(
            "the gateway to connect to the hub",
            lambda: gateway_connected_since(household_id, started),
            ENROLL_TIMEOUT,
            children,
            hint=f" See {RUN / 'ha.log'}; if the hub data was reset, delete {RUN} and retry.",
        )
        wait_for(
            "ZHA to pair the simulated household",
            lambda: household_ready(control_url),
            ENROLL_TIMEOUT,
            children,
            hint=f" See {RUN / 'ha.log'} and {RUN / 'household.log'}.",
        )
        check_gas_closes_the_valve(control_url, household_id, children)
        check_panel_reaches_the_dispatch_screen(args.panel_port, household_id, children)
        _print_banner(hub_url, ha_url, control_url, passwords, args.panel_port)
        print(
            "Check passed: hub, Home Assistant and the Zigbee household are up; the gateway is"
            " connected, ZHA has paired every device, `gas on` closed the valve and raised"
            " the gas alarm at the care center, and the alarm panel's DC-09 event reached it."
        )
        return

    _print_banner(hub_url, ha_url, control_url, passwords, args.panel_port)
    print("Press Ctrl-C to stop.", flush=True)
    while True:
        check_alive(children)
        time.sleep(1)


def shutdown(children: list[Child]) -> None:
    # Ignore further signals: the children sit in their own sessions, so abandoning this
    # half-way would leave them running. Each stop is bounded by STOP_TIMEOUT.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # Home Assistant first, so its link to the hub closes while the hub is still there.
    for child in reversed(children):
        if not child.exited():
            print(f"Stopping {child.name}…", flush=True)
        stop_child(child)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    started = time.monotonic()
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    children: list[Child] = []
    status = 0
    try:
        run(args, children)
    except Stop:
        print()
        status = 1 if args.check else 0  # an interrupted check verified nothing
    except DemoError as err:
        print(f"\nDemo failed: {err}", file=sys.stderr)
        status = 1
    finally:
        shutdown(children)
    if args.check and status == 0:
        print(f"Done in {time.monotonic() - started:.0f} s.")
    return status


if __name__ == "__main__":
    sys.exit(main())
