"""Panel accounts in memory, for the receiver's lookups: the DC-09 receiver checks a frame
synchronously, so it cannot wait on the database. Reloaded at start, after every change made
through the API, and when another process (the CLI, a restore) changed the database."""

from __future__ import annotations

from collections.abc import Iterable

from gateway.dc09.receiver import ReceiverAccount

from ..core.panel_store import PanelAccount


class PanelDirectory:
    def __init__(self) -> None:
        self._accounts: dict[str, ReceiverAccount] = {}

    def load(self, accounts: Iterable[PanelAccount]) -> None:
        # A new dict swapped in whole: a lookup never sees half a reload.
        self._accounts = {
            panel.account: ReceiverAccount(panel.account, panel.key, panel.household_id)
            for panel in accounts
        }

    def lookup(self, account: str) -> ReceiverAccount | None:
        return self._accounts.get(account.upper())

    def __len__(self) -> int:
        return len(self._accounts)
