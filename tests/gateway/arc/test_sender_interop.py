"""The ARC sender against an independent DC-09 receiver: pysiaalarm (PyPI), on 127.0.0.1.

pysiaalarm takes the key string's characters as the AES key, so "0123456789ABCDEF" here is
the 16-byte key b"0123456789ABCDEF" for our sender (AES-128; 24 and 32 characters likewise).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pysiaalarm.aio import CommunicationsProtocol, SIAAccount, SIAClient
from pysiaalarm.event import SIAEvent

from gateway.arc import ArcSender, ReceiverAddress, ReportFormat, Transport
from gateway.link.outbox import Outbox

from .conftest import ACCOUNT, HOST, free_port, settings_for, sos, until

pytestmark = pytest.mark.usefixtures("socket_enabled")  # real sockets, 127.0.0.1 only

KEY_TEXT = "0123456789ABCDEF0123456789ABCDEF"
SenderFactory = Callable[..., ArcSender]


class PySiaReceiver:
    """A running pysiaalarm receiver and the events it handed to its callback."""

    def __init__(self, transport: Transport, key: str | None, **account: Any) -> None:
        self.address = ReceiverAddress(HOST, free_port(transport), transport)
        self.events: list[SIAEvent] = []
        protocol = (
            CommunicationsProtocol.TCP if transport is Transport.TCP else CommunicationsProtocol.UDP
        )
        self.client = SIAClient(
            HOST,
            self.address.port,
            [SIAAccount(ACCOUNT, key, **account)],
            function=self._heard,
            protocol=protocol,
        )

    async def _heard(self, event: SIAEvent) -> None:
        self.events.append(event)

    def of_type(self, message_type: str) -> list[SIAEvent]:
        return [e for e in self.events if getattr(e.message_type, "value", None) == message_type]


PySiaFactory = Callable[..., Awaitable[PySiaReceiver]]


@pytest.fixture
async def pysia() -> AsyncIterator[PySiaFactory]:
    started: list[PySiaReceiver] = []

    async def start(transport: Transport, key: str | None = None, **account: Any) -> PySiaReceiver:
        receiver = PySiaReceiver(transport, key, **account)
        await receiver.client.async_start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        await receiver.client.async_stop()


def _key(length: int | None) -> tuple[str | None, bytes | None]:
    if length is None:
        return None, None
    text = KEY_TEXT[:length]
    return text, text.encode("ascii")


@pytest.mark.parametrize(
    ("transport", "report_format", "key_length"),
    [
        (Transport.TCP, ReportFormat.CONTACT_ID, None),
        (Transport.UDP, ReportFormat.CONTACT_ID, None),
        (Transport.TCP, ReportFormat.SIA_DCS, None),
        (Transport.UDP, ReportFormat.SIA_DCS, None),
        (Transport.TCP, ReportFormat.CONTACT_ID, 16),
        (Transport.UDP, ReportFormat.SIA_DCS, 16),
        (Transport.TCP, ReportFormat.SIA_DCS, 24),
        (Transport.UDP, ReportFormat.CONTACT_ID, 24),
        (Transport.TCP, ReportFormat.CONTACT_ID, 32),
        (Transport.UDP, ReportFormat.SIA_DCS, 32),
    ],
)
async def test_pysiaalarm_reads_and_acks_our_events(
    pysia: PySiaFactory,
    sender_factory: SenderFactory,
    outbox: Outbox,
    transport: Transport,
    report_format: ReportFormat,
    key_length: int | None,
) -> None:
    key_text, key = _key(key_length)
    receiver = await pysia(transport, key_text)
    sender = sender_factory(
        settings_for(receiver.address, format=report_format, key=key, ack_timeout=2), outbox
    )
    happened = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3)
    ids = [sender.queue(sos(at=happened)), sender.queue(sos(restore=True)), sender.queue(sos(7))]
    for message_id in ids:
        await sender.wait_delivered(message_id, 5)
    await until(lambda: len(receiver.events) == 3)

    alarm, restore, other = receiver.events
    assert [e.account for e in receiver.events] == [ACCOUNT] * 3
    assert [e.sequence for e in receiver.events] == ["0001", "0002", "0003"]
    assert {e.encrypted for e in receiver.events} == {key is not None}
    assert [e.code for e in receiver.events] == ["QA", "QH", "QA"]
    if report_format is ReportFormat.CONTACT_ID:
        assert (alarm.event_type, alarm.event_qualifier) == ("101", "1")
        assert (restore.event_type, restore.event_qualifier) == ("101", "3")
        assert (alarm.partition, alarm.ri, other.ri) == ("01", "015", "007")
    else:
        assert (alarm.ri, alarm.message, other.message) == ("1", "15", "7")
    # Our x-data H (time of occurrence) is understood as such.
    assert alarm.extended_data is not None
    assert [(x.identifier, x.value) for x in alarm.extended_data] == [
        ("H", f"{happened:%H:%M:%S,%m-%d-%Y}")
    ]
    assert isinstance(alarm.timestamp, datetime)
    assert abs((alarm.timestamp - datetime.now(UTC)).total_seconds()) < 5

    status = sender.status
    assert (status.acked, status.naks, status.duhs, status.timeouts) == (3, 0, 0, 0)
    assert status.depth == 0
    assert outbox.depth() == 0


@pytest.mark.parametrize(
    ("transport", "key_length"), [(Transport.TCP, None), (Transport.UDP, 16), (Transport.TCP, 32)]
)
async def test_pysiaalarm_acks_our_null_polls(
    pysia: PySiaFactory,
    sender_factory: SenderFactory,
    outbox: Outbox,
    transport: Transport,
    key_length: int | None,
) -> None:
    key_text, key = _key(key_length)
    receiver = await pysia(transport, key_text)
    sender = sender_factory(
        settings_for(receiver.address, key=key, ack_timeout=2, supervision_interval=0.2), outbox
    )
    await until(lambda: sender.status.acked >= 2)

    polls = receiver.of_type("NULL")
    assert len(polls) >= 2
    assert [p.sequence for p in polls[:2]] == ["0001", "0002"]
    assert {p.encrypted for p in polls} == {key is not None}
    assert sender.status.up
    assert sender.status.timeouts == 0


@pytest.mark.parametrize(("transport", "key_length"), [(Transport.TCP, None), (Transport.UDP, 16)])
async def test_a_sender_clock_100_s_behind_is_corrected_by_pysiaalarms_nak(
    pysia: PySiaFactory,
    sender_factory: SenderFactory,
    outbox: Outbox,
    transport: Transport,
    key_length: int | None,
) -> None:
    key_text, key = _key(key_length)
    receiver = await pysia(transport, key_text, allowed_timeband=(40, 20))
    skew = timedelta(seconds=100)
    sender = sender_factory(
        settings_for(receiver.address, key=key, ack_timeout=2),
        outbox,
        clock=lambda: datetime.now(UTC) - skew,
    )
    await sender.wait_delivered(sender.queue(sos()), 5)
    await until(lambda: len(receiver.events) == 1)

    (event,) = receiver.events
    assert event.code == "QA"
    assert event.sequence == "0001"
    assert isinstance(event.timestamp, datetime)
    assert abs((event.timestamp - datetime.now(UTC)).total_seconds()) < 5
    status = sender.status
    assert (status.naks, status.acked, status.timeouts) == (1, 1, 0)
    assert status.clock_offset == pytest.approx(100, abs=2)
