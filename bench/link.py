"""Link benchmarks: a real hub process (`python -m hub`) under load over real WebSockets.

hub-ingest  N gateways enrolled over the HTTP API, each on its own WebSocket, pipeline signed
            envelopes with W unacked each (85 % vital, 10 % heartbeat, 5 % alarm.raised) for a
            fixed time after a warm-up. An ack is sent only after the group commit
            (synchronous=FULL), so acked messages/s is durable throughput. Afterwards the
            SQLite file must hold exactly the alarms and vitals that were acked.
hub-idle    5,000 gateways connected at once (inserted with HubStore before the hub starts),
            hello then heartbeats at the hub's interval: time to connect all, hub memory and
            CPU while they heartbeat, and no false link_lost.
link-loss   gateway processes heartbeating at 20 s are SIGKILLed at random moments: time until
            the dispatch screen's live feed shows link_lost (three missed heartbeats).

The hub is bench/harness.py's: `python -m hub` plus a read-only route (GET /_bench/stats: group
commits so far); `--profile-hub` has it write cProfile data for hub-ingest and prints where
the hub spends its time.

Load generators run in their own processes (multiprocessing, spawn), so the hub's event loop
does not share a process with them; the hub's CPU (per thread, from /proc), the load
generators' and everything else's on the machine are printed side by side, because on a
small machine they compete for the same cores.

    .venv/bin/python -m bench.link [--link ingest,idle,link-loss] [--gateways 200] ...
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from pathlib import Path
from typing import Any

import aiohttp

from gateway.alarms import AlarmKind, RaisedAlarm, utc_iso
from gateway.link import enroll
from gateway.protocol import MessageType

from .args import Flag, Options, plan_from, run_alone
from .gateways import Signer, answers, new_session, open_link, sign_in_dispatcher
from .harness import (
    CHECK_PERIOD,
    DISPATCH_LIVE_PATH,
    BenchGateway,
    HubProcess,
    add_dispatcher,
    count_rows,
    insert_gateways,
    mint_codes,
    print_profile,
)
from .sampling import ProcSample, cpu_between, describe_cpu, describe_machine, processes_cpu
from .stats import ms_line
from .workers import raise_fd_limit, receive, run_workers, split, stop_workers

INGEST_TARGET = 5_000  # msg/s, durable
THINGSBOARD = "ThingsBoard publishes 1,111 msg/s on 4 vCPU with PostgreSQL"
LINK_LOSS_TARGET = 180.0  # s, with the default 60 s heartbeat
MISSED_HEARTBEATS = 3
_RANDOM = random.SystemRandom()
_ALARM_KINDS = (AlarmKind.SOS, AlarmKind.FALL, AlarmKind.FIRE, AlarmKind.GAS, AlarmKind.DOOR)


# ---------------------------------------------------------------------------------------------
# 1. hub-ingest


@dataclass(frozen=True, slots=True)
class IngestPlan:
    gateways: int = 200
    window: int = 64
    warmup: float = 5.0
    duration: float = 20.0
    processes: int = 1
    drain_timeout: float = 30.0


@dataclass(slots=True)
class IngestTally:
    """One load process's count; latencies only of acks inside the measured window."""

    window_start: float
    window_end: float
    acked: Counter[str] = field(default_factory=Counter)
    naks: Counter[str] = field(default_factory=Counter)
    window_acked: int = 0
    latencies: list[float] = field(default_factory=list)
    unacked: int = 0
    cpu_seconds: float = 0.0

    def ack(self, type_: str, sent_at: float, now: float) -> None:
        self.acked[type_] += 1
        if self.window_start <= now < self.window_end:
            self.window_acked += 1
            self.latencies.append(now - sent_at)


# Per 20 messages: one alarm.raised (5 %), two heartbeats (10 %), seventeen vitals (85 %).
_MIX = (MessageType.ALARM_RAISED, MessageType.HEARTBEAT, MessageType.HEARTBEAT) + (
    MessageType.VITAL,
) * 17


def _body(type_: MessageType, index: int) -> dict[str, Any]:
    if type_ == MessageType.ALARM_RAISED:
        return RaisedAlarm.new(_ALARM_KINDS[index % len(_ALARM_KINDS)], "bench").to_body()
    if type_ == MessageType.HEARTBEAT:
        return {"outbox_depth": 0}
    return {
        "code": "8867-4",
        "value": 60 + index % 40,
        "unit": "/min",
        "measured_at": utc_iso(datetime.now(UTC)),
        "device": "oximeter",
    }


class PipelinedGateway:
    """Keeps `window` messages unacked on one WebSocket; acks and naks free a slot."""

    def __init__(
        self, ws: aiohttp.ClientWebSocketResponse, signer: Signer, window: int, tally: IngestTally
    ) -> None:
        self.ws = ws
        self.signer = signer
        self.tally = tally
        self.pending: dict[str, tuple[float, str]] = {}
        self._slots = asyncio.Semaphore(window)
        self._all_acked = asyncio.Event()
        self._all_acked.set()

    async def send_until(self, stop_at: float, offset: int) -> None:
        index = offset
        while True:
            await self._slots.acquire()
            if time.monotonic() >= stop_at:
                return
            type_ = _MIX[index % len(_MIX)]
            message_id, text = self.signer.envelope(type_, _body(type_, index))
            index += 1
            self.pending[message_id] = (time.monotonic(), type_.value)
            self._all_acked.clear()
            await self.ws.send_str(text)

    async def settled(self) -> None:
        """Every message sent so far is acked (or nakked)."""
        await self._all_acked.wait()

    async def read(self) -> None:
        async for batch in answers(self.ws):
            for answer in batch:
                entry = self.pending.pop(answer.message_id, None)
                if entry is None:
                    continue  # the hello's ack
                if answer.acked:
                    self.tally.ack(entry[1], entry[0], answer.at)
                else:
                    self.tally.naks[answer.reason] += 1
                self._slots.release()
            if not self.pending:
                self._all_acked.set()


def ingest_worker(
    url: str, gateways: list[BenchGateway], plan: IngestPlan, pipe: Connection
) -> None:
    """A load process: connect its gateways, say ready, wait for the start time, load, report."""
    raise_fd_limit()
    asyncio.run(_ingest(url, gateways, plan, pipe))


async def _ingest(
    url: str, gateways: list[BenchGateway], plan: IngestPlan, pipe: Connection
) -> None:
    async with new_session() as session:
        links = await asyncio.gather(*(open_link(session, url, gateway) for gateway in gateways))
        pipe.send("ready")
        start = float(await asyncio.to_thread(pipe.recv))
        tally = IngestTally(start + plan.warmup, start + plan.warmup + plan.duration)
        loads = [PipelinedGateway(ws, signer, plan.window, tally) for ws, signer, _ in links]
        readers = [asyncio.create_task(load.read()) for load in loads]
        await asyncio.sleep(max(0.0, start - time.monotonic()))
        cpu_meter = asyncio.create_task(cpu_between(tally.window_start, tally.window_end))
        await asyncio.gather(
            *(load.send_until(tally.window_end, n) for n, load in enumerate(loads))
        )
        tally.cpu_seconds = await cpu_meter
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(plan.drain_timeout):
                await asyncio.gather(*(load.settled() for load in loads))
        tally.unacked = sum(len(load.pending) for load in loads)
        await asyncio.gather(*(load.ws.close() for load in loads))
        for reader in readers:
            reader.cancel()
        pipe.send(tally)


async def enroll_all(url: str, codes: list[str]) -> list[BenchGateway]:
    """Enrollment over the hub's HTTP API, as a household gateway does it."""
    limit = asyncio.Semaphore(32)

    async def one(number: int, code: str) -> BenchGateway:
        async with limit:
            credentials = await enroll(session, url, code, f"bench-{number}")
        return BenchGateway(
            credentials.gateway_id, credentials.household_id, credentials.private_key
        )

    async with new_session() as session:
        return await asyncio.gather(*(one(n, code) for n, code in enumerate(codes)))


@dataclass(slots=True)
class IngestReport:
    plan: IngestPlan
    tallies: list[IngestTally]
    hub_pid: int
    first: ProcSample  # the hub at the start of the measured window
    last: ProcSample  # and at its end
    commits: int | None  # the hub's group commits in the window (None: not readable)
    stored_alarms: int = 0
    stored_vitals: int = 0
    enroll_seconds: float = 0.0

    @property
    def acked(self) -> Counter[str]:
        return sum((tally.acked for tally in self.tallies), Counter())

    @property
    def window_acked(self) -> int:
        return sum(tally.window_acked for tally in self.tallies)

    @property
    def rate(self) -> float:
        return self.window_acked / self.plan.duration

    @property
    def client_cpu(self) -> float:
        return sum(tally.cpu_seconds for tally in self.tallies)


def hub_ingest(plan: IngestPlan, profile: str | None = None) -> IngestReport:
    raise_fd_limit()
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        data = Path(tmp)
        codes = mint_codes(data, plan.gateways)
        with HubProcess(data, profile=profile) as hub:
            started = time.monotonic()
            gateways = asyncio.run(enroll_all(hub.url, codes))
            enroll_seconds = time.monotonic() - started
            report = _drive_ingest(hub, gateways, plan)
            report.enroll_seconds = enroll_seconds
        report.stored_alarms = count_rows(
            data, "SELECT count(*) FROM messages WHERE type = 'alarm.raised'"
        )
        report.stored_vitals = count_rows(data, "SELECT count(*) FROM vitals")
    return report


def _drive_ingest(hub: HubProcess, gateways: list[BenchGateway], plan: IngestPlan) -> IngestReport:
    shares = [(hub.url, share, plan) for share in split(gateways, plan.processes)]
    processes, pipes = run_workers(ingest_worker, shares)
    try:
        for pipe in pipes:
            receive(pipe, 120, "ready")
        start = time.monotonic() + 0.5
        for pipe in pipes:
            pipe.send(start)
        time.sleep(max(0.0, start + plan.warmup - time.monotonic()))
        first, commits_before = hub.sample(), hub.stats()["commits"]
        time.sleep(max(0.0, start + plan.warmup + plan.duration - time.monotonic()))
        last, commits_after = hub.sample(), hub.stats()["commits"]
        tallies = [receive(pipe, plan.drain_timeout + 60, "result") for pipe in pipes]
    finally:
        stop_workers(processes)
    commits = None if commits_before is None else commits_after - commits_before
    return IngestReport(plan, tallies, hub.pid, first, last, commits)


def print_ingest(report: IngestReport) -> None:
    plan = report.plan
    print(
        f"hub-ingest: {plan.gateways} gateways on their own WebSockets, {plan.window} unacked"
        f" each; 85 % vital, 10 % heartbeat, 5 % alarm.raised; {plan.warmup:.0f} s warm-up,"
        f" {plan.duration:.0f} s measured"
    )
    print(f"  enrollment (HTTP)   {plan.gateways} gateways in {report.enroll_seconds:.1f} s")
    verdict = "meets it" if report.rate >= INGEST_TARGET else "BELOW"
    print(
        f"  throughput          {report.rate:.0f} msg/s acked after the durable commit"
        f" ({report.window_acked} in {plan.duration:.0f} s)"
    )
    print(f"  target              >= {INGEST_TARGET:,} msg/s durable: {verdict}")
    print(f"  for scale           {THINGSBOARD}")
    _print_latency(report)
    if report.commits:
        print(
            f"  group commits       {report.commits} ({report.commits / plan.duration:.0f}/s,"
            f" {report.window_acked / report.commits:.0f} messages per commit; synchronous=FULL:"
            f" one fsync per commit that wrote)"
        )
    last = report.last
    print(f"  hub CPU             {describe_cpu(report.hub_pid, report.first, last)}")
    print(f"  hub memory          RSS {last.rss_mb:.0f} MB (peak {last.peak_rss_mb:.0f} MB)")
    print(
        f"  load generator      {100 * report.client_cpu / plan.duration:.0f} % of one core"
        f" ({plan.processes} process{'es' if plan.processes > 1 else ''})"
    )
    print(f"  machine             {describe_machine(report.first, last, report.client_cpu)}")
    naks = sum((tally.naks for tally in report.tallies), Counter())
    print(f"  naks                {dict(naks) or 0}")
    _print_stored(report)


def _print_latency(report: IngestReport) -> None:
    latencies = sorted(lat for tally in report.tallies for lat in tally.latencies)
    if not latencies:
        print("  ack latency         (no acks in the window)")
        return
    in_flight = report.plan.gateways * report.plan.window
    print(f"  ack latency         {ms_line(latencies, 0.50, 0.95, 0.99)}")
    print(
        f"                      ({in_flight} kept in flight: queueing ~ in flight / throughput"
        f" = {in_flight / max(report.rate, 1e-9) * 1000:.0f} ms)"
    )


def _print_stored(report: IngestReport) -> None:
    acked = report.acked
    unacked = sum(tally.unacked for tally in report.tallies)
    alarms, vitals = acked[MessageType.ALARM_RAISED.value], acked[MessageType.VITAL.value]
    exact = report.stored_alarms == alarms and report.stored_vitals == vitals
    verdict = "exact" if exact else f"MISMATCH ({unacked} sent but never acked)"
    print(
        f"  stored vs acked     alarm.raised {report.stored_alarms}/{alarms},"
        f" vital {report.stored_vitals}/{vitals} (whole run incl. warm-up): {verdict}"
    )


# ---------------------------------------------------------------------------------------------
# 2. hub-idle: thousands of connected, heartbeating gateways


@dataclass(frozen=True, slots=True)
class IdlePlan:
    gateways: int = 5_000
    heartbeat: int = 20
    measure: float = 60.0
    settle: float = 5.0
    processes: int = 2
    connect_concurrency: int = 50


@dataclass(slots=True)
class IdleTally:
    connected: int = 0
    failed: int = 0
    first_error: str = ""
    connected_at: float = 0.0  # monotonic, when this process had all its gateways up
    heartbeats: int = 0
    acked: int = 0  # heartbeat acks
    latencies: list[float] = field(default_factory=list)  # heartbeat sent -> ack, s
    naks: Counter[str] = field(default_factory=Counter)
    dropped: int = 0  # links the hub closed before the end
    unanswered: int = 0  # heartbeats still in flight when the benchmark stopped


class IdleGateway:
    """A connected gateway that only heartbeats, at the hub's interval, from a random phase
    (gateways do not start in lockstep)."""

    def __init__(
        self, ws: aiohttp.ClientWebSocketResponse, signer: Signer, interval: float, tally: IdleTally
    ) -> None:
        self.ws = ws
        self.signer = signer
        self.interval = interval
        self.tally = tally
        self.pending: dict[str, float] = {}
        self.closing = False

    async def heartbeats(self) -> None:
        await asyncio.sleep(_RANDOM.uniform(0, self.interval))
        while not self.ws.closed:
            message_id, text = self.signer.envelope(MessageType.HEARTBEAT, {"outbox_depth": 0})
            self.pending[message_id] = time.monotonic()
            await self.ws.send_str(text)
            self.tally.heartbeats += 1
            await asyncio.sleep(self.interval)

    async def read(self) -> None:
        async for batch in answers(self.ws):
            for answer in batch:
                sent_at = self.pending.pop(answer.message_id, None)
                if sent_at is None:
                    continue
                if answer.acked:
                    self.tally.acked += 1
                    self.tally.latencies.append(answer.at - sent_at)
                else:
                    self.tally.naks[answer.reason] += 1
        if not self.closing:
            self.tally.dropped += 1


def idle_worker(url: str, gateways: list[BenchGateway], plan: IdlePlan, pipe: Connection) -> None:
    raise_fd_limit()
    asyncio.run(_idle(url, gateways, plan, pipe))


async def _idle(url: str, gateways: list[BenchGateway], plan: IdlePlan, pipe: Connection) -> None:
    tally = IdleTally()
    limit = asyncio.Semaphore(plan.connect_concurrency)
    links: list[IdleGateway] = []
    tasks: list[asyncio.Task[None]] = []

    async def connect(gateway: BenchGateway) -> None:
        for attempt in range(3):
            try:
                async with limit:
                    ws, signer, interval = await open_link(session, url, gateway)
            except (aiohttp.ClientError, OSError, TimeoutError) as err:
                tally.first_error = tally.first_error or f"{type(err).__name__}: {err}"
                await asyncio.sleep(0.5 * (attempt + 1))
                continue
            tally.connected += 1
            link = IdleGateway(ws, signer, interval, tally)
            links.append(link)
            tasks.extend((asyncio.create_task(link.read()), asyncio.create_task(link.heartbeats())))
            return
        tally.failed += 1

    async with new_session() as session:
        await asyncio.gather(*(connect(gateway) for gateway in gateways))
        tally.connected_at = time.monotonic()
        pipe.send(("ready", tally))
        await asyncio.to_thread(pipe.recv)  # stop
        for link in links:
            link.closing = True
            tally.unanswered += len(link.pending)
        for task in tasks:
            task.cancel()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(30):
                await asyncio.gather(*(link.ws.close() for link in links), return_exceptions=True)
        pipe.send(("done", tally))


@dataclass(slots=True)
class IdleReport:
    plan: IdlePlan
    fd_limit: int
    connect_seconds: float
    ready: list[IdleTally]
    done: list[IdleTally]
    hub_connections: int
    hub_pid: int
    first: ProcSample  # the hub at the start of the steady window
    last: ProcSample  # and at its end
    clients_cpu: float  # CPU seconds of the load processes in that window
    insert_seconds: float = 0.0
    link_lost: int = 0
    link_lost_open: int = 0


def hub_idle(plan: IdlePlan) -> IdleReport:
    fd_limit = raise_fd_limit()
    with tempfile.TemporaryDirectory(prefix="bench-idle-") as tmp:
        data = Path(tmp)
        started = time.monotonic()
        gateways = insert_gateways(data, plan.gateways)
        insert_seconds = time.monotonic() - started
        with HubProcess(data, heartbeat=plan.heartbeat) as hub:
            report = _drive_idle(hub, gateways, plan, fd_limit)
        report.insert_seconds = insert_seconds
        report.link_lost = count_rows(data, "SELECT count(*) FROM alarms WHERE kind = 'link_lost'")
        report.link_lost_open = count_rows(
            data, "SELECT count(*) FROM alarms WHERE kind = 'link_lost' AND status != 'resolved'"
        )
    return report


def _drive_idle(
    hub: HubProcess, gateways: list[BenchGateway], plan: IdlePlan, fd_limit: int
) -> IdleReport:
    started = time.monotonic()
    shares = [(hub.url, share, plan) for share in split(gateways, plan.processes)]
    processes, pipes = run_workers(idle_worker, shares)
    try:
        ready = [receive(pipe, 300, "ready")[1] for pipe in pipes]
        connect_seconds = max(tally.connected_at for tally in ready) - started
        time.sleep(plan.settle)
        connections = int(hub.stats()["connections"])
        first, clients_before = hub.sample(), processes_cpu(processes)
        time.sleep(plan.measure)
        last, clients_after = hub.sample(), processes_cpu(processes)
        for pipe in pipes:
            pipe.send("stop")
        done = [receive(pipe, 60, "result")[1] for pipe in pipes]
    finally:
        stop_workers(processes)
    return IdleReport(
        plan,
        fd_limit,
        connect_seconds,
        ready,
        done,
        connections,
        hub.pid,
        first,
        last,
        clients_after - clients_before,
    )


def print_idle(report: IdleReport) -> None:
    plan = report.plan
    connected = sum(tally.connected for tally in report.ready)
    failed = sum(tally.failed for tally in report.ready)
    errors = {tally.first_error for tally in report.ready if tally.first_error}
    print(
        f"hub-idle: {plan.gateways} gateways over real WebSockets to one hub (--heartbeat"
        f" {plan.heartbeat}), {plan.processes} client processes, fd limit {report.fd_limit}"
    )
    print(f"  provisioning        HubStore inserts: {report.insert_seconds:.1f} s")
    print(
        f"  connected           {connected} (failed {failed}); the hub counts"
        f" {report.hub_connections} authenticated links"
    )
    if errors:
        print(f"  connect errors      {'; '.join(sorted(errors))} (retried)")
    print(f"  time to connect all {report.connect_seconds:.1f} s (each: WebSocket, hello, config)")
    first, last = report.first, report.last
    print(
        f"  hub CPU             {describe_cpu(report.hub_pid, first, last)},"
        f" averaged over {last.wall - first.wall:.0f} s of steady heartbeats"
    )
    print(f"  hub memory          RSS {last.rss_mb:.0f} MB (peak {last.peak_rss_mb:.0f} MB)")
    print(
        f"  load generator      {100 * report.clients_cpu / (last.wall - first.wall):.0f} % of"
        f" one core ({plan.processes} processes)"
    )
    print(f"  machine             {describe_machine(first, last, report.clients_cpu)}")
    _print_heartbeats(report)
    verdict = "none, as expected" if report.link_lost == 0 else "FALSE ALARMS"
    print(f"  link_lost alarms    {report.link_lost} ({report.link_lost_open} open): {verdict}")


def _print_heartbeats(report: IdleReport) -> None:
    done = report.done
    sent, acked = sum(t.heartbeats for t in done), sum(t.acked for t in done)
    naks = sum((t.naks for t in done), Counter())
    latencies = sorted(lat for tally in done for lat in tally.latencies)
    print(
        f"  heartbeats          {sent} sent, {acked} acked"
        f" ({sum(t.unanswered for t in done)} in flight at the stop), naks {dict(naks) or 0},"
        f" links dropped by the hub {sum(t.dropped for t in done)}"
    )
    if latencies:
        print(f"  heartbeat ack       {ms_line(latencies, 0.5, 0.99)}")


# ---------------------------------------------------------------------------------------------
# 3. link-loss detection


def heartbeat_gateway(url: str, gateway: BenchGateway, pipe: Connection) -> None:
    """A gateway process: hello, then heartbeats at the interval the hub dictates, reporting
    (wall time) each message sent, until it is killed."""
    asyncio.run(_heartbeat_gateway(url, gateway, pipe))


async def _heartbeat_gateway(url: str, gateway: BenchGateway, pipe: Connection) -> None:
    async with new_session() as session:
        ws, signer, interval = await open_link(session, url, gateway)
        pipe.send(("config", interval, time.time()))
        reader = asyncio.create_task(_discard(ws))
        while not reader.done():
            await asyncio.sleep(interval)
            _, text = signer.envelope(MessageType.HEARTBEAT, {"outbox_depth": 0})
            await ws.send_str(text)
            pipe.send(("heartbeat", interval, time.time()))


async def _discard(ws: aiohttp.ClientWebSocketResponse) -> None:
    async for message in ws:
        if message.type != aiohttp.WSMsgType.TEXT:
            return


@dataclass(frozen=True, slots=True)
class LinkLossSample:
    interval: float
    killed_at: float  # wall clock
    last_sent: float  # wall clock: the gateway's last message (the hub heard it ~ms later)
    detected_at: float | None  # wall clock: link_lost on the dispatch live feed

    @property
    def after_kill(self) -> float | None:
        return None if self.detected_at is None else self.detected_at - self.killed_at

    @property
    def after_last_heard(self) -> float | None:
        return None if self.detected_at is None else self.detected_at - self.last_sent


def link_loss(gateways: int = 3, heartbeat: int = 20) -> list[LinkLossSample]:
    with tempfile.TemporaryDirectory(prefix="bench-link-loss-") as tmp:
        data = Path(tmp)
        prepared = insert_gateways(data, gateways)
        add_dispatcher(data)
        with HubProcess(data, heartbeat=heartbeat) as hub:
            return asyncio.run(_link_loss(hub.url, prepared, heartbeat))


async def _link_loss(
    url: str, gateways: list[BenchGateway], heartbeat: int
) -> list[LinkLossSample]:
    loop = asyncio.get_running_loop()
    detections = {gateway.household_id: loop.create_future() for gateway in gateways}
    async with new_session() as session:
        await sign_in_dispatcher(session, url)
        async with session.ws_connect(url + DISPATCH_LIVE_PATH) as feed:
            return await _watch_kills(url, gateways, heartbeat, feed, detections)


async def _watch_kills(
    url: str,
    gateways: list[BenchGateway],
    heartbeat: int,
    feed: aiohttp.ClientWebSocketResponse,
    detections: dict[str, asyncio.Future[float]],
) -> list[LinkLossSample]:
    snapshot = await feed.receive_json(timeout=10)
    assert snapshot["type"] == "snapshot", snapshot
    watcher = asyncio.create_task(_watch_feed(feed, detections))
    processes, pipes = run_workers(heartbeat_gateway, [(url, gw) for gw in gateways])
    try:
        return await asyncio.gather(
            *(
                _kill_and_wait(process, pipe, detections[gateway.household_id], heartbeat)
                for process, pipe, gateway in zip(processes, pipes, gateways, strict=True)
            )
        )
    finally:
        for process in processes:
            process.kill()
        await asyncio.to_thread(stop_workers, processes)
        watcher.cancel()


async def _watch_feed(
    feed: aiohttp.ClientWebSocketResponse, detections: dict[str, asyncio.Future[float]]
) -> None:
    async for message in feed:
        if message.type != aiohttp.WSMsgType.TEXT:
            return
        update = json.loads(message.data)
        alarm = update.get("alarm") or {}
        if alarm.get("kind") == AlarmKind.LINK_LOST and alarm.get("status") != "resolved":
            waiter = detections.get(alarm.get("household_id", ""))
            if waiter is not None and not waiter.done():
                waiter.set_result(time.time())


async def _kill_and_wait(
    process: SpawnProcess, pipe: Connection, detection: asyncio.Future[float], heartbeat: int
) -> LinkLossSample:
    """SIGKILL at a uniformly random phase of the gateway's heartbeat cycle, after its first
    heartbeat; then wait for link_lost (at most three intervals and the check period, plus
    a margin)."""
    kind, interval, _ = await asyncio.to_thread(receive, pipe, 60, "config")
    assert kind == "config"
    await asyncio.sleep(_RANDOM.uniform(interval + 1, 2 * interval + 1))
    process.kill()
    killed_at = time.time()
    last_sent = killed_at
    while pipe.poll():  # what it sent before it died is still in the pipe
        _, _, last_sent = pipe.recv()
    try:
        async with asyncio.timeout(MISSED_HEARTBEATS * interval + 30):
            detected_at: float | None = await detection
    except TimeoutError:
        detected_at = None
    return LinkLossSample(interval, killed_at, last_sent, detected_at)


def link_loss_bound(interval: float) -> float:
    """Worst case from the last message heard: three intervals, then up to one check period."""
    return MISSED_HEARTBEATS * interval + min(CHECK_PERIOD, interval / 10)


def print_link_loss(samples: list[LinkLossSample]) -> None:
    interval = samples[0].interval if samples else 20.0
    print(
        f"link-loss: {len(samples)} gateway processes (heartbeat {interval:.0f} s from the hub's"
        f" config) SIGKILLed at random moments; link_lost seen on {DISPATCH_LIVE_PATH}"
    )
    for number, sample in enumerate(samples, start=1):
        since_heard = sample.killed_at - sample.last_sent
        if sample.after_kill is None:
            print(
                f"  gateway {number}: killed {since_heard:.1f} s after its last message: NOT SEEN"
            )
            continue
        print(
            f"  gateway {number}: killed {since_heard:4.1f} s after its last message -> link_lost"
            f" {sample.after_kill:5.1f} s after the kill ({sample.after_last_heard:.1f} s after"
            f" the last message heard)"
        )
    bound = link_loss_bound(interval)
    check = min(CHECK_PERIOD, interval / 10)
    print(
        f"  {f'bound at {interval:.0f} s':<20}<= {MISSED_HEARTBEATS} x {interval:.0f} s +"
        f" {check:.2f} s check period = {bound:.2f} s after the last message heard, so"
        f" {bound - interval:.0f}-{bound:.2f} s after a kill"
    )
    default = link_loss_bound(60)
    verdict = "met" if default <= LINK_LOSS_TARGET else "met up to the check period"
    print(
        f"  default 60 s        <= 3 x 60 s + {CHECK_PERIOD:.2f} s check period = {default:.2f} s"
        f" after the last message heard, so 120-{default:.2f} s after a kill (uniform phase:"
        f" mean ~150 s)"
    )
    print(
        f"  target              <= {LINK_LOSS_TARGET:.0f} s with the default 60 s: {verdict}"
        f" (over by at most the {CHECK_PERIOD:.2f} s check period, only when a gateway dies just"
        f" after a message)"
    )


# ---------------------------------------------------------------------------------------------
# Entry points

BENCHMARKS = ("ingest", "idle", "link-loss")
INGEST_FLAGS = (
    Flag("gateways", "hub-ingest"),
    Flag("window", "unacked per gateway"),
    Flag("duration", "measured s"),
    Flag("warmup"),
    Flag("load-processes", field="processes"),
)
IDLE_FLAGS = (
    Flag("idle-gateways", field="gateways"),
    Flag("idle-measure", field="measure"),
    Flag("idle-processes", field="processes"),
)


def add_arguments(parser: argparse.ArgumentParser, prefix: str = "") -> None:
    """The options, unprefixed whether `python -m bench` or this module runs them."""
    del prefix  # older than the prefixed sections: their names stay as they are
    options = Options(parser, "link benchmarks (bench/link.py)", prefix="", dest="")
    options.add("link", default=",".join(BENCHMARKS), help="which, comma-separated")
    options.plan(IngestPlan(), INGEST_FLAGS, dest="ingest_")
    options.plan(IdlePlan(), IDLE_FLAGS, dest="idle_")
    options.add("link-loss-gateways", type=int, default=3, help="killed in parallel")
    options.add("profile-hub", action="store_true", help="cProfile the ingest hub")


def run(args: argparse.Namespace) -> bool:
    """Print the chosen link benchmarks; they have no pass or fail of their own."""
    chosen = {name.strip() for name in args.link.split(",") if name.strip()}
    unknown = chosen - set(BENCHMARKS)
    if unknown:
        raise SystemExit(f"unknown link benchmark(s): {', '.join(sorted(unknown))}")
    if "ingest" in chosen:
        _run_ingest(plan_from(IngestPlan, args, "ingest_"), profile_hub=args.profile_hub)
    if "idle" in chosen:
        print()
        print_idle(hub_idle(plan_from(IdlePlan, args, "idle_")))
    if "link-loss" in chosen:
        print()
        print_link_loss(link_loss(args.link_loss_gateways))
    return True


def _run_ingest(plan: IngestPlan, *, profile_hub: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        profile = str(Path(tmp) / "hub.prof") if profile_hub else None
        print_ingest(hub_ingest(plan, profile=profile))
        if profile:
            print_profile(profile)


if __name__ == "__main__":
    run_alone("bench.link", __doc__, add_arguments, run, "link: failed")
