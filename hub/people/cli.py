"""`python -m hub user ...`: staff and family accounts from the shell (the first admin, and
any care center that manages people from scripts).

user add NAME --role ROLE [--display D] [--household H] [--password-stdin]
user password NAME [--password-stdin]
user disable NAME
user unlock NAME [--address IP]

Without --password-stdin a strong password is generated and printed once. `unlock` clears
the name's sign-in delays, in a running hub too within a few seconds (audited).
"""

from __future__ import annotations

import argparse
import secrets
import sys
from datetime import UTC, datetime

from ..core.accounts import AccountError
from ..core.storage import HubStore
from ..infra.passwords import WeakPassword, check_new_password, hash_password
from ..infra.sql import Transaction
from ..policy import Role
from .unlocks import Unlock, UnlockError, checked_address, record_unlock, shell_actor


class UserCommandError(Exception):
    """A refusal to print for the operator."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = commands.add_parser("user", help="staff and family accounts")
    actions = user.add_subparsers(dest="user_command", required=True)
    add = actions.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
    add.add_argument("--display", default="", help="name shown on screens (default: username)")
    add.add_argument("--household", help="the household of a family member")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    password = actions.add_parser("password", help="set a new password (ends their sessions)")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true")
    disable = actions.add_parser("disable", help="disable an account (ends their sessions)")
    disable.add_argument("username")
    unlock = actions.add_parser(
        "unlock", help="clear sign-in delays after failed passwords (the running hub too)"
    )
    unlock.add_argument("username")
    unlock.add_argument(
        "--address", help="also clear this IP address's delays across all user names"
    )


def run(store: HubStore, args: argparse.Namespace) -> str:
    try:
        return _COMMANDS[args.user_command](store, args)
    except (AccountError, WeakPassword, UnlockError) as err:
        raise UserCommandError(str(err)) from err


def _add(store: HubStore, args: argparse.Namespace) -> str:
    password, shown = _new_password(args)
    user = store.accounts.create_user(
        args.username,
        args.display or args.username,
        Role(args.role),
        hash_password(password),
        now=datetime.now(UTC),
        household_id=args.household,
    )
    return f"User {user.username} ({user.role.value}) created.{shown}"


def _password(store: HubStore, args: argparse.Namespace) -> str:
    user = store.accounts.user_by_name(args.username)
    if user is None:
        raise KeyError(f"no user {args.username}")
    password, shown = _new_password(args)
    store.accounts.set_password(user.id, hash_password(password), datetime.now(UTC))
    return f"Password of {user.username} changed; their sessions ended.{shown}"


def _disable(store: HubStore, args: argparse.Namespace) -> str:
    user = store.accounts.user_by_name(args.username)
    if user is None:
        raise KeyError(f"no user {args.username}")
    store.accounts.disable_user(user.id, datetime.now(UTC))
    return f"User {user.username} disabled; their sessions ended."


def _unlock(store: HubStore, args: argparse.Namespace) -> str:
    user = store.accounts.user_by_name(args.username)
    if user is None:
        raise KeyError(f"no user {args.username}")
    address = checked_address(args.address) if args.address else None
    with Transaction(store.db.conn):  # the hub applies what the audit trail says
        record_unlock(store, Unlock(shell_actor(), user.username, address), datetime.now(UTC))
    also = f" and of address {address}" if address else ""
    return f"Sign-in delays of {user.username}{also} cleared (a running hub: within seconds)."


def _new_password(args: argparse.Namespace) -> tuple[str, str]:
    """(password, text to print): a typed one is checked, a generated one is shown once."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        check_new_password(password, args.username)
        return password, ""
    password = secrets.token_urlsafe(12)
    return password, f" Password (shown once): {password}"


_COMMANDS = {"add": _add, "password": _password, "disable": _disable, "unlock": _unlock}
