"""`python -m gateway.sim hub stop|start|status`: take the demo's care-center hub down and back.

`make demo` (scripts/demo.py) runs the hub as one of its processes and takes these commands on
its own control endpoint (http://127.0.0.1:8082, `--demo-port`). While the hub is down the
household's gateway keeps protecting: its rules still close the gas valve and raise alarms in
Home Assistant, and what is meant for the care center waits in the gateway's outbox until the
hub is back.
"""

from __future__ import annotations

import sys

from .http_command import REFUSED, post_command

DEFAULT_DEMO_URL = "http://127.0.0.1:8082"
ACTIONS = ("stop", "start", "status")
HELP = "  hub stop | hub start | hub status   (the demo's care-center hub: down, back up, state)\n"
# Starting waits until the hub answers, which takes a few seconds.
_TIMEOUT = 90.0


def main(argv: list[str], demo_url: str = DEFAULT_DEMO_URL) -> int:
    if len(argv) != 1 or argv[0] not in ACTIONS:
        print("usage: python -m gateway.sim hub stop|start|status", file=sys.stderr)
        return REFUSED
    return post_command(
        demo_url,
        f"hub {argv[0]}",
        timeout=_TIMEOUT,
        nobody_there=f"no demo answers at {demo_url}; start it with `make demo`",
    )
