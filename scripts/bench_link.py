#!/usr/bin/env python3
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

The hub runs as `python scripts/bench_link.py _hub ARGS`, which is `python -m hub ARGS` plus a
read-only route (GET /_bench/stats: group commits so far) added here, in the benchmark only
(its imports add ~4 MB to the hub's RSS). With BENCH_HUB_PROFILE=PATH it also writes cProfile
data of the hub (all threads) to PATH; `--profile-hub` does that for hub-ingest and prints
where the hub spends its time.

Load generators run in their own processes (multiprocessing, spawn), so the hub's event loop
does not share a process with them; the hub's CPU (per thread, from /proc), the load
generators' and everything else's on the machine are printed side by side, because on a
small machine they compete for the same cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import multiprocessing
import os
import pstats
import random
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from pathlib import Path
from typing import Any, Self, cast

import aiohttp
from aiohttp import web

import hub.__main__ as hub_cli
from gateway.alarms import AlarmKind, RaisedAlarm, utc_iso
from gateway.link import enroll
from gateway.protocol import GATEWAY_WS_PATH, MAX_MESSAGE_BYTES, Envelope, MessageType, acked_ids
from gateway.ulid import new_ulid
from hub import app as hub_app
from hub.app import DATABASE_FILE
from hub.core.context import HUB_CONTEXT
from hub.core.storage import HubStore
from hub.desk.screen import DISPATCH_LIVE_PATH
from hub.gateways.link_watch import CHECK_PERIOD
from hub.infra.passwords import hash_password
from hub.policy import Role, public
from provisioning import keys

ROOT = Path(__file__).resolve().parent.parent
STATS_PATH = "/_bench/stats"
PROFILE_ENV = "BENCH_HUB_PROFILE"
INGEST_TARGET = 5_000  # msg/s, durable
THINGSBOARD = "ThingsBoard publishes 1,111 msg/s on 4 vCPU with PostgreSQL"
LINK_LOSS_TARGET = 180.0  # s, with the default 60 s heartbeat
MISSED_HEARTBEATS = 3
_SPAWN = multiprocessing.get_context("spawn")
_RANDOM = random.SystemRandom()
_ALARM_KINDS = (AlarmKind.SOS, AlarmKind.FALL, AlarmKind.FIRE, AlarmKind.GAS, AlarmKind.DOOR)


# ---------------------------------------------------------------------------------------------
# The hub process


def serve_hub(argv: list[str]) -> int:
    """`python -m hub ARGV` plus the stats route; cProfile when BENCH_HUB_PROFILE is set (since
    Python 3.12 one profiler sees every thread: the database thread's calls are in it too)."""
    original = hub_app.create_app

    def create_app(*args: Any, **kwargs: Any) -> web.Application:
        app = original(*args, **kwargs)
        app.router.add_get(STATS_PATH, _hub_stats)
        return app

    vars(hub_cli)["create_app"] = create_app  # `python -m hub` builds its app with this name
    path = os.environ.get(PROFILE_ENV)
    if not path:
        return hub_cli.main(argv)
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        return hub_cli.main(argv)
    finally:
        profiler.disable()
        profiler.dump_stats(path)


@public  # the benchmark's own hub on loopback: counts only
async def _hub_stats(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    return web.json_response(
        {
            "commits": getattr(hub.database, "batches", None),
            "connections": hub.gateways.connected_count(),
            "rejections": dict(hub.rejections),
        }
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def raise_fd_limit() -> int:
    """Soft RLIMIT_NOFILE up to the hard limit (inherited by the hub and the load processes)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return hard
    return soft


@dataclass(frozen=True, slots=True)
class ProcSample:
    """One reading of /proc for a process: CPU seconds (all threads and per thread), memory."""

    wall: float
    cpu: float
    threads: dict[int, float]
    rss_mb: float
    peak_rss_mb: float
    machine_busy: float  # CPU seconds of every process on the machine (/proc/stat)


def _machine_busy() -> float:
    """Busy CPU seconds of all cores since boot: everything but idle and iowait."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:8]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _cpu_of_stat(path: Path) -> float:
    text = path.read_text()
    fields = text[text.rindex(")") + 2 :].split()
    # Fields 14 and 15 of proc(5): utime and stime, in clock ticks; fields[0] is field 3.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _status_mb(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def sample_process(pid: int) -> ProcSample:
    threads: dict[int, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, ValueError):
            threads[int(task.name)] = _cpu_of_stat(task / "stat")
    return ProcSample(
        wall=time.monotonic(),
        cpu=_cpu_of_stat(Path(f"/proc/{pid}/stat")),
        threads=threads,
        rss_mb=_status_mb(pid, "VmRSS"),
        peak_rss_mb=_status_mb(pid, "VmHWM"),
        machine_busy=_machine_busy(),
    )


def cpu_percent(first: ProcSample, last: ProcSample) -> float:
    return 100 * (last.cpu - first.cpu) / max(last.wall - first.wall, 1e-9)


def describe_cpu(pid: int, first: ProcSample, last: ProcSample) -> str:
    """Whole process, then the event-loop thread (the main one) and the others."""
    elapsed = max(last.wall - first.wall, 1e-9)
    loop = last.threads.get(pid, 0.0) - first.threads.get(pid, 0.0)
    others = sum(
        cpu - first.threads.get(tid, 0.0) for tid, cpu in last.threads.items() if tid != pid
    )
    return (
        f"{cpu_percent(first, last):.0f} % of one core (event-loop thread"
        f" {100 * loop / elapsed:.0f} %, database and other threads {100 * others / elapsed:.0f} %)"
    )


def describe_machine(first: ProcSample, last: ProcSample, clients_cpu: float) -> str:
    """How busy the whole machine was, and how much of that was neither hub nor load."""
    elapsed = max(last.wall - first.wall, 1e-9)
    busy = 100 * (last.machine_busy - first.machine_busy) / elapsed
    hub, clients = cpu_percent(first, last), 100 * clients_cpu / elapsed
    cores = os.cpu_count() or 1
    return (
        f"{busy:.0f} % busy of {100 * cores} % ({cores} cores): hub {hub:.0f} %, load generator"
        f" {clients:.0f} %, other processes {max(0.0, busy - hub - clients):.0f} %"
    )


class HubProcess:
    """A hub subprocess on a free loopback port; always stopped on exit (SIGTERM, then KILL).
    It runs `SCRIPT _hub` (this script's hub; a subclass may name another script)."""

    SCRIPT = Path(__file__).resolve()

    def __init__(
        self,
        data: Path,
        *,
        heartbeat: int | None = None,
        profile: str | None = None,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.data = data
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._heartbeat = heartbeat
        self._profile = profile
        self._extra_args = extra_args  # more `python -m hub` flags (the DC-09 listener)
        self._process: subprocess.Popen[bytes] | None = None
        self._log_path = data / "hub.log"

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def __enter__(self) -> Self:
        command = [sys.executable, str(self.SCRIPT), "_hub", "--data", str(self.data)]
        command += ["--port", str(self.port)]
        if self._heartbeat is not None:
            command += ["--heartbeat", str(self._heartbeat)]
        command += self._extra_args
        env = dict(os.environ)
        if self._profile:
            env[PROFILE_ENV] = self._profile
        with self._log_path.open("wb") as log:
            self._process = subprocess.Popen(
                command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env
            )
        try:
            self._wait_until_up()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _wait_until_up(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"hub exited at start:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                self.stats(timeout=2)
                return
            time.sleep(0.1)
        raise RuntimeError(f"hub did not come up at {self.url}:\n{self.log_tail()}")

    def stats(self, timeout: float = 30) -> dict[str, Any]:
        url = self.url + STATS_PATH
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback URL we built)
            return cast(dict[str, Any], json.load(response))

    def sample(self) -> ProcSample:
        return sample_process(self.pid)

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)  # aiohttp: graceful shutdown, final flushes
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


# ---------------------------------------------------------------------------------------------
# Gateways: provisioning, signing, the handshake


@dataclass(frozen=True, slots=True)
class BenchGateway:
    """An enrolled gateway as a load process needs it (picklable)."""

    gateway_id: str
    household_id: str
    private_key: str


@contextlib.contextmanager
def bulk_store(data: Path) -> Iterator[HubStore]:
    """The hub's own store, before the hub runs; synchronous=OFF for a fast bulk load (the hub
    process opens the file again with synchronous=FULL)."""
    store = HubStore(data / DATABASE_FILE)
    store.db.execute("PRAGMA synchronous=OFF")
    try:
        yield store
    finally:
        store.close()


def mint_codes(data: Path, count: int) -> list[str]:
    """One household and one enrollment code each, for enrollment over HTTP."""
    with bulk_store(data) as store:
        return [
            store.mint_enrollment_code(store.create_household(f"Bench {n}", "Bench Road").id)
            for n in range(count)
        ]


def insert_gateways(data: Path, count: int) -> list[BenchGateway]:
    """Households with an enrolled gateway each, straight into the store (no HTTP)."""
    gateways = []
    with bulk_store(data) as store:
        for number in range(count):
            household = store.create_household(f"Bench {number}", "Bench Road")
            key = keys.new_private_key()
            gateway = store.redeem_enrollment_code(
                store.mint_enrollment_code(household.id),
                keys.public_key_to_text(key.public_key()),
                f"bench-{number}",
            )
            gateways.append(BenchGateway(gateway.id, household.id, keys.private_key_to_text(key)))
    return gateways


class Signer:
    """One gateway's side of the envelope: sequence numbers, fresh `sent`, Ed25519."""

    def __init__(self, gateway: BenchGateway) -> None:
        self.gateway_id = gateway.gateway_id
        self._key = keys.private_key_from_text(gateway.private_key)
        self._seq = 0

    def envelope(self, type_: MessageType, body: dict[str, Any]) -> tuple[str, str]:
        """(message id, wire text)."""
        self._seq += 1
        message_id = new_ulid()
        envelope = Envelope(
            gw=self.gateway_id,
            seq=self._seq,
            sent=utc_iso(datetime.now(UTC)),
            id=message_id,
            type=type_.value,
            body=body,
        )
        return message_id, envelope.signed(self._key).to_json()


def new_session() -> aiohttp.ClientSession:
    """No connection limit: every WebSocket holds its connection for its whole life. Cookies
    of 127.0.0.1 are kept (a dispatcher's session)."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), cookie_jar=aiohttp.CookieJar(unsafe=True)
    )


BENCH_DISPATCHER = ("bench-dispatcher", "bench dispatcher password")


def add_dispatcher(data: Path) -> None:
    """A dispatcher account in the hub's store, for the live feed (before the hub starts)."""
    username, password = BENCH_DISPATCHER
    with bulk_store(data) as store:
        store.accounts.create_user(
            username, username, Role.DISPATCHER, hash_password(password), now=datetime.now(UTC)
        )


async def sign_in_dispatcher(session: aiohttp.ClientSession, url: str) -> None:
    username, password = BENCH_DISPATCHER
    async with session.post(
        url + "/api/v1/login", json={"username": username, "password": password}
    ) as response:
        response.raise_for_status()


async def open_link(
    session: aiohttp.ClientSession, url: str, gateway: BenchGateway, timeout: float = 60
) -> tuple[aiohttp.ClientWebSocketResponse, Signer, float]:
    """Connect, say hello, and read up to the hub's `config`: (socket, signer, interval s)."""
    ws = await session.ws_connect(
        url + GATEWAY_WS_PATH, max_msg_size=MAX_MESSAGE_BYTES, timeout=aiohttp.ClientWSTimeout(30)
    )
    try:
        signer = Signer(gateway)
        _, hello = signer.envelope(MessageType.HELLO, {"software": "bench"})
        await ws.send_str(hello)
        async with asyncio.timeout(timeout):
            while True:
                message = await ws.receive()
                if message.type != aiohttp.WSMsgType.TEXT:
                    raise ConnectionError(f"hub closed the link: {message.type!r}")
                data = json.loads(message.data)
                if data["type"] == MessageType.NAK:
                    raise ConnectionError(f"hello refused: {data['body']}")
                if data["type"] == MessageType.CONFIG:
                    return ws, signer, float(data["body"]["heartbeat_interval"])
    except BaseException:
        await ws.close()
        raise


def run_workers(
    target: Callable[..., None], shares: list[tuple[Any, ...]]
) -> tuple[list[SpawnProcess], list[Connection]]:
    """One spawned process per share; each gets its args plus its end of a pipe."""
    processes, pipes = [], []
    for args in shares:
        ours, theirs = _SPAWN.Pipe()
        process = _SPAWN.Process(target=target, args=(*args, theirs), daemon=True)
        process.start()
        theirs.close()
        processes.append(process)
        pipes.append(ours)
    return processes, pipes


def receive(pipe: Connection, timeout: float, what: str) -> Any:
    """The next message of a load process; its traceback is on stderr if it died."""
    try:
        if not pipe.poll(timeout):
            raise TimeoutError(f"no {what} from a load process within {timeout:.0f} s")
        return pipe.recv()
    except EOFError as err:
        raise RuntimeError(f"a load process died before its {what} (see above)") from err


def stop_workers(processes: list[SpawnProcess]) -> None:
    for process in processes:
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join(5)


def split[T](items: list[T], parts: int) -> list[list[T]]:
    return [items[index::parts] for index in range(parts) if items[index::parts]]


def quantile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def count_rows(data: Path, sql: str) -> int:
    """Read-only, after the hub stopped."""
    uri = f"file:{data / DATABASE_FILE}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as connection:
        return int(connection.execute(sql).fetchone()[0])


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

    def ack(self, type_: str, sent_at: float) -> None:
        now = time.monotonic()
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
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                return
            data = json.loads(message.data)
            body = data["body"]
            for message_id in acked_ids(body):  # a nak names its one id like an ack
                entry = self.pending.pop(message_id, None)
                if entry is None:
                    continue  # config, or the hello's ack
                if data["type"] == MessageType.ACK:
                    self.tally.ack(entry[1], entry[0])
                else:
                    self.tally.naks[str(body.get("reason"))] += 1
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
        cpu_meter = asyncio.create_task(_cpu_between(tally.window_start, tally.window_end))
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


async def _cpu_between(start: float, end: float) -> float:
    """This process's CPU seconds between two monotonic instants."""
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    before = time.process_time()
    await asyncio.sleep(max(0.0, end - time.monotonic()))
    return time.process_time() - before


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
    print(
        f"  ack latency         p50 {quantile(latencies, 0.50) * 1000:.1f} ms"
        f"   p95 {quantile(latencies, 0.95) * 1000:.1f} ms"
        f"   p99 {quantile(latencies, 0.99) * 1000:.1f} ms   max {latencies[-1] * 1000:.1f} ms"
    )
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


def print_profile(path: str, top: int = 25) -> None:
    """The hub's own time by function, then its code by cumulative time."""
    if not Path(path).exists():
        print(f"  (no profile at {path})")
        return
    stats = pstats.Stats(path, stream=sys.stdout)
    print("\nhub profile (cProfile, all threads; slows the hub down), by own time:")
    stats.sort_stats("tottime").print_stats(top)
    print("hub profile, the hub's and the store's functions by cumulative time:")
    stats.sort_stats("cumulative").print_stats(r"hub/|gateway/protocol|db_thread", top)


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
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(message.data)
            for message_id in acked_ids(data["body"]):  # a nak names its one id like an ack
                sent_at = self.pending.pop(message_id, None)
                if sent_at is None:
                    continue
                if data["type"] == MessageType.ACK:
                    self.tally.acked += 1
                    self.tally.latencies.append(time.monotonic() - sent_at)
                else:
                    self.tally.naks[str(data["body"].get("reason"))] += 1
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
        first, clients_before = hub.sample(), _cpu_of_processes(processes)
        time.sleep(plan.measure)
        last, clients_after = hub.sample(), _cpu_of_processes(processes)
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


def _cpu_of_processes(processes: list[SpawnProcess]) -> float:
    return sum(_cpu_of_stat(Path(f"/proc/{process.pid}/stat")) for process in processes)


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
        print(
            f"  heartbeat ack       p50 {quantile(latencies, 0.5) * 1000:.1f} ms"
            f"   p99 {quantile(latencies, 0.99) * 1000:.1f} ms   max {latencies[-1] * 1000:.1f} ms"
        )


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
_INGEST, _IDLE = IngestPlan(), IdlePlan()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("link benchmarks (scripts/bench_link.py)")
    group.add_argument("--link", default=",".join(BENCHMARKS), help="which, comma-separated")
    group.add_argument("--gateways", type=int, default=_INGEST.gateways, help="hub-ingest")
    group.add_argument("--window", type=int, default=_INGEST.window, help="unacked per gateway")
    group.add_argument("--duration", type=float, default=_INGEST.duration, help="measured s")
    group.add_argument("--warmup", type=float, default=_INGEST.warmup)
    group.add_argument("--load-processes", type=int, default=_INGEST.processes)
    group.add_argument("--idle-gateways", type=int, default=_IDLE.gateways)
    group.add_argument("--idle-measure", type=float, default=_IDLE.measure)
    group.add_argument("--idle-processes", type=int, default=_IDLE.processes)
    group.add_argument("--link-loss-gateways", type=int, default=3, help="killed in parallel")
    group.add_argument("--profile-hub", action="store_true", help="cProfile the ingest hub")


def run(args: argparse.Namespace) -> None:
    chosen = {name.strip() for name in args.link.split(",") if name.strip()}
    unknown = chosen - set(BENCHMARKS)
    if unknown:
        raise SystemExit(f"unknown link benchmark(s): {', '.join(sorted(unknown))}")
    if "ingest" in chosen:
        _run_ingest(args)
    if "idle" in chosen:
        print()
        plan = IdlePlan(
            gateways=args.idle_gateways, measure=args.idle_measure, processes=args.idle_processes
        )
        print_idle(hub_idle(plan))
    if "link-loss" in chosen:
        print()
        print_link_loss(link_loss(args.link_loss_gateways))


def _run_ingest(args: argparse.Namespace) -> None:
    plan = IngestPlan(
        gateways=args.gateways,
        window=args.window,
        warmup=args.warmup,
        duration=args.duration,
        processes=args.load_processes,
    )
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        profile = str(Path(tmp) / "hub.prof") if args.profile_hub else None
        print_ingest(hub_ingest(plan, profile=profile))
        if profile:
            print_profile(profile)


def main() -> None:
    if sys.argv[1:2] == ["_hub"]:
        raise SystemExit(serve_hub(sys.argv[2:]))
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    add_arguments(parser)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
