"""The DC-09 sender: queued events to an alarm receiving centre, each until a receiver ACKs it.

The sender is the transport of a `DeliveryQueue` (gateway/link/delivery.py) over the ARC's own
outbox: an event waits on disk until a receiver ACKs it (or every receiver answered DUH: it can
never be delivered), so a killed gateway or an ARC outage loses nothing. The queue makes the
outbox calls on its worker thread; the sender only talks DC-09. One message is in flight at a
time, oldest first, as DC-09 panels do: the ARC sees events in the order they happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, Final

from ..dc09.errors import Dc09Error
from ..dc09.frame import Frame, MessageId, decode_frame, encode_frame
from ..link.delivery import DeliveryQueue, Pump
from ..link.outbox import Outbox, OutboxMessage, Priority
from .events import ArcEvent, null_frame
from .settings import ArcSettings, ReceiverAddress, Transport
from .transport import Channel, open_channel

_LOGGER = logging.getLogger(__name__)

MESSAGE_TYPE: Final = "dc09.event"
# Pass to the ARC's `Outbox`: its events are alarms (never thinned, fsync'd on commit).
OUTBOX_PRIORITIES: Final = {MESSAGE_TYPE: Priority.ALARM}

MAX_SEQUENCE: Final = 9999
# After every receiver failed: wait 1 s, doubling to 60 s, then start again at the primary.
_BACKOFF_FIRST = 1.0
_BACKOFF_MAX = 60.0
_BARE_NAK = b'"NAK"'  # pysiaalarm's answer to a frame it cannot read at all


class ArcRefused(Exception):
    """Every receiver refused the message (DUH), or it was unreadable: it was dropped."""


class _NoReceiver(Exception):
    """No receiver took the event in a whole round: the queue pauses (the backoff)."""


@dataclass(frozen=True, slots=True)
class ArcStatus:
    """The sender as entities and diagnostics see it. Counters count since start-up."""

    receiver: ReceiverAddress | None  # the one in use; None when the sender is not running
    up: bool  # the receiver in use answered its last message or poll
    last_ack_at: datetime | None
    depth: int  # events waiting for an ACK
    sent: int = 0  # frames written, retransmissions and NULL polls included
    acked: int = 0  # ACKs that confirmed a frame (events and NULL polls)
    naks: int = 0
    duhs: int = 0
    timeouts: int = 0  # attempts without a usable answer (silence, refused or lost connection)
    failovers: int = 0  # changes of the receiver in use
    refused: int = 0  # events dropped: every receiver said DUH (or unreadable in the queue)
    clock_offset: float = 0.0  # seconds added to our clock, learnt from NAKs


class _Answer(Enum):
    ACK = "ack"
    NAK = "nak"
    DUH = "duh"
    NONE = "none"  # no answer in time, or the connection failed


@dataclass(frozen=True, slots=True)
class _Reply:
    answer: _Answer
    receiver_time: datetime | None = None  # a NAK's timestamp


_NO_ANSWER = _Reply(_Answer.NONE)


@dataclass(slots=True)
class _InFlight:
    """The message being delivered: its number is kept for every retransmission."""

    id: str
    sequence: int
    duh: set[int] = field(default_factory=set)  # receivers that refused it


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ArcSender:
    """Delivers the ARC queue, one event at a time, oldest first (docs/dc09.md, "Sender rules").

    Each event keeps its sequence number for every attempt. A receiver gets `attempts` tries
    (a NAK counts, and fixes our clock first); then the next receiver. The receiver that took
    the last message stays in use; after a round where none did, the sender backs off (1 s
    doubling to 60 s, cut short by a newly queued event) and starts again at the primary.
    DUH from a receiver skips it for that event; DUH from all drops the event as refused.
    """

    def __init__(
        self,
        settings: ArcSettings,
        outbox: Outbox,
        *,
        clock: Callable[[], datetime] = _utcnow,
        sequence_start: int = 1,
    ) -> None:
        """`outbox` is the ARC's own file, opened with `priorities=OUTBOX_PRIORITIES`.
        `clock` gives aware UTC time (tests skew it)."""
        if not 1 <= sequence_start <= MAX_SEQUENCE:
            raise ValueError(f"sequence_start must be 1..{MAX_SEQUENCE}")
        self._settings = settings
        self._clock = clock
        self._next_sequence = sequence_start
        self._offset = timedelta(0)
        self._queue = DeliveryQueue(outbox, self, name="arc")
        self._channel: Channel | None = None
        self._current = 0  # index of the receiver in use
        self._in_flight: _InFlight | None = None
        self._failed_rounds = 0  # rounds in a row where no receiver took the event
        self._poll_due = 0.0  # loop time of the next NULL poll
        self._poll_failures = 0  # unanswered polls in a row
        self._listeners: list[Callable[[ArcStatus], None]] = []
        # The status shows the backlog before `run`, and follows the queue's depth.
        self._status = ArcStatus(receiver=None, up=False, last_ack_at=None, depth=self._queue.depth)
        self._queue.add_depth_listener(lambda depth: self._update(depth=depth))

    @property
    def settings(self) -> ArcSettings:
        return self._settings

    @property
    def outbox(self) -> Outbox:
        return self._queue.outbox

    @property
    def status(self) -> ArcStatus:
        return self._status

    def add_status_listener(self, listener: Callable[[ArcStatus], None]) -> Callable[[], None]:
        """Called with the new status whenever it changes; returns the remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # Queueing

    def queue(self, event: ArcEvent) -> str:
        """Queue an event for the ARC and return its id at once, without blocking the event
        loop; call it on the loop. The commit follows on the queue's worker thread, ahead of
        anything queued later; `queue_durably` returns only once it is on disk."""
        message_id = self._queue.put_nowait(MESSAGE_TYPE, event.to_json())
        _LOGGER.debug("ARC event %s queued (account %s)", message_id, self._settings.account)
        return message_id

    async def queue_durably(self, event: ArcEvent) -> str:
        """Queue an event for the ARC; returns its id once it is on disk."""
        message_id = await self._queue.put(MESSAGE_TYPE, event.to_json())
        _LOGGER.debug("ARC event %s queued (account %s)", message_id, self._settings.account)
        return message_id

    async def wait_delivered(self, message_id: str, timeout: float) -> None:
        """Wait until a receiver ACKed `message_id` (at once if it was queued by another
        process or already delivered). Raises ArcRefused, or TimeoutError."""
        await self._queue.wait_delivered(message_id, timeout)

    # Running

    def start(self) -> None:
        """Run the sender in a task of its own; hosts with task tracking (HA) await `run`."""
        self._queue.start()

    async def stop(self) -> None:
        """Stop the sender, whoever started it; closes its connection and worker thread."""
        await self._queue.stop()

    async def run(self) -> None:
        """Deliver queued events (and poll when idle) until cancelled."""
        await self._queue.run()

    # The transport the delivery queue drives: one event in flight

    @property
    def window(self) -> int:
        return 1

    async def begin(self) -> None:
        self._current = 0
        self._failed_rounds = 0
        self._update(receiver=self._receiver)
        self._schedule_poll(asyncio.get_running_loop().time())

    async def serve(self, pump: Pump) -> None:
        """Rounds over the receivers, one event after another, until one round fails."""
        with contextlib.suppress(_NoReceiver):
            await pump(self)

    async def transmit(self, message: OutboxMessage) -> None:
        if not await self._deliver(message):
            raise _NoReceiver
        self._failed_rounds = 0

    async def wait(self, wake: asyncio.Event) -> bool:
        # The event in flight is settled before `transmit` returns, which wakes the queue:
        # an unset `wake` means nothing is queued, and the sender idles.
        if not wake.is_set():
            await self._idle(wake)
        return True

    async def pause(self) -> None:
        await self._back_off(self._failed_rounds)
        self._failed_rounds += 1

    async def end(self) -> None:
        await self._drop_channel()
        self._update(receiver=None, up=False)

    async def _idle(self, wake: asyncio.Event) -> None:
        """Wait for an event; poll the receiver when the supervision interval is up."""
        if self._settings.supervision_interval is None:
            await wake.wait()
            return
        delay = self._poll_due - asyncio.get_running_loop().time()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await wake.wait()
            return
        await self._poll(wake)

    async def _back_off(self, failures: int) -> None:
        delay = min(_BACKOFF_MAX, _BACKOFF_FIRST * 2 ** min(failures, 6))
        _LOGGER.warning("No ARC receiver took the next event; trying again in %.0f s", delay)
        # A newly queued event cuts the wait short: it may find the ARC back.
        queued = self._queue.new_message_event()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await queued.wait()

    # One event

    async def _deliver(self, message: OutboxMessage) -> bool:
        """One round over the receivers; False when none took it (then back off)."""
        try:
            event = ArcEvent.from_json(message.body)
            encode_frame(
                event.frame(self._settings, 1, self._now(), self._offset), self._settings.key
            )
        except ValueError:
            # It could never be sent; keeping it would block every event behind it.
            _LOGGER.error("ARC event %s in the queue is unreadable; dropped", message.id)
            self._drop(message.id, ArcRefused(f"ARC event {message.id} is unreadable"))
            return True
        if self._in_flight is None or self._in_flight.id != message.id:
            self._in_flight = _InFlight(message.id, self._take_sequence())
        in_flight = self._in_flight
        count = len(self._settings.receivers)
        start = self._current
        for index in ((start + step) % count for step in range(count)):
            if index in in_flight.duh:
                continue
            await self._use(index)
            reply = await self._attempts(
                lambda: event.frame(self._settings, in_flight.sequence, self._now(), self._offset)
            )
            if reply.answer is _Answer.ACK:
                _LOGGER.info(
                    "ARC event %s delivered to %s (sequence %04d)",
                    message.id,
                    self._receiver,
                    in_flight.sequence,
                )
                self._in_flight = None
                self._queue.acked([message.id])
                return True
            if reply.answer is _Answer.DUH:
                _LOGGER.warning(
                    "ARC receiver %s refused event %s (DUH) for account %s",
                    self._receiver,
                    message.id,
                    self._settings.account,
                )
                in_flight.duh.add(index)
            else:
                _LOGGER.warning(
                    "ARC receiver %s did not acknowledge event %s after %d attempts",
                    self._receiver,
                    message.id,
                    self._settings.attempts,
                )
                self._update(up=False)
        if len(in_flight.duh) == count:
            _LOGGER.error(
                "Every ARC receiver refused event %s (DUH) for account %s; dropped",
                message.id,
                self._settings.account,
            )
            self._drop(message.id, ArcRefused(f"every receiver refused {message.id}"))
            return True
        await self._use(0)  # the next round starts at the primary again
        return False

    def _drop(self, message_id: str, error: ArcRefused) -> None:
        self._in_flight = None
        self._queue.rejected(message_id, error)
        self._count("refused")

    # Link test

    async def _poll(self, wake: asyncio.Event) -> None:
        """A NULL poll to the receiver in use; unanswered, the next receiver takes over."""
        sequence = self._take_sequence()
        reply = await self._attempts(
            lambda: null_frame(self._settings, sequence, self._now()),
            give_up=wake.is_set,
        )
        if reply.answer is _Answer.ACK:
            self._poll_failures = 0
            return  # the ACK scheduled the next poll
        if wake.is_set():
            return  # an event was queued: it goes first and tests the link itself
        self._poll_failures += 1
        _LOGGER.warning(
            "ARC receiver %s did not answer the link test for account %s",
            self._receiver,
            self._settings.account,
        )
        self._update(up=False)
        now = asyncio.get_running_loop().time()
        count = len(self._settings.receivers)
        await self._use((self._current + 1) % count)
        # Try the next receiver at once, but after a whole round of silence wait an interval.
        self._poll_due = now
        if self._poll_failures % count == 0:
            self._schedule_poll(now)

    def _schedule_poll(self, after: float) -> None:
        if self._settings.supervision_interval is not None:
            self._poll_due = after + self._settings.supervision_interval

    # Attempts and answers

    async def _attempts(
        self, build: Callable[[], Frame], give_up: Callable[[], bool] = lambda: False
    ) -> _Reply:
        """Up to `attempts` exchanges with the receiver in use, each with a fresh timestamp and
        the same sequence; a NAK corrects the clock and resends at once. `give_up` is asked
        before each retry."""
        for attempt in range(self._settings.attempts):
            if attempt and give_up():
                break
            reply = await self._exchange(build())
            if reply.answer is _Answer.NAK:
                if reply.receiver_time is not None:
                    self._correct_clock(reply.receiver_time)
                continue
            if reply.answer is not _Answer.NONE:
                return reply
        return _NO_ANSWER

    async def _exchange(self, frame: Frame) -> _Reply:
        """Send one frame; wait `ack_timeout` (connecting included) for an answer to it."""
        raw = encode_frame(frame, self._settings.key)
        receiver = self._receiver
        try:
            async with asyncio.timeout(self._settings.ack_timeout):
                channel = await self._channel_to(receiver)
                await channel.send(raw)
                self._count("sent")
                while (reply := self._interpret(await channel.receive(), frame)) is None:
                    pass
        except TimeoutError:  # first: TimeoutError is an OSError too
            _LOGGER.debug(
                "No answer from ARC receiver %s (sequence %04d)", receiver, frame.sequence
            )
            if receiver.transport is Transport.TCP:
                await self._drop_channel()  # it may be half-open (a NAT forgot it): reconnect
            self._count("timeouts")
            return _NO_ANSWER
        except OSError as err:
            _LOGGER.info("ARC receiver %s: %s", receiver, err)
            await self._drop_channel()
            self._count("timeouts")
            return _NO_ANSWER
        if reply.answer is _Answer.ACK:
            self._acknowledged()
        else:
            self._count("naks" if reply.answer is _Answer.NAK else "duhs")
        return reply

    def _interpret(self, raw: bytes, sent: Frame) -> _Reply | None:
        """What an answer means for `sent`; None to keep waiting (it is not an answer to it)."""
        text = raw.strip()
        if text == _BARE_NAK:
            return _Reply(_Answer.NAK)
        # Empty: pysiaalarm's "\n\r" after a CRC mismatch; the timeout retries.
        answer = self._decode(raw) if text else None
        if answer is None:
            return None
        if answer.id is MessageId.NAK:
            return _Reply(_Answer.NAK, answer.timestamp)
        if not self._answers(answer, sent):
            return None
        return _Reply(_Answer.DUH if answer.id is MessageId.DUH else _Answer.ACK)

    def _decode(self, raw: bytes) -> Frame | None:
        try:
            return decode_frame(raw, self._key_for)
        except Dc09Error as err:
            _LOGGER.debug("Ignoring an unreadable answer from %s: %s", self._receiver, err.reason)
            return None

    def _answers(self, answer: Frame, sent: Frame) -> bool:
        """Whether `answer` is an ACK/RSP/DUH to `sent` (not to an earlier message)."""
        if answer.id not in (MessageId.ACK, MessageId.RSP, MessageId.DUH):
            return False
        if answer.sequence != sent.sequence or answer.account != sent.account:
            # A late answer to an earlier message must never confirm this one.
            _LOGGER.debug(
                "Ignoring %s for sequence %04d (waiting for %04d)",
                answer.id.value,
                answer.sequence,
                sent.sequence,
            )
            return False
        if sent.encrypted and answer.id is not MessageId.DUH and not answer.encrypted:
            # Only the receiver holding our key can confirm an encrypted message.
            _LOGGER.warning("Ignoring a plaintext %s to an encrypted message", answer.id.value)
            return False
        return True

    def _key_for(self, _account: str | None) -> bytes | None:
        return self._settings.key

    def _acknowledged(self) -> None:
        loop = asyncio.get_running_loop()
        self._schedule_poll(loop.time())
        self._update(up=True, last_ack_at=datetime.now(UTC), acked=self._status.acked + 1)

    def _correct_clock(self, receiver_time: datetime) -> None:
        # DC-09: the receiver's clock is the reference; every later timestamp uses the offset.
        self._offset = receiver_time - self._clock()
        seconds = self._offset.total_seconds()
        _LOGGER.info("ARC receiver %s set our clock offset to %+.0f s", self._receiver, seconds)
        self._update(clock_offset=seconds)

    # Receivers and connections

    @property
    def _receiver(self) -> ReceiverAddress:
        return self._settings.receivers[self._current]

    async def _use(self, index: int) -> None:
        if index == self._current:
            return
        await self._drop_channel()
        self._current = index
        _LOGGER.info("ARC sender now uses receiver %s", self._receiver)
        self._update(receiver=self._receiver, up=False, failovers=self._status.failovers + 1)

    async def _channel_to(self, receiver: ReceiverAddress) -> Channel:
        if self._channel is not None and self._channel.address != receiver:
            await self._drop_channel()
        if self._channel is None:
            self._channel = await open_channel(receiver)
        return self._channel

    async def _drop_channel(self) -> None:
        channel, self._channel = self._channel, None
        if channel is not None:
            await channel.close()

    # Small helpers

    def _take_sequence(self) -> int:
        sequence = self._next_sequence
        self._next_sequence = sequence % MAX_SEQUENCE + 1
        return sequence

    def _now(self) -> datetime:
        return self._clock() + self._offset

    def _count(self, counter: str) -> None:
        self._update(**{counter: getattr(self._status, counter) + 1})

    def _update(self, **changes: Any) -> None:
        status = replace(self._status, **changes)
        if status == self._status:
            return
        self._status = status
        for listener in list(self._listeners):
            try:
                listener(status)
            except Exception:
                _LOGGER.exception("An ARC status listener failed")
