"""device.status on a real hub: stored for the dispatcher, checked, a full report forgets
devices the home no longer has, and a resent report changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp

from gateway.link import GatewayCredentials, enroll
from gateway.protocol import DeviceReport, DeviceStatusBody, Envelope, MessageType, acked_ids
from hub.core.registry import DeviceState

from ..conftest import RunningHub

SEEN = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
VALVE = DeviceReport("a1b2c3", "Kitchen gas valve", "gas_valve", 87, SEEN, "open")
SMOKE = DeviceReport("d4e5f6", "Kitchen smoke", "smoke", 64, SEEN, "off")
SOS = DeviceReport("binary_sensor.bedside_sos", "Bedside SOS", "sos")


async def _credentials(hub: RunningHub, session: aiohttp.ClientSession) -> GatewayCredentials:
    household = await hub.add_household()
    return await enroll(session, hub.url, await hub.enrollment_code(household.id), "gw")


def _status(credentials: GatewayCredentials, seq: int, body: dict) -> Envelope:
    return Envelope.new(
        credentials.gateway_id, seq, MessageType.DEVICE_STATUS, body, datetime.now(UTC)
    ).signed(credentials.signing_key())


def _report(*devices: DeviceReport, full: bool = True) -> dict:
    return DeviceStatusBody(devices, full).to_body()


async def _send(
    ws: aiohttp.ClientWebSocketResponse, credentials: GatewayCredentials, message: Envelope
) -> Envelope:
    await ws.send_str(message.to_json())
    reply = Envelope.from_json((await ws.receive(timeout=5)).data)
    reply.verify(credentials.hub_key())
    if reply.type == MessageType.ACK:
        assert acked_ids(reply.body) == [message.id]
    else:
        assert reply.body["id"] == message.id
    return reply


async def _devices(hub: RunningHub, household_id: str) -> dict[str, DeviceState]:
    devices = await hub.context.db(hub.context.store.registry.devices, household_id)
    return {device.id: device for device in devices}


async def test_reports_are_stored_and_a_full_one_forgets_what_is_gone(
    hub_server: RunningHub,
) -> None:
    async with aiohttp.ClientSession() as session:
        credentials = await _credentials(hub_server, session)
        household = credentials.household_id
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            first = _status(credentials, 1, _report(VALVE, SMOKE, SOS))
            assert (await _send(ws, credentials, first)).type == "ack"
            stored = await _devices(hub_server, household)
            assert set(stored) == {VALVE.id, SMOKE.id, SOS.id}
            valve = stored[VALVE.id]
            assert (valve.name, valve.kind, valve.battery, valve.state) == (
                "Kitchen gas valve",
                "gas_valve",
                87,
                "open",
            )
            assert valve.last_seen == "2026-11-21T08:00:00.000Z"
            assert (stored[SOS.id].battery, stored[SOS.id].last_seen) == (None, None)

            # A partial report changes what it lists and leaves the rest.
            closed = DeviceReport(VALVE.id, VALVE.name, VALVE.kind, 86, SEEN, "closed")
            partial = _status(credentials, 2, _report(closed, full=False))
            assert (await _send(ws, credentials, partial)).type == "ack"
            stored = await _devices(hub_server, household)
            assert set(stored) == {VALVE.id, SMOKE.id, SOS.id}
            assert (stored[VALVE.id].state, stored[VALVE.id].battery) == ("closed", 86)

            # The smoke detector was taken out of the home: the next full report forgets it.
            full = _status(credentials, 3, _report(closed, SOS))
            assert (await _send(ws, credentials, full)).type == "ack"
            assert set(await _devices(hub_server, household)) == {VALVE.id, SOS.id}

            # An empty full report: the home has no safety devices left.
            empty = _status(credentials, 4, _report())
            assert (await _send(ws, credentials, empty)).type == "ack"
            assert await _devices(hub_server, household) == {}


async def test_a_resent_report_is_acked_again_and_changes_nothing(
    hub_server: RunningHub,
) -> None:
    async with aiohttp.ClientSession() as session:
        credentials = await _credentials(hub_server, session)
        report = _status(credentials, 1, _report(VALVE, SMOKE))
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            assert (await _send(ws, credentials, report)).type == "ack"
            before = await _devices(hub_server, credentials.household_id)
        # The ack was lost: after a reconnect the gateway sends the same message again.
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            for _ in range(2):
                assert (await _send(ws, credentials, report)).type == "ack"
        after = await _devices(hub_server, credentials.household_id)
    assert set(after) == set(before)
    for device_id, device in after.items():
        assert (device.name, device.kind, device.battery, device.state) == (
            before[device_id].name,
            before[device_id].kind,
            before[device_id].battery,
            before[device_id].state,
        )


async def test_malformed_reports_get_naks_and_the_link_keeps_working(
    hub_server: RunningHub,
) -> None:
    async with aiohttp.ClientSession() as session:
        credentials = await _credentials(hub_server, session)
        good = VALVE.to_body()
        bad_bodies = [
            {},
            {"devices": [good]},  # no `full`
            {"devices": "all", "full": True},
            {"devices": [{**good, "battery": 250}], "full": True},
            {"devices": [{**good, "state": "<script>"}], "full": True},
            {"devices": [{**good, "id": ""}], "full": True},
            {"devices": [good, good], "full": True},
            {"devices": [good] * 201, "full": False},
            {"devices": [{**good, "last_seen": "soon"}], "full": True},
        ]
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            for seq, body in enumerate(bad_bodies, start=1):
                nak = await _send(ws, credentials, _status(credentials, seq, body))
                assert (nak.type, nak.body["reason"]) == ("nak", "malformed")
            ok = _status(credentials, len(bad_bodies) + 1, _report(VALVE))
            assert (await _send(ws, credentials, ok)).type == "ack"
    assert hub_server.context.rejections["malformed"] == len(bad_bodies)
    assert set(await _devices(hub_server, credentials.household_id)) == {VALVE.id}


async def test_one_households_report_never_touches_another(hub_server: RunningHub) -> None:
    async with aiohttp.ClientSession() as session:
        ours = await _credentials(hub_server, session)
        theirs = await _credentials(hub_server, session)
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            await _send(ws, theirs, _status(theirs, 1, _report(SMOKE)))
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            await _send(ws, ours, _status(ours, 1, _report(VALVE)))
    assert set(await _devices(hub_server, theirs.household_id)) == {SMOKE.id}
    assert set(await _devices(hub_server, ours.household_id)) == {VALVE.id}
