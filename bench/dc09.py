#!/usr/bin/env python3
"""dc09: SIA DC-09 (docs/dc09.md), ours beside pysiaalarm on the same machine in the same run.

Every frame is Contact ID (ADM-CID) with a current timestamp, once in clear and once AES-128
encrypted. The key is the 16 characters "0123456789ABCDEF": pysiaalarm takes the characters
themselves as the key bytes, so our codec and sender get those bytes and our hub their hex.

receiver logic  in this process, before any other process starts: the same pre-built frames
                (distinct accounts and sequence numbers) through Dc09Receiver.check (plus
                `remember` of each accepted event, as the hub does) and through pysiaalarm's
                parse (SIAEvent.from_line + create_response, what its TCP handler runs per
                frame). Median checks/s of several passes after an untimed pass that also
                checks every verdict is an ACK. Pure CPU; pysiaalarm keeps no replay memory.
receiver TCP    two receivers, each a process of its own: our hub (`python -m hub` with
                --dc09-port, one panel account per connection mapped to a household; an ACK
                follows the durable store) and pysiaalarm's asyncio SIAClient (TCP) with an
                async callback that counts. A load generator in its own process(es) keeps N
                TCP connections (one panel account each) sending events one at a time: send a
                frame, wait for its answer, send the next (DC-09 has one message in flight per
                connection, and pysiaalarm takes each 1000-byte read as one frame). A warm-up,
                then a measured window: ACKed events/s, ACK latency p50/p99, the receiver
                process's CPU (from /proc). Every answer is decoded with our codec and must be
                the ACK of that account and sequence (encrypted for an encrypted event).
                Plain and AES are separate phases; per variant ours and pysiaalarm's run back
                to back, each after both receivers went idle. The load processes live for all
                phases. The machine's busy CPU in the window is printed too, with the share of
                processes that are neither receiver nor load (on a shared machine, they skew).
sender          K events queued in our ArcSender (gateway/arc, an Outbox file in a temp dir;
                each queue_durably() a durable SQLite commit, timed), then drained over TCP, one in
                flight, to each receiver: events/s until the queue is empty. pysiaalarm has no
                sender, so the baseline is a naive loop on a raw socket (pre-built frames, no
                queue, no durability, no retry) against the same receivers: the difference is
                the cost of durability and the sender's rules.

At the end the hub is stopped and its store must hold exactly the ACKed events of each account,
twice over: one panel_messages row each, and on the alarm cards (an alarm row, or a repeat
counted on the open alarm of that kind); pysiaalarm's callbacks per account must equal the ACKs.
A lost, duplicated or refused event, or an answer that is not the ACK of what was sent, fails
`make bench`; speed never does.

The hub is bench/harness.py's (`python -m hub` plus its stats route) with `--dc09-host
127.0.0.1 --dc09-port PORT` added.

    .venv/bin/python -m bench.dc09 [--connections 32] [--events 1000] ...
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import os
import platform
import socket
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from pathlib import Path

from pysiaalarm import SIAAccount, SIAEvent
from pysiaalarm.aio import CommunicationsProtocol, SIAClient
from pysiaalarm.utils import ResponseType

from gateway.alarms import AlarmKind
from gateway.arc import (
    OUTBOX_PRIORITIES,
    ArcEvent,
    ArcRefused,
    ArcSender,
    ArcSettings,
    ArcStatus,
    ReceiverAddress,
)
from gateway.dc09.codes import REPORT_CODES
from gateway.dc09.contact_id import ContactIdEvent, Qualifier
from gateway.dc09.frame import Frame, MessageId, decode_frame, encode_frame
from gateway.dc09.receiver import Dc09Receiver, ReceiverAccount, Verdict
from gateway.link.outbox import Outbox

from .args import Flag, Options, plan_from, run_alone
from .harness import HubProcess, add_panels, free_port, hub_database
from .sampling import ProcSample, cpu_between, cpu_percent, sample_process, wait_idle
from .stats import ms
from .workers import raise_fd_limit, receive, run_workers, split, stop_workers

HOST = "127.0.0.1"
TEXT_KEY = "0123456789ABCDEF"  # as typed into pysiaalarm
KEY = TEXT_KEY.encode("ascii")  # the AES-128 key bytes that text stands for
ANSWER_TIMEOUT = 10.0  # s a load connection waits for one answer
DRAIN_TIMEOUT = 120.0  # s a sender may take to empty its queue
NAIVE_BATCH = 500  # frames pre-built at a time by the naive sender (timestamps stay current)
# Contact ID codes every receiver maps (pysiaalarm: QA, MA, FA, GA, BA; the hub: sos, sos,
# fire, gas, door), all "new event": each one an alarm, or a repeat of the open one.
_CODES = (101, 100, 111, 151, 134)


class Variant(StrEnum):
    PLAIN = "plain"
    AES = "AES-128"

    @property
    def key(self) -> bytes | None:
        return KEY if self is Variant.AES else None


@dataclass(frozen=True, slots=True)
class Dc09Plan:
    connections: int = 32
    warmup: float = 1.0
    duration: float = 5.0
    load_processes: int = 1
    events: int = 1000  # K, per sender run
    check_frames: int = 2000
    check_repeats: int = 5


# ---------------------------------------------------------------------------------------------
# Frames and answers


def load_account(variant: Variant, number: int) -> str:
    """A load connection's panel account: 1xxxx in clear, 2xxxx encrypted."""
    return f"{1 if variant is Variant.PLAIN else 2}{number:04X}"


def sender_account(sender: str, variant: Variant) -> str:
    """3000/3001: ArcSender plain/AES; 3002/3003: the naive loop."""
    return f"300{(2 if sender == 'naive' else 0) + (variant is Variant.AES)}"


def all_accounts(plan: Dc09Plan) -> dict[str, bytes | None]:
    """Every account of the run and its key."""
    accounts: dict[str, bytes | None] = {}
    for variant in Variant:
        for number in range(plan.connections):
            accounts[load_account(variant, number)] = variant.key
        for sender in ("arc", "naive"):
            accounts[sender_account(sender, variant)] = variant.key
    return accounts


def event_frame(account: str, sequence: int, key: bytes | None, index: int) -> bytes:
    """One ADM-CID event, timestamped now, encrypted when `key` is set."""
    event = ContactIdEvent(Qualifier.NEW, _CODES[index % len(_CODES)], group=1, zone=index % 1000)
    frame = Frame(
        id=MessageId.ADM_CID,
        sequence=sequence,
        account=account,
        data=event.to_data(account),
        timestamp=datetime.now(UTC).replace(microsecond=0),
        encrypted=key is not None,
    )
    return encode_frame(frame, key)


def next_sequence(sequence: int) -> int:
    return sequence % 9999 + 1


def answer_problem(raw: bytes, account: str, sequence: int, key: bytes | None) -> str | None:
    """None when `raw` is the ACK of (account, sequence), else what it is instead."""
    try:
        frame = decode_frame(raw, lambda _account: key)
    except ValueError as err:  # every codec error is a ValueError with a `reason`
        return f"undecodable answer ({getattr(err, 'reason', type(err).__name__)})"
    if frame.id is not MessageId.ACK:
        return str(frame.id.value)
    if frame.sequence != sequence or (frame.account or "").upper() != account:
        return "mismatched ACK"
    if key is not None and not frame.encrypted:
        return "plain ACK to an encrypted event"
    return None


def is_refusal(problem: str) -> bool:
    """NAK and DUH: the receiver understood the answer's pairing but refused a valid event."""
    return problem in {MessageId.NAK.value, MessageId.DUH.value, MessageId.RSP.value}


# ---------------------------------------------------------------------------------------------
# 1. Receiver logic in process


@dataclass(frozen=True, slots=True)
class CheckRow:
    variant: Variant
    frames: int
    ours: float  # checks/s
    theirs: float
    ours_refused: int  # of the untimed pass: not ACCEPT / not ACK
    theirs_refused: int


def check_frames(variant: Variant, count: int) -> list[bytes]:
    """`count` distinct frames over 16 accounts."""
    accounts = [load_account(variant, number) for number in range(16)]
    return [
        event_frame(accounts[n % 16], next_sequence(n // 16), variant.key, n) for n in range(count)
    ]


def ours_pass(frames: list[bytes], accounts: dict[str, ReceiverAccount]) -> tuple[float, int]:
    """(seconds, frames not accepted): check, then remember what was accepted."""
    receiver = Dc09Receiver(accounts.get)
    refused = 0
    started = time.perf_counter()
    for raw in frames:
        outcome = receiver.check(raw)
        if outcome.verdict is Verdict.ACCEPT and outcome.message is not None:
            receiver.remember(outcome.message)
        else:
            refused += 1
    return time.perf_counter() - started, refused


def theirs_pass(frames: list[bytes], accounts: dict[str, SIAAccount]) -> float:
    """Seconds for pysiaalarm's per-frame work in its TCP handler: decode, parse, answer."""
    started = time.perf_counter()
    for raw in frames:
        SIAEvent.from_line(raw.decode("ascii", errors="ignore").strip(), accounts).create_response()
    return time.perf_counter() - started


def theirs_refused(frames: list[bytes], accounts: dict[str, SIAAccount]) -> int:
    refused = 0
    for raw in frames:
        event = SIAEvent.from_line(raw.decode("ascii").strip(), accounts)
        event.create_response()
        refused += event.response is not ResponseType.ACK
    return refused


def check_row(variant: Variant, plan: Dc09Plan) -> CheckRow:
    frames = check_frames(variant, plan.check_frames)
    names = {load_account(variant, number) for number in range(16)}
    ours_accounts = {name: ReceiverAccount(name, variant.key, "bench") for name in names}
    text_key = TEXT_KEY if variant.key else None
    their_accounts = {name: SIAAccount(name, text_key) for name in names}
    _, ours_refused = ours_pass(frames, ours_accounts)  # warm-up and verdicts
    refused = theirs_refused(frames, their_accounts)
    ours_times, their_times = [], []
    for _ in range(plan.check_repeats):  # interleaved: both see the same machine state
        ours_times.append(ours_pass(frames, ours_accounts)[0])
        their_times.append(theirs_pass(frames, their_accounts))
    return CheckRow(
        variant,
        len(frames),
        len(frames) / statistics.median(ours_times),
        len(frames) / statistics.median(their_times),
        ours_refused,
        refused,
    )


# ---------------------------------------------------------------------------------------------
# The two receivers as processes


class Dc09Hub(HubProcess):
    """The benchmark's hub with the DC-09 listener on a port of its own."""

    def __init__(self, data: Path) -> None:
        dc09_port = free_port()
        super().__init__(data, extra_args=("--dc09-host", HOST, "--dc09-port", str(dc09_port)))
        self.dc09_port = dc09_port

    def __enter__(self) -> Dc09Hub:
        super().__enter__()
        try:
            wait_for_port(self.dc09_port, 30, self.log_tail)
        except BaseException:
            self.stop()
            raise
        return self


def wait_for_port(port: int, seconds: float, log: Callable[[], str]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"no DC-09 listener on {HOST}:{port}:\n{log()}")


def stored_per_account(data: Path) -> tuple[Counter[str], Counter[str]]:
    """What the stopped hub holds per panel account: (accepted events in panel_messages,
    events on alarm cards: alarm rows plus their counted repeats)."""
    with hub_database(data) as connection:
        messages = connection.execute(
            "SELECT account, count(*) FROM panel_messages GROUP BY account"
        ).fetchall()
        alarms = connection.execute(
            "SELECT panel_account, sum(count) FROM alarms WHERE panel_account IS NOT NULL"
            " GROUP BY panel_account"
        ).fetchall()
    return (
        Counter({str(account): int(total) for account, total in messages}),
        Counter({str(account): int(total or 0) for account, total in alarms}),
    )


def pysia_receiver(port: int, accounts: list[tuple[str, str | None]], pipe: Connection) -> None:
    """pysiaalarm's TCP receiver in a process of its own; answers "count" with its callbacks
    per account and its counters, until "stop"."""
    asyncio.run(_pysia_receiver(port, accounts, pipe))


async def _pysia_receiver(
    port: int, accounts: list[tuple[str, str | None]], pipe: Connection
) -> None:
    callbacks: Counter[str] = Counter()

    async def on_event(event: SIAEvent) -> None:
        callbacks[str(event.account).upper()] += 1

    # SIAClient.__new__ returns the subclass of the protocol (here SIAClientTCP).
    client = SIAClient(  # type: ignore[abstract]
        HOST,
        port,
        [SIAAccount(account, key) for account, key in accounts],
        function=on_event,
        protocol=CommunicationsProtocol.TCP,
    )
    await client.async_start()
    pipe.send("ready")
    while (command := await asyncio.to_thread(pipe.recv)) != "stop":
        assert command == "count", command
        pipe.send((dict(callbacks), asdict(client.counts)))
    await client.async_stop()


class PysiaProcess:
    """pysiaalarm's receiver, started and always stopped."""

    def __init__(self, accounts: dict[str, bytes | None]) -> None:
        self.port = free_port()
        text = [(name, TEXT_KEY if key else None) for name, key in accounts.items()]
        self._share = (self.port, text)
        self._processes: list[SpawnProcess] = []
        self._pipe: Connection | None = None

    @property
    def pid(self) -> int:
        pid = self._processes[0].pid
        assert pid is not None
        return pid

    def __enter__(self) -> PysiaProcess:
        self._processes, (self._pipe,) = run_workers(pysia_receiver, [self._share])
        try:
            receive(self._pipe, 60, "ready")
        except BaseException:
            stop_workers(self._processes)
            raise
        return self

    def counts(self) -> tuple[Counter[str], dict[str, int]]:
        assert self._pipe is not None
        self._pipe.send("count")
        callbacks, counters = receive(self._pipe, 30, "count")
        return Counter(callbacks), counters

    def __exit__(self, *exc: object) -> None:
        if self._pipe is not None:
            with contextlib.suppress(OSError):
                self._pipe.send("stop")
        stop_workers(self._processes)


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    port: int
    pid: int


# ---------------------------------------------------------------------------------------------
# 2. Receiver over TCP: the load generator


@dataclass(frozen=True, slots=True)
class LoadShare:
    port: int
    accounts: tuple[str, ...]
    key: bytes | None
    warmup: float
    duration: float


@dataclass(slots=True)
class LoadTally:
    """One load process's count; latencies only of ACKs inside the measured window."""

    window_start: float
    window_end: float
    acked: Counter[str] = field(default_factory=Counter)  # per account, whole run
    problems: Counter[str] = field(default_factory=Counter)
    first_problem: str = ""
    window_acked: int = 0
    latencies: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0

    def answer(
        self, account: str, sequence: int, key: bytes | None, raw: bytes, sent: float
    ) -> bool:
        now = time.monotonic()
        problem = answer_problem(raw, account, sequence, key)
        if problem is not None:
            self.problem(problem, f"#{account} seq {sequence}: {problem}: {raw!r}")
            return False
        self.acked[account] += 1
        if self.window_start <= now < self.window_end:
            self.window_acked += 1
            self.latencies.append(now - sent)
        return True

    def problem(self, kind: str, detail: str) -> None:
        self.problems[kind] += 1
        self.first_problem = self.first_problem or detail


def load_worker(pipe: Connection) -> None:
    """A load process, for every phase: its share, then open the connections, say ready, wait
    for the start, send, report; None ends it."""
    raise_fd_limit()
    while (share := pipe.recv()) is not None:
        asyncio.run(_load(share, pipe))


async def _load(share: LoadShare, pipe: Connection) -> None:
    streams = await asyncio.gather(
        *(asyncio.open_connection(HOST, share.port) for _ in share.accounts)
    )
    pipe.send("ready")
    start = float(await asyncio.to_thread(pipe.recv))
    tally = LoadTally(start + share.warmup, start + share.warmup + share.duration)
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    meter = asyncio.create_task(cpu_between(tally.window_start, tally.window_end))
    await asyncio.gather(
        *(
            _panel(account, share.key, reader, writer, tally)
            for account, (reader, writer) in zip(share.accounts, streams, strict=True)
        )
    )
    tally.cpu_seconds = await meter
    pipe.send(tally)


async def _panel(
    account: str,
    key: bytes | None,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    tally: LoadTally,
) -> None:
    """One panel: an event, its answer, the next event, until the window ends."""
    sequence, index = 0, 0
    try:
        while time.monotonic() < tally.window_end:
            sequence = next_sequence(sequence)
            raw = event_frame(account, sequence, key, index)
            index += 1
            sent = time.monotonic()
            writer.write(raw)
            try:
                answer = await asyncio.wait_for(reader.readuntil(b"\r"), ANSWER_TIMEOUT)
            except (TimeoutError, OSError, asyncio.IncompleteReadError) as err:
                tally.problem("no answer", f"#{account} seq {sequence}: {type(err).__name__}")
                return
            if not tally.answer(account, sequence, key, answer, sent):
                return  # a panel would resend or fail over; the benchmark stops this one
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


@dataclass(slots=True)
class LoadResult:
    target: str
    variant: Variant
    plan: Dc09Plan
    tallies: list[LoadTally]
    first: ProcSample  # the receiver at the start of the window
    last: ProcSample  # and at its end

    @property
    def rate(self) -> float:
        return sum(tally.window_acked for tally in self.tallies) / self.plan.duration

    @property
    def latencies(self) -> list[float]:
        return sorted(lat for tally in self.tallies for lat in tally.latencies)

    @property
    def acked(self) -> Counter[str]:
        return sum((tally.acked for tally in self.tallies), Counter())

    @property
    def problems(self) -> Counter[str]:
        return sum((tally.problems for tally in self.tallies), Counter())

    @property
    def first_problem(self) -> str:
        return next((tally.first_problem for tally in self.tallies if tally.first_problem), "")

    @property
    def receiver_cpu(self) -> float:
        return cpu_percent(self.first, self.last)

    @property
    def load_cpu(self) -> float:
        return 100 * sum(tally.cpu_seconds for tally in self.tallies) / self.plan.duration

    @property
    def machine_busy(self) -> float:
        """% of one core used by every process on the machine in the window."""
        elapsed = max(self.last.wall - self.first.wall, 1e-9)
        return 100 * (self.last.machine_busy - self.first.machine_busy) / elapsed


class LoadGenerators:
    """The load processes, spawned once for every phase (a spawn costs a second of imports)."""

    def __init__(self, count: int) -> None:
        self._count = count
        self._processes: list[SpawnProcess] = []
        self.pipes: list[Connection] = []

    def __enter__(self) -> LoadGenerators:
        self._processes, self.pipes = run_workers(load_worker, [() for _ in range(self._count)])
        return self

    def __exit__(self, *exc: object) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send(None)
        stop_workers(self._processes)


def drive_load(
    generators: LoadGenerators, target: Target, variant: Variant, plan: Dc09Plan
) -> LoadResult:
    accounts = [load_account(variant, number) for number in range(plan.connections)]
    parts = split(accounts, len(generators.pipes))
    pipes = generators.pipes[: len(parts)]
    for pipe, part in zip(pipes, parts, strict=True):
        pipe.send(LoadShare(target.port, tuple(part), variant.key, plan.warmup, plan.duration))
    for pipe in pipes:
        receive(pipe, 120, "ready")
    start = time.monotonic() + 0.2
    for pipe in pipes:
        pipe.send(start)
    time.sleep(max(0.0, start + plan.warmup - time.monotonic()))
    first = sample_process(target.pid)
    time.sleep(max(0.0, start + plan.warmup + plan.duration - time.monotonic()))
    last = sample_process(target.pid)
    tallies = [receive(pipe, ANSWER_TIMEOUT + 60, "result") for pipe in pipes]
    return LoadResult(target.name, variant, plan, tallies, first, last)


# ---------------------------------------------------------------------------------------------
# 3. Senders


@dataclass(slots=True)
class SenderRun:
    sender: str  # "ArcSender" or "naive loop"
    target: str
    variant: Variant
    account: str
    events: int
    delivered: int = 0
    seconds: float = 0.0  # from the first send until the queue is empty
    enqueue: list[float] = field(default_factory=list)  # s per queue_durably() call
    problems: Counter[str] = field(default_factory=Counter)
    first_problem: str = ""
    status: ArcStatus | None = None  # ArcSender's, after the drain

    @property
    def rate(self) -> float:
        return self.delivered / self.seconds if self.seconds > 0 else 0.0

    def problem(self, kind: str, detail: str) -> None:
        self.problems[kind] += 1
        self.first_problem = self.first_problem or detail


def arc_event(index: int) -> ArcEvent:
    kinds = (AlarmKind.SOS, AlarmKind.FIRE, AlarmKind.GAS, AlarmKind.DOOR)
    kind = kinds[index % len(kinds)]
    return ArcEvent(
        code=REPORT_CODES[kind],
        restore=False,
        zone=index % 1000,
        occurred_at=datetime.now(UTC),
        kind=kind.value,
        alarm_id=None,
    )


def arc_run(target: Target, variant: Variant, events: int, folder: Path) -> SenderRun:
    account = sender_account("arc", variant)
    run = SenderRun("ArcSender", target.name, variant, account, events)
    path = folder / f"eldercare.bench-{target.name}-{account}.arc.sqlite3"
    with Outbox(path, priorities=OUTBOX_PRIORITIES) as outbox:
        asyncio.run(_arc_drain(target, variant, outbox, run))
        depth = outbox.depth()
    if depth:
        run.problem("left in the queue", f"{depth} events still queued")
    return run


async def _arc_drain(target: Target, variant: Variant, outbox: Outbox, run: SenderRun) -> None:
    settings = ArcSettings(
        receivers=(ReceiverAddress(HOST, target.port),),
        account=run.account,
        key=variant.key,
        ack_timeout=ANSWER_TIMEOUT,
        supervision_interval=None,
        test_interval=None,
    )
    sender = ArcSender(settings, outbox)
    ids = []
    for index in range(run.events):
        started = time.perf_counter()
        ids.append(await sender.queue_durably(arc_event(index)))
        run.enqueue.append(time.perf_counter() - started)
    started = time.perf_counter()
    sender.start()
    try:
        async with asyncio.timeout(DRAIN_TIMEOUT):
            for message_id in ids:  # oldest first, one in flight: in this order
                try:
                    await sender.wait_delivered(message_id, DRAIN_TIMEOUT)
                except ArcRefused as err:
                    run.problem("refused", str(err))
                    continue
                run.delivered += 1
    except TimeoutError:
        run.problem("not delivered", f"{run.events - run.delivered} not ACKed in {DRAIN_TIMEOUT} s")
    run.seconds = time.perf_counter() - started
    run.status = sender.status
    await sender.stop()  # also ends its outbox thread, before the outbox is closed


def naive_run(target: Target, variant: Variant, events: int) -> SenderRun:
    """A raw socket, pre-built frames (in batches, so their timestamps stay current; only the
    wire time counts), one in flight, no queue, no durability, no retry."""
    account = sender_account("naive", variant)
    run = SenderRun("naive loop", target.name, variant, account, events)
    with socket.create_connection((HOST, target.port), timeout=ANSWER_TIMEOUT) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        lines = _Lines(sock)
        for first in range(0, events, NAIVE_BATCH):
            batch = [
                event_frame(account, next_sequence(index), variant.key, index)
                for index in range(first, min(events, first + NAIVE_BATCH))
            ]
            started = time.perf_counter()
            for index, raw in enumerate(batch, start=first):
                sequence = next_sequence(index)
                sock.sendall(raw)
                problem = answer_problem(lines.next(), account, sequence, variant.key)
                if problem is not None:
                    run.problem(problem, f"#{account} seq {sequence}: {problem}")
                    run.seconds += time.perf_counter() - started
                    return run
                run.delivered += 1
            run.seconds += time.perf_counter() - started
    return run


class _Lines:
    """Answers off a blocking socket, each up to its CR."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = b""

    def next(self) -> bytes:
        while b"\r" not in self._buffer:
            chunk = self._sock.recv(4096)
            if not chunk:
                raise ConnectionError("the receiver closed the connection")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\r")
        return line + b"\r"


# ---------------------------------------------------------------------------------------------
# The run


@dataclass(slots=True)
class Dc09Report:
    plan: Dc09Plan
    checks: list[CheckRow] = field(default_factory=list)
    loads: list[LoadResult] = field(default_factory=list)
    senders: list[SenderRun] = field(default_factory=list)
    stored: Counter[str] = field(default_factory=Counter)  # hub: panel_messages per account
    on_alarms: Counter[str] = field(default_factory=Counter)  # hub: alarms + repeats per account
    callbacks: Counter[str] = field(default_factory=Counter)  # pysiaalarm: per account
    pysia_counters: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def acked(self, target: str) -> Counter[str]:
        """ACKs per account the receiver `target` gave (load generator and senders)."""
        total: Counter[str] = Counter()
        for load in self.loads:
            if load.target == target:
                total += load.acked
        for run in self.senders:
            if run.target == target:
                total[run.account] += run.delivered
        return total


HUB, PYSIA = "our hub", "pysiaalarm"


def dc09(plan: Dc09Plan) -> Dc09Report:
    started = time.monotonic()
    raise_fd_limit()
    report = Dc09Report(plan)
    # First: CPU-bound and in this process, while no receiver or load process competes.
    report.checks = [check_row(variant, plan) for variant in Variant]
    accounts = all_accounts(plan)
    with tempfile.TemporaryDirectory(prefix="bench-dc09-") as tmp:
        data = Path(tmp) / "hub"
        data.mkdir()
        add_panels(data, accounts)
        with (
            Dc09Hub(data) as hub,
            PysiaProcess(accounts) as pysia,
            LoadGenerators(plan.load_processes) as generators,
        ):
            targets = (Target(HUB, hub.dc09_port, hub.pid), Target(PYSIA, pysia.port, pysia.pid))
            pids = (hub.pid, pysia.pid)
            # Ours and pysiaalarm's back to back, so both see the same machine.
            for variant in Variant:
                for target in targets:
                    wait_idle(pids)
                    report.loads.append(drive_load(generators, target, variant, plan))
            for variant in Variant:
                for target in targets:
                    wait_idle(pids)
                    report.senders.append(arc_run(target, variant, plan.events, Path(tmp)))
                    wait_idle(pids)
                    report.senders.append(naive_run(target, variant, plan.events))
            time.sleep(0.2)  # pysiaalarm calls back after it wrote the ACK
            report.callbacks, report.pysia_counters = pysia.counts()
        report.stored, report.on_alarms = stored_per_account(data)
    report.seconds = time.monotonic() - started
    return report


# ---------------------------------------------------------------------------------------------
# Printing


def _rate(value: float) -> str:
    return f"{value:,.0f}/s"


def _p50_p99(sorted_values: list[float]) -> str:
    return f"{ms(sorted_values, 0.5)} / {ms(sorted_values, 0.99)}"


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def _row(label: str, ours: str, theirs: str) -> None:
    print(f"  {label:<38}{ours:>24}{theirs:>24}")


def _heading(title: str, columns: tuple[str, str]) -> None:
    """A table's title, then its two columns' names: ours, theirs."""
    print(title)
    _row("", *columns)


def _busy(load: LoadResult) -> str:
    others = max(0.0, load.machine_busy - load.receiver_cpu - load.load_cpu)
    return f"{load.machine_busy:.0f} % ({others:.0f} %)"


def print_checks(report: Dc09Report) -> None:
    plan = report.plan
    _heading(
        f"receiver logic in this process ({plan.check_frames} pre-built ADM-CID frames, 16"
        f" accounts; median of {plan.check_repeats} passes)",
        ("Dc09Receiver.check", "pysiaalarm parse"),
    )
    for row in report.checks:
        _row(f"{row.variant} checks/s", _rate(row.ours), _rate(row.theirs))
        _row(f"{row.variant} ratio ours/theirs", f"{row.ours / max(row.theirs, 1e-9):.2f}x", "")
        if row.ours_refused or row.theirs_refused:
            _row(f"{row.variant} NOT ACCEPTED", str(row.ours_refused), str(row.theirs_refused))


def print_loads(report: Dc09Report) -> None:
    plan = report.plan
    _heading(
        f"receiver over TCP: {plan.connections} connections (one panel account each), one event"
        f" in flight each, from {plan.load_processes} load process(es);\n  {plan.warmup:g} s"
        f" warm-up, {plan.duration:g} s measured; receiver CPU from /proc (100 % = one core)",
        (f"{HUB} (durable)", f"{PYSIA} (callback)"),
    )
    by = {(load.target, load.variant): load for load in report.loads}
    for variant in Variant:
        ours, theirs = by[HUB, variant], by[PYSIA, variant]
        _row(f"{variant} ACKed events/s", _rate(ours.rate), _rate(theirs.rate))
        _row(
            f"{variant} ACK latency p50/p99 ms",
            _p50_p99(ours.latencies),
            _p50_p99(theirs.latencies),
        )
        _row(
            f"{variant} receiver CPU (% of a core)",
            f"{ours.receiver_cpu:.0f} %",
            f"{theirs.receiver_cpu:.0f} %",
        )
        _row(f"{variant} load generator CPU", f"{ours.load_cpu:.0f} %", f"{theirs.load_cpu:.0f} %")
        _row(f"{variant} machine busy (other procs)", _busy(ours), _busy(theirs))
        for load in (ours, theirs):
            if load.problems:
                print(f"  {load.target} {variant}: {dict(load.problems)}: {load.first_problem}")


def print_senders(report: Dc09Report) -> None:
    _heading(
        f"sender: {report.plan.events} queued events drained over TCP, one in flight; naive"
        f" loop: raw socket,\n  pre-built frames, no queue, no durability, no retry (pysiaalarm"
        f" has no sender)",
        (f"to {HUB}", f"to {PYSIA}"),
    )
    by = {(run.sender, run.target, run.variant): run for run in report.senders}
    for variant in Variant:
        for sender in ("ArcSender", "naive loop"):
            ours, theirs = by[sender, HUB, variant], by[sender, PYSIA, variant]
            _row(f"{sender} {variant} events/s", _rate(ours.rate), _rate(theirs.rate))
        arc = [by["ArcSender", target, variant] for target in (HUB, PYSIA)]
        naive = [by["naive loop", target, variant] for target in (HUB, PYSIA)]
        _row(
            f"ArcSender {variant} extra ms/event",
            _extra(arc[0], naive[0]),
            _extra(arc[1], naive[1]),
        )
        _row(
            f"queue_durably() {variant} p50/p99 ms",
            _p50_p99(sorted(arc[0].enqueue)),
            _p50_p99(sorted(arc[1].enqueue)),
        )
    for run in report.senders:
        if run.status is not None and (run.status.sent != run.status.acked or run.status.naks):
            status = run.status
            print(
                f"  ArcSender {run.variant} -> {run.target}: {status.sent} frames sent for"
                f" {status.acked} ACKs (NAK {status.naks}, DUH {status.duhs}, no answer"
                f" {status.timeouts})"
            )
        if run.problems:
            print(
                f"  {run.sender} {run.variant} -> {run.target}: {dict(run.problems)};"
                f" first: {run.first_problem}"
            )


def _extra(arc: SenderRun, naive: SenderRun) -> str:
    """What the queue, its durable delete and the sender's checks add to each event."""
    if arc.rate <= 0 or naive.rate <= 0:
        return "-"
    return f"{1000 / arc.rate - 1000 / naive.rate:+.2f}"


def correctness(report: Dc09Report) -> list[str]:
    """What went wrong (empty: nothing): refusals, bad answers, lost or extra events."""
    failures = [
        f"{load.target} {load.variant} load: {dict(load.problems)} (first: {load.first_problem})"
        for load in report.loads
        if load.problems
    ]
    failures += [
        f"{run.sender} {run.variant} -> {run.target}: {dict(run.problems)}"
        f" (first: {run.first_problem})"
        for run in report.senders
        if run.problems
    ]
    failures += [
        f"receiver logic {row.variant}: {row.ours_refused} not accepted by ours,"
        f" {row.theirs_refused} by pysiaalarm"
        for row in report.checks
        if row.ours_refused or row.theirs_refused
    ]
    for name, held in (
        (f"{HUB} panel_messages", report.stored),
        (f"{HUB} alarms and repeats", report.on_alarms),
        (f"{PYSIA} callbacks", report.callbacks),
    ):
        acked = report.acked(PYSIA if name.startswith(PYSIA) else HUB)
        wrong = {a: (held[a], acked[a]) for a in set(held) | set(acked) if held[a] != acked[a]}
        if wrong:
            sample = dict(sorted(wrong.items())[:5])
            failures.append(f"{name}: held != ACKed for {len(wrong)} accounts, e.g. {sample}")
    return failures


def print_report(report: Dc09Report) -> bool:
    cores = os.cpu_count() or 1
    version = importlib.metadata.version("pysiaalarm")
    print(
        f"dc09: SIA DC-09 ADM-CID, ours beside pysiaalarm {version}, same machine, same run:"
        f" {cores} cores ({_cpu_model()}), Python {platform.python_version()}"
    )
    print_checks(report)
    print_loads(report)
    print_senders(report)
    print_held(report)
    failures = correctness(report)
    for failure in failures:
        print(f"  FAIL {failure}")
    verdict = "every event ACKed once and held once" if not failures else "FAILED"
    print(f"  correctness         {verdict} ({report.seconds:.0f} s for this section)")
    return not failures


def print_held(report: Dc09Report) -> None:
    hub_acked, pysia_acked = report.acked(HUB).total(), report.acked(PYSIA).total()
    print("held vs ACKed, whole run (warm-ups and senders included), checked per account:")
    print(
        f"  {HUB:<18}  {hub_acked:,} ACKed; panel_messages {report.stored.total():,},"
        f" on alarm cards {report.on_alarms.total():,} (rows plus counted repeats)"
    )
    print(f"  {PYSIA:<18}  {pysia_acked:,} ACKed; callbacks {report.callbacks.total():,}")
    print(
        "  answers             each decoded with our codec: the ACK of its account and"
        " sequence, encrypted for AES"
    )


# ---------------------------------------------------------------------------------------------
# Entry points


FLAGS = (
    Flag("connections", "receiver load: panels"),
    Flag("warmup", "receiver load: s before"),
    Flag("duration", "receiver load: measured s"),
    Flag("load-processes"),
    Flag("events", "sender: events queued per run"),
    Flag("check-frames", "receiver logic"),
    Flag("check-repeats", "receiver logic"),
)


def add_arguments(parser: argparse.ArgumentParser, prefix: str = "dc09-") -> None:
    """The options; `python -m bench` prefixes them (`--dc09-connections`), this module not."""
    Options(parser, "dc09 (bench/dc09.py)", prefix, dest="dc09_").plan(Dc09Plan(), FLAGS)


FAILURE = "dc09: an event was lost, duplicated or refused (see its FAIL lines)"


def run(args: argparse.Namespace) -> bool:
    plan = plan_from(Dc09Plan, args, "dc09_")
    if min(plan.connections, plan.load_processes, plan.events, plan.check_frames) < 1:
        raise SystemExit("dc09: connections, processes, events and frames must be positive")
    if plan.duration <= 0 or plan.check_repeats < 1:
        raise SystemExit("dc09: duration and repeats must be positive")
    return print_report(dc09(plan))


if __name__ == "__main__":
    run_alone("bench.dc09", __doc__, add_arguments, run, FAILURE)
