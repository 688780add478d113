"""One thread that runs blocking calls (an outbox's SQLite) for the event loop, in call order.

`submit` returns at once with a future the loop can await; the calls run one after another on
the worker thread, oldest first, so a write made before a read is always seen by it. Results
come back to the loop in the same order. Cancelling a returned future never stops its call: a
write handed over is always made.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor


class SerialWorker:
    """Runs calls on one thread of its own, started on the first call and ended by `close`."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._executor: ThreadPoolExecutor | None = None
        self._submitted = 0

    def submit[T](self, function: Callable[[], T]) -> asyncio.Future[T]:
        """Queue `function` for the thread; call on the event loop."""
        self._submitted += 1
        return self._queue(function)

    async def close(self) -> None:
        """Wait until every call made so far has run, then end the thread. A later `submit`
        starts a new one. The caller may then close what the calls used (the outbox)."""
        while (executor := self._executor) is not None:
            made = self._submitted
            await self._queue(lambda: None)  # runs after everything before it
            if self._executor is executor and self._submitted == made:
                self._executor = None
                executor.shutdown(wait=True)  # idle: the thread ends at once

    def _queue[T](self, function: Callable[[], T]) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def call() -> None:
            try:
                result = function()
            except BaseException as err:  # handed to the loop, whatever it is
                _report(loop, _fail, future, err)
            else:
                _report(loop, _resolve, future, result)

        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self._name)
        self._executor.submit(call)
        return future


def _report(loop: asyncio.AbstractEventLoop, settle: Callable[..., None], *args: object) -> None:
    # call_soon_threadsafe from this one thread keeps the calls' order on the loop.
    with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
        loop.call_soon_threadsafe(settle, *args)


def _resolve[T](future: asyncio.Future[T], value: T) -> None:
    if not future.cancelled():
        future.set_result(value)


def _fail(future: asyncio.Future[object], error: BaseException) -> None:
    if not future.cancelled():
        future.set_exception(error)
