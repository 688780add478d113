"""The durable outbox: nothing lost, sent in priority order, thinned only where allowed."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from gateway.link.outbox import (
    SEND_RANK,
    Outbox,
    OutboxCorrupt,
    OutboxMessage,
    Priority,
    priority_of,
)

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "outbox.sqlite3"


@pytest.fixture
def outbox(path: Path) -> Iterator[Outbox]:
    with Outbox(path) as box:
        yield box


def message(id_: str, type_: str, n: int = 0) -> OutboxMessage:
    return OutboxMessage(id_, type_, {"n": n, "note": "跌倒"}, T0 + timedelta(seconds=n))


def ids(messages: list[OutboxMessage]) -> list[str]:
    return [m.id for m in messages]


def test_message_types_map_to_priority_classes() -> None:
    assert priority_of("alarm.raised") == priority_of("alarm.cleared") == Priority.ALARM
    assert priority_of("alarm.event") == Priority.ALARM_EVENT
    assert priority_of("vital") == Priority.VITAL
    assert priority_of("device.status") == priority_of("something.new") == Priority.TELEMETRY
    assert Priority.ALARM > Priority.ALARM_EVENT > Priority.VITAL > Priority.TELEMETRY


def test_put_then_peek_returns_the_message_unchanged(outbox: Outbox) -> None:
    beijing = timezone(timedelta(hours=8))
    created = datetime(2025, 3, 1, 16, 0, 0, 123456, tzinfo=beijing)
    body = {"code": "8867-4", "value": 72, "unit": "/min", "nested": {"ok": True}}
    assert outbox.put("01J0VITAL", "vital", body, created) is True

    (got,) = outbox.peek(10)
    assert got == OutboxMessage("01J0VITAL", "vital", body, created)
    assert got.created_at.tzinfo == UTC
    assert outbox.priority_of(got.type) == Priority.VITAL
    assert outbox.depth() == 1


def test_peek_sends_higher_classes_first_and_oldest_first_within_a_class(outbox: Outbox) -> None:
    for n, (id_, type_) in enumerate(
        [
            ("t1", "device.status"),
            ("v1", "vital"),
            ("e1", "alarm.event"),
            ("a1", "alarm.raised"),
            ("v2", "vital"),
            ("c1", "alarm.cleared"),
            ("t2", "device.status"),
            ("e2", "alarm.event"),
        ]
    ):
        outbox.put(id_, type_, {}, T0 + timedelta(seconds=n))

    assert ids(outbox.peek(100)) == ["a1", "c1", "e1", "e2", "v1", "v2", "t1", "t2"]
    assert ids(outbox.peek(3)) == ["a1", "c1", "e1"]
    assert outbox.depth_by_priority() == {
        Priority.ALARM: 2,
        Priority.ALARM_EVENT: 2,
        Priority.VITAL: 2,
        Priority.TELEMETRY: 2,
        Priority.SERVICE: 0,
    }


def test_peek_skips_messages_in_flight_and_puts_a_new_alarm_first(outbox: Outbox) -> None:
    outbox.put_many([message(f"v{n}", "vital", n) for n in range(5)])
    in_flight = set(ids(outbox.peek(2)))
    assert in_flight == {"v0", "v1"}

    outbox.put("a1", "alarm.raised", {}, T0)
    assert ids(outbox.peek(2, exclude=in_flight)) == ["a1", "v2"]
    # After a reconnect nothing is in flight: everything unacked goes again, in order.
    assert ids(outbox.peek(10)) == ["a1", "v0", "v1", "v2", "v3", "v4"]


def test_duplicate_put_is_ignored_and_keeps_the_first(outbox: Outbox) -> None:
    assert outbox.put("x", "alarm.raised", {"kind": "fall"}, T0) is True
    assert outbox.put("x", "alarm.raised", {"kind": "other"}, T0) is False
    assert outbox.put_many([message("x", "alarm.raised"), message("y", "vital")]) == 1

    assert [(m.id, m.body) for m in outbox.peek(10)] == [
        ("x", {"kind": "fall"}),
        ("y", {"n": 0, "note": "跌倒"}),
    ]


def test_ack_deletes_only_that_message(outbox: Outbox) -> None:
    outbox.put_many([message(f"a{n}", "alarm.raised", n) for n in range(4)])

    assert outbox.ack("a1") is True
    assert outbox.ack("a1") is False  # the hub acked twice
    assert outbox.ack_many(["a0", "a3", "unknown"]) == 2
    assert ids(outbox.peek(10)) == ["a2"]
    assert outbox.depth() == 1


def test_the_kept_count_matches_the_file_through_puts_thinning_acks_and_reopening(
    path: Path,
) -> None:
    with Outbox(path, vital_cap=3) as outbox:
        assert outbox.queued == 0
        outbox.put_many([message(f"v{n}", "vital", n) for n in range(5)])  # 2 thinned
        outbox.put("a1", "alarm.raised", {}, T0)
        assert not outbox.put("a1", "alarm.raised", {}, T0)  # a duplicate adds nothing
        assert outbox.queued == outbox.depth() == 4
        outbox.ack_many(["a1", "v4", "not-queued"])
        assert outbox.queued == outbox.depth() == 2
    with Outbox(path, vital_cap=1) as outbox:  # thinned again on opening
        assert outbox.queued == outbox.depth() == 1


def test_vitals_and_telemetry_are_thinned_oldest_first_alarms_never(path: Path) -> None:
    with Outbox(path, vital_cap=10, telemetry_cap=5) as outbox:
        outbox.put_many([message(f"a{n}", "alarm.raised", n) for n in range(30)])
        outbox.put_many([message(f"e{n}", "alarm.event", n) for n in range(30)])
        for n in range(15):
            outbox.put(f"v{n}", "vital", {}, T0)
        outbox.put_many([message(f"t{n}", "device.status", n) for n in range(8)])

        assert outbox.depth_by_priority() == {
            Priority.ALARM: 30,
            Priority.ALARM_EVENT: 30,
            Priority.VITAL: 10,
            Priority.TELEMETRY: 5,
            Priority.SERVICE: 0,
        }
        sent = ids(outbox.peek(1000))
        assert [i for i in sent if i[0] == "v"] == [f"v{n}" for n in range(5, 15)]
        assert [i for i in sent if i[0] == "t"] == [f"t{n}" for n in range(3, 8)]
        assert outbox.thinned == 8
        assert outbox.thinned_by_priority[Priority.VITAL] == 5
        assert outbox.thinned_by_priority[Priority.TELEMETRY] == 3

    # A lower cap takes effect when the file is opened again.
    with Outbox(path, vital_cap=4) as outbox:
        assert outbox.depth_by_priority()[Priority.VITAL] == 4
        assert outbox.thinned == 6
        assert ids(outbox.peek(1000))[-9:] == [
            "v11",
            "v12",
            "v13",
            "v14",
            *(f"t{n}" for n in range(3, 8)),
        ]


def test_holds_twelve_thousand_messages_fast_and_in_order(path: Path) -> None:
    alarms = [message(f"a{n:05}", "alarm.raised", n) for n in range(7_000)]
    vitals = [message(f"v{n:05}", "vital", n) for n in range(5_000)]
    interleaved = [m for pair in zip(alarms, vitals, strict=False) for m in pair] + alarms[5_000:]

    with Outbox(path) as outbox:
        started = time.perf_counter()
        assert outbox.put_many(interleaved[:10_000]) == 10_000
        assert time.perf_counter() - started < 2.0
        assert outbox.put_many(interleaved[10_000:]) == 2_000

    with Outbox(path) as outbox:
        assert outbox.depth() == 12_000
        assert outbox.depth_by_priority()[Priority.ALARM] == 7_000
        assert outbox.depth_by_priority()[Priority.VITAL] == 5_000
        assert outbox.thinned == 0
        started = time.perf_counter()
        assert ids(outbox.peek(12_000)) == ids(alarms) + ids(vitals)
        in_flight = set(ids(outbox.peek(200)))
        assert ids(outbox.peek(100, exclude=in_flight)) == ids(alarms[200:300])
        assert time.perf_counter() - started < 2.0


def test_reopen_keeps_everything_unacked(path: Path) -> None:
    with Outbox(path) as outbox:
        outbox.put_many([message("a", "alarm.raised", 1), message("v", "vital", 2)])
        outbox.put("t", "device.status", {"battery": 80}, T0)
        before = outbox.peek(10)
        outbox.ack("v")

    with Outbox(path) as outbox:
        assert outbox.peek(10) == [before[0], before[2]]


def test_naive_time_is_refused_and_nothing_is_stored(outbox: Outbox) -> None:
    with pytest.raises(ValueError, match="time zone"):
        outbox.put_many(
            [message("ok", "vital"), OutboxMessage("naive", "vital", {}, datetime(2025, 3, 1))]  # noqa: DTZ001
        )
    assert outbox.depth() == 0


def test_unserialisable_body_is_refused_and_nothing_is_stored(outbox: Outbox) -> None:
    with pytest.raises(TypeError):
        outbox.put("x", "vital", {"when": T0}, T0)
    assert outbox.depth() == 0


_WRITER = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from gateway.link.outbox import Outbox

outbox = Outbox(Path(sys.argv[1]))
prefix = sys.argv[2]
for n in range(1_000_000):
    message_id = f"{prefix}-{n:07}"
    type_ = "alarm.raised" if n % 3 == 0 else "vital"
    outbox.put(message_id, type_, {"n": n}, datetime.now(UTC))
    print(message_id, flush=True)
"""


def test_every_id_confirmed_before_kill_9_is_there_after_reopen(path: Path, tmp_path: Path) -> None:
    writer = tmp_path / "writer.py"
    writer.write_text(_WRITER)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    confirmed: list[str] = []
    for round_ in range(3):  # kill, reopen, kill again: the file keeps opening cleanly
        process = subprocess.Popen(
            [sys.executable, str(writer), str(path), f"r{round_}"],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        assert process.stdout is not None
        printed: list[str] = []
        for line in process.stdout:
            printed.append(line.strip())
            if len(printed) == 150 + 37 * round_:
                process.send_signal(signal.SIGKILL)
                break
        # Whatever the writer printed before it died counts as confirmed.
        printed += [line.strip() for line in process.stdout]
        confirmed += [i for i in printed if i]
        assert process.wait(timeout=10) == -signal.SIGKILL

        with Outbox(path, vital_cap=100_000) as outbox:
            stored = {m.id for m in outbox.peek(100_000)}
            assert set(confirmed) <= stored
            assert outbox.depth() >= len(confirmed)

    check = sqlite3.connect(path)
    try:
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        check.close()


def test_file_uses_wal_and_is_private(path: Path) -> None:
    with Outbox(path) as outbox:
        outbox.put("a", "alarm.raised", {"name": "王秀英"}, T0)
        check = sqlite3.connect(path)
        try:
            assert check.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        finally:
            check.close()
        for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file


def test_an_existing_readable_file_is_made_private(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    Outbox(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_alarms_are_committed_with_full_sync_others_with_normal(outbox: Outbox) -> None:
    # The one white-box test: an fsync cannot be seen from outside short of pulling the plug.
    statements: list[str] = []
    outbox._db.set_trace_callback(statements.append)

    def sync_before_commit() -> str:
        pragma = [s for s in statements if s.startswith("PRAGMA synchronous")][-1]
        assert statements[-1] == "COMMIT"
        statements.clear()
        return pragma.split("=")[1]

    outbox.put("a", "alarm.raised", {}, T0)
    assert sync_before_commit() == "FULL"
    outbox.put("v", "vital", {}, T0)
    assert sync_before_commit() == "NORMAL"
    outbox.put("e", "alarm.event", {}, T0)
    assert sync_before_commit() == "FULL"
    outbox.put_many([message("t", "device.status"), message("c", "alarm.cleared")])
    assert sync_before_commit() == "FULL"
    outbox.ack("a")
    assert sync_before_commit() == "NORMAL"


def test_garbage_file_raises_outbox_corrupt_with_advice(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database, it is a shopping list\n" * 200)

    with pytest.raises(OutboxCorrupt, match="not a database") as caught:
        Outbox(path)
    assert str(path) in str(caught.value)
    assert "move the file aside" in str(caught.value)


def test_damaged_pages_raise_outbox_corrupt(path: Path) -> None:
    with Outbox(path) as outbox:
        outbox.put_many([message(f"a{n}", "alarm.raised", n) for n in range(2_000)])
    data = bytearray(path.read_bytes())
    page_size = 4096
    assert len(data) > 4 * page_size
    data[2 * page_size : len(data) - page_size] = b"\xa5" * (len(data) - 3 * page_size)
    path.write_bytes(bytes(data))

    with pytest.raises(OutboxCorrupt, match="move the file aside"):
        Outbox(path)


def test_damage_inside_one_message_is_found_at_open(path: Path) -> None:
    # A long body spills into overflow pages that opening and counting never read.
    with Outbox(path) as outbox:
        outbox.put("a", "alarm.raised", {"note": "x" * 20_000}, T0)
    data = bytearray(path.read_bytes())
    page_size = 4096
    overflow = next(
        start
        for start in range(page_size, len(data), page_size)
        if data[start + 4 : start + page_size] == b"x" * (page_size - 4)
    )
    data[overflow : overflow + 4] = b"\xff\xff\xff\xff"  # the link to the next page
    path.write_bytes(bytes(data))

    with pytest.raises(OutboxCorrupt, match="move the file aside"):
        Outbox(path)


def test_another_programs_database_is_not_taken_over(path: Path) -> None:
    path.parent.mkdir(parents=True)
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE recipes (name TEXT)")
    other.commit()
    other.close()

    with pytest.raises(OutboxCorrupt, match="another program"):
        Outbox(path)
    other = sqlite3.connect(path)
    try:
        names = other.execute("SELECT name FROM sqlite_schema").fetchall()
        assert names == [("recipes",)]
    finally:
        other.close()


def test_bodies_are_stored_as_json_text(path: Path) -> None:
    with Outbox(path) as outbox:
        outbox.put("a", "alarm.raised", {"name": "王秀英", "floor": 3}, T0)
    check = sqlite3.connect(path)
    try:
        body, created_at = check.execute("SELECT body, created_at FROM messages").fetchone()
    finally:
        check.close()
    assert json.loads(body) == {"name": "王秀英", "floor": 3}
    assert datetime.fromisoformat(created_at) == T0


def test_another_channel_classes_its_own_types(tmp_path: Path) -> None:
    """The DC-09 queue's events are alarms: kept past any cap and sent before telemetry."""
    with Outbox(
        tmp_path / "arc.sqlite3", telemetry_cap=1, priorities={"dc09.event": Priority.ALARM}
    ) as arc:
        created = datetime(2025, 3, 1, tzinfo=UTC)
        arc.put("t1", "device.status", {}, created)
        for n in range(3):
            arc.put(f"e{n}", "dc09.event", {"n": n}, created)
        assert [m.id for m in arc.peek(10)] == ["e0", "e1", "e2", "t1"]
        assert arc.thinned == 0


def test_service_requests_are_their_own_class_between_alarm_events_and_vitals() -> None:
    assert priority_of("service.requested") == priority_of("service.event") == Priority.SERVICE
    assert [p for p, _ in sorted(SEND_RANK.items(), key=lambda item: -item[1])] == [
        Priority.ALARM,
        Priority.ALARM_EVENT,
        Priority.SERVICE,
        Priority.VITAL,
        Priority.TELEMETRY,
    ]


def test_an_alarm_overtakes_a_backlog_of_service_requests(outbox: Outbox) -> None:
    outbox.put_many([message(f"s{n:03}", "service.requested", n) for n in range(300)])
    outbox.put_many([message(f"v{n}", "vital", n) for n in range(3)])
    in_flight = set(ids(outbox.peek(200)))
    assert in_flight == {f"s{n:03}" for n in range(200)}

    outbox.put("a1", "alarm.raised", {}, T0 + timedelta(hours=1))
    outbox.put("e1", "alarm.event", {}, T0 + timedelta(hours=1))
    outbox.put("x1", "service.event", {}, T0 + timedelta(hours=1))
    assert ids(outbox.peek(3, exclude=in_flight)) == ["a1", "e1", "s200"]
    # After a reconnect: the alarm, its event, every service request in order, then vitals.
    assert ids(outbox.peek(1000)) == [
        "a1",
        "e1",
        *(f"s{n:03}" for n in range(300)),
        "x1",
        "v0",
        "v1",
        "v2",
    ]


def test_service_requests_are_never_thinned_and_are_committed_with_an_fsync(path: Path) -> None:
    with Outbox(path, vital_cap=1, telemetry_cap=1) as outbox:
        statements: list[str] = []
        outbox._db.set_trace_callback(statements.append)
        outbox.put_many([message(f"s{n}", "service.requested", n) for n in range(20)])
        assert "PRAGMA synchronous=FULL" in statements
        statements.clear()
        outbox.put("v1", "vital", {}, T0)
        assert "PRAGMA synchronous=NORMAL" in statements
        outbox.put("v2", "vital", {}, T0)
        assert outbox.depth_by_priority()[Priority.SERVICE] == 20
        assert outbox.thinned_by_priority[Priority.SERVICE] == 0
    with Outbox(path, vital_cap=1, telemetry_cap=1) as outbox:
        assert outbox.depth_by_priority()[Priority.SERVICE] == 20


def test_a_file_from_before_services_gets_the_send_order_index_in_place(path: Path) -> None:
    with Outbox(path) as outbox:
        outbox.put("v1", "vital", {}, T0)
    db = sqlite3.connect(path)
    try:  # as an older build left it: only the index on the stored class
        db.execute("DROP INDEX messages_in_send_rank")
        db.commit()
    finally:
        db.close()
    with Outbox(path) as outbox:
        outbox.put("s1", "service.requested", {}, T0)
        assert ids(outbox.peek(10)) == ["s1", "v1"]
    db = sqlite3.connect(path)
    try:
        indexes = db.execute("SELECT name FROM sqlite_schema WHERE type = 'index'").fetchall()
        assert ("messages_in_send_rank",) in indexes
    finally:
        db.close()
