"""Unlocks of sign-in delays, by a supervisor (POST /api/v1/users/{name}/unlock) or an
operator (`python -m hub user unlock NAME`): an audit row each, which is also how a running
hub hears of an unlock made from the shell (the throttle lives in the hub's memory).

One row per thing cleared: subject `user:<name>` (the name's delays from every address and
its distributed-guessing guard) or `address:<ip>` (one address's delays across names).
"""

from __future__ import annotations

import asyncio
import getpass
import ipaddress
import logging
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime

from ..core.audit import AuditAction
from ..core.context import HubContext
from ..core.storage import HubStore
from .throttle import LoginThrottle

_LOGGER = logging.getLogger(__name__)
UNLOCK_ACTION = AuditAction.LOGIN_UNLOCKED
USER_SUBJECT = "user:"
ADDRESS_SUBJECT = "address:"
CHECK_PERIOD = 1.0  # s: how late a running hub applies an unlock made from the shell
_BATCH = 500


class UnlockError(ValueError):
    """An unlock that cannot be made as asked; str() says why."""


def checked_address(text: str) -> str:
    """An IP address as typed by a supervisor, in its canonical form."""
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        raise UnlockError(f"{text[:64]!r} is not an IP address") from None


@dataclass(frozen=True, slots=True)
class Unlock:
    actor: str  # as the audit trail names people: staff:<name>, shell:<user>
    username: str
    address: str | None  # also this address's delays across names
    detail: str = "sign-in delays cleared"

    @property
    def subjects(self) -> list[str]:
        named = [USER_SUBJECT + self.username]
        return named if self.address is None else [*named, ADDRESS_SUBJECT + self.address]


def record_unlock(store: HubStore, unlock: Unlock, now: datetime) -> list[int]:
    """The audit rows of one unlock (on the database thread); returns their ids."""
    ids = []
    for subject in unlock.subjects:
        store.audit.append(unlock.actor, UNLOCK_ACTION, subject, now, unlock.detail)
        ids.append(int(store.db.execute("SELECT last_insert_rowid()").fetchone()[0]))
    return ids


def apply_unlock(throttle: LoginThrottle, subject: str) -> int:
    """Clear what an unlock row names; returns how many throttle keys held delays."""
    if subject.startswith(USER_SUBJECT):
        return throttle.unlock_user(subject.removeprefix(USER_SUBJECT))
    if subject.startswith(ADDRESS_SUBJECT):
        return throttle.unlock_address(subject.removeprefix(ADDRESS_SUBJECT))
    return 0


def shell_actor() -> str:
    """How the audit trail names an operator at the hub's shell."""
    try:
        return f"shell:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in this environment
        return "shell"


def _newest_id(store: HubStore) -> int:
    return int(store.db.execute("SELECT COALESCE(MAX(id), 0) FROM audit").fetchone()[0])


def _unlocks_after(store: HubStore, after: int) -> tuple[int, list[tuple[int, str]]]:
    """(the newest audit id, unlock rows after `after`): a range of new rows by id."""
    newest = _newest_id(store)
    rows = store.db.execute(
        "SELECT id, subject FROM audit WHERE id > ? AND action = ? ORDER BY id LIMIT ?",
        [after, UNLOCK_ACTION.value, _BATCH],
    ).fetchall()
    return newest, [(int(row[0]), str(row[1])) for row in rows]


@dataclass
class UnlockFollower:
    """Applies unlock rows the hub did not write itself (the shell's), in order."""

    throttle: LoginThrottle
    seen: int = 0
    applied: set[int] = field(default_factory=set)  # rows the hub's own API applied at once
    _task: asyncio.Task[None] | None = None

    async def start(self, hub: HubContext) -> None:
        self.seen = await hub.db(_newest_id, hub.store)  # the memory is empty until now
        self._task = asyncio.create_task(self._follow(hub), name="hub sign-in unlocks")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _follow(self, hub: HubContext) -> None:
        while True:
            try:
                await self.catch_up(hub)
            except sqlite3.Error:  # locked by a restore copy, say: look again next time
                _LOGGER.warning("Could not look for sign-in unlocks", exc_info=True)
            await asyncio.sleep(CHECK_PERIOD)

    async def catch_up(self, hub: HubContext) -> None:
        newest, rows = await hub.db(_unlocks_after, hub.store, self.seen)
        if newest < self.seen:  # the database was restored from an older copy
            self.seen = newest
            return
        for row_id, subject in rows:
            self.seen = row_id
            if row_id in self.applied:
                self.applied.discard(row_id)
                continue
            cleared = apply_unlock(self.throttle, subject)
            _LOGGER.info("Sign-in unlock from the shell: %s (%d cleared)", subject, cleared)
        self.applied = {row_id for row_id in self.applied if row_id > self.seen}
