"""`python -m gateway.sim`: run the simulated household, or send it a command.

python -m gateway.sim serve --radio-port 8765 --control-port 8081 --ble-port 8766 --state radio.json
python -m gateway.sim press sos            (any command below, to the household)
python -m gateway.sim press remote 2       (the service remote's key 2: a repair request)
python -m gateway.sim panel fire           (an alarm panel's SIA DC-09 event to the hub)
python -m gateway.sim hub stop             (the demo's care-center hub: stop, start, status)

Options before the command: --control-url URL (the household, default http://127.0.0.1:8081),
--demo-url URL (the demo, default http://127.0.0.1:8082).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from pathlib import Path

from . import care_center, panel
from .ble.wire import DEFAULT_PORT as DEFAULT_BLE_PORT
from .commands import HELP
from .control import serve
from .http_command import post_command

DEFAULT_CONTROL_URL = "http://127.0.0.1:8081"


def usage() -> str:
    """What `help` prints: how to run it, then one command per line under "Commands:"."""
    return f"{__doc__}\nCommands:\n{HELP}{care_center.HELP}".rstrip()


def send_command(control_url: str, text: str) -> int:
    return post_command(
        control_url,
        text,
        timeout=5,
        nobody_there=f"no simulated household at {control_url}; start it with `make demo`",
    )


def _serve(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.sim serve")
    parser.add_argument("--radio-port", type=int, default=8765)
    parser.add_argument("--control-port", type=int, default=8081)
    parser.add_argument(
        "--ble-port", type=int, default=DEFAULT_BLE_PORT, help="virtual Bluetooth proxy port"
    )
    parser.add_argument("--state", type=Path, default=Path("radio.json"))
    options = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            serve(options.radio_port, options.control_port, options.state, options.ble_port)
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["serve"]:
        return _serve(args[1:])
    if args[:1] == ["panel"]:
        return panel.main(args[1:])
    control_url, demo_url = DEFAULT_CONTROL_URL, care_center.DEFAULT_DEMO_URL
    while args[:1] in (["--control-url"], ["--demo-url"]) and len(args) > 1:
        if args[0] == "--control-url":
            control_url = args[1]
        else:
            demo_url = args[1]
        args = args[2:]
    if not args or args[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    if args[0] == "hub":
        return care_center.main(args[1:], demo_url)
    return send_command(control_url, " ".join(args))


if __name__ == "__main__":
    sys.exit(main())
