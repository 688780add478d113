"""The delivery queue on its own, driven through a scripted transport: what it sends and when,
what an ack or a rejection does, that nothing queued is lost, and that no outbox call runs on
the event loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.link.delivery import DeliveryQueue, Pump
from gateway.link.outbox import Outbox, OutboxMessage, Priority
from gateway.protocol import MessageType

from ...conftest import until

ALARM = MessageType.ALARM_RAISED.value
VITAL = MessageType.VITAL.value
GATE_LIMIT = 10.0  # s: a held outbox call gives up waiting (a failing test must not hang)


class Session:
    """What the queue sees as one connection; the test ends it with `drop`."""

    def __init__(self) -> None:
        self.sent: list[OutboxMessage] = []
        self.waits = 0
        self._over = asyncio.Event()

    @property
    def ids(self) -> list[str]:
        return [m.id for m in self.sent]

    async def transmit(self, message: OutboxMessage) -> None:
        self.sent.append(message)

    async def wait(self, wake: asyncio.Event) -> bool:
        self.waits += 1
        woken = asyncio.ensure_future(wake.wait())
        over = asyncio.ensure_future(self._over.wait())
        try:
            await asyncio.wait({woken, over}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
            over.cancel()
        return not self._over.is_set()

    def drop(self) -> None:
        self._over.set()


class Transport:
    """A transport whose sessions the test opens and ends; it pauses until told to go on."""

    def __init__(self, window: int = 10) -> None:
        self.window = window
        self.sessions: list[Session] = []
        self.began = 0
        self.ended = 0
        self.go_on = asyncio.Event()
        self.go_on.set()

    @property
    def session(self) -> Session:
        return self.sessions[-1]

    async def begin(self) -> None:
        self.began += 1

    async def serve(self, pump: Pump) -> None:
        self.sessions.append(Session())
        await pump(self.session)

    async def pause(self) -> None:
        await self.go_on.wait()

    async def end(self) -> None:
        self.ended += 1


class GatedOutbox(Outbox):
    """An outbox whose calls can be held (a slow SD card) and that notes the thread of each."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.gate = threading.Event()
        self.gate.set()
        self.threads: set[int] = set()

    def _held(self) -> None:
        self.threads.add(threading.get_ident())
        # Held on the event loop's thread, the gate could never open: fail, do not hang.
        if not self.gate.wait(GATE_LIMIT):
            raise TimeoutError("an outbox call was held too long (on the event loop?)")

    def put_many(self, messages: Any) -> int:
        self._held()
        return super().put_many(messages)

    def ack_many(self, message_ids: Any) -> int:
        self._held()
        return super().ack_many(message_ids)

    def peek(self, limit: int, exclude: Any = frozenset()) -> list[OutboxMessage]:
        self._held()
        return super().peek(limit, exclude)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "outbox.sqlite3"


@pytest.fixture
def outbox(path: Path) -> Iterator[GatedOutbox]:
    with GatedOutbox(path) as opened:
        yield opened


@pytest.fixture
def transport() -> Transport:
    return Transport()


@pytest.fixture
async def queue(outbox: GatedOutbox, transport: Transport) -> AsyncIterator[DeliveryQueue]:
    """A queue, stopped (its worker thread ended) before the outbox is closed."""
    queue = DeliveryQueue(outbox, transport, name="test")
    yield queue
    outbox.gate.set()
    await queue.stop()


def on_disk(path: Path) -> list[str]:
    """The ids in the file, read on a connection of our own (what a restart would find)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return [row[0] for row in db.execute("SELECT id FROM messages ORDER BY seq")]


def worker_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("test-outbox")]


async def test_a_message_is_on_disk_when_put_returns(queue: DeliveryQueue, path: Path) -> None:
    message_id = await queue.put(ALARM, {"n": 1})
    assert on_disk(path) == [message_id]
    assert queue.depth == 1


async def test_put_nowait_returns_at_once_and_its_commit_comes_before_any_later_call(
    queue: DeliveryQueue, outbox: GatedOutbox, path: Path
) -> None:
    outbox.gate.clear()  # the disk is slow
    first = queue.put_nowait(VITAL, {"n": 1})
    second = queue.put_nowait(VITAL, {"n": 2})
    assert queue.depth == 2  # shown at once, written meanwhile
    assert on_disk(path) == []
    outbox.gate.set()
    third = await queue.put(VITAL, {"n": 3})
    assert on_disk(path) == [first, second, third]


async def test_outbox_calls_never_run_on_the_event_loop(
    queue: DeliveryQueue, outbox: GatedOutbox, transport: Transport
) -> None:
    queue.start()
    await until(lambda: transport.sessions)
    message_id = await queue.put(ALARM, {"n": 1})
    await until(lambda: transport.session.ids == [message_id])
    queue.acked([message_id])
    await queue.wait_delivered(message_id, timeout=5)
    assert outbox.threads
    assert threading.get_ident() not in outbox.threads
    assert len(outbox.threads) == 1  # one worker, in call order


async def test_the_loop_stays_responsive_while_the_outbox_is_slow(
    queue: DeliveryQueue, outbox: GatedOutbox, transport: Transport
) -> None:
    outbox.gate.clear()  # every outbox call now hangs until the gate opens
    queue.start()
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticking = asyncio.create_task(ticker())
    try:
        message_id = queue.put_nowait(ALARM, {"n": 1})  # returns although the write hangs
        durable = asyncio.create_task(queue.put(ALARM, {"n": 2}))
        before = ticks
        await until(lambda: ticks > before + 100)  # the loop runs other work meanwhile
        assert not durable.done()
        assert queue.depth == 2
        outbox.gate.set()
        await durable
        await until(lambda: len(transport.session.sent) == 2)
        assert transport.session.ids[0] == message_id
        assert threading.get_ident() not in outbox.threads
    finally:
        ticking.cancel()


async def test_an_ack_removes_the_message_before_its_waiter_returns(
    queue: DeliveryQueue, transport: Transport, path: Path
) -> None:
    depths: list[int] = []
    queue.add_depth_listener(depths.append)
    queue.start()
    message_id = queue.put_nowait(ALARM, {"n": 1})
    await until(lambda: transport.sessions and transport.session.ids == [message_id])
    waiting = asyncio.create_task(queue.wait_delivered(message_id, timeout=5))
    await asyncio.sleep(0.05)
    assert not waiting.done()  # sent is not delivered
    queue.acked([message_id])
    await waiting
    assert queue.depth == 0
    assert on_disk(path) == []
    assert depths == [1, 0]
    await queue.wait_delivered(message_id, timeout=0)  # known as delivered: at once


async def test_a_rejected_message_leaves_the_queue_and_its_waiter_hears_why(
    queue: DeliveryQueue, transport: Transport, path: Path
) -> None:
    queue.start()
    bad = queue.put_nowait(VITAL, {"n": 1})
    good = queue.put_nowait(VITAL, {"n": 2})
    await until(lambda: transport.sessions and len(transport.session.sent) == 2)
    assert not queue.rejected("not-in-flight", ValueError("no"))
    assert queue.rejected(bad, ValueError("malformed"))
    with pytest.raises(ValueError, match="malformed"):
        await queue.wait_delivered(bad, timeout=5)
    await until(lambda: on_disk(path) == [good])
    assert queue.depth == 1


async def test_alarms_go_first_and_the_window_bounds_what_is_in_flight(
    outbox: GatedOutbox, path: Path
) -> None:
    transport = Transport(window=2)
    queue = DeliveryQueue(outbox, transport, name="test")
    vitals = [await queue.put(VITAL, {"n": n}) for n in range(3)]
    alarm = await queue.put(ALARM, {"n": 9})
    queue.start()
    try:
        await until(lambda: transport.sessions and len(transport.session.sent) == 2)
        await asyncio.sleep(0.05)
        assert transport.session.ids == [alarm, vitals[0]]  # the window is full
        queue.acked([alarm])
        await until(lambda: len(transport.session.sent) == 3)
        # An alarm queued behind a backlog overtakes it.
        late = queue.put_nowait(ALARM, {"n": 10})
        queue.acked([vitals[0]])
        await until(lambda: len(transport.session.sent) == 4)
        assert transport.session.ids[2:] == [vitals[1], late]
    finally:
        await queue.stop()


async def test_a_new_session_sends_everything_unacked_again(
    queue: DeliveryQueue, transport: Transport
) -> None:
    queue.start()
    first = queue.put_nowait(ALARM, {"n": 1})
    second = queue.put_nowait(ALARM, {"n": 2})
    await until(lambda: transport.sessions and len(transport.session.sent) == 2)
    queue.acked([first])
    await queue.wait_delivered(first, timeout=5)
    transport.session.drop()  # the connection is lost
    await until(lambda: len(transport.sessions) == 2 and transport.session.ids == [second])
    assert transport.began == 1  # a session after another in one run


async def test_resend_sends_a_message_again_in_the_same_session(
    queue: DeliveryQueue, transport: Transport
) -> None:
    queue.start()
    message_id = queue.put_nowait(ALARM, {"n": 1})
    await until(lambda: transport.sessions and transport.session.ids == [message_id])
    queue.resend(message_id)  # the receiver asked for it again (a stale timestamp)
    await until(lambda: transport.session.ids == [message_id, message_id])
    assert len(transport.sessions) == 1


async def test_the_urgent_event_is_set_by_an_alarm_only(queue: DeliveryQueue) -> None:
    urgent = queue.new_message_event(urgent=True)
    anything = queue.new_message_event()
    queue.put_nowait(VITAL, {"n": 1})
    assert anything.is_set()
    assert not urgent.is_set()
    queue.put_nowait(ALARM, {"n": 2})
    assert urgent.is_set()


async def test_stop_waits_for_queued_writes_and_ends_the_worker_thread(
    queue: DeliveryQueue, outbox: GatedOutbox, transport: Transport, path: Path
) -> None:
    queue.start()
    await until(lambda: transport.sessions)
    outbox.gate.clear()
    message_id = queue.put_nowait(ALARM, {"n": 1})
    stopping = asyncio.create_task(queue.stop())
    await asyncio.sleep(0.05)
    assert not stopping.done()  # the write is under way: the outbox may not close yet
    outbox.gate.set()
    await stopping
    assert worker_threads() == []
    assert transport.ended == 1
    assert on_disk(path) == [message_id]


async def test_a_queue_restarted_on_the_same_file_delivers_what_was_left(
    path: Path, transport: Transport
) -> None:
    with GatedOutbox(path) as outbox:
        queue = DeliveryQueue(outbox, transport, name="test")
        queue.start()
        left = [queue.put_nowait(ALARM, {"n": n}) for n in range(3)]
        await until(lambda: transport.sessions and len(transport.session.sent) == 3)
        queue.acked(left[:1])
        await queue.wait_delivered(left[0], timeout=5)
        await queue.stop()  # killed before the other acks

    again = Transport()
    with GatedOutbox(path) as outbox:
        queue = DeliveryQueue(outbox, again, name="test")
        assert queue.depth == 2  # before it runs: from the file
        queue.start()
        try:
            await until(lambda: again.sessions and again.session.ids == left[1:])
        finally:
            await queue.stop()


async def test_a_write_that_fails_is_reported_to_whoever_waits(
    queue: DeliveryQueue, outbox: GatedOutbox
) -> None:
    outbox.close()  # the file is gone from under the queue
    message_id = queue.put_nowait(ALARM, {"n": 1})
    with pytest.raises(sqlite3.ProgrammingError):
        await queue.wait_delivered(message_id, timeout=5)
    with pytest.raises(sqlite3.ProgrammingError):
        await queue.put(ALARM, {"n": 2})
    assert queue.depth == 0


async def test_a_cancelled_put_is_still_written(queue: DeliveryQueue, outbox: GatedOutbox) -> None:
    outbox.gate.clear()
    putting = asyncio.create_task(queue.put(ALARM, {"n": 1}))
    await asyncio.sleep(0.05)
    putting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await putting
    outbox.gate.set()
    await until(lambda: outbox.queued == 1)
    assert queue.depth == 1


async def test_depth_follows_thinning(tmp_path: Path, transport: Transport) -> None:
    with Outbox(tmp_path / "capped.sqlite3", vital_cap=2) as outbox:
        queue = DeliveryQueue(outbox, transport, name="test")
        for n in range(4):
            await queue.put(VITAL, {"n": n})
        assert queue.depth == 2
        assert outbox.depth() == 2
        assert outbox.depth_by_priority()[Priority.VITAL] == 2
        await queue.stop()


async def test_two_stops_at_once_both_return_with_the_worker_ended(
    queue: DeliveryQueue, transport: Transport
) -> None:
    queue.start()
    queue.put_nowait(ALARM, {"n": 1})
    await until(lambda: transport.sessions)
    await asyncio.wait_for(asyncio.gather(queue.stop(), queue.stop()), timeout=5)
    assert worker_threads() == []
