"""`python -m hub backup` / `restore` against a real hub that keeps writing, the screens'
resync after a restore, and the refusals that leave the live database alone."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import WSCloseCode, WSMsgType

from gateway.alarms import AlarmKind, RaisedAlarm
from gateway.ulid import new_ulid
from hub.__main__ import main
from hub.app import DATABASE_FILE, open_store
from hub.core.backup import RESTORE_ACTION, RESTORE_SUBJECT
from hub.core.schema import MIGRATIONS, migrate
from hub.core.storage import HubStore
from hub.desk.screen import DISPATCH_LIVE_PATH

from ..conftest import ROOT, RunningHub, cookie_session


def _raise_alarm(store: HubStore) -> str:
    """On the database thread: a new household with its gateway, and an SOS from it."""
    household = store.create_household("Test household", "1 Test Road")
    code = store.mint_enrollment_code(household.id)
    gateway = store.redeem_enrollment_code(code, "KEY", "gw")
    raised = RaisedAlarm.new(AlarmKind.SOS, "button")
    row = store.record_alarm_raised(gateway, new_ulid(), raised, datetime.now(UTC))
    assert row is not None
    return row.id


async def _hub_cli(*args: str) -> tuple[int, str, str]:
    """`python -m hub ARGS` in its own process, as an operator runs it beside the hub."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@contextmanager
def _sqlite(path: Path) -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        yield db


def _ids(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[0] for row in db.execute(f"SELECT id FROM {table}")}


async def test_a_backup_while_the_hub_ingests_is_consistent(
    hub_server: RunningHub, tmp_path: Path
) -> None:
    context = hub_server.context
    committed = [await context.db(_raise_alarm, context.store) for _ in range(20)]
    stop = asyncio.Event()

    async def ingest() -> None:
        while not stop.is_set():
            committed.append(await context.db(_raise_alarm, context.store))

    writer = asyncio.create_task(ingest())
    await asyncio.sleep(0.1)
    before = list(committed)  # every alarm committed before the backup starts
    (tmp_path / "backups").mkdir()
    out = tmp_path / "backups" / "hub.sqlite3"
    code, printed, errors = await _hub_cli("--data", str(hub_server.data_dir), "backup", str(out))
    stop.set()
    await writer
    assert code == 0, errors
    assert len(committed) > len(before) + 10  # the hub went on writing meanwhile
    with _sqlite(out) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file
        stored = _ids(copy, "alarms")
        assert set(before) <= stored
        # One commit's snapshot: every alarm with its household and its first log line.
        orphans = copy.execute(
            "SELECT count(*) FROM alarms a WHERE NOT EXISTS"
            " (SELECT 1 FROM households h WHERE h.id = a.household_id) OR NOT EXISTS"
            " (SELECT 1 FROM alarm_events e WHERE e.alarm_id = a.id)"
        ).fetchone()[0]
        assert orphans == 0
        households = copy.execute("SELECT count(*) FROM households").fetchone()[0]
    assert f"schema {len(MIGRATIONS)}, {households} households, {len(stored)} alarms" in printed
    assert "integrity ok" in printed
    assert out.stat().st_mode & 0o777 == 0o600  # medical details: the operator's eyes only
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temp file left


async def test_restore_into_a_running_hub_resyncs_open_screens(
    hub_server: RunningHub, tmp_path: Path
) -> None:
    context, data = hub_server.context, str(hub_server.data_dir)
    kept = await context.db(_raise_alarm, context.store)
    async with cookie_session() as session:
        await hub_server.sign_in(session)  # before the backup: the session survives it
        out = tmp_path / "backup.sqlite3"
        code, _, errors = await _hub_cli("--data", data, "backup", str(out))
        assert code == 0, errors
        added = await context.db(_raise_alarm, context.store)
        async with session.ws_connect(hub_server.url + DISPATCH_LIVE_PATH) as screen:
            snapshot = await screen.receive_json(timeout=5)
            assert {alarm["id"] for alarm in snapshot["alarms"]} == {kept, added}
            code, printed, errors = await _hub_cli("restore", "--data", data, str(out))
            assert code == 0, errors
            # The hub notices within a second and closes the screen as a restart would.
            message = await screen.receive(timeout=5)
            assert message.type == WSMsgType.CLOSE
            # The code the hub sent. (close_code may read 1006 when the hub drops the
            # connection before the client's closing reply is written: a client-side race.)
            assert message.data == WSCloseCode.SERVICE_RESTART
        async with session.ws_connect(hub_server.url + DISPATCH_LIVE_PATH) as screen:
            snapshot = await screen.receive_json(timeout=5)
            assert [alarm["id"] for alarm in snapshot["alarms"]] == [kept]
    assert [alarm.id for alarm in await hub_server.open_alarms()] == [kept]
    (safety,) = hub_server.data_dir.glob(f"{DATABASE_FILE}.before-restore-*")
    assert str(safety) in printed
    assert safety.stat().st_mode & 0o777 == 0o600
    with _sqlite(safety) as before:
        assert _ids(before, "alarms") == {kept, added}
    # The hub goes on as usual on the restored database, the restore in its audit trail.
    again = await context.db(_raise_alarm, context.store)
    assert {alarm.id for alarm in await hub_server.open_alarms()} == {kept, again}
    entries = await context.db(context.store.audit.entries, RESTORE_SUBJECT)
    assert [entry.action for entry in entries] == [RESTORE_ACTION]
    assert not list(hub_server.data_dir.glob("*.tmp*"))  # the staging file is gone


async def test_an_older_backup_is_migrated_when_restored(
    hub_server: RunningHub, tmp_path: Path
) -> None:
    """A backup of the release before the desk (schema 5) restored into today's hub."""
    old = tmp_path / "schema5.sqlite3"
    with _sqlite(old) as db:
        migrate(db, target=5)
        db.executescript(
            """
            INSERT INTO households VALUES ('H', 'Zhao', 'Unit 4', '2026-11-20T08:00:00.000Z');
            INSERT INTO alarms (id, household_id, gateway_id, kind, severity, status, source,
                occurred_at, received_at, last_seen, count)
                VALUES ('A', 'H', 'G', 'sos', 'critical', 'new', 'button',
                '2026-11-20T09:00:00.000Z', '2026-11-20T09:00:01.000Z',
                '2026-11-20T09:00:01.000Z', 1);
            INSERT INTO alarm_events (alarm_id, at, actor, action, detail)
                VALUES ('A', '2026-11-20T09:00:01.000Z', 'gateway:G', 'raised', '');
            """
        )
    code, printed, errors = await _hub_cli("--data", str(hub_server.data_dir), "restore", str(old))
    assert code == 0, errors
    assert f"(its schema 5, migrated): schema {len(MIGRATIONS)}, 1 households" in printed
    context = hub_server.context
    assert await context.db(lambda: context.store.schema_version) == len(MIGRATIONS)
    assert [alarm.id for alarm in await hub_server.open_alarms()] == ["A"]
    with _sqlite(old) as db:  # the operator's file is read, never changed
        assert db.execute("PRAGMA user_version").fetchone()[0] == 5


# Refusals, on a hub's data directory while the hub is stopped (the file must stay identical)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A hub's data directory with enough rows for several pages."""
    store = open_store(tmp_path / "data")
    with store.db.conn:
        for number in range(400):
            store.create_household(f"Household {number}", f"Building {number}, Unit 1")
    store.close()
    return tmp_path / "data"


def _state(data: Path) -> tuple[list[str], str]:
    """The directory's files and the database's bytes."""
    digest = hashlib.sha256((data / DATABASE_FILE).read_bytes()).hexdigest()
    return sorted(p.name for p in data.iterdir()), digest


def _backup(data: Path, out: Path) -> Path:
    assert main(["--data", str(data), "backup", str(out)]) == 0
    return out


def _garbage(data: Path, path: Path) -> Path:
    path.write_bytes(os.urandom(64 * 1024))
    return path


def _truncated(data: Path, path: Path) -> Path:
    whole = _backup(data, path.with_suffix(".whole")).read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    return path


def _newer(data: Path, path: Path) -> Path:
    with _sqlite(_backup(data, path)) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    return path


def _foreign(data: Path, path: Path) -> Path:
    with _sqlite(path) as db:
        db.execute("CREATE TABLE notes (text TEXT)")
    return path


@pytest.mark.parametrize(
    ("make", "refusal"),
    [
        (_garbage, "is not a SQLite database"),
        (_truncated, "not a usable SQLite database: database disk image is malformed"),
        (_newer, f"newer than this hub's {len(MIGRATIONS)}"),
        (_foreign, "not a hub's"),
    ],
)
def test_a_bad_backup_is_refused_and_the_database_stays(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], make, refusal: str
) -> None:
    bad = make(data, tmp_path / "bad.sqlite3")
    capsys.readouterr()
    before = _state(data)
    assert main(["--data", str(data), "restore", str(bad)]) == 1
    printed = capsys.readouterr()
    assert refusal in printed.err
    assert str(bad) in printed.err
    assert printed.out == ""
    assert _state(data) == before  # no safety copy, no staging file, not a byte changed


def test_backup_refuses_to_overwrite_without_force(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "backup.sqlite3"
    out.write_text("an older backup")
    assert main(["--data", str(data), "backup", str(out)]) == 1
    assert "exists; pass --force" in capsys.readouterr().err
    assert out.read_text() == "an older backup"
    assert main(["backup", "--data", str(data), "--force", str(out)]) == 0
    assert "400 households" in capsys.readouterr().out
    assert main(["--data", str(tmp_path / "nowhere"), "backup", str(tmp_path / "x")]) == 1
    assert "No hub database" in capsys.readouterr().err
    assert not (tmp_path / "nowhere").exists()  # not created by asking


def test_restore_into_an_empty_data_directory(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A new machine: the backup becomes its database; nothing to keep a copy of."""
    out = _backup(data, tmp_path / "backup.sqlite3")
    fresh = tmp_path / "fresh"
    assert main(["--data", str(fresh), "restore", str(out)]) == 0
    assert "There was no database before." in capsys.readouterr().out
    store = open_store(fresh)
    try:
        assert store.db.execute("SELECT count(*) FROM households").fetchone()[0] == 400
    finally:
        store.close()
