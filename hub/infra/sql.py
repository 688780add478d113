"""Small SQL helpers shared by the hub's store modules."""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlite_utils


def one(db: sqlite_utils.Database, sql: str, *params: Any) -> dict[str, Any] | None:
    """The first row of a query as a dict, or None."""
    return next(iter(db.query(sql, list(params))), None)


class Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any error (autocommit connection). Inside
    a transaction already (the database thread's group commit) it is a savepoint instead, so
    a method's error still undoes only that method's writes."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._nested = False

    def __enter__(self) -> None:
        self._nested = self._conn.in_transaction
        self._conn.execute("SAVEPOINT store_call" if self._nested else "BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if not self._nested:
            self._conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
            return
        if exc_type is not None:
            self._conn.execute("ROLLBACK TO store_call")
        self._conn.execute("RELEASE store_call")
