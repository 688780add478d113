"""`python -m hub`: run the care-center hub, or administer it from the shell.

Installed from the wheel, the same CLI is the `eldercare-hub` command (deploy/systemd/).

python -m hub --data ./data --port 8080                 serve
python -m hub --data ./data household add NAME ADDRESS  register a household
python -m hub --data ./data enrollment-code HOUSEHOLD   one-time code for its gateway
python -m hub --data ./data revoke GATEWAY               refuse the gateway from now on
python -m hub --data ./data heartbeat GATEWAY SECONDS    its heartbeat interval (0: default)
python -m hub --data ./data user add NAME --role ROLE    an account (see hub/people/cli.py)
python -m hub --data ./data backup OUT_FILE [--force]   a consistent copy, also while serving
python -m hub --data ./data restore BACKUP_FILE         replace the database (hub/core/backup.py)
python -m hub --data ./data panel-add ACCOUNT HOUSEHOLD  an alarm panel's DC-09 account
python -m hub --data ./data --dc09-port 9000            serve, with alarm panels on TCP+UDP 9000
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from aiohttp import web

from provisioning import ca

from .app import DATABASE_FILE, create_app, open_store
from .core import backup
from .core.storage import HubStore
from .gateways.supervision import DEFAULT_HEARTBEAT, MIN_HEARTBEAT
from .infra import logs
from .panels import cli as panel_cli
from .people import cli as user_cli

# The installed console command (pyproject.toml [project.scripts], deploy/systemd/).
INSTALLED_COMMAND = "eldercare-hub"


def _parser() -> argparse.ArgumentParser:
    # Usage lines name the command the operator typed: the installed one, or `python -m hub`.
    called = Path(sys.argv[0]).name if sys.argv else ""
    prog = INSTALLED_COMMAND if called == INSTALLED_COMMAND else "python -m hub"
    parser = argparse.ArgumentParser(prog=prog, description="Eldercare care-center hub")
    parser.add_argument("--data", type=Path, default=Path("data"), help="data directory")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on")
    parser.add_argument("--tls-cert", type=Path, help="hub certificate chain (issue-hub-cert)")
    parser.add_argument("--tls-key", type=Path, help="its private key")
    parser.add_argument(
        "--heartbeat",
        type=_heartbeat_seconds,
        default=int(DEFAULT_HEARTBEAT.total_seconds()),
        help="default gateway heartbeat interval in seconds (>= 20); 3 missed = link_lost",
    )
    parser.add_argument(
        "--dc09-port",
        type=int,
        help="serve: listen for alarm panels' SIA DC-09 on this TCP and UDP port (default: off)",
    )
    parser.add_argument(
        "--dc09-host", default="127.0.0.1", help="address the DC-09 listener binds to"
    )
    parser.add_argument(
        "--log-format",
        choices=logs.LOG_FORMATS,
        help="serve: log lines as JSON or text (default: text on a terminal, else JSON)",
    )
    commands = parser.add_subparsers(dest="command")
    household = commands.add_parser("household", help="households")
    household_commands = household.add_subparsers(dest="household_command", required=True)
    add = household_commands.add_parser("add", help="register a household; prints its id")
    add.add_argument("name")
    add.add_argument("address")
    code = commands.add_parser("enrollment-code", help="mint a one-time enrollment code (24 h)")
    code.add_argument("household_id")
    revoke = commands.add_parser("revoke", help="refuse every message of a gateway from now on")
    revoke.add_argument("gateway_id")
    heartbeat = commands.add_parser("heartbeat", help="set one gateway's heartbeat interval")
    heartbeat.add_argument("gateway_id")
    heartbeat.add_argument(
        "seconds", type=_heartbeat_seconds_or_default, help=">= 20, or 0 for the default"
    )
    user_cli.add_parser(commands)
    backup.add_parsers(commands)
    panel_cli.add_parser(commands)
    return parser


def _heartbeat_seconds(text: str) -> int:
    seconds = int(text)
    if seconds < MIN_HEARTBEAT.total_seconds():
        raise argparse.ArgumentTypeError(
            f"at least {MIN_HEARTBEAT.total_seconds():.0f} s (radio and battery budgets)"
        )
    return seconds


def _heartbeat_seconds_or_default(text: str) -> int:
    return 0 if text.strip() == "0" else _heartbeat_seconds(text)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = _ADMIN_COMMANDS.get(args.command or "")
    file_command = _FILE_COMMANDS.get(args.command or "")
    if command is not None or file_command is not None:
        try:
            if file_command is not None:
                print(file_command(args.data / DATABASE_FILE, args))
            elif command is not None:
                print(command(open_store(args.data), args))
        except KeyError as err:
            print(f"{err.args[0]}; check the id (`household add` printed it).", file=sys.stderr)
            return 1
        except (user_cli.UserCommandError, backup.BackupError, panel_cli.PanelCommandError) as err:
            print(err, file=sys.stderr)
            return 1
        return 0
    logs.configure(args.log_format, level=logging.INFO)
    ssl_context, ca_pem = None, None
    if args.tls_cert or args.tls_key:
        if not (args.tls_cert and args.tls_key):
            print("--tls-cert and --tls-key go together.", file=sys.stderr)
            return 1
        try:
            ssl_context = ca.hub_ssl_context(args.tls_cert, args.tls_key)
            ca_pem = ca.ca_pem_from_hub_chain(args.tls_cert.read_bytes())
        except (ca.CaError, OSError) as err:
            print(f"TLS: {err}", file=sys.stderr)
            return 1
    app = create_app(
        args.data,
        heartbeat_interval=timedelta(seconds=args.heartbeat),
        ca_pem=ca_pem,
        dc09_host=args.dc09_host,
        dc09_port=args.dc09_port,
    )
    web.run_app(app, host=args.host, port=args.port, ssl_context=ssl_context, print=None)
    return 0


def _add_household(store: HubStore, args: argparse.Namespace) -> str:
    return store.create_household(args.name, args.address).id


def _enrollment_code(store: HubStore, args: argparse.Namespace) -> str:
    return store.mint_enrollment_code(args.household_id)


def _revoke(store: HubStore, args: argparse.Namespace) -> str:
    gateway = store.revoke_gateway(args.gateway_id)
    return f"Gateway {gateway.id} of household {gateway.household_id} is revoked."


def _heartbeat(store: HubStore, args: argparse.Namespace) -> str:
    store.set_heartbeat_interval(args.gateway_id, args.seconds or None)
    return "Applies from the gateway's next connection."


# Administration from the shell: each prints one line; a KeyError names what is unknown.
_ADMIN_COMMANDS: dict[str, Callable[[HubStore, argparse.Namespace], str]] = {
    "household": _add_household,
    "enrollment-code": _enrollment_code,
    "revoke": _revoke,
    "heartbeat": _heartbeat,
    "user": user_cli.run,
    "panel-add": panel_cli.run,
}
# Commands on the database file itself (hub/core/backup.py): not through open_store, which would
# create or migrate the live database first.
_FILE_COMMANDS: dict[str, Callable[[Path, argparse.Namespace], str]] = {
    "backup": backup.run,
    "restore": backup.run,
}


if __name__ == "__main__":
    sys.exit(main())
