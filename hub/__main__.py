"""`python -m hub`: run the care-center hub, or administer it from the shell.

python -m hub --data ./data --port 8080                 serve
python -m hub --data ./data household add NAME ADDRESS  register a household
python -m hub --data ./data enrollment-code HOUSEHOLD   one-time code for its gateway
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from aiohttp import web

from .app import create_app, open_store


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m hub", description="Eldercare care-center hub")
    parser.add_argument("--data", type=Path, default=Path("data"), help="data directory")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on")
    commands = parser.add_subparsers(dest="command")
    household = commands.add_parser("household", help="households")
    household_commands = household.add_subparsers(dest="household_command", required=True)
    add = household_commands.add_parser("add", help="register a household; prints its id")
    add.add_argument("name")
    add.add_argument("address")
    code = commands.add_parser("enrollment-code", help="mint a one-time enrollment code (24 h)")
    code.add_argument("household_id")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "household":
        store = open_store(args.data)
        household = store.create_household(args.name, args.address)
        print(household.id)
        return 0
    if args.command == "enrollment-code":
        store = open_store(args.data)
        try:
            print(store.mint_enrollment_code(args.household_id))
        except KeyError:
            print(
                f"No household {args.household_id}; use the id that `household add` printed.",
                file=sys.stderr,
            )
            return 1
        return 0
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    web.run_app(create_app(args.data), host=args.host, port=args.port, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
