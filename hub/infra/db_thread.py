"""The one thread that owns the hub's SQLite connection, with group commit.

Every acked message must be on disk (synchronous=FULL), and an fsync costs milliseconds, so
one commit per message would cap a hub at a few hundred messages a second. Instead the thread
takes every job waiting in its queue, runs each inside its own savepoint of one transaction
(a failing job rolls back alone), commits once, and only then hands out the results: an ack
still follows its commit, and thousands of gateways share each fsync.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_LOGGER = logging.getLogger(__name__)
MAX_BATCH = 512  # jobs per transaction: bounds the latency one commit adds to the others
WATCH_PERIOD = 1.0  # s: the longest an idle thread waits before calling `watch`


@dataclass(slots=True)
class _Job:
    function: Callable[..., Any]
    args: tuple[Any, ...]
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


class DatabaseThread:
    """`watch`, if given, runs on this thread before every batch and at least once per
    WATCH_PERIOD: the store uses it to notice what other processes wrote (the CLI)."""

    def __init__(
        self, connection: sqlite3.Connection, watch: Callable[[], object] | None = None
    ) -> None:
        self._connection = connection
        self._watch = watch
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name="hub-db", daemon=True)
        self._thread.start()
        self.batches = 0  # commits made: jobs / batches is the group-commit factor

    async def run[T](self, function: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put(_Job(function, args, future, loop))
        return await future

    def shutdown(self) -> None:
        """Finish the queued jobs, then stop."""
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()

    def _serve(self) -> None:
        while True:
            try:
                first = self._jobs.get(timeout=WATCH_PERIOD)
            except queue.Empty:
                self._run_watch()
                continue
            if first is None:
                return
            self._run_watch()
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    self._jobs.put(None)  # stop after this batch
                    break
                batch.append(job)
            self._run_batch(batch)

    def _run_watch(self) -> None:
        if self._watch is None:
            return
        try:
            self._watch()
        except sqlite3.Error:
            _LOGGER.exception("Database watch failed")

    def _run_batch(self, batch: list[_Job]) -> None:
        outcomes: list[tuple[_Job, Any, BaseException | None]] = []
        try:
            self._connection.execute("BEGIN IMMEDIATE")
            for number, job in enumerate(batch):
                savepoint = f"job{number}"
                self._connection.execute(f"SAVEPOINT {savepoint}")
                try:
                    result = job.function(*job.args)
                except Exception as err:  # the job's own error, for its caller
                    self._connection.execute(f"ROLLBACK TO {savepoint}")
                    self._connection.execute(f"RELEASE {savepoint}")
                    outcomes.append((job, None, err))
                else:
                    self._connection.execute(f"RELEASE {savepoint}")
                    outcomes.append((job, result, None))
            self._connection.execute("COMMIT")
            self.batches += 1
        except sqlite3.Error as err:
            # The commit itself failed (disk full, I/O): nothing of the batch is stored, so
            # nothing may be acked. Every caller gets the error.
            _LOGGER.exception("Database commit failed; %d jobs refused", len(batch))
            if self._connection.in_transaction:
                self._connection.execute("ROLLBACK")
            outcomes = [(job, None, err) for job in batch]
        for job, result, error in outcomes:
            job.loop.call_soon_threadsafe(_settle, job.future, result, error)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)
