"""The virtual proxy's server on its wire: events, GATT requests, and bad input answered
with typed errors while the server keeps serving."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.ble.blood_pressure import decode_blood_pressure
from gateway.sim.ble.device import Timing
from gateway.sim.ble.devices import BLOOD_PRESSURE_MEASUREMENT, BLOOD_PRESSURE_SERVICE
from gateway.sim.ble.household import VirtualBleHousehold
from gateway.sim.ble.proxy_server import ProxyServer, start_proxy_server
from gateway.sim.ble.wire import MAX_LINE_BYTES


class WireClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.events: list[dict[str, Any]] = []
        self._next = 0

    async def receive(self) -> dict[str, Any]:
        async with asyncio.timeout(2):
            message: dict[str, Any] = json.loads(await self.reader.readline())
        return message

    async def event(self, kind: str, **match: Any) -> dict[str, Any]:
        for seen in self.events:
            if seen["event"] == kind and all(seen.get(k) == v for k, v in match.items()):
                self.events.remove(seen)
                return seen
        while True:
            message = await self.receive()
            if message.get("event") == kind and all(message.get(k) == v for k, v in match.items()):
                return message
            if "event" in message:
                self.events.append(message)

    async def raw(self, line: bytes) -> dict[str, Any]:
        """Send a line; the first reply (events that come first are kept)."""
        self.writer.write(line)
        while True:
            message = await self.receive()
            if "event" not in message:
                return message
            self.events.append(message)

    async def ask(self, op: str, address: str, **fields: Any) -> dict[str, Any]:
        self._next += 1
        request = {"id": self._next, "op": op, "address": address, **fields}
        reply = await self.raw(json.dumps(request).encode() + b"\n")
        assert reply["id"] == self._next
        return reply


@pytest.fixture
async def home() -> AsyncIterator[VirtualBleHousehold]:
    household = VirtualBleHousehold(timing=Timing(linger_seconds=5))
    yield household
    household.close()


@pytest.fixture
async def server(home: VirtualBleHousehold, socket_enabled: None) -> AsyncIterator[ProxyServer]:
    proxy = await start_proxy_server(home, 0, slots=1, advert_interval=0.05)
    yield proxy
    await proxy.close()


@pytest.fixture
async def client(server: ProxyServer) -> AsyncIterator[WireClient]:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    wire = WireClient(reader, writer)
    hello = await wire.receive()
    assert hello["event"] == "hello"
    assert hello["slots"] == 1
    yield wire
    writer.close()


def error_code(reply: dict[str, Any]) -> str:
    return str(reply["error"]["code"])


async def test_advertisements_connection_and_indications_over_the_wire(
    home: VirtualBleHousehold, client: WireClient
) -> None:
    cuff = home.bp
    cuff.measure(150, 95, pulse=80)
    advert = await client.event("advertisement", address=cuff.address)
    assert advert["service_uuids"] == [BLOOD_PRESSURE_SERVICE]
    assert advert["name"] == "SIM-BPM"

    assert (await client.ask("connect", cuff.address))["result"]["mtu"] == 23
    assert (await client.event("slots", free=0))["allocated"] == [cuff.address]
    table = (await client.ask("services", cuff.address))["result"]["services"]
    (bp_service,) = [s for s in table if s["uuid"] == BLOOD_PRESSURE_SERVICE]
    (measurement,) = [
        c for c in bp_service["characteristics"] if c["uuid"] == BLOOD_PRESSURE_MEASUREMENT
    ]
    assert measurement["properties"] == ["indicate"]
    (cccd,) = measurement["descriptors"]
    write = await client.ask("write", cuff.address, handle=cccd["handle"], value="0200")
    assert write == {"id": write["id"], "result": {}}
    indication = await client.event("notification", address=cuff.address)
    assert indication["handle"] == measurement["handle"]
    assert indication["indication"]
    assert decode_blood_pressure(bytes.fromhex(indication["value"])).systolic == 150

    read = await client.ask("read", cuff.address, handle=measurement["handle"])
    assert error_code(read) == "att_error"
    assert read["error"]["att"] == 0x02

    cuff.hang_up()
    gone = await client.event("disconnected", address=cuff.address)
    assert gone["reason"]
    assert (await client.event("slots", free=1))["allocated"] == []


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (b"this is not json\n", "bad_json"),
        (b"[1, 2, 3]\n", "bad_json"),
        (b'{"id": 1}\n', "unknown_op"),
        (b'{"id": 2, "op": "explode", "address": "D2:4B:7A:10:35:01"}\n', "unknown_op"),
        (b'{"id": 3, "op": "read", "address": "D2:4B:7A:10:35:01"}\n', "bad_request"),
        (b'{"id": 4, "op": "read", "address": 7, "handle": 3}\n', "bad_request"),
        (b'{"id": 5, "op": "write", "address": "x", "handle": 3, "value": "zz"}\n', "bad_request"),
        (
            b'{"id": 6, "op": "read", "address": "D2:4B:7A:10:35:01", "handle": true}\n',
            "bad_request",
        ),
        (b'{"id": 7, "op": "connect", "address": "00:11:22:33:44:55"}\n', "unknown_device"),
        (b'{"id": 8, "op": "connect", "address": "D2:4B:7A:10:35:01"}\n', "not_advertising"),
        (b'{"id": 9, "op": "services", "address": "D2:4B:7A:10:35:01"}\n', "not_connected"),
        (b"\xff\xfe\n", "bad_json"),
    ],
)
async def test_bad_input_gets_a_typed_error_and_the_server_carries_on(
    home: VirtualBleHousehold, client: WireClient, line: bytes, code: str
) -> None:
    reply = await client.raw(line)
    assert error_code(reply) == code, reply
    home.scale.measure(70)
    assert "result" in await client.ask("connect", home.scale.address)


async def test_an_overlong_line_is_refused(home: VirtualBleHousehold, client: WireClient) -> None:
    reply = await client.raw(b'{"id": 1, "pad": "' + b"x" * (MAX_LINE_BYTES + 10) + b'"}\n')
    assert error_code(reply) == "line_too_long"
    home.scale.measure(70)
    assert "result" in await client.ask("connect", home.scale.address)


async def test_slots_are_limited_and_busy_devices_refuse(
    home: VirtualBleHousehold, server: ProxyServer, client: WireClient
) -> None:
    home.bp.measure(120, 80)
    home.scale.measure(70)
    assert "result" in await client.ask("connect", home.bp.address)
    assert error_code(await client.ask("connect", home.scale.address)) == "no_slots"

    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    other = WireClient(reader, writer)
    await other.receive()
    assert error_code(await other.ask("connect", home.bp.address)) == "busy"
    writer.close()

    assert "result" in await client.ask("disconnect", home.bp.address)
    assert "result" in await client.ask("connect", home.scale.address)


async def test_a_client_going_away_drops_its_links(
    home: VirtualBleHousehold, client: WireClient
) -> None:
    home.bp.measure(120, 80)
    assert "result" in await client.ask("connect", home.bp.address)
    assert home.bp.connected
    client.writer.close()
    async with asyncio.timeout(2):
        while home.bp.connected:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    assert home.bp.advertising  # its reading is still stored: it tries again
