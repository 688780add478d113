"""One durable delivery queue: messages wait in an outbox until a receiver acks them.

The queue owns the outbox, the futures a caller awaits until "this message was acked", the
wake-ups and the run loop. What it drives is a `Transport` (the hub's WebSocket, an alarm
receiving centre's receivers) that only opens sessions, transmits messages and reports acks.

Threading: the queue lives on the event loop and never blocks it. Every outbox call runs on one
worker thread of the queue's own (SerialWorker), in the order the calls were made, and is
awaited or followed up on the loop: a message queued before a read is seen by that read, an ack
deleted before the next read is gone from it. `stop` (or the end of `run`) waits for the calls
under way and ends the thread, so the owner may close the outbox next.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol

from ..ulid import new_ulid
from .outbox import Outbox, OutboxMessage, Priority
from .worker import SerialWorker

_LOGGER = logging.getLogger(__name__)


class Session(Protocol):
    """One connection of a transport (or one stretch of rounds, for a request/response link)."""

    async def transmit(self, message: OutboxMessage) -> None:
        """Send one queued message. Its ack comes through the queue's `acked` (or `rejected`),
        at once or later."""
        ...

    async def wait(self, wake: asyncio.Event) -> bool:
        """Return when `wake` is set (a message queued, an ack taken, `DeliveryQueue.wake`) or
        the session did its idle work (a heartbeat, a poll); False when the session is over."""
        ...


Pump = Callable[[Session], Awaitable[None]]


class Transport(Protocol):
    """The way to a receiver that a `DeliveryQueue` drives."""

    @property
    def window(self) -> int:
        """How many messages may be in flight (sent, not yet acked) at once."""
        ...

    async def begin(self) -> None:
        """The queue starts running."""
        ...

    async def serve(self, pump: Pump) -> None:
        """Open a session and run `pump(session)` in it; return when the session is over.
        The transport's own errors (a connection lost) end the session here, logged."""
        ...

    async def pause(self) -> None:
        """After a session ended: wait before the next one (a backoff)."""
        ...

    async def end(self) -> None:
        """The run ended (it was cancelled): close what is still open."""
        ...


class DeliveryQueue:
    """Delivers an outbox through a transport, oldest first within each priority class, each
    message until it is acked: everything unacked is sent again in every new session."""

    def __init__(self, outbox: Outbox, transport: Transport, *, name: str) -> None:
        """`name` names the worker thread (`<name>-outbox`) and the run task."""
        self._outbox = outbox
        self._transport = transport
        self._name = name
        self._worker = SerialWorker(f"{name}-outbox")
        # Futures of messages queued by this process, for `wait_delivered`.
        self._delivered: dict[str, asyncio.Future[None]] = {}
        self._in_flight: set[str] = set()  # sent in the current session, not acked yet
        self._wakeup = asyncio.Event()  # the pump has something to do
        self._urgent = asyncio.Event()  # an alarm-class message was queued
        # The depth shown: the outbox's count as the worker last reported it, plus the puts
        # handed to the worker and not committed yet. Read here, before any worker exists.
        self._stored = outbox.queued
        self._storing = 0
        self._thinned = outbox.thinned
        self._depth = self._stored
        self._listeners: list[Callable[[int], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._running: asyncio.Task[Any] | None = None

    @property
    def outbox(self) -> Outbox:
        return self._outbox

    @property
    def depth(self) -> int:
        """Messages waiting for an ack (those being written included)."""
        return self._depth

    def add_depth_listener(self, listener: Callable[[int], None]) -> Callable[[], None]:
        """Called with the new depth whenever it changes; returns the remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # Queueing

    def put_nowait(self, type_: str, body: dict[str, Any]) -> str:
        """Queue a message and return its id at once; call on the event loop. Its commit
        follows on the worker thread, before any later outbox call (`put` waits for it)."""
        message_id, _ = self._put(type_, body)
        return message_id

    async def put(self, type_: str, body: dict[str, Any]) -> str:
        """Queue a message; returns its id once it is on disk (raises if it could not be)."""
        message_id, committed = self._put(type_, body)
        await asyncio.shield(committed)  # a cancelled caller still gets its message written
        return message_id

    def _put(self, type_: str, body: dict[str, Any]) -> tuple[str, asyncio.Future[None]]:
        loop = asyncio.get_running_loop()
        message = OutboxMessage(new_ulid(), type_, body, datetime.now(UTC))
        self._delivered[message.id] = loop.create_future()
        self._storing += 1
        written = self._worker.submit(partial(self._write, message))
        committed = loop.create_future()
        written.add_done_callback(partial(self._written, message.id, committed))
        self._wakeup.set()
        if self._outbox.priority_of(type_) == Priority.ALARM:  # a pure lookup, no SQLite
            self._urgent.set()
        self._show_depth()
        return message.id, committed

    def _write(self, message: OutboxMessage) -> tuple[int, int]:
        """On the worker: the commit, then the count and thinning it left."""
        self._outbox.put_many([message])
        return self._outbox.queued, self._outbox.thinned

    def _written(
        self,
        message_id: str,
        committed: asyncio.Future[None],
        written: asyncio.Future[tuple[int, int]],
    ) -> None:
        self._storing -= 1
        if (error := written.exception()) is not None:
            _LOGGER.error("Message %s could not be queued: %s", message_id, error)
            self._settle(message_id, error)
            committed.set_exception(error)
            committed.add_done_callback(lambda done: done.exception())  # seen: no warning
        else:
            stored, thinned = written.result()
            if thinned > self._thinned:
                _LOGGER.warning(
                    "Outbox full: %d old vitals/telemetry dropped", thinned - self._thinned
                )
            self._stored, self._thinned = stored, thinned
            committed.set_result(None)
        self._show_depth()

    async def wait_delivered(self, message_id: str, timeout: float) -> None:
        """Wait until the receiver acked `message_id` (returns at once if it was queued by
        another process or already delivered); raises what a rejection carried."""
        future = self._delivered.get(message_id)
        if future is not None:
            await asyncio.wait_for(asyncio.shield(future), timeout)

    # What a transport reports

    def acked(self, message_ids: Iterable[str]) -> None:
        """The receiver acked these messages: they leave the outbox (one commit), then their
        `wait_delivered` returns."""
        ids = list(message_ids)
        if not ids:
            return
        self._in_flight.difference_update(ids)
        self._remove(ids, None)
        self._wakeup.set()  # room in flight: send more

    def rejected(self, message_id: str, error: Exception) -> bool:
        """The receiver refuses the message in flight for good: it leaves the outbox (it would
        block the queue), and `wait_delivered` raises `error`. False if it was not in flight."""
        if message_id not in self._in_flight:
            return False
        self._in_flight.discard(message_id)
        self._remove([message_id], error)
        self._wakeup.set()
        return True

    def resend(self, message_id: str) -> None:
        """Send the message again in this session (the receiver asked for it)."""
        self._in_flight.discard(message_id)
        self._wakeup.set()

    def wake(self) -> None:
        """Run the pump again (the transport's idle timing changed)."""
        self._wakeup.set()

    def new_message_event(self, *, urgent: bool = False) -> asyncio.Event:
        """Cleared now and set when a message (an alarm-class one, with `urgent`) is queued:
        a transport's `pause` waits on it to try again at once. Between sessions only: the
        pump waits on the same event."""
        event = self._urgent if urgent else self._wakeup
        event.clear()
        return event

    async def depth_by_priority(self) -> dict[Priority, int]:
        return await self._worker.submit(self._outbox.depth_by_priority)

    def _remove(self, message_ids: list[str], error: Exception | None) -> None:
        def delete() -> int:
            self._outbox.ack_many(message_ids)
            return self._outbox.queued

        removed = self._worker.submit(delete)
        removed.add_done_callback(partial(self._removed, message_ids, error))

    def _removed(
        self, message_ids: list[str], error: BaseException | None, removed: asyncio.Future[int]
    ) -> None:
        if (failure := removed.exception()) is not None:
            # They stay queued and go again; the receiver drops what it has seen by id.
            _LOGGER.error("Acked messages could not leave the outbox: %s", failure)
            return
        self._stored = removed.result()
        self._show_depth()
        for message_id in message_ids:
            self._settle(message_id, error)

    def _settle(self, message_id: str, error: BaseException | None) -> None:
        future = self._delivered.pop(message_id, None)
        if future is None or future.done():
            return
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
            future.add_done_callback(lambda done: done.exception())  # seen: no warning

    def _show_depth(self) -> None:
        depth = self._stored + self._storing
        if depth == self._depth:
            return
        self._depth = depth
        for listener in list(self._listeners):
            try:
                listener(depth)
            except Exception:
                _LOGGER.exception("A %s queue listener failed", self._name)

    # Running

    def start(self) -> None:
        """Run in a task of its own; hosts with task tracking (HA) await `run`."""
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name=f"eldercare {self._name} delivery")

    async def stop(self) -> None:
        """Stop, whoever started the queue (`start`, or a host awaiting `run`); returns once
        the worker thread has ended: the outbox may be closed then."""
        task = self._task or self._running
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = self._running = None
        await self._worker.close()

    async def run(self) -> None:
        """Deliver until cancelled: a session after another, with the transport's pause
        between them."""
        self._running = asyncio.current_task()
        try:
            await self._transport.begin()
            while True:
                self._in_flight.clear()  # a new session sends everything unacked again
                await self._transport.serve(self._pump)
                self._in_flight.clear()
                await self._transport.pause()
        finally:
            try:
                await self._transport.end()
            finally:
                # Calls cancelled with the run end on the worker first: whoever cancelled
                # may close the outbox at once, and no thread outlives the queue.
                await self._worker.close()

    async def _pump(self, session: Session) -> None:
        """Keep the window full, oldest first within each class; an alarm queued meanwhile
        overtakes what waits."""
        window = self._transport.window
        while True:
            self._wakeup.clear()
            room = window - len(self._in_flight)
            if room > 0:
                peek = partial(self._outbox.peek, room, frozenset(self._in_flight))
                for message in await self._worker.submit(peek):
                    self._in_flight.add(message.id)
                    await session.transmit(message)
            if not await session.wait(self._wakeup):
                return
