"""Back up and restore the hub's database while the hub runs.

Why SQLite's online backup API and not `cp`: the hub runs in WAL mode, so committed alarms may
sit in `hub.sqlite3-wal` and a checkpoint may be half-way through the main file; a file copy
can miss the first and tear on the second. `Connection.backup` copies pages from a read
snapshot of its own connection (the hub keeps writing meanwhile), in one step, so the copy is
exactly the database as of one commit.

backup: into a private temp file beside OUT_FILE, switched to a self-contained rollback-journal
file, `PRAGMA integrity_check`ed, then renamed into place (never half a backup under the name).

restore: the operator's file is never opened by SQLite, and the live database is not touched
until everything checked out. The file is copied to a staging file in the data directory,
checked there (a SQLite file, integrity ok, our tables, a schema no newer than this code),
migrated there if older, and marked (below). Then a safety copy of the live database is taken
with the backup API (`hub.sqlite3.before-restore-<UTC time>`), and the staged database is
copied into the live file with the backup API too: SQLite holds the live file's write lock for
the whole copy, so a running hub reads either the old database or the restored one, never a
mix, and the copy bumps the schema cookie, so its connection re-reads the schema. Writes the
hub commits between the safety copy and the restore (milliseconds) are in neither.

How a running hub notices a restore: the staged copy gets an audit row (subject `database`,
action `restore`, a fresh ULID in its detail), so the marker arrives in the same commit as the
data, and the audit trail says who replaced the data when. `watch_restores` looks up the newest
such row once a second (an index lookup). Comparing counts or max ids would not do: an older
backup can have the same numbers with other content, and `PRAGMA user_version` is the schema's.
On a new marker the hub treats the restore like its own restart: cached gateways are dropped
already (`HubStore.notice_other_writers` sees the foreign commit), link supervision is reloaded
from the restored database, and every open WebSocket is closed with 1012 (service restart).
Dispatch screens reconnect by themselves and get a fresh snapshot, so they show the restored
queue without a reload; gateways reconnect and get their pending steps and config as restored
(one enrolled after the backup is refused as unknown: after the restore it is).
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from gateway.alarms import utc_iso
from gateway.ulid import new_ulid

from .audit import AuditAction
from .schema import MIGRATIONS, migrate, schema_version

SQLITE_MAGIC = b"SQLite format 3\x00"
# Tables every schema version has: a SQLite file without them is not a hub's database.
HUB_TABLES = frozenset({"households", "gateways", "alarms", "alarm_events"})
# The marker row (see the module docstring).
RESTORE_SUBJECT = "database"
RESTORE_ACTION = AuditAction.RESTORE
LOCK_TIMEOUT = 30.0  # s: how long the restore waits for the running hub's write lock


class BackupError(Exception):
    """A refusal to print for the operator; the live database is unchanged."""


@dataclass(frozen=True, slots=True)
class Summary:
    """What a database file holds, for the operator to check at a glance."""

    schema: int
    households: int
    alarms: int
    vitals: int
    size: int

    def text(self) -> str:
        return (
            f"schema {self.schema}, {self.households} households, {self.alarms} alarms,"
            f" {self.vitals} vitals, {_size(self.size)}"
        )


@dataclass(frozen=True, slots=True)
class Restored:
    found_schema: int  # the backup's; the live database is at summary.schema now
    summary: Summary
    safety_copy: Path | None  # None: there was no database before


# The shell commands


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup_ = commands.add_parser(
        "backup", help="copy the database to a file (consistent while the hub runs)"
    )
    backup_.add_argument("out_file", type=Path, metavar="OUT_FILE")
    backup_.add_argument("--force", action="store_true", help="replace OUT_FILE if it exists")
    _data_option(backup_)
    restore_ = commands.add_parser(
        "restore", help="replace the database with a backup (a running hub follows)"
    )
    restore_.add_argument("backup_file", type=Path, metavar="BACKUP_FILE")
    _data_option(restore_)


def _data_option(parser: argparse.ArgumentParser) -> None:
    """`--data` after the command too; SUPPRESS keeps the one given before it otherwise."""
    parser.add_argument("--data", type=Path, default=argparse.SUPPRESS, help="data directory")


def run(database: Path, args: argparse.Namespace) -> str:
    """The line to print for `backup` / `restore`; BackupError for a refusal."""
    try:
        return _run(database, args)
    except OSError as err:  # a missing directory, no permission, a full disk
        raise BackupError(str(err)) from err


def _run(database: Path, args: argparse.Namespace) -> str:
    if args.command == "backup":
        summary = backup(database, args.out_file, force=args.force)
        return f"Backup {args.out_file}: {summary.text()}; integrity ok."
    restored = restore(database, args.backup_file)
    found, summary = restored.found_schema, restored.summary
    migrated = f" (its schema {found}, migrated)" if found < summary.schema else ""
    kept = (
        f"The database before the restore is kept in {restored.safety_copy}."
        if restored.safety_copy
        else "There was no database before."
    )
    return (
        f"Restored {args.backup_file}{migrated}: {summary.text()}. {kept}"
        " A running hub follows within a second; open screens reconnect."
    )


# Backup


def backup(database: Path, out: Path, *, force: bool = False) -> Summary:
    if not database.is_file():
        raise BackupError(f"No hub database at {database}; check --data.")
    if out.exists() and not force:
        raise BackupError(f"{out} exists; pass --force to replace it.")
    if not out.parent.is_dir():
        raise BackupError(f"No directory {out.parent} to write the backup into.")
    with _temporary(out.parent, f".{out.name}.") as partial:
        _copy(database, partial, what="reading the database")
        summary = _inspect(partial, label=str(database))
        _publish(partial, out, force=force)
    return summary


def _publish(partial: Path, out: Path, *, force: bool) -> None:
    """Rename into place atomically; without `force`, never over a file that appeared."""
    if force:
        partial.replace(out)
    else:
        try:
            os.link(partial, out)  # fails if `out` exists, atomically
        except FileExistsError as err:
            raise BackupError(f"{out} exists; pass --force to replace it.") from err
        except OSError:  # a file system without hard links
            if out.exists():
                raise BackupError(f"{out} exists; pass --force to replace it.") from None
            partial.replace(out)
    with contextlib.suppress(OSError):  # make the rename itself durable (POSIX)
        directory = os.open(out.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


# Restore


def restore(database: Path, source: Path, *, now: datetime | None = None) -> Restored:
    moment = now or datetime.now(UTC)
    if not source.is_file():
        raise BackupError(f"No backup file {source}.")
    with source.open("rb") as file:
        if file.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise BackupError(f"{source} is not a SQLite database (not a hub backup).")
    database.parent.mkdir(parents=True, exist_ok=True)
    with _temporary(database.parent, f"{database.name}.restoring-") as staged:
        shutil.copyfile(source, staged)
        found = _prepare(staged, source, moment)
        summary = _inspect(staged, label=str(source), check=False)  # _prepare checked it
        safety = _safety_copy(database, moment) if database.exists() else None
        _copy(staged, database, what="copying the backup into the database")
    return Restored(found, summary, safety)


def _prepare(staged: Path, source: Path, moment: datetime) -> int:
    """Check the staged copy, bring it to this code's schema and mark it; its old version."""
    target = len(MIGRATIONS)
    with _connection(staged) as db:
        try:
            db.execute("PRAGMA journal_mode=DELETE")  # no -wal beside a staging file
            _check_integrity(db, str(source))
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            found = schema_version(db)
        except sqlite3.DatabaseError as err:
            raise BackupError(f"{source} is not a usable SQLite database: {err}.") from err
        if found < 1 or not tables >= HUB_TABLES:
            raise BackupError(f"{source} is a SQLite database, but not a hub's.")
        if found > target:
            raise BackupError(
                f"{source} has schema {found}, newer than this hub's {target}:"
                " restore it with the hub version that wrote it, or upgrade this hub first."
            )
        try:
            migrate(db)
            db.execute(
                "INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
                [
                    utc_iso(moment),
                    _operator(),
                    RESTORE_ACTION,
                    RESTORE_SUBJECT,
                    f"restore {new_ulid()} from {source.name} (schema {found} -> {target})",
                ],
            )
        except sqlite3.Error as err:
            raise BackupError(f"Bringing {source} to schema {target} failed: {err}.") from err
    return found


def _safety_copy(database: Path, moment: datetime) -> Path:
    """The live database as it is now, beside it, readable only by this user."""
    stamp = moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    for attempt in range(100):
        name = f"{database.name}.before-restore-{stamp}" + (f"-{attempt}" if attempt else "")
        path = database.with_name(name)
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            continue
        try:
            _copy(database, path, what="the safety copy of the current database")
        except BaseException:
            _remove(path)
            raise
        return path
    raise BackupError(f"Too many safety copies named {database.name}.before-restore-{stamp}.")


# Helpers


def _copy(source: Path, target: Path, *, what: str) -> None:
    """Online backup of `source` into `target` in one step; a self-contained file unless
    `target` is a live database in WAL mode (then it stays one)."""
    try:
        with _connection(source) as src, _connection(target, timeout=LOCK_TIMEOUT) as dst:
            wal = dst.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            src.backup(dst)
            if not wal:
                dst.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as err:
        raise BackupError(f"SQLite failed {what}: {err}.") from err


def _inspect(path: Path, *, label: str, check: bool = True) -> Summary:
    """Integrity-check a database file and count what the operator recognizes."""
    with _connection(path) as db:
        try:
            if check:
                _check_integrity(db, label)
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            counts = {
                table: int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608
                for table in ("households", "alarms", "vitals")
                if table in tables
            }
            schema = schema_version(db)
        except sqlite3.DatabaseError as err:
            raise BackupError(f"{label} is not a usable SQLite database: {err}.") from err
    return Summary(
        schema=schema,
        households=counts.get("households", 0),
        alarms=counts.get("alarms", 0),
        vitals=counts.get("vitals", 0),
        size=path.stat().st_size,
    )


def _check_integrity(db: sqlite3.Connection, label: str) -> None:
    problems = [str(row[0]) for row in db.execute("PRAGMA integrity_check(5)")]
    if problems != ["ok"]:
        raise BackupError(f"{label} failed SQLite's integrity check: {'; '.join(problems)}.")


@contextlib.contextmanager
def _connection(path: Path, timeout: float = 5.0) -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    try:
        yield db
    finally:
        db.close()


@contextlib.contextmanager
def _temporary(directory: Path, prefix: str) -> Iterator[Path]:
    """A private (0600: the database holds medical details) empty file, removed afterwards
    with its SQLite side files unless renamed away."""
    handle, name = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=directory)
    os.close(handle)
    path = Path(name)
    try:
        yield path
    finally:
        _remove(path)


def _remove(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _operator() -> str:
    try:
        return f"shell:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in this environment
        return "shell"


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    scaled = size / 1024
    for unit in ("KiB", "MiB"):
        if scaled < 1024:
            return f"{scaled:.1f} {unit}"
        scaled /= 1024
    return f"{scaled:.1f} GiB"
