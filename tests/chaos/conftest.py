"""Chaos rig: a real hub process and real gateway processes on 127.0.0.1, killed at will.

Nothing here runs the hub or the link in the test process: the hub is `python -m hub`, the
gateway is `tests/chaos/gateway_process.py` (a `HubLink` over a durable outbox). The test
process only prepares files, sends signals and reads the hub's SQLite file read-only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.link.outbox import Outbox, OutboxMessage
from gateway.protocol import MessageType
from gateway.ulid import new_ulid
from hub.app import DATABASE_FILE
from hub.core.storage import HubStore
from hub.infra.keys import METRICS_TOKEN_FILE

from .gateway_process import CLOCK_OFFSET, DRAINED, QUEUED, VITAL, vital_body

ROOT = Path(__file__).resolve().parents[2]
GATEWAY_SCRIPT = Path(__file__).with_name("gateway_process.py")
POLL = 0.02  # seconds between checks of a condition
START_TIMEOUT = 20.0  # a process start on a loaded 2-core machine
DRAIN_TIMEOUT = 60.0
# Loopback only: never through an HTTP proxy named in the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    """A port nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(
    condition: Callable[[], bool],
    what: str,
    timeout: float,
    diagnostics: Callable[[], str] = lambda: "",
) -> None:
    """Poll `condition` until it holds; fail naming `what` (and the diagnostics) on timeout."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout:.0f} s waiting for {what}\n{diagnostics()}"
            )
        time.sleep(POLL)


def _tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"({path.name}: no output)"
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return f"--- last lines of {path.name} ---\n" + "\n".join(text)


def _kill(process: subprocess.Popen[bytes] | None) -> None:
    """SIGKILL one process we started (by its own pid) and reap it."""
    if process is not None and process.poll() is None:
        process.send_signal(signal.SIGKILL)
    if process is not None:
        process.wait(timeout=10)


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


class HubProcess:
    """`python -m hub` on a fixed data directory and port, started and SIGKILLed at will."""

    def __init__(self, data_dir: Path, log: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.log = log
        self.starts = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database(self) -> Path:
        return self.data_dir / DATABASE_FILE

    def enrollment_code(self) -> str:
        """A household and a one-time code for its gateway, written while the hub is down."""
        assert self._process is None or self._process.poll() is not None, "hub is running"
        store = HubStore(self.database)
        try:
            household = store.create_household("Chaos household", "1 Loopback Road")
            return store.mint_enrollment_code(household.id)
        finally:
            store.close()

    def start(self) -> None:
        """Start on the same data directory and port, and wait until it answers HTTP."""
        assert self._process is None or self._process.poll() is not None, "hub is running"
        self.starts += 1
        with self.log.open("ab") as log:
            log.write(f"=== hub start #{self.starts} ===\n".encode())
            log.flush()
            self._process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "hub", "--data", str(self.data_dir)),
                    *("--host", "127.0.0.1", "--port", str(self.port)),
                ],
                cwd=ROOT,
                env=_child_env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(self._answers, "the hub to answer GET /login", START_TIMEOUT, self.diagnostics)

    def _answers(self) -> bool:
        assert self._process is not None
        if self._process.poll() is not None:
            raise AssertionError(f"the hub exited ({self._process.returncode})\n{_tail(self.log)}")
        try:
            with _DIRECT.open(f"{self.url}/login", timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def rejections(self, reason: str) -> int:
        """Frames this hub process rejected for `reason`, from its GET /metrics."""
        token = (self.data_dir / METRICS_TOKEN_FILE).read_text().strip()
        request = urllib.request.Request(
            f"{self.url}/metrics", headers={"Authorization": f"Bearer {token}"}
        )
        with _DIRECT.open(request, timeout=5) as response:
            text = response.read().decode()
        prefix = f'eldercare_hub_rejections_total{{reason="{reason}"}} '
        values = [
            line.removeprefix(prefix) for line in text.splitlines() if line.startswith(prefix)
        ]
        return int(values[0]) if values else 0

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, the SQLite WAL stays as it was."""
        _kill(self._process)

    def diagnostics(self) -> str:
        return _tail(self.log)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass(frozen=True, slots=True)
class Queued:
    """An alarm the gateway reported durable: its message id and its alarm id."""

    message_id: str
    alarm_id: str


class GatewayRun:
    """One run of gateway_process.py; its stdout goes to a file so a kill loses no line."""

    def __init__(self, name: str, args: list[str], stdout: Path, stderr: Path) -> None:
        self.name = name
        self.stdout = stdout
        self.stderr = stderr
        with stdout.open("wb") as out, stderr.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, str(GATEWAY_SCRIPT), *args],
                cwd=ROOT,
                env=_child_env(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )

    def _lines(self) -> list[list[str]]:
        text = self.stdout.read_text()
        complete = text if text.endswith("\n") else text[: text.rfind("\n") + 1]
        return [line.split() for line in complete.splitlines() if line.strip()]

    def queued(self) -> list[Queued]:
        """Alarms this run printed as durable, in order."""
        return [Queued(words[1], words[2]) for words in self._lines() if words[0] == QUEUED]

    def vitals(self) -> list[str]:
        """Vital message ids this run printed as durable."""
        return [words[1] for words in self._lines() if words[0] == VITAL]

    def drained(self) -> bool:
        return any(words == [DRAINED] for words in self._lines())

    def clock_offset(self) -> float:
        """The link's clock correction when the outbox was empty (seconds)."""
        offsets = [float(words[1]) for words in self._lines() if words[0] == CLOCK_OFFSET]
        assert offsets, f"{self.name} printed no {CLOCK_OFFSET}"
        return offsets[-1]

    def wait_queued(self, count: int, timeout: float = START_TIMEOUT) -> None:
        wait_for(
            lambda: self._alive_or_done() and len(self.queued()) >= count,
            f"{self.name} to queue {count} alarms",
            timeout,
            self.diagnostics,
        )

    def wait_drained(self, timeout: float = DRAIN_TIMEOUT) -> None:
        """Until the run printed DRAINED and exited 0."""
        wait_for(
            lambda: self._alive_or_done() and self.process.poll() is not None,
            f"{self.name} to drain its outbox and exit",
            timeout,
            self.diagnostics,
        )
        assert self.process.returncode == 0, self.diagnostics()
        assert self.drained(), self.diagnostics()

    def link_failures(self) -> int:
        """Connection attempts the link logged as failed."""
        return self.stderr.read_text(errors="replace").count("Hub link to ")

    def _alive_or_done(self) -> bool:
        code = self.process.poll()
        if code not in (None, 0):
            raise AssertionError(f"{self.name} exited with {code}\n{self.diagnostics()}")
        return True

    def kill(self) -> None:
        _kill(self.process)

    def diagnostics(self) -> str:
        return f"{_tail(self.stdout, 5)}\n{_tail(self.stderr)}"


class GatewayProcess:
    """One gateway identity (credentials file + outbox file) run as a process, many times."""

    def __init__(self, workdir: Path, hub_url: str) -> None:
        self.workdir = workdir
        self.hub_url = hub_url
        self.credentials = workdir / "gateway-credentials.json"
        self.outbox = workdir / "gateway-outbox.sqlite3"
        self.runs: list[GatewayRun] = []

    def start(
        self,
        alarms: int = 0,
        *,
        enroll_code: str | None = None,
        send_interval: float = 0.0,
        vitals_per_alarm: int = 0,
        clock_offset_seconds: float = 0.0,
        process_clock_skew_seconds: float = 0.0,
        vital_cap: int | None = None,
    ) -> GatewayRun:
        args = [
            "--credentials",
            str(self.credentials),
            "--outbox",
            str(self.outbox),
            "--hub",
            self.hub_url,
            "--alarms",
            str(alarms),
            "--send-interval",
            str(send_interval),
            "--vitals-per-alarm",
            str(vitals_per_alarm),
            "--clock-offset-seconds",
            str(clock_offset_seconds),
            "--process-clock-skew-seconds",
            str(process_clock_skew_seconds),
        ]
        if enroll_code is not None:
            args += ["--enroll-code", enroll_code]
        if vital_cap is not None:
            args += ["--vital-cap", str(vital_cap)]
        number = len(self.runs) + 1
        run = GatewayRun(
            f"gateway run #{number}",
            args,
            self.workdir / f"gateway-{number}.out",
            self.workdir / f"gateway-{number}.err",
        )
        self.runs.append(run)
        return run

    def queued(self) -> list[Queued]:
        """Every alarm any run printed as durable."""
        return [queued for run in self.runs for queued in run.queued()]

    def prefill(self, messages: Iterable[OutboxMessage], vital_cap: int) -> None:
        """Queue messages straight into the outbox file while no run has it open."""
        assert all(run.process.poll() is not None for run in self.runs), "a run owns the outbox"
        with Outbox(self.outbox, vital_cap=vital_cap) as outbox:
            outbox.put_many(messages)

    def outbox_depth(self) -> int:
        """Queued messages, read-only (a running gateway may have the file open)."""
        if not self.outbox.exists():
            return 0
        with _read_only(self.outbox) as db:
            return int(db.execute("SELECT count(*) FROM messages").fetchone()[0])

    def kill_all(self) -> None:
        for run in self.runs:
            run.kill()


def _read_only(path: Path) -> contextlib.closing[sqlite3.Connection]:
    """A read-only SQLite connection, closed on exit (sqlite3's own `with` only commits)."""
    return contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True))


def vital_messages(count: int) -> list[OutboxMessage]:
    """`count` vital observations as the gateway would have queued them, oldest first: one
    reading a second, so each is a reading of its own (the hub stores a repeated identical
    reading once)."""
    now = datetime.now(UTC)
    return [
        OutboxMessage(
            new_ulid(), MessageType.VITAL.value, vital_body(now - timedelta(seconds=count - n)), now
        )
        for n in range(count)
    ]


@dataclass(frozen=True)
class HubRecord:
    """What the hub's database holds, read read-only from its SQLite file."""

    alarm_messages: dict[str, str]  # accepted alarm.raised message id -> received_at
    alarm_message_rows: int
    alarms: dict[str, int]  # alarm row id -> count (kind sos: the gateway's alarms)
    aliases: dict[str, str]  # gateway alarm id merged into an alarm row -> that row's id
    alias_rows: int
    raise_events: int  # 'raised' + 'repeated' events of those alarms
    vitals: dict[str, str]  # vital message id -> received_at
    vital_rows: int

    @classmethod
    def read(cls, database: Path) -> HubRecord:
        with _read_only(database) as db:
            alarm_messages = db.execute(
                "SELECT id, received_at FROM messages WHERE type = 'alarm.raised'"
            ).fetchall()
            alarms = db.execute("SELECT id, count FROM alarms WHERE kind = 'sos'").fetchall()
            aliases = db.execute("SELECT id, alarm_id FROM alarm_aliases").fetchall()
            raise_events = db.execute(
                "SELECT count(*) FROM alarm_events e JOIN alarms a ON a.id = e.alarm_id"
                " WHERE a.kind = 'sos' AND e.action IN ('raised', 'repeated')"
            ).fetchone()[0]
            vitals = db.execute("SELECT id, received_at FROM vitals").fetchall()
        return cls(
            alarm_messages=dict(alarm_messages),
            alarm_message_rows=len(alarm_messages),
            alarms=dict(alarms),
            aliases=dict(aliases),
            alias_rows=len(aliases),
            raise_events=int(raise_events),
            vitals=dict(vitals),
            vital_rows=len(vitals),
        )

    @property
    def alarm_ids(self) -> list[str]:
        """Every gateway-side alarm id the hub knows: its own rows and the merged ones."""
        return [*self.alarms, *self.aliases]


def alarm_messages_at_hub(database: Path) -> int:
    """Accepted alarm.raised messages so far (safe to call while the hub runs)."""
    with _read_only(database) as db:
        return int(
            db.execute("SELECT count(*) FROM messages WHERE type = 'alarm.raised'").fetchone()[0]
        )


def assert_alarms_exactly_once(
    record: HubRecord, queued: list[Queued], unprinted_allowed: int = 0
) -> None:
    """Every alarm the gateway reported durable is at the hub exactly once, nothing else is
    there but at most `unprinted_allowed` alarms a kill caught between commit and print."""
    printed = {q.message_id for q in queued}
    assert len(printed) == len(queued), "the gateway minted a message id twice"
    lost = printed - record.alarm_messages.keys()
    assert not lost, f"{len(lost)} durable alarms never reached the hub, e.g. {sorted(lost)[:3]}"
    unprinted = record.alarm_messages.keys() - printed
    assert len(unprinted) <= unprinted_allowed, (
        f"{len(unprinted)} alarms at the hub the gateway never queued durably"
    )
    # One row per message id (the primary key makes this hold; checked in case it changes).
    assert record.alarm_message_rows == len(record.alarm_messages)
    # The alarm ids: every durable one present, none twice, one per accepted message.
    alarm_ids = record.alarm_ids
    assert len(alarm_ids) == len(set(alarm_ids)), "an alarm id is both a row and an alias"
    assert record.alias_rows == len(record.aliases)
    missing = {q.alarm_id for q in queued} - set(alarm_ids)
    assert not missing, f"{len(missing)} durable alarm ids unknown at the hub"
    assert len(alarm_ids) == len(record.alarm_messages), "alarm ids and messages disagree"
    # Counted once each on the dispatch screen, and logged once each.
    assert sum(record.alarms.values()) == len(record.alarm_messages), (
        f"alarm counts add up to {sum(record.alarms.values())}"
        f" for {len(record.alarm_messages)} alarms"
    )
    assert record.raise_events == len(record.alarm_messages)


def assert_vitals_exactly_once(record: HubRecord, vital_ids: Iterable[str]) -> None:
    expected = set(vital_ids)
    assert record.vital_rows == len(record.vitals)
    lost = expected - record.vitals.keys()
    assert not lost, f"{len(lost)} vitals never reached the hub"
    assert record.vitals.keys() == expected, "the hub holds vitals nobody queued"


@dataclass
class ChaosRig:
    """A running hub with one enrolled gateway (not running) and their files."""

    workdir: Path
    hub: HubProcess
    gateway: GatewayProcess

    def record(self) -> HubRecord:
        return HubRecord.read(self.hub.database)

    def alarms_at_hub(self) -> int:
        return alarm_messages_at_hub(self.hub.database)


@pytest.fixture
def chaos(tmp_path: Path, socket_enabled: None) -> Iterator[ChaosRig]:
    """A hub process with a household, and a gateway enrolled through its real HTTP API.

    Every process any test starts from here is SIGKILLed and reaped at the end."""
    # socket_enabled: pytest-socket (HA's harness) blocks sockets; the probes stay on loopback.
    hub = HubProcess(tmp_path / "hub-data", tmp_path / "hub.log")
    gateway = GatewayProcess(tmp_path, hub.url)
    rig = ChaosRig(tmp_path, hub, gateway)
    try:
        code = hub.enrollment_code()
        hub.start()
        enrollment = gateway.start(enroll_code=code)
        enrollment.wait_drained(START_TIMEOUT)
        assert gateway.credentials.exists()
        yield rig
    finally:
        gateway.kill_all()
        hub.kill()
