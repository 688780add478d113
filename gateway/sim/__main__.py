"""`python -m gateway.sim`: run the simulated household, or send it a command.

python -m gateway.sim serve --radio-port 8765 --control-port 8081 --ble-port 8766 --state radio.json
python -m gateway.sim press sos            (any command of gateway/sim/commands.py)
python -m gateway.sim panel fire           (an alarm panel's SIA DC-09 event to the hub)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
import urllib.error
import urllib.request
from pathlib import Path

from . import panel
from .ble.wire import DEFAULT_PORT as DEFAULT_BLE_PORT
from .commands import HELP
from .control import serve

DEFAULT_CONTROL_URL = "http://127.0.0.1:8081"


def send_command(control_url: str, text: str) -> int:
    request = urllib.request.Request(  # noqa: S310 (a loopback URL given by the user)
        control_url.rstrip("/") + "/command", data=text.encode(), method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            print(json.loads(response.read())["result"])
            return 0
    except urllib.error.HTTPError as err:
        print(json.loads(err.read()).get("error", err), file=sys.stderr)
        return 2
    except OSError as err:
        print(f"no simulated household at {control_url}: {err}", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["serve"]:
        parser = argparse.ArgumentParser(prog="python -m gateway.sim serve")
        parser.add_argument("--radio-port", type=int, default=8765)
        parser.add_argument("--control-port", type=int, default=8081)
        parser.add_argument(
            "--ble-port", type=int, default=DEFAULT_BLE_PORT, help="virtual Bluetooth proxy port"
        )
        parser.add_argument("--state", type=Path, default=Path("radio.json"))
        options = parser.parse_args(args[1:])
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(
                serve(options.radio_port, options.control_port, options.state, options.ble_port)
            )
        return 0
    if args[:1] == ["panel"]:
        return panel.main(args[1:])
    control_url = DEFAULT_CONTROL_URL
    if args[:1] == ["--control-url"] and len(args) > 1:
        control_url, args = args[1], args[2:]
    if not args or args[0] in ("-h", "--help", "help"):
        print(__doc__ + "\nCommands:" + HELP)
        return 0
    return send_command(control_url, " ".join(args))


if __name__ == "__main__":
    sys.exit(main())
