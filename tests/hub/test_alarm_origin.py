"""When and where an alarm happened at home, as the hub stores and shows it.

An SOS pressed while the hub was down reaches it later: its card and the family page must
show when it happened at home and that it came late, by how much. A household whose clock is
a little off (inside the freshness window, so never corrected) must not look late.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import aiohttp

from gateway.alarms import AlarmKind, RaisedAlarm, utc_iso
from gateway.link import GatewayCredentials, enroll
from gateway.protocol import Envelope, MessageType
from hub.core.schema import MIGRATIONS, migrate
from hub.core.storage import HubStore
from hub.policy import Role

from ..conftest import RunningHub, cookie_session


async def _credentials(hub: RunningHub, session: aiohttp.ClientSession) -> GatewayCredentials:
    household = await hub.add_household()
    return await enroll(session, hub.url, await hub.enrollment_code(household.id), "gw")


async def _raise(hub: RunningHub, alarm: RaisedAlarm, *, sent: datetime) -> Envelope:
    """One alarm.raised sent at `sent` (the gateway's clock); the hub's reply."""
    async with aiohttp.ClientSession() as session:
        credentials = await _credentials(hub, session)
        message = Envelope.new(
            credentials.gateway_id, 1, MessageType.ALARM_RAISED, alarm.to_body(), sent
        ).signed(credentials.signing_key())
        async with session.ws_connect(f"{hub.url}/api/v1/gateway") as ws:
            await ws.send_str(message.to_json())
            reply = Envelope.from_json((await ws.receive(timeout=5)).data)
    return reply


async def test_alarm_held_27_s_is_late_by_27_s_and_happened_27_s_before_it_arrived(
    hub_server: RunningHub,
) -> None:
    now = datetime.now(UTC)
    pressed = now - timedelta(seconds=27)
    alarm = RaisedAlarm.new(AlarmKind.SOS, "button.call_for_help", pressed, "客厅呼叫按钮")
    reply = await _raise(hub_server, alarm, sent=now)
    assert reply.type == "ack"
    (row,) = await hub_server.wait_for_open_alarms(1)
    received = datetime.fromisoformat(row.received_at)
    happened = datetime.fromisoformat(row.happened_at)
    assert abs((received - happened).total_seconds() - 27) < 1
    assert row.late_by_seconds in (26, 27, 28)
    assert row.occurred_at == utc_iso(pressed)  # the household's own time, kept as sent
    assert row.source_name == "客厅呼叫按钮"
    assert row.as_dict()["late_by_seconds"] == row.late_by_seconds


async def test_a_household_clock_30_s_behind_does_not_make_a_prompt_alarm_late(
    hub_server: RunningHub,
) -> None:
    behind = datetime.now(UTC) - timedelta(seconds=30)  # inside the window: never corrected
    alarm = RaisedAlarm.new(AlarmKind.SOS, "button.call_for_help", behind - timedelta(seconds=1))
    reply = await _raise(hub_server, alarm, sent=behind)
    assert reply.type == "ack"
    (row,) = await hub_server.wait_for_open_alarms(1)
    assert row.late_by_seconds is None
    held = datetime.fromisoformat(row.received_at) - datetime.fromisoformat(row.happened_at)
    assert timedelta(0) <= held < timedelta(seconds=3)
    assert row.source_name == ""


async def test_a_household_clock_ahead_of_the_send_time_is_not_a_negative_delay(
    hub_server: RunningHub,
) -> None:
    now = datetime.now(UTC)
    alarm = RaisedAlarm.new(AlarmKind.SOS, "button.call_for_help", now + timedelta(seconds=5))
    await _raise(hub_server, alarm, sent=now)
    (row,) = await hub_server.wait_for_open_alarms(1)
    assert row.happened_at == row.received_at
    assert row.late_by_seconds is None


async def test_family_view_shows_when_it_happened_and_that_it_came_late(
    hub_server: RunningHub,
) -> None:
    now = datetime.now(UTC)
    alarm = RaisedAlarm.new(AlarmKind.SOS, "button.sos", now - timedelta(seconds=40), "卧室按钮")
    await _raise(hub_server, alarm, sent=now)
    (row,) = await hub_server.wait_for_open_alarms(1)
    async with cookie_session() as family:
        await hub_server.sign_in(family, Role.FAMILY, household_id=row.household_id)
        async with family.get(hub_server.url + "/api/v1/family/household") as response:
            (shown,) = (await response.json())["alarms"]
    assert shown["happened_at"] == row.happened_at
    assert shown["late_by_seconds"] in (39, 40, 41)
    assert shown["source_name"] == "卧室按钮"


async def test_an_over_long_source_name_is_refused_and_the_link_goes_on(
    hub_server: RunningHub,
) -> None:
    alarm = RaisedAlarm.new(AlarmKind.SOS, "button.sos", source_name="名" * 101)
    reply = await _raise(hub_server, alarm, sent=datetime.now(UTC))
    assert (reply.type, reply.body["reason"]) == ("nak", "malformed")
    assert await hub_server.open_alarms() == []


def test_alarms_stored_before_keep_their_household_time(tmp_path) -> None:
    """Migration 10: an alarm stored by an earlier hub gets happened_at from its occurred_at,
    or its received_at when the household's clock put it later."""
    path = tmp_path / "hub.sqlite3"
    db = sqlite3.connect(path)
    migrate(db, target=9)  # before migration 10
    db.execute("INSERT INTO households (id, name, address, created_at) VALUES ('h', 'H', 'A', 'x')")
    for alarm_id, occurred, received in (
        ("early", "2026-12-01T08:00:00.000Z", "2026-12-01T08:00:30.000Z"),
        ("ahead", "2026-12-01T09:00:10.000Z", "2026-12-01T09:00:00.000Z"),
    ):
        db.execute(
            "INSERT INTO alarms (id, household_id, gateway_id, kind, severity, status, source,"
            " occurred_at, received_at, last_seen) VALUES (?, 'h', 'g', 'sos', 'critical',"
            " 'new', 's', ?, ?, ?)",
            [alarm_id, occurred, received, received],
        )
    db.commit()
    db.close()
    store = HubStore(path)
    try:
        assert store.schema_version == len(MIGRATIONS)
        early, ahead = store.alarm("early"), store.alarm("ahead")
        assert early is not None
        assert ahead is not None
        assert (early.happened_at, early.late_by_seconds) == ("2026-12-01T08:00:00.000Z", 30)
        assert (ahead.happened_at, ahead.late_by_seconds) == ("2026-12-01T09:00:00.000Z", None)
    finally:
        store.close()
