"""Zero lost, zero duplicated alarms under chaos: real hub and gateway processes on loopback.

Each test drives `python -m hub` and `tests/chaos/gateway_process.py` (a `HubLink` over its
durable outbox), SIGKILLs them mid-burst, takes the hub away for a long backlog, resends
messages the hub already has, or skews the gateway's clock, and then reads the hub's SQLite
file read-only. The gateway prints an alarm's ids only once `HubLink.send_durably` returned (it is
on disk): every printed alarm must be at the hub exactly once.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from gateway.alarms import AlarmKind, RaisedAlarm, utc_iso
from gateway.link import GatewayCredentials
from gateway.link.outbox import OutboxMessage
from gateway.protocol import GATEWAY_WS_PATH, Envelope, MessageType, acked_ids
from gateway.ulid import new_ulid

from .conftest import (
    ChaosRig,
    Queued,
    assert_alarms_exactly_once,
    assert_vitals_exactly_once,
    vital_messages,
    wait_for,
)
from .gateway_process import vital_body

BURST = 1_000


def test_hub_sigkilled_mid_burst_loses_and_duplicates_nothing(chaos: ChaosRig) -> None:
    """Kill -9 the hub twice while 1,000 alarms stream in; restart it on the same data and
    port each time. What it committed survives, what it never acked is resent, and the
    resends of what it committed but could not ack are stored once."""
    hub, gateway = chaos.hub, chaos.gateway
    run = gateway.start(BURST, send_interval=0.002)

    wait_for(lambda: chaos.alarms_at_hub() >= 100, "100 alarms at the hub", 30, run.diagnostics)
    queued_at_kill = len(run.queued())
    hub.kill()
    assert 100 <= queued_at_kill < BURST, "the first kill must land mid-burst"
    # The burst goes on into the outbox while the hub is down.
    run.wait_queued(min(BURST, queued_at_kill + 100))
    hub.start()

    wait_for(
        lambda: chaos.alarms_at_hub() >= queued_at_kill + 200,
        "the hub to catch up after its restart",
        30,
        run.diagnostics,
    )
    hub.kill()  # again, while the backlog and the rest of the burst are resent
    hub.start()

    run.wait_drained()
    assert len(run.queued()) == BURST
    assert_alarms_exactly_once(chaos.record(), run.queued())
    assert gateway.outbox_depth() == 0
    assert hub.starts == 3


def test_gateway_sigkilled_mid_burst_resends_from_its_outbox(chaos: ChaosRig) -> None:
    """Kill -9 the gateway twice mid-burst. Restarted on the same outbox it resends whatever
    the hub had not acked; the hub stores each alarm once."""
    gateway = chaos.gateway
    first = gateway.start(BURST, send_interval=0.001)
    first.wait_queued(300)
    wait_for(lambda: chaos.alarms_at_hub() >= 50, "50 alarms at the hub", 30, first.diagnostics)
    first.kill()
    assert len(first.queued()) < BURST, "the kill must land mid-burst"

    second = gateway.start(500, send_interval=0.001)  # resends the backlog, bursts again
    second.wait_queued(100)
    second.kill()
    assert len(second.queued()) < 500, "the second kill must land mid-burst"

    third = gateway.start(0)  # just drain
    third.wait_drained()

    # A kill between an alarm's commit and its print leaves one alarm nobody was told about:
    # it may arrive (once) or not, never twice.
    assert_alarms_exactly_once(chaos.record(), gateway.queued(), unprinted_allowed=2)
    assert gateway.outbox_depth() == 0


def test_long_outage_backlog_of_10k_arrives_once_alarms_first(chaos: ChaosRig) -> None:
    """The hub is gone while 9,000 older vitals wait and 500 alarms, each followed by two
    more vitals, are raised: 10,500 queued. When it is back, every alarm arrives before any
    vital, and everything arrives exactly once."""
    hub, gateway = chaos.hub, chaos.gateway
    vital_cap = 20_000  # above the default cap: this test wants every vital kept
    hub.kill()
    backlog = vital_messages(9_000)
    gateway.prefill(backlog, vital_cap=vital_cap)

    run = gateway.start(500, vitals_per_alarm=2, vital_cap=vital_cap)
    run.wait_queued(500)
    wait_for(lambda: len(run.vitals()) == 1_000, "the last vitals", 30, run.diagnostics)
    wait_for(lambda: run.link_failures() >= 2, "failed reconnects", 30, run.diagnostics)
    assert gateway.outbox_depth() == 10_500
    hub.start()

    run.wait_drained(timeout=90)
    record = chaos.record()
    assert_alarms_exactly_once(record, run.queued())
    assert_vitals_exactly_once(record, [m.id for m in backlog] + run.vitals())
    last_alarm = max(record.alarm_messages.values())
    first_vital = min(record.vitals.values())
    assert last_alarm <= first_vital, "a vital overtook an alarm"
    assert gateway.outbox_depth() == 0


class _RawGateway:
    """The gateway's side of the wire by hand, to resend an envelope exactly as we choose."""

    def __init__(self, credentials: GatewayCredentials, ws: aiohttp.ClientWebSocketResponse):
        self.credentials = credentials
        self.ws = ws
        self.seq = 0

    async def send(self, message_id: str, type_: MessageType, body: dict[str, Any]) -> str:
        """Send under `message_id` (a new seq and sent time); the hub's reply type."""
        self.seq += 1
        envelope = Envelope(
            gw=self.credentials.gateway_id,
            seq=self.seq,
            sent=utc_iso(datetime.now(UTC)),
            id=message_id,
            type=type_.value,
            body=body,
        ).signed(self.credentials.signing_key())
        await self.ws.send_str(envelope.to_json())
        reply = Envelope.from_json((await self.ws.receive(timeout=10)).data)
        reply.verify(self.credentials.hub_key())
        assert acked_ids(reply.body) == [message_id]
        return reply.type


async def test_same_envelope_on_new_connections_is_stored_once(chaos: ChaosRig) -> None:
    """A gateway that lost the hub's ack resends the same message id, on the same or on a new
    connection, even on two connections at once, with a new seq and sent time: acked every
    time, stored once."""
    credentials = GatewayCredentials.from_dict(json.loads(chaos.gateway.credentials.read_text()))
    alarm = RaisedAlarm.new(AlarmKind.SOS, "chaos duplicate")
    messages = [
        (new_ulid(), MessageType.ALARM_RAISED, alarm.to_body()),
        (new_ulid(), MessageType.VITAL, vital_body()),
    ]
    url = chaos.hub.url + GATEWAY_WS_PATH
    async with aiohttp.ClientSession() as session:
        for _connection in range(3):  # one after the other, each sending everything twice
            async with session.ws_connect(url) as ws:
                gateway = _RawGateway(credentials, ws)
                for message in messages * 2:
                    assert await gateway.send(*message) == "ack"
        # Two connections of the same gateway at once (a stale one not yet noticed as dead).
        async with session.ws_connect(url) as first, session.ws_connect(url) as second:
            gateways = [_RawGateway(credentials, first), _RawGateway(credentials, second)]
            for message in messages * 10:
                replies = await asyncio.gather(*(g.send(*message) for g in gateways))
                assert replies == ["ack", "ack"]

    record = chaos.record()
    assert record.alarm_messages.keys() == {messages[0][0]}
    assert record.alarms == {alarm.alarm_id: 1}
    assert not record.aliases
    assert record.raise_events == 1
    assert record.vitals.keys() == {messages[1][0]}


def test_outbox_resend_of_delivered_messages_is_stored_once(chaos: ChaosRig) -> None:
    """The whole delivered queue comes back (an outbox restored from a backup, acks lost to a
    power cut): 300 alarms and 300 vitals resent under the same ids are acked and ignored."""
    gateway = chaos.gateway
    now = datetime.now(UTC)
    alarms = [RaisedAlarm.new(AlarmKind.SOS, "chaos resend") for _ in range(300)]
    alarm_messages = [
        OutboxMessage(new_ulid(), MessageType.ALARM_RAISED.value, alarm.to_body(), now)
        for alarm in alarms
    ]
    vitals = vital_messages(300)
    queued = [
        Queued(message.id, alarm.alarm_id)
        for message, alarm in zip(alarm_messages, alarms, strict=True)
    ]

    for attempt in range(2):
        gateway.prefill([*alarm_messages, *vitals], vital_cap=1_000)
        gateway.start(0).wait_drained()
        record = chaos.record()
        assert_alarms_exactly_once(record, queued)
        assert_vitals_exactly_once(record, [m.id for m in vitals])
        assert gateway.outbox_depth() == 0, f"attempt {attempt}"


@pytest.mark.parametrize("skew", [-600.0, 600.0], ids=["10min-behind", "10min-ahead"])
@pytest.mark.parametrize("where", ["link-offset", "process-clock"])
def test_gateway_clock_ten_minutes_off_still_delivers_everything(
    chaos: ChaosRig, where: str, skew: float
) -> None:
    """Every envelope of a gateway whose clock is 10 min off is stale at first; the hub's
    `nak stale` carries its time, the gateway corrects its offset and resends, once each.

    link-offset: the link starts with a wrong offset (its own idea of its clock error);
    process-clock: the whole process's clock is wrong, as with a bad RTC, and the link
    must learn the opposite offset."""
    if where == "link-offset":
        run = chaos.gateway.start(200, vitals_per_alarm=1, clock_offset_seconds=skew)
        learned = 0.0
    else:
        run = chaos.gateway.start(200, vitals_per_alarm=1, process_clock_skew_seconds=skew)
        learned = -skew
    run.wait_drained()
    assert abs(run.clock_offset() - learned) < 5, "the link never took the hub's time"
    assert chaos.hub.rejections("stale") >= 1, "the hub never sent nak stale"
    assert "stale" in chaos.hub.log_text()
    record = chaos.record()
    assert_alarms_exactly_once(record, run.queued())
    assert_vitals_exactly_once(record, run.vitals())
