"""The gateway's link against a real hub on 127.0.0.1: enrollment, delivery, clock skew."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from gateway.alarms import AlarmKind, RaisedAlarm
from gateway.link import (
    EnrollmentCodeExpired,
    EnrollmentCodeMalformed,
    EnrollmentCodeUnknown,
    EnrollmentCodeUsed,
    HubLink,
    HubUnreachable,
    LinkState,
    client,
    enroll,
)
from gateway.link.outbox import Outbox
from gateway.protocol import MessageType

from ..conftest import RunningHub, until


async def test_enrollment_gives_credentials_and_uses_the_code_up(hub_server: RunningHub) -> None:
    household = await hub_server.add_household("Wang household", "3-2-501 Jasmine Court")
    code = await hub_server.enrollment_code(household.id)
    async with aiohttp.ClientSession() as session:
        credentials = await enroll(session, hub_server.url, code.lower(), "gateway")
        assert credentials.household_id == household.id
        assert credentials.household_name == "Wang household"
        assert "private_key" not in repr(credentials)
        with pytest.raises(EnrollmentCodeUsed):
            await enroll(session, hub_server.url, code, "second gateway")


async def test_enrollment_refusals_are_typed(hub_server: RunningHub) -> None:
    household = await hub_server.add_household()
    expired = await hub_server.enrollment_code(
        household.id, now=datetime.now(UTC) - timedelta(hours=25)
    )
    async with aiohttp.ClientSession() as session:
        with pytest.raises(EnrollmentCodeExpired):
            await enroll(session, hub_server.url, expired, "gw")
        with pytest.raises(EnrollmentCodeUnknown):
            await enroll(session, hub_server.url, "ABCD-EFGH-JKMN", "gw")
        with pytest.raises(EnrollmentCodeMalformed):
            await enroll(session, hub_server.url, "12", "gw")
        with pytest.raises(HubUnreachable):
            await enroll(session, "http://127.0.0.1:9", "ABCD-EFGH-JKMN", "gw")


async def test_garbage_enrollment_requests_get_clear_errors(hub_server: RunningHub) -> None:
    async with aiohttp.ClientSession() as session:
        for payload in (
            b"not json",
            b"[]",
            b'{"code": 5}',
            b'{"code":"ABCD-EFGH-JKMN","public_key":"x","name":"n"}',
        ):
            async with session.post(f"{hub_server.url}/api/v1/enroll", data=payload) as response:
                assert response.status == 400
                assert (await response.json())["error"] == "bad_request"


async def _enrolled_link(hub_server: RunningHub, session: aiohttp.ClientSession) -> HubLink:
    household = await hub_server.add_household("Li household", "Block 7")
    credentials = await enroll(
        session, hub_server.url, await hub_server.enrollment_code(household.id), "gw"
    )
    outbox = Outbox(hub_server.data_dir.parent / f"outbox-{credentials.gateway_id}.sqlite3")
    return HubLink(session, credentials, outbox, heartbeat_interval=0.2)


async def test_alarm_is_delivered_once_and_acked(hub_server: RunningHub) -> None:
    async with aiohttp.ClientSession() as session:
        link = await _enrolled_link(hub_server, session)
        states: list[LinkState] = []
        link.add_state_listener(states.append)
        link.start()
        try:
            alarm = RaisedAlarm.new(AlarmKind.SOS, "test")
            message_id = link.send(MessageType.ALARM_RAISED, alarm.to_body())
            await link.wait_delivered(message_id, timeout=5)
            assert link.outbox_depth == 0
            assert LinkState.CONNECTED in states
            await asyncio.sleep(0.5)  # heartbeats flow without disturbing anything
        finally:
            await link.stop()
    alarms = await hub_server.open_alarms()
    assert [(a.id, a.kind, a.count, a.household_name) for a in alarms] == [
        (alarm.alarm_id, "sos", 1, "Li household")
    ]


async def test_messages_queued_while_hub_is_down_arrive_later(hub_server: RunningHub) -> None:
    async with aiohttp.ClientSession() as session:
        link = await _enrolled_link(hub_server, session)
        message_id = link.send(
            MessageType.ALARM_RAISED, RaisedAlarm.new(AlarmKind.GAS, "t").to_body()
        )
        assert link.outbox_depth == 1  # nothing sent before the link starts
        link.start()
        try:
            await link.wait_delivered(message_id, timeout=5)
        finally:
            await link.stop()
    assert [a.kind for a in await hub_server.open_alarms()] == ["gas"]


async def test_gateway_clock_far_off_is_corrected_from_the_nak(
    hub_server: RunningHub,
) -> None:
    async with aiohttp.ClientSession() as session:
        link = await _enrolled_link(hub_server, session)
        link._clock_offset = timedelta(minutes=-10)  # a gateway whose RTC lost ten minutes
        link.start()
        try:
            message_id = link.send(
                MessageType.ALARM_RAISED, RaisedAlarm.new(AlarmKind.SOS, "t").to_body()
            )
            await link.wait_delivered(message_id, timeout=5)
        finally:
            await link.stop()
    assert abs(link._clock_offset.total_seconds()) < 5
    assert hub_server.context.rejections["stale"] >= 1
    assert len(await hub_server.open_alarms()) == 1


async def test_an_alarm_raised_during_an_outage_cuts_the_reconnect_wait_short(
    hub_server: RunningHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gateway deep in its reconnect backoff (here 25-50 s) must not sit on a new alarm:
    queuing one starts an attempt at once, and the hub, back by then, has it in seconds."""
    monkeypatch.setattr(client, "_BACKOFF_FIRST", 50.0)
    async with aiohttp.ClientSession() as session:
        link = await _enrolled_link(hub_server, session)
        await hub_server.stop()
        states: list[LinkState] = []
        link.add_state_listener(states.append)
        link.start()
        try:
            await until(lambda: LinkState.DISCONNECTED in states, timeout=5)  # backing off now
            await hub_server.start()
            await asyncio.sleep(1)
            assert link.state is LinkState.DISCONNECTED  # still waiting out its backoff
            message_id = link.send(
                MessageType.ALARM_RAISED, RaisedAlarm.new(AlarmKind.SOS, "t").to_body()
            )
            await link.wait_delivered(message_id, timeout=4)
        finally:
            await link.stop()
    assert [a.kind for a in await hub_server.open_alarms()] == ["sos"]
