"""`python -m hub panel-add ACCOUNT HOUSEHOLD_ID [--key KEY] [--key-format hex|text]
[--label TEXT]`: map an alarm panel's DC-09 account to a household from the shell. A running
hub's listener knows the account within seconds (hub/panels/service.py)."""

from __future__ import annotations

import argparse
import getpass
from datetime import UTC, datetime

from gateway.dc09.credentials import KeyFormat

from ..core.audit import AuditAction
from ..core.panel_store import PanelAccountError, normalize_account, parse_key
from ..core.storage import HubStore
from ..infra.sql import Transaction


class PanelCommandError(Exception):
    """A refusal to print for the operator."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    add = commands.add_parser("panel-add", help="an alarm panel's DC-09 account for a household")
    add.add_argument("account", help="3 to 16 hex digits, as programmed in the panel")
    add.add_argument("household_id")
    add.add_argument("--key", help="AES key (16/24/32 bytes); the panel must then encrypt")
    add.add_argument(
        "--key-format",
        choices=[value.value for value in KeyFormat],
        default=KeyFormat.HEX.value,
        help="hex: 32/48/64 hex digits (default); text: the typed characters are the key",
    )
    add.add_argument("--label", default="", help="what staff call the panel")


def run(store: HubStore, args: argparse.Namespace) -> str:
    """KeyError for an unknown household; PanelCommandError for anything else refused."""
    now = datetime.now(UTC)
    try:
        account = normalize_account(args.account)
        key = parse_key(args.key, args.key_format)
        with Transaction(store.db.conn):  # the account and its audit row, or neither
            panel = store.panels.add(account, args.household_id, now, key=key, label=args.label)
            how = "encrypted" if panel.encrypted else "in clear"
            store.audit.append(
                _operator(),
                AuditAction.REGISTRY_CHANGE,
                f"panel:{panel.account}",
                now,
                f"created: household {panel.household_id}, {how}",
            )
    except PanelAccountError as err:
        raise PanelCommandError(str(err)) from err
    return f"Panel {panel.account} reports for household {panel.household_id} ({how})."


def _operator() -> str:
    try:
        return f"shell:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in this environment
        return "shell"
