"""The ARC sender against scripted receivers on 127.0.0.1: retries, failover, NAK, DUH, polls."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.arc import (
    MESSAGE_TYPE,
    OUTBOX_PRIORITIES,
    ArcRefused,
    ArcSender,
    ArcStatus,
    ReceiverAddress,
    ReportFormat,
    Transport,
)
from gateway.dc09.frame import MessageId, parse_timestamp
from gateway.link.outbox import Outbox

from .conftest import HOST, free_port, settings_for, sos, until
from .scripted_receiver import (
    ScriptedReceiver,
    ack,
    bad_crc,
    close,
    duh,
    garbage,
    nak_at,
    plain_ack,
    several,
    silent,
    wrong_sequence,
)

ReceiverFactory = Callable[..., Awaitable[ScriptedReceiver]]
SenderFactory = Callable[..., ArcSender]
KEY = bytes(range(16))
pytestmark = pytest.mark.usefixtures("socket_enabled")  # real sockets, 127.0.0.1 only
BOTH = pytest.mark.parametrize("transport", [Transport.TCP, Transport.UDP])


def _close_to(moment: datetime | None, expected: datetime, slack: float = 2.0) -> bool:
    assert moment is not None
    return abs((moment - expected).total_seconds()) <= slack


@BOTH
@pytest.mark.parametrize(
    ("report_format", "alarm", "restore"),
    [
        (ReportFormat.CONTACT_ID, "#1234|1101 01 015", "#1234|3101 01 015"),
        (ReportFormat.SIA_DCS, "#1234|Nri1/QA15", "#1234|Nri1/QH15"),
    ],
)
async def test_events_are_framed_sent_and_acked(
    receiver_factory: ReceiverFactory,
    sender_factory: SenderFactory,
    outbox: Outbox,
    transport: Transport,
    report_format: ReportFormat,
    alarm: str,
    restore: str,
) -> None:
    receiver = await receiver_factory(transport)
    sender = sender_factory(settings_for(receiver.address, format=report_format), outbox)
    happened = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    first = sender.queue(sos(at=happened))
    second = sender.queue(sos(restore=True))
    await sender.wait_delivered(first, 2)
    await sender.wait_delivered(second, 2)

    frames = receiver.frames
    assert [f.data for f in frames] == [alarm, restore]
    assert [f.sequence for f in frames] == [1, 2]
    assert {f.id for f in frames} == {MessageId(report_format.value)}
    assert {(f.account, f.receiver, f.line, f.encrypted) for f in frames} == {
        ("1234", "0", "0", False)
    }
    # The occurrence time rides along as x-data H; the timestamp is the sending time.
    assert frames[0].extended == (f"H{happened:%H:%M:%S,%m-%d-%Y}",)
    assert _close_to(frames[0].timestamp, datetime.now(UTC))
    status = sender.status
    assert (status.sent, status.acked, status.timeouts, status.depth) == (2, 2, 0, 0)
    assert status.up
    assert status.receiver == receiver.address
    assert status.last_ack_at is not None
    assert outbox.depth() == 0


@BOTH
async def test_a_silent_attempt_is_retried_with_the_same_sequence(
    receiver_factory: ReceiverFactory,
    sender_factory: SenderFactory,
    outbox: Outbox,
    transport: Transport,
) -> None:
    receiver = (await receiver_factory(transport)).then(silent())
    sender = sender_factory(settings_for(receiver.address), outbox)
    await sender.wait_delivered(sender.queue(sos()), 3)

    assert [f.sequence for f in receiver.frames] == [1, 1]
    assert (sender.status.sent, sender.status.timeouts, sender.status.acked) == (2, 1, 1)
    # The retry is a new attempt: a fresh timestamp, not a copy of the bytes.
    assert receiver.heard[1].at - receiver.heard[0].at >= 0.25


@BOTH
async def test_failover_to_the_backup_after_the_attempts(
    receiver_factory: ReceiverFactory,
    sender_factory: SenderFactory,
    outbox: Outbox,
    transport: Transport,
) -> None:
    primary = (await receiver_factory(transport)).then(silent(), silent())
    backup = await receiver_factory(transport)
    sender = sender_factory(settings_for(primary.address, backup.address), outbox)
    await sender.wait_delivered(sender.queue(sos()), 3)

    assert [f.sequence for f in primary.frames] == [1, 1]
    assert [f.sequence for f in backup.frames] == [1]
    status = sender.status
    assert (status.timeouts, status.failovers, status.acked) == (2, 1, 1)
    assert status.receiver == backup.address
    assert status.up
    # The next event stays with the receiver that works.
    await sender.wait_delivered(sender.queue(sos(zone=16)), 2)
    assert len(primary.frames) == 2
    assert [f.sequence for f in backup.frames] == [1, 2]


async def test_a_refused_connection_fails_over_at_once(
    receiver_factory: ReceiverFactory, sender_factory: SenderFactory, outbox: Outbox
) -> None:
    closed = ReceiverAddress(HOST, free_port(Transport.TCP))
    backup = await receiver_factory()
    sender = sender_factory(settings_for(closed, backup.address, ack_timeout=5), outbox)
    started = asyncio.get_running_loop().time()
    await sender.wait_delivered(sender.queue(sos()), 3)

    assert asyncio.get_running_loop().time() - started < 1  # no ack_timeout was waited out
    assert backup.frames[0].sequence == 1
    assert (sender.status.timeouts, sender.status.failovers) == (2, 1)


async def test_after_every_receiver_failed_the_primary_is_tried_again_after_a_back_off(
    receiver_factory: ReceiverFactory, sender_factory: SenderFactory, outbox: Outbox
) -> None:
    primary_port = free_port(Transport.TCP)
    primary = ReceiverAddress(HOST, primary_port)
    backup = ReceiverAddress(HOST, free_port(Transport.TCP))
    sender = sender_factory(settings_for(primary, backup), outbox)
    message_id = sender.queue(sos())
    await until(lambda: sender.status.timeouts >= 4)  # 2 attempts x 2 receivers
    round_failed = asyncio.get_running_loop().time()
    assert sender.status.receiver == primary
    assert not sender.status.up

    receiver = await receiver_factory(port=primary_port)
    await sender.wait_delivered(message_id, 3)
    assert asyncio.get_running_loop().time() - round_failed >= 0.9  # the 1 s back-off
    assert [f.sequence for f in receiver.frames] == [1]
    assert sender.status.receiver == primary
    assert sender.status.up


async def test_alarms_queued_while_every_receiver_is_down_go_out_in_order(
    receiver_factory: ReceiverFactory, sender_factory: SenderFactory, outbox: Outbox
) -> None:
    primary = ReceiverAddress(HOST, free_port(Transport.TCP))
    backup_port = free_port(Transport.TCP)
    sender = sender_factory(
        settings_for(primary, ReceiverAddress(HOST, backup_port), format=ReportFormat.SIA_DCS),
        outbox,
    )
    ids = [sender.queue(sos(zone=zone)) for zone in (1, 2, 3)]
    await until(lambda: sender.status.timeouts >= 4)
    assert sender.status.depth == 3

    backup = await receiver_factory(port=backup_port)
    for message_id in ids:
        await sender.wait_delivered(message_id, 4)
    assert [f.data for f in backup.frames] == [
        "#1234|Nri1/QA1",
        "#1234|Nri1/QA2",
        "#1234|Nri1/QA3",
    ]
    assert [f.sequence for f in backup.frames] == [1, 2, 3]
    assert sender.status.depth == 0
    assert outbox.depth() == 0


@BOTH
async def test_a_nak_with_time_corrects_the_clock_and_resends_at_once(
    receiver_factory: ReceiverFactory,
    sender_factory: SenderFactory,
    outbox: Outbox,
    transport: Transport,
) -> None:
    receiver = (await receiver_factory(transport)).then(nak_at(datetime.now(UTC)))
    skew = timedelta(seconds=100)
    sender = sender_factory(
        settings_for(receiver.address, ack_timeout=5),
        outbox,
        clock=lambda: datetime.now(UTC) - skew,
    )
    happened = datetime.now(UTC) - skew  # as our (wrong) clock saw it
    started = asyncio.get_running_loop().time()
    await sender.wait_delivered(sender.queue(sos(at=happened)), 3)

    assert asyncio.get_running_loop().time() - started < 1  # resent at once, no timeout
    first, second = receiver.frames
    assert first.sequence == second.sequence == 1
    assert _close_to(first.timestamp, datetime.now(UTC) - skew)
    assert _close_to(second.timestamp, datetime.now(UTC))
    assert _close_to(parse_timestamp(second.extended[0][1:]), datetime.now(UTC))
    assert sender.status.naks == 1
    assert sender.status.timeouts == 0
    assert sender.status.clock_offset == pytest.approx(100, abs=2)


async def test_a_bare_nak_is_a_nak_without_time(
    receiver_factory: ReceiverFactory, sender_factory: SenderFactory, outbox: Outbox
) -> None:
    receiver = (await receiver_factory()).then(lambda _frame, _key: [b'"NAK"'])
    sender = sender_factory(settings_for(receiver.address, ack_timeout=5), outbox)
    await sender.wait_delivered(sender.queue(sos()), 2)
    assert len(receiver.frames) == 2
    assert sender.status.naks == 1
    assert sender.status.clock_offset == 0


async def test_a_nak_counts_as_an_attempt(
    receiver_factory: ReceiverFactory, sender_factory: SenderFactory, outbox: Outbox
) -> None:
    now = datetime.now(UTC)
    primary = (await receiver_factory()).then(nak_at(now), nak_at(now))
    backup = await receiver_factory()
    sender = sender_factory(settings_for(primary.address, backup.address), outbox)
    await sender.wait_delivered(sender.queue(sos()), 2)
    assert (len(primary.frames), len(backup.frames)) == (2, 1)
    assert sender.status.naks == 2


async def test_a_duh_sends_the_event_to_the_next_receiver(
    receiver_factory: ReceiverFactory, sender_factory: SenderFactory, outbox: Outbox
) -> None:
    primary = (await receiver_factory()).then(duh())
    backup = await receiver_factory()
    sender = sender_factory(settings_for(primary.address, backup.address), outbox)
    await sender.wait_delivered(sender.queue(sos()), 2)

    assert len(primary.frames) == 1  # no retry: resending cannot help
    assert [f.sequence for f in backup.frames] == [1]
    assert (sender.status.duhs, sender.status.failovers, sender.status.refused) == (1, 1, 0)


async def test_an_event_every_receiver_refuses_is_dropped_as_refused(
    receiver_factory: ReceiverFactory, sender_factory: SenderFactory, outbox: Outbox
) -> None:
    primary = (await receiver_factory()).then(duh())
    backup = (await receiver_factory()).then(duh())
    sender = sender_factory(settings_for(primary.address, backup.address), outbox)
    refused = sender.queue(sos())
    accepted = sender.queue(sos(zone=16))

    with pytest.raises(ArcRefused):
        await sender.wait_delivered(refused, 2)
    await sender.wait_delivered(accepted, 2)
    assert sender.status.refused == 1
    assert sender.status.duhs == 2
    assert [f.sequence for f in backup.frames] == [1, 2]  # the next event was not held up
    assert outbox.depth() == 0


@BOTH
async def test_a_stale_ack_for_another_sequence_does_not_confirm(
    receiver_factory: ReceiverFactory,
    sender_factory: SenderFactory,
    outbox: Outbox,
    transport: Transport,
) -> None:
    receiver = (await receiver_factory(transport)).then(wrong_sequence())
    sender = sender_factory(settings_for(receiver.address), outbox)
    await sender.wait_delivered(sender.queue(sos()), 3)

    assert [f.sequence for f in receiver.frames] == [1, 1]
    assert (sender.status.timeouts, sender.status.acked) == (1, 1)


async def test_garbage_bad_crc_and_foreign_acks_are_ignored_while_waiting(
    receiver_factory: ReceiverFactory, sender_factory: SenderFactory, outbox: Outbox
) -> None:
    receiver = (await receiver_factory()).then(
        several(garbage(), bad_crc(), wrong_sequence(), ack())
    )
    sender = sender_factory(settings_for(receiver.address), outbox)
    await sender.wait_delivered(sender.queue(sos()), 2)

    assert len(receiver.frames) == 1
    assert (sender.status.sent, sender.status.timeouts, sender.status.naks) == (1, 0, 0)


async def test_a_bad_crc_alone_is_no_answer(
    receiver_factory: ReceiverFactory, sender_factory: SenderFactory, outbox: Outbox
) -> None:
    receiver = (await receiver_factory()).then(bad_crc())
    sender = sender_factory(settings_for(receiver.address), outbox)
    await sender.wait_delivered(sender.queue(sos()), 3)
    assert [f.sequence for f in receiver.frames] == [1, 1]
    assert sender.status.timeouts == 1


async def test_a_closed_connection_is_reopened_and_the_event_resent(
    receiver_factory: ReceiverFactory, sender_factory: SenderFactory, outbox: Outbox
) -> None:
    receiver = (await receiver_factory()).then(close())
    sender = sender_factory(settings_for(receiver.address, ack_timeout=5), outbox)
    started = asyncio.get_running_loop().time()
    await sender.wait_delivered(sender.queue(sos()), 3)

    assert asyncio.get_running_loop().time() - started < 1  # the close ended the wait
    assert [f.sequence for f in receiver.frames] == [1, 1]
    assert receiver.connections == 2


async def test_one_connection_carries_many_events(
    receiver_factory: ReceiverFactory, sender_factory: SenderFactory, outbox: Outbox
) -> None:
    receiver = await receiver_factory()
    sender = sender_factory(settings_for(receiver.address), outbox)
    ids = [sender.queue(sos(zone=zone)) for zone in range(1, 6)]
    for message_id in ids:
        await sender.wait_delivered(message_id, 2)
    assert receiver.connections == 1
    assert [f.sequence for f in receiver.frames] == [1, 2, 3, 4, 5]


async def test_the_sequence_wraps_from_9999_to_1(
    receiver_factory: ReceiverFactory, sender_factory: SenderFactory, outbox: Outbox
) -> None:
    receiver = await receiver_factory()
    sender = sender_factory(settings_for(receiver.address), outbox, sequence_start=9998)
    ids = [sender.queue(sos(zone=zone)) for zone in (1, 2, 3)]
    for message_id in ids:
        await sender.wait_delivered(message_id, 2)
    assert [f.sequence for f in receiver.frames] == [9998, 9999, 1]


async def test_unacked_events_survive_a_killed_sender(
    receiver_factory: ReceiverFactory, sender_factory: SenderFactory, tmp_path: Path
) -> None:
    outbox_path = tmp_path / "eldercare.killed.arc.sqlite3"
    deaf = (await receiver_factory()).then(*[silent()] * 20)
    first = Outbox(outbox_path, priorities=OUTBOX_PRIORITIES)
    sender = sender_factory(settings_for(deaf.address, ack_timeout=5), first)
    for zone in (1, 2, 3):
        sender.queue(sos(zone=zone))
    await until(lambda: len(deaf.frames) == 1)  # the first event is in flight
    await sender.stop()  # killed before any ACK
    first.close()

    receiver = await receiver_factory()
    with Outbox(outbox_path, priorities=OUTBOX_PRIORITIES) as second:
        again = sender_factory(settings_for(receiver.address), second)
        assert again.status.depth == 3
        await until(lambda: again.status.depth == 0)
        assert [f.data[-3:] for f in receiver.frames] == ["001", "002", "003"]
        assert second.depth() == 0
        await again.stop()


async def test_an_encrypted_ack_must_decrypt_with_our_key(
    receiver_factory: ReceiverFactory, sender_factory: SenderFactory, outbox: Outbox
) -> None:
    receiver = (await receiver_factory(key=KEY)).then(ack(key=bytes(16)), plain_ack())
    sender = sender_factory(settings_for(receiver.address, key=KEY, attempts=3), outbox)
    await sender.wait_delivered(sender.queue(sos()), 3)

    frames = receiver.frames
    assert [f.sequence for f in frames] == [1, 1, 1]
    assert all(f.encrypted and f.id is MessageId.ADM_CID for f in frames)
    assert frames[0].data == "#1234|1101 01 015"  # the receiver decrypted it with the key
    assert (sender.status.timeouts, sender.status.acked) == (2, 1)


async def test_null_polls_keep_the_interval_while_idle(
    receiver_factory: ReceiverFactory, sender_factory: SenderFactory, outbox: Outbox
) -> None:
    receiver = await receiver_factory(key=KEY)
    sender = sender_factory(
        settings_for(receiver.address, key=KEY, supervision_interval=0.2), outbox
    )
    await until(lambda: sender.status.acked >= 3)

    polls = receiver.heard[:3]
    assert all(p.frame.id is MessageId.NULL and p.frame.encrypted for p in polls)
    assert [p.frame.sequence for p in polls] == [1, 2, 3]
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(polls)]
    assert all(0.17 <= gap < 0.5 for gap in gaps)
    assert sender.status.up
    # An event counts as an exchange: polls pause while it goes and resume after.
    await sender.wait_delivered(sender.queue(sos()), 2)
    events = [h for h in receiver.heard if h.frame.id is MessageId.ADM_CID]
    assert len(events) == 1


async def test_an_unanswered_poll_marks_the_receiver_down_and_moves_on(
    receiver_factory: ReceiverFactory, sender_factory: SenderFactory, outbox: Outbox
) -> None:
    primary = (await receiver_factory()).then(ack(), *[silent()] * 20)
    backup = await receiver_factory()
    sender = ArcSender(
        settings_for(primary.address, backup.address, ack_timeout=0.2, supervision_interval=0.2),
        outbox,
    )
    seen: list[ArcStatus] = []
    sender.add_status_listener(seen.append)
    sender.start()
    try:
        await until(lambda: sender.status.receiver == backup.address and sender.status.up)
    finally:
        await sender.stop()

    assert [(f.id, f.sequence) for f in primary.frames] == [
        (MessageId.NULL, 1),
        (MessageId.NULL, 2),
        (MessageId.NULL, 2),
    ]
    assert backup.frames[0].id is MessageId.NULL
    assert backup.frames[0].sequence == 3
    states = [(s.receiver, s.up) for s in seen]
    down = states.index((primary.address, False), states.index((primary.address, True)))
    assert (backup.address, True) in states[down:]
    assert sender.status.failovers == 1


async def test_an_event_queued_during_an_unanswered_poll_does_not_wait_for_its_retries(
    receiver_factory: ReceiverFactory, sender_factory: SenderFactory, outbox: Outbox
) -> None:
    receiver = (await receiver_factory()).then(silent())
    sender = sender_factory(
        settings_for(receiver.address, ack_timeout=0.5, attempts=3, supervision_interval=0.1),
        outbox,
    )
    await until(lambda: len(receiver.frames) == 1)  # the first poll, unanswered
    await sender.wait_delivered(sender.queue(sos()), 1.5)
    assert [f.id for f in receiver.frames[:2]] == [MessageId.NULL, MessageId.ADM_CID]
    assert sender.status.up


async def test_an_unreadable_queued_body_is_dropped_and_does_not_block_the_queue(
    receiver_factory: ReceiverFactory, sender_factory: SenderFactory, outbox: Outbox
) -> None:
    outbox.put("01BROKEN", MESSAGE_TYPE, {"code": "QA"}, datetime.now(UTC))
    receiver = await receiver_factory()
    sender = sender_factory(settings_for(receiver.address), outbox)
    await sender.wait_delivered(sender.queue(sos()), 2)
    assert [f.data for f in receiver.frames] == ["#1234|1101 01 015"]
    assert sender.status.refused == 1
    assert outbox.depth() == 0
