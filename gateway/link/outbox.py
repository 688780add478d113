"""The gateway's durable outbox: every message for the hub, kept in SQLite until the hub acks it.

A message is committed before it is sent and deleted only when the hub acks its id, so nothing
is lost across link outages, restarts or a killed process. Messages leave in priority classes
(alarms, then alarm events, then service requests, then vitals, then telemetry), oldest first
within a class. Alarms, alarm events and service requests are never dropped; vitals and
telemetry are capped and thinned oldest first so a long outage cannot fill the disk.

Calls are synchronous and block on SQLite, so they never run on the event loop: a
`DeliveryQueue` (delivery.py) owns the outbox while it runs and makes every call on one worker
thread of its own, in call order. The class holds no lock: two threads must never call it at
once, and nothing else may call it while a queue runs. It may be opened and used directly on
any one thread before and after (tests, tools, a host opening it in an executor). Only one
`Outbox` may have a file open.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Set
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from ..protocol import MessageType
from .errors import HubError

DEFAULT_VITAL_CAP = 5_000
DEFAULT_TELEMETRY_CAP = 1_000

# "ECOB" in the file header: tells our outbox apart from any other SQLite file at that path.
_APPLICATION_ID = 0x45434F42
_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE messages (
    seq INTEGER PRIMARY KEY,  -- a new row always gets max(seq) + 1: insertion order
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    priority INTEGER NOT NULL,
    body TEXT NOT NULL,  -- JSON
    created_at TEXT NOT NULL  -- ISO-8601 UTC
);
CREATE INDEX messages_in_send_order ON messages(priority DESC, seq);
"""
_CORRUPTION_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})


class Priority(IntEnum):
    """A message class, as stored in the file's `priority` column. Send order is SEND_RANK;
    for the first four classes it is their value, so files written before services came
    read and send as they did."""

    TELEMETRY = 0
    VITAL = 1
    ALARM_EVENT = 2
    ALARM = 3
    # Life services (plumber, meals): a person is waiting, so before vitals and telemetry,
    # but an alarm always overtakes them. Stored as -1 because no whole number is free
    # between VITAL and ALARM_EVENT and stored values never change: an older build that
    # reads this file sends a service last, never before an alarm.
    SERVICE = -1


# Higher goes first; oldest first within a rank.
SEND_RANK: dict[Priority, int] = {
    Priority.TELEMETRY: 0,
    Priority.VITAL: 1,
    Priority.SERVICE: 2,
    Priority.ALARM_EVENT: 3,
    Priority.ALARM: 4,
}

_PRIORITY_BY_TYPE: dict[str, Priority] = {
    MessageType.ALARM_RAISED: Priority.ALARM,
    MessageType.ALARM_CLEARED: Priority.ALARM,
    MessageType.ALARM_EVENT: Priority.ALARM_EVENT,
    MessageType.SERVICE_REQUESTED: Priority.SERVICE,
    MessageType.SERVICE_EVENT: Priority.SERVICE,
    MessageType.VITAL: Priority.VITAL,
}
# Classes whose loss could leave an emergency unseen, or a person waiting for help that never
# comes: never thinned, committed with an fsync.
_KEPT = frozenset({Priority.ALARM, Priority.ALARM_EVENT, Priority.SERVICE})
# The send order as SQL, and an index on exactly that expression so a peek reads it in order.
_SEND_RANK_SQL = (
    "(CASE priority "
    + " ".join(f"WHEN {int(p)} THEN {rank}" for p, rank in SEND_RANK.items())
    + " ELSE 0 END)"
)
# Built from the class table above, never from input.
_PEEK = (
    "SELECT id, type, body, created_at FROM messages"  # noqa: S608
    f" ORDER BY {_SEND_RANK_SQL} DESC, seq LIMIT ?"
)
_SEND_INDEX = (
    f"CREATE INDEX IF NOT EXISTS messages_in_send_rank ON messages({_SEND_RANK_SQL} DESC, seq)"
)


def priority_of(type_: str) -> Priority:
    """The class of a message type; unknown types (`device.status`, ...) are telemetry."""
    return _PRIORITY_BY_TYPE.get(type_, Priority.TELEMETRY)


class OutboxCorrupt(HubError):
    """The outbox file is damaged or is not an outbox; the message says what to do."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(
            f"The hub outbox {path} cannot be used ({detail}). Stop the gateway, move the file "
            f"aside (rename it, e.g. to {path.name}.corrupt) and start again: a new, empty "
            f"outbox is created. Messages not yet delivered may be rescued from the old file "
            f"with `sqlite3 <old file> .recover`."
        )
        self.path = path


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One queued message. `created_at` must be timezone-aware; it is read back in UTC."""

    id: str
    type: str
    body: dict[str, Any]
    created_at: datetime


class Outbox:
    """Messages for the hub in one SQLite file (WAL), in send order, until acked."""

    def __init__(
        self,
        path: Path,
        vital_cap: int = DEFAULT_VITAL_CAP,
        telemetry_cap: int = DEFAULT_TELEMETRY_CAP,
        priorities: Mapping[str, Priority] | None = None,
    ) -> None:
        """`priorities` classes message types of another channel (the DC-09 queue); types it
        does not name are classed as for the hub."""
        if vital_cap < 1 or telemetry_cap < 1:
            raise ValueError("outbox caps must be at least 1")
        self.path = path
        self._priorities = dict(priorities or {})
        self._caps = {Priority.VITAL: vital_cap, Priority.TELEMETRY: telemetry_cap}
        self._thinned = dict.fromkeys(Priority, 0)
        self._queued = 0  # counted at open, then kept by every commit
        _create_private(path)
        # One worker thread owns the connection after start-up, hence check_same_thread off.
        # isolation_level=None: transactions are the explicit BEGIN/COMMIT below.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        try:
            with self._reporting_corruption():
                self._open()
        except BaseException:
            self._db.close()
            raise

    def _open(self) -> None:
        self._db.execute("PRAGMA journal_mode=WAL")  # the first read: a garbage file fails here
        problems = [row[0] for row in self._db.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise OutboxCorrupt(self.path, "; ".join(problems[:3]))
        application_id = self._db.execute("PRAGMA application_id").fetchone()[0]
        if application_id == 0:
            if self._db.execute("SELECT 1 FROM sqlite_schema").fetchone() is not None:
                raise OutboxCorrupt(self.path, "it is an SQLite file of another program")
            self._db.executescript(
                f"BEGIN; {_SCHEMA}; PRAGMA application_id = {_APPLICATION_ID};"
                f" PRAGMA user_version = {_SCHEMA_VERSION}; COMMIT;"
            )
        elif application_id != _APPLICATION_ID:
            raise OutboxCorrupt(self.path, "it is an SQLite file of another program")
        # Files from before services have only the index on priority; the new one is added
        # in place (an index, not a table change: older builds still open the file).
        self._db.execute(_SEND_INDEX)
        # Caps may have been lowered since the file was written.
        with self._transaction(durable=False):
            dropped = self._thin()
            queued = self._db.execute("SELECT count(*) FROM messages").fetchone()[0]
        self._dropped(dropped)
        self._queued = int(queued)

    def close(self) -> None:
        """Close the file (SQLite folds the WAL back into it). Closing twice is harmless."""
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def priority_of(self, type_: str) -> Priority:
        chosen = self._priorities.get(type_)
        return priority_of(type_) if chosen is None else chosen

    # Writing

    def put(self, message_id: str, type_: str, body: dict[str, Any], created_at: datetime) -> bool:
        """Queue one message; it is committed when this returns.

        Returns False if a message with this id is queued already (the first one is kept), so
        retrying a put is harmless. An id that was acked and deleted would be queued again.
        """
        return self.put_many([OutboxMessage(message_id, type_, body, created_at)]) == 1

    def put_many(self, messages: Iterable[OutboxMessage]) -> int:
        """Queue a burst in one transaction; returns how many were new (duplicates ignored)."""
        rows = [
            (
                m.id,
                m.type,
                self.priority_of(m.type),
                json.dumps(m.body, ensure_ascii=False),
                _utc_text(m),
            )
            for m in messages
        ]
        durable = any(row[2] in _KEPT for row in rows)
        with self._transaction(durable):
            added = self._db.executemany(
                "INSERT OR IGNORE INTO messages (id, type, priority, body, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                rows,
            ).rowcount
            dropped = self._thin()
        self._dropped(dropped)
        self._queued += added - sum(dropped.values())
        return added

    def ack(self, message_id: str) -> bool:
        """Delete the message the hub acked; False if it was not queued (acked twice, thinned)."""
        return self.ack_many([message_id]) == 1

    def ack_many(self, message_ids: Iterable[str]) -> int:
        """Delete every acked message in one transaction; returns how many were queued."""
        # An ack lost to a power cut only means a resend, which the hub deduplicates by id.
        with self._transaction(durable=False):
            deleted = self._db.executemany(
                "DELETE FROM messages WHERE id = ?", [(i,) for i in message_ids]
            ).rowcount
        self._queued -= deleted
        return deleted

    @contextmanager
    def _transaction(self, durable: bool) -> Iterator[None]:
        # In WAL mode a commit appends frames to the -wal file. FULL fsyncs the WAL at commit;
        # NORMAL leaves it to the OS until the next checkpoint. Since the WAL is append-only,
        # an alarm's fsync also makes every earlier NORMAL commit durable, and a power cut can
        # only lose NORMAL commits after the last fsync, whose frames the checksums discard
        # cleanly on reopen. So switching per transaction never weakens an alarm's durability
        # nor risks corruption; it only spares the flash an fsync per vital. SQLite refuses the
        # switch inside a transaction, hence before BEGIN.
        self._db.execute("PRAGMA synchronous=FULL" if durable else "PRAGMA synchronous=NORMAL")
        with self._reporting_corruption():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def _thin(self) -> dict[Priority, int]:
        """Drop the oldest vitals and telemetry over their caps; how many, per class."""
        dropped: dict[Priority, int] = {}
        for priority, cap in self._caps.items():
            count = self._count(priority)
            if count > cap:
                self._db.execute(
                    "DELETE FROM messages WHERE seq IN (SELECT seq FROM messages"
                    " WHERE priority = ? ORDER BY seq LIMIT ?)",
                    (priority, count - cap),
                )
                dropped[priority] = count - cap
        return dropped

    def _dropped(self, dropped: Mapping[Priority, int]) -> None:
        # Counted once the transaction committed: a rolled-back thinning dropped nothing.
        for priority, count in dropped.items():
            self._thinned[priority] += count

    # Reading

    def peek(self, limit: int, exclude: Set[str] = frozenset()) -> list[OutboxMessage]:
        """The next `limit` messages to send, in send order, leaving them queued.

        `exclude` holds the ids in flight on the current connection (sent, not yet acked), so
        a call returns only what still has to go; an alarm queued meanwhile comes first. After
        a reconnect pass an empty set to resend everything unacked. Each call reads up to
        `limit + len(exclude)` rows, so keep the in-flight window bounded.
        """
        if limit < 0:
            raise ValueError("limit must not be negative")
        with self._reporting_corruption():
            rows = self._db.execute(_PEEK, (limit + len(exclude),)).fetchall()
        fresh = [row for row in rows if row[0] not in exclude][:limit]
        return [
            OutboxMessage(id_, type_, json.loads(body), datetime.fromisoformat(created_at))
            for id_, type_, body, created_at in fresh
        ]

    def depth(self) -> int:
        """How many messages wait for an ack."""
        with self._reporting_corruption():
            return int(self._db.execute("SELECT count(*) FROM messages").fetchone()[0])

    @property
    def queued(self) -> int:
        """How many messages wait for an ack, as `depth()` counts them, without a query: the
        count taken at open, kept by every commit since. A plain number, safe to read from
        another thread (a queue's status shows it)."""
        return self._queued

    def depth_by_priority(self) -> dict[Priority, int]:
        """Queued messages per class, every class present."""
        return {priority: self._count(priority) for priority in Priority}

    @property
    def thinned(self) -> int:
        """Vitals and telemetry dropped to stay under the caps since this outbox was opened."""
        return sum(self._thinned.values())

    @property
    def thinned_by_priority(self) -> dict[Priority, int]:
        return dict(self._thinned)

    def _count(self, priority: Priority) -> int:
        with self._reporting_corruption():
            return int(
                self._db.execute(
                    "SELECT count(*) FROM messages WHERE priority = ?", (priority,)
                ).fetchone()[0]
            )

    @contextmanager
    def _reporting_corruption(self) -> Iterator[None]:
        """Turn SQLite's corruption errors into OutboxCorrupt; other errors pass unchanged."""
        try:
            yield
        except sqlite3.DatabaseError as err:
            code = getattr(err, "sqlite_errorcode", None)
            if code is not None and (code & 0xFF) in _CORRUPTION_CODES:  # extended codes too
                raise OutboxCorrupt(self.path, str(err)) from err
            raise


def _create_private(path: Path) -> None:
    """Create the file owner-only (it may hold health data); SQLite gives -wal and -shm its mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    os.chmod(path, 0o600)  # also tightens a file made by hand, or under another umask


def _utc_text(message: OutboxMessage) -> str:
    if message.created_at.tzinfo is None:
        raise ValueError(f"created_at of message {message.id} has no time zone")
    return message.created_at.astimezone(UTC).isoformat()
