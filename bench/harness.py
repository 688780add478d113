"""The hub under benchmark: `python -m hub` in a process of its own on 127.0.0.1, its data
folder prepared before it starts and read after it stopped, and the read-only routes the
benchmarks add to it. Every import of the hub's modules in bench/ is in this file.

The hub runs as `python -m bench.harness FLAVOUR ARGS`:
  hub          `python -m hub ARGS` plus GET /_bench/stats (group commits so far, links); its
               imports add a few MB to the hub's RSS. With BENCH_HUB_PROFILE=PATH it also writes
               cProfile data of the hub (all threads) to PATH.
  stamped-hub  the same, and it notes when each alarm.raised's group commit returned (on the
               database thread, before its handler is woken), when the alarm was published to
               the screens, its event loop's lags and its garbage collections
               (GET /_bench/dispatch-stamps, read once at the end by dispatch-live).
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import gc
import io
import json
import os
import pstats
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Self, cast

from aiohttp import web

import hub.__main__ as hub_cli
from hub import app as hub_app
from hub.app import DATABASE_FILE
from hub.core import live
from hub.core.context import HUB_CONTEXT
from hub.core.storage import HubStore
from hub.desk.screen import DISPATCH_LIVE_PATH
from hub.gateways.link_watch import CHECK_PERIOD
from hub.infra import db_thread
from hub.infra.passwords import hash_password
from hub.policy import Role, public
from hub.web.access import SESSION_COOKIE
from provisioning import keys

from .sampling import ProcSample, sample_process

__all__ = [
    "CHECK_PERIOD",
    "DISPATCHER",
    "DISPATCH_LIVE_PATH",
    "SESSION_COOKIE",
    "BenchGateway",
    "HubProcess",
    "add_dispatcher",
    "add_panels",
    "count_rows",
    "dispatcher_sessions",
    "free_port",
    "hub_database",
    "insert_gateways",
    "mint_codes",
    "print_profile",
]

ROOT = Path(__file__).resolve().parent.parent
STATS_PATH = "/_bench/stats"
STAMPS_PATH = "/_bench/dispatch-stamps"
PROFILE_ENV = "BENCH_HUB_PROFILE"
DISPATCHER = ("bench-dispatcher", "bench dispatcher password")


class Flavour(StrEnum):
    """Which hub `python -m bench.harness` serves."""

    HUB = "hub"
    STAMPED = "stamped-hub"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# ---------------------------------------------------------------------------------------------
# The hub process, from the benchmark's side


class HubProcess:
    """A hub subprocess on a free loopback port; always stopped on exit (SIGTERM, then KILL)."""

    def __init__(
        self,
        data: Path,
        *,
        heartbeat: int | None = None,
        profile: str | None = None,
        extra_args: tuple[str, ...] = (),
        flavour: Flavour = Flavour.HUB,
    ) -> None:
        self.data = data
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._heartbeat = heartbeat
        self._profile = profile
        self._extra_args = extra_args  # more `python -m hub` flags (the DC-09 listener)
        self._flavour = flavour
        self._process: subprocess.Popen[bytes] | None = None
        self._log_path = data / "hub.log"

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def __enter__(self) -> Self:
        command = [sys.executable, "-m", "bench.harness", self._flavour.value]
        command += ["--data", str(self.data), "--port", str(self.port)]
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

    def _get(self, path: str, timeout: float) -> dict[str, Any]:
        url = self.url + path
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback URL we built)
            return cast(dict[str, Any], json.load(response))

    def stats(self, timeout: float = 30) -> dict[str, Any]:
        """commits: group commits so far (None: not readable), connections, rejections."""
        return self._get(STATS_PATH, timeout)

    def stamps(self) -> dict[str, Any]:
        """Of the stamped hub: committed: message id -> moment, published: "alarm id/count" ->
        moment, loop_lags and gc_pauses: [moment, seconds]."""
        return self._get(STAMPS_PATH, 30)

    def sample(self) -> ProcSample:
        return sample_process(self.pid)

    def log_tail(self, lines: int = 30, *, access_log: bool = True) -> str:
        with contextlib.suppress(OSError):
            kept = self._log_path.read_text(errors="replace").splitlines()
            if not access_log:
                kept = [line for line in kept if '"aiohttp.access"' not in line]
            return "\n".join(kept[-lines:])
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


def print_profile(path: str, top: int = 25) -> None:
    """The profile the hub wrote (BENCH_HUB_PROFILE) when it stopped: the hub's own time by
    function, then its code by cumulative time."""
    if not Path(path).exists():
        print(f"  (no profile at {path})")
        return
    stats = pstats.Stats(path, stream=sys.stdout)
    print("\nhub profile (cProfile, all threads; slows the hub down), by own time:")
    stats.sort_stats("tottime").print_stats(top)
    print("hub profile, the hub's and the store's functions by cumulative time:")
    stats.sort_stats("cumulative").print_stats(r"hub/|gateway/protocol|db_thread", top)


# ---------------------------------------------------------------------------------------------
# The data folder: filled before the hub starts, read after it stopped


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


def add_dispatcher(data: Path) -> None:
    """A dispatcher account in the hub's store, for the live feed (before the hub starts)."""
    username, password = DISPATCHER
    with bulk_store(data) as store:
        store.accounts.create_user(
            username, username, Role.DISPATCHER, hash_password(password), now=datetime.now(UTC)
        )


def dispatcher_sessions(data: Path, count: int) -> list[str]:
    """The bench dispatcher account and `count` session tokens of it, made in the store (a
    sign-in over HTTP costs a third of a second of scrypt)."""
    add_dispatcher(data)
    now = datetime.now(UTC)
    with bulk_store(data) as store:
        found = store.accounts.password_hash(DISPATCHER[0])
        assert found is not None
        return [store.accounts.start_session(found[0], now)[0] for _ in range(count)]


def add_panels(data: Path, accounts: dict[str, bytes | None]) -> dict[str, str]:
    """A household per DC-09 panel account and the account mapped to it (`python -m hub
    panel-add`, in this process): account -> household id."""
    with bulk_store(data) as store:
        households = {
            account: store.create_household(f"Panel {account}", "Bench Road").id
            for account in accounts
        }
    for account, key in accounts.items():
        argv = ["--data", str(data), "panel-add", account, households[account]]
        if key is not None:
            argv += ["--key", key.hex()]
        output = io.StringIO()
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            status = hub_cli.main(argv)
        if status != 0:
            raise RuntimeError(f"panel-add {account} failed: {output.getvalue().strip()}")
    gc.collect()  # close the stores the CLI opened
    return households


@contextlib.contextmanager
def hub_database(data: Path) -> Iterator[sqlite3.Connection]:
    """The hub's SQLite file, read-only, after the hub stopped."""
    uri = f"file:{data / DATABASE_FILE}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as connection:
        yield connection


def count_rows(data: Path, sql: str) -> int:
    with hub_database(data) as connection:
        return int(connection.execute(sql).fetchone()[0])


# ---------------------------------------------------------------------------------------------
# Inside the hub process


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


_COMMITTED: dict[str, float] = {}  # alarm.raised message id -> monotonic
_PUBLISHED: dict[str, float] = {}  # "alarm id/count" -> monotonic
_LOOP_LAGS: list[tuple[float, float]] = []  # (monotonic, s) the event loop was late
_GC_PAUSES: list[tuple[float, float]] = []  # (monotonic, s) of a collection
STALL = 0.010  # s late: worth recording (loop lag, a sleeping probe's wake-up)
GC_PAUSE = 0.005  # s
PROBE_SLEEP = 0.010  # s


class _CommitStamps:
    """The database thread's connection, noting when its COMMIT returned: that is before the
    thread hands the results to the event loop (whose handlers then publish and ack at once,
    often before the database thread runs again)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self.committed = 0.0

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        cursor = self._connection.execute(sql, *args)
        if sql == "COMMIT":
            self.committed = time.monotonic()
        return cursor

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


def serve_stamped_hub(argv: list[str]) -> int:
    """serve_hub, and: each alarm.raised's commit (stamped on the database thread as soon as its
    group commit returned, before its handler is woken) and its publish to the screens, both
    time.monotonic() like every process here; read at the end from STAMPS_PATH."""
    init, run_batch = db_thread.DatabaseThread.__init__, db_thread.DatabaseThread._run_batch

    def stamped_init(
        self: db_thread.DatabaseThread,
        connection: sqlite3.Connection,
        watch: Callable[[], object] | None = None,
    ) -> None:
        init(self, cast(sqlite3.Connection, _CommitStamps(connection)), watch)

    def stamped_batch(self: db_thread.DatabaseThread, batch: list[Any]) -> None:
        run_batch(self, batch)
        committed = cast(_CommitStamps, self._connection).committed
        for job in batch:
            # The hub passes the store's method wrapped (functools.partial: held_for=...).
            function = getattr(job.function, "func", job.function)
            if getattr(function, "__name__", "") == "record_alarm_raised":
                _COMMITTED[job.args[1]] = committed  # (gateway, message id, body, now)

    publish = live.LiveFeed.publish

    def stamped_publish(self: live.LiveFeed, message: dict[str, Any]) -> None:
        alarm = message.get("alarm")
        if message.get("type") == "alarm" and isinstance(alarm, dict):
            _PUBLISHED.setdefault(f"{alarm['id']}/{alarm['count']}", time.monotonic())
        publish(self, message)

    create_app = hub_app.create_app

    def create_stamped_app(*args: Any, **kwargs: Any) -> web.Application:
        app = create_app(*args, **kwargs)
        app.router.add_get(STAMPS_PATH, _stamps)
        app.cleanup_ctx.append(_watch_loop_lag)
        return app

    gc_started = 0.0

    def gc_pause(phase: str, info: dict[str, Any]) -> None:
        nonlocal gc_started
        now = time.monotonic()
        if phase == "start":
            gc_started = now
        elif now - gc_started >= GC_PAUSE:
            _GC_PAUSES.append((gc_started, now - gc_started))

    gc.callbacks.append(gc_pause)

    db_thread.DatabaseThread.__init__ = stamped_init  # type: ignore[method-assign]
    db_thread.DatabaseThread._run_batch = stamped_batch  # type: ignore[method-assign]
    live.LiveFeed.publish = stamped_publish  # type: ignore[method-assign]
    hub_app.create_app = create_stamped_app  # serve_hub wraps what it finds here
    return serve_hub(argv)


async def _watch_loop_lag(app: web.Application) -> AsyncIterator[None]:
    """A task that sleeps PROBE_SLEEP and notes when it woke STALL late (the event loop was
    busy, or the process was not scheduled)."""

    async def watch() -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(PROBE_SLEEP)
            late = time.monotonic() - before - PROBE_SLEEP
            if late >= STALL:
                _LOOP_LAGS.append((before + PROBE_SLEEP, late))

    task = asyncio.create_task(watch())
    yield
    task.cancel()


@public  # the benchmark's own hub on loopback: timestamps only
async def _stamps(request: web.Request) -> web.Response:
    return web.json_response(
        {
            "committed": _COMMITTED,
            "published": _PUBLISHED,
            "loop_lags": _LOOP_LAGS,
            "gc_pauses": _GC_PAUSES,
        }
    )


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in set(Flavour):
        raise SystemExit(f"usage: python -m bench.harness {{{','.join(Flavour)}}} HUB-ARGS")
    serve = serve_stamped_hub if argv[0] == Flavour.STAMPED else serve_hub
    return serve(argv[1:])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
