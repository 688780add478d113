"""The hub's gateway socket against hostile input: reject clearly, never crash, lose nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import aiohttp

from gateway.alarms import AlarmKind, RaisedAlarm, utc_iso
from gateway.link import GatewayCredentials, enroll
from gateway.protocol import Envelope, MessageType
from provisioning import keys

from ..conftest import RunningHub


async def _credentials(hub: RunningHub, session: aiohttp.ClientSession) -> GatewayCredentials:
    household = await hub.add_household()
    return await enroll(session, hub.url, await hub.enrollment_code(household.id), "gw")


def _alarm(credentials: GatewayCredentials, seq: int, key=None) -> Envelope:
    return Envelope.new(
        credentials.gateway_id,
        seq,
        MessageType.ALARM_RAISED,
        RaisedAlarm.new(AlarmKind.SOS, "t").to_body(),
        datetime.now(UTC),
    ).signed(key or credentials.signing_key())


async def _reply(ws: aiohttp.ClientWebSocketResponse, hub_key) -> Envelope:
    envelope = Envelope.from_json((await ws.receive(timeout=5)).data)
    envelope.verify(hub_key)  # every hub reply is signed by the hub
    return envelope


async def test_garbage_frames_get_naks_and_the_connection_keeps_working(
    hub_server: RunningHub,
) -> None:
    async with aiohttp.ClientSession() as session:
        credentials = await _credentials(hub_server, session)
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            for frame in ("nonsense", "{}", json.dumps({"v": 1}), "[]", "\u0000"):
                await ws.send_str(frame)
                nak = await _reply(ws, credentials.hub_key())
                assert nak.type == "nak"
                assert nak.body["reason"] in {"malformed", "unsupported"}
            await ws.send_bytes(b"\x00binary")
            good = _alarm(credentials, 1)
            await ws.send_str(good.to_json())
            ack = await _reply(ws, credentials.hub_key())
            assert (ack.type, ack.body["id"]) == ("ack", good.id)
    assert len(await hub_server.open_alarms()) == 1


async def test_forged_signature_is_refused_and_stores_nothing(hub_server: RunningHub) -> None:
    async with aiohttp.ClientSession() as session:
        credentials = await _credentials(hub_server, session)
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            forged = _alarm(credentials, 1, key=keys.new_private_key())
            await ws.send_str(forged.to_json())
            nak = await _reply(ws, credentials.hub_key())
            assert (nak.type, nak.body["reason"]) == ("nak", "bad_signature")
            closing = await ws.receive(timeout=5)
            assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert await hub_server.open_alarms() == []
    assert hub_server.context.rejections["bad_signature"] == 1


async def test_unknown_gateway_and_replayed_message(hub_server: RunningHub) -> None:
    async with aiohttp.ClientSession() as session:
        credentials = await _credentials(hub_server, session)
        stranger = GatewayCredentials(
            hub_url=hub_server.url,
            gateway_id="NOPE",
            household_id="x",
            household_name="x",
            private_key=keys.private_key_to_text(keys.new_private_key()),
            hub_public_key=credentials.hub_public_key,
        )
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            await ws.send_str(_alarm(stranger, 1).to_json())
            nak = await _reply(ws, credentials.hub_key())
            assert nak.body["reason"] == "unknown_gateway"
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            message = _alarm(credentials, 1)
            for _ in range(3):  # a replay inside the window is acked again, stored once
                await ws.send_str(message.to_json())
                assert (await _reply(ws, credentials.hub_key())).type == "ack"
    alarms = await hub_server.open_alarms()
    assert [alarm.count for alarm in alarms] == [1]


async def test_message_from_the_future_is_nakd_with_server_time(hub_server: RunningHub) -> None:
    async with aiohttp.ClientSession() as session:
        credentials = await _credentials(hub_server, session)
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            envelope = Envelope(
                gw=credentials.gateway_id,
                seq=1,
                sent=utc_iso(datetime(2030, 1, 1, tzinfo=UTC)),
                id=_alarm(credentials, 1).id,
                type="heartbeat",
                body={},
            ).signed(credentials.signing_key())
            await ws.send_str(envelope.to_json())
            nak = await _reply(ws, credentials.hub_key())
            assert nak.body["reason"] == "stale"
            server_time = datetime.fromisoformat(nak.body["server_time"])
            assert abs((server_time - datetime.now(UTC)).total_seconds()) < 5
