"""Panel accounts and the panels' message log: synchronous SQL on the hub's database thread.

A panel account maps a DC-09 account number to a household, with the AES key the panel
encrypts with (hex in the database; bytes in memory; never in an answer or a log line).
`panel_messages` holds each accepted event once, by its fingerprint: the durable half of the
receiver's duplicate check, and a small event log per panel (LOG_KEPT).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from gateway.alarms import utc_iso
from gateway.dc09 import credentials
from gateway.dc09.credentials import ACCOUNT_PATTERN, KEY_SIZES, KeyFormat

from ..infra.sql import Transaction, one

MAX_LABEL = 200
LOG_KEPT = timedelta(days=30)  # a panel's log: what staff look at when a panel misbehaves


class PanelAccountError(ValueError):
    """Input the panel accounts refuse; str() says which field and why (shown to staff)."""


def normalize_account(text: object) -> str:
    if not isinstance(text, str) or not ACCOUNT_PATTERN.fullmatch(text.strip().upper()):
        raise PanelAccountError("account must be 3 to 16 hex digits")
    return text.strip().upper()


def parse_key(text: object, key_format: object = KeyFormat.HEX) -> bytes | None:
    """The key's bytes; None for no key (absent or empty)."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise PanelAccountError("key must be text")
    try:
        return credentials.parse_key(text, str(key_format))
    except ValueError as err:  # its message never holds the key
        raise PanelAccountError(str(err)) from None


@dataclass(frozen=True, slots=True)
class PanelAccount:
    account: str
    household_id: str
    label: str
    created_at: str
    last_heard: str | None = None
    key: bytes | None = field(default=None, repr=False)

    @property
    def encrypted(self) -> bool:
        return self.key is not None

    def as_dict(self) -> dict[str, Any]:
        """For the API: whether there is a key, never the key."""
        return {
            "account": self.account,
            "household_id": self.household_id,
            "label": self.label,
            "encrypted": self.encrypted,
            "created_at": self.created_at,
            "last_heard": self.last_heard,
        }


class PanelStore:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def add(
        self,
        account: str,
        household_id: str,
        now: datetime,
        *,
        key: bytes | None = None,
        label: str = "",
    ) -> PanelAccount:
        """PanelAccountError for bad input or an account in use; KeyError for no household."""
        account = normalize_account(account)
        if key is not None and len(key) not in KEY_SIZES:
            raise PanelAccountError("key must be 16, 24 or 32 bytes (AES-128/192/256)")
        if not isinstance(label, str) or len(label) > MAX_LABEL:
            raise PanelAccountError(f"label must be text of at most {MAX_LABEL} characters")
        with Transaction(self.db.conn):
            if one(self.db, "SELECT id FROM households WHERE id = ?", household_id) is None:
                raise KeyError(f"no household {household_id}")
            if self.get(account) is not None:
                raise PanelAccountError(f"account {account} is in use already")
            self.db.execute(
                "INSERT INTO panel_accounts (account, household_id, key, label, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [account, household_id, key.hex() if key else None, label.strip(), utc_iso(now)],
            )
        stored = self.get(account)
        assert stored is not None
        return stored

    def remove(self, account: str) -> PanelAccount | None:
        """The removed account, or None if there was none. Its log and alarms stay."""
        found = self.get(account)
        if found is not None:
            self.db.execute("DELETE FROM panel_accounts WHERE account = ?", [found.account])
        return found

    def get(self, account: str) -> PanelAccount | None:
        rows = self._rows("WHERE account = ?", [account.strip().upper()])
        return rows[0] if rows else None

    def accounts(self) -> list[PanelAccount]:
        return self._rows("ORDER BY account", [])

    def touch(self, account: str, now: datetime) -> None:
        """The panel was heard (an event, a duplicate or a NULL poll)."""
        self.db.execute(
            "UPDATE panel_accounts SET last_heard = ? WHERE account = ?", [utc_iso(now), account]
        )

    def data_version(self) -> int:
        """Changes when another connection (the CLI, a restore) committed."""
        return int(self.db.execute("PRAGMA data_version").fetchone()[0])

    # The message log and durable dedupe

    def seen(self, fingerprint: str, fresh_since: datetime) -> bool:
        """Whether an event with this fingerprint was stored at or after `fresh_since`."""
        row = one(
            self.db, "SELECT received_at FROM panel_messages WHERE fingerprint = ?", fingerprint
        )
        return row is not None and row["received_at"] >= utc_iso(fresh_since)

    def log(
        self,
        fingerprint: str,
        account: str,
        *,
        message: str,
        sequence: int,
        data: str,
        now: datetime,
        effect: str = "",
        alarm_id: str | None = None,
    ) -> None:
        """An accepted event (replacing a stale row of the same fingerprint); the account's
        rows older than LOG_KEPT go."""
        received = utc_iso(now)
        self.db.execute(
            "INSERT OR REPLACE INTO panel_messages (fingerprint, account, received_at, message,"
            " sequence, data, effect, alarm_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [fingerprint, account, received, message, sequence, data, effect, alarm_id],
        )
        self.db.execute(
            "DELETE FROM panel_messages WHERE account = ? AND received_at < ?",
            [account, utc_iso(now - LOG_KEPT)],
        )

    def log_entries(self, account: str, limit: int = 50) -> list[dict[str, Any]]:
        """A panel's newest events first."""
        return list(
            self.db.query(
                "SELECT received_at, message, sequence, data, effect, alarm_id"
                " FROM panel_messages WHERE account = ? ORDER BY received_at DESC LIMIT ?",
                [account.strip().upper(), limit],
            )
        )

    def _rows(self, where: str, params: list[Any]) -> list[PanelAccount]:
        sql = (
            "SELECT account, household_id, key, label, created_at, last_heard"  # noqa: S608
            f" FROM panel_accounts {where}"
        )
        accounts = []
        for row in self.db.query(sql, params):
            key = row.pop("key")
            accounts.append(PanelAccount(**row, key=bytes.fromhex(key) if key else None))
        return accounts
