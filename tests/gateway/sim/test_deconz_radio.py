"""The emulated ConBee II under the real zigpy-deconz driver, over a real TCP socket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import zigpy.exceptions
import zigpy.topology
import zigpy.types as zt
import zigpy.zdo
import zigpy.zdo.types as zdo_t
import zigpy_deconz.zigbee.application as deconz_application
from zigpy_deconz.api import CommandId, NetworkState, Status
from zigpy_deconz.zigbee.application import ControllerApplication

from gateway.sim.air import BROADCAST_RX_ON_WHEN_IDLE, Air, ApsFrame
from gateway.sim.catalog import SmokeDetector
from gateway.sim.codec import node_descriptor
from gateway.sim.deconz_radio import (
    FIRMWARE_VERSION,
    DeconzRadio,
    FrameDecoder,
    checksum,
    encode_frame,
)

STUB_IEEE = zt.EUI64.convert("00:15:8d:00:01:02:03:04")
END_DEVICE_CAPABILITY = 0x80  # Allocate address; battery powered, receiver off when idle.
END_DEVICE_DESCRIPTOR = node_descriptor(
    zdo_t.LogicalType.EndDevice, END_DEVICE_CAPABILITY, 0x1234
).serialize()
STUB_SIMPLE_DESCRIPTOR = zdo_t.SizePrefixedSimpleDescriptor(
    endpoint=1,
    profile=0x0104,
    device_type=0x0000,
    device_version=0,
    input_clusters=[0x0006],
    output_clusters=[],
).serialize()


class StubDevice:
    """The least an AirDevice can be: it records what it gets and answers a bare interview."""

    def __init__(self, air: Air, ieee: zt.EUI64) -> None:
        self.air = air
        self.ieee = bytes(ieee.serialize())
        self.nwk: int | None = None
        self.reachable = True
        self.received: list[ApsFrame] = []

    def receive(self, frame: ApsFrame) -> None:
        self.received.append(frame)
        if frame.profile_id != 0x0000 or self.nwk is None:
            return
        # One endpoint with only On/Off: no Basic cluster, so no attribute reads in the interview.
        tsn, nwk = frame.payload[:1], zt.NWK(self.nwk).serialize()
        answers = {
            zdo_t.ZDOCmd.Node_Desc_req: END_DEVICE_DESCRIPTOR,
            zdo_t.ZDOCmd.Active_EP_req: b"\x01\x01",
            zdo_t.ZDOCmd.Simple_Desc_req: STUB_SIMPLE_DESCRIPTOR,
        }
        if frame.cluster_id in answers:
            response = tsn + b"\x00" + nwk + answers[frame.cluster_id]
            self._reply(frame.cluster_id | 0x8000, response)

    def frames(self, cluster_id: int) -> list[ApsFrame]:
        return [frame for frame in self.received if frame.cluster_id == cluster_id]

    def _reply(self, cluster_id: int, payload: bytes) -> None:
        assert self.nwk is not None
        self.air.to_coordinator(ApsFrame(self.nwk, 0, 0x0000, 0, 0x0000, cluster_id, payload))


async def wait_until(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    # zigpy offers no event for most of what the tests wait on: poll briefly.
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


@pytest.fixture(autouse=True)
def no_pacing_delays(monkeypatch: pytest.MonkeyPatch) -> None:
    # zigpy-deconz waits 2 s between OFFLINE and CONNECTED for real sticks; the emulator is instant.
    monkeypatch.setattr(deconz_application, "CHANGE_NETWORK_STATE_DELAY", 0)
    # zigpy paces topology scans at 1-1.5 s per table page, to spare real meshes.
    monkeypatch.setattr(zigpy.topology, "REQUEST_DELAY", (0, 0))


@pytest.fixture
def air() -> Air:
    return Air()


@pytest.fixture
async def radio(air: Air, tmp_path: Path, socket_enabled: None) -> AsyncIterator[DeconzRadio]:
    radio = DeconzRadio(air, tmp_path / "radio.json")
    await radio.start()
    try:
        yield radio
    finally:
        await radio.stop()


def app_config(port: int, database: Path | None = None) -> dict[str, Any]:
    return {
        "device": {"path": f"socket://127.0.0.1:{port}"},
        "database_path": None if database is None else str(database),
    }


@asynccontextmanager
async def running_app(
    port: int, *, auto_form: bool = True, database: Path | None = None
) -> AsyncIterator[ControllerApplication]:
    app = await ControllerApplication.new(
        app_config(port, database), auto_form=False, start_radio=False
    )
    try:
        await app.startup(auto_form=auto_form)
        yield app
    finally:
        await app.shutdown()


def announce(device: StubDevice, tsn: int = 0x42) -> ApsFrame:
    assert device.nwk is not None
    payload = (
        bytes((tsn,))
        + zt.NWK(device.nwk).serialize()
        + device.ieee
        + bytes((END_DEVICE_CAPABILITY,))
    )
    return ApsFrame(
        src_nwk=device.nwk,
        src_ep=0,
        dst_nwk=BROADCAST_RX_ON_WHEN_IDLE,
        dst_ep=0,
        profile_id=0x0000,
        cluster_id=zdo_t.ZDOCmd.Device_annce,
        payload=payload,
        lqi=180,
        rssi=-62,
    )


def packet_to(nwk: int, data: bytes) -> zt.ZigbeePacket:
    return zt.ZigbeePacket(
        src=zt.AddrModeAddress(addr_mode=zt.AddrMode.NWK, address=0x0000),
        src_ep=1,
        dst=zt.AddrModeAddress(addr_mode=zt.AddrMode.NWK, address=nwk),
        dst_ep=1,
        tsn=data[1],
        profile_id=0x0104,
        cluster_id=0x0006,
        data=zt.SerializableBytes(data),
        tx_options=zt.TransmitOptions.NONE,
    )


async def join_stub(app: ControllerApplication, air: Air) -> StubDevice:
    await app.permit(30)
    watcher = Watcher()
    app.add_listener(watcher)
    stub = StubDevice(air, STUB_IEEE)
    stub.nwk = air.join(stub)
    air.to_coordinator(announce(stub))
    await wait_until(lambda: STUB_IEEE in watcher.initialized)  # The interview is over.
    return stub


# -- Framing ------------------------------------------------------------------------------------


def test_frames_escape_and_check_like_zigpy_deconz() -> None:
    data = bytes((0x0D, 0x01, 0x00, 0x09, 0x00, 0xC0, 0xDB, 0x26, 0x00))
    framed = encode_frame(data)
    assert framed[0] == framed[-1] == 0xC0
    assert 0xC0 not in framed[1:-1]
    assert FrameDecoder().feed(b"\x01\x02" + framed[:4]) == []  # Garbage, then half a frame.
    decoder = FrameDecoder()
    assert decoder.feed(framed[:4]) == []
    assert decoder.feed(framed[4:]) == [data]
    assert (sum(data) + int.from_bytes(checksum(data), "little")) & 0xFFFF == 0


# -- Startup, formation, joining, sending --------------------------------------------------------


async def test_zigpy_forms_a_network_and_reads_it_back(radio: DeconzRadio, air: Air) -> None:
    port = radio.port
    async with running_app(port) as app:
        network = app.state.network_info
        assert radio.network_state == NetworkState.CONNECTED
        assert network.pan_id == radio.pan_id != 0xFFFF
        assert network.extended_pan_id == radio.extended_pan_id
        assert network.channel == radio.channel
        assert network.channel in (11, 15, 20, 25)  # Picked by zigpy's energy scan.
        assert network.network_key.key == radio.network_key
        assert app.state.node_info.ieee == radio.ieee
        assert app.state.node_info.nwk == 0x0000
        assert app._api.firmware_version == FIRMWARE_VERSION
        # The coordinator interviewed itself over ZDO: the emulated firmware answered.
        coordinator = app.get_device(nwk=0x0000)
        assert coordinator.node_desc is not None
        assert coordinator.node_desc.logical_type == zdo_t.LogicalType.Coordinator
        assert {1, 2, 0xF2} <= set(coordinator.endpoints)
        assert coordinator.endpoints[2].profile_id == 0xC05E  # zigpy's ZLL endpoint, written.
        assert not air.joins_permitted  # zigpy closes joins at startup.


async def test_permit_opens_the_air_and_zigpy_adds_an_announced_device(
    radio: DeconzRadio, air: Air
) -> None:
    async with running_app(radio.port) as app:
        received: list[zt.ZigbeePacket] = []
        app.packet_received = _tap(app.packet_received, received)
        stub = await join_stub(app, air)
        assert air.joins_permitted
        device = app.get_device(ieee=STUB_IEEE)
        assert device.nwk == stub.nwk
        annce = next(p for p in received if p.cluster_id == zdo_t.ZDOCmd.Device_annce)
        assert annce.src == zt.AddrModeAddress(addr_mode=zt.AddrMode.NWK, address=stub.nwk)
        assert annce.dst.addr_mode == zt.AddrMode.Broadcast
        assert (annce.lqi, annce.rssi) == (180, -62)
        # zigpy interviewed the new device through the radio.
        assert device.node_desc is not None
        assert device.node_desc.is_end_device
        await app.permit(0)
        assert not air.joins_permitted


async def test_a_permit_joining_broadcast_alone_opens_the_air(radio: DeconzRadio, air: Air) -> None:
    async with running_app(radio.port) as app:
        await zigpy.zdo.broadcast(
            app,
            zdo_t.ZDOCmd.Mgmt_Permit_Joining_req,
            0x0000,
            0x00,
            60,
            0,
            broadcast_address=zt.BroadcastAddress.ALL_ROUTERS_AND_COORDINATOR,
        )
        assert air.joins_permitted


async def test_delivery_succeeds_to_a_device_and_fails_to_nobody(
    radio: DeconzRadio, air: Air
) -> None:
    async with running_app(radio.port) as app:
        stub = await join_stub(app, air)
        assert stub.nwk is not None
        data = bytes((0x01, 0x37, 0x01))  # ZCL cluster-specific On, TSN 0x37.
        counter = radio.frame_counter
        await app.send_packet(packet_to(stub.nwk, data))
        await wait_until(lambda: bool(stub.frames(0x0006)))
        frame = stub.frames(0x0006)[0]
        assert frame.payload == data
        assert (frame.src_nwk, frame.src_ep, frame.dst_ep, frame.profile_id) == (0, 1, 1, 0x0104)
        assert radio.frame_counter > counter

        with pytest.raises(zigpy.exceptions.DeliveryError):
            await app.send_packet(packet_to(0x4321, data))

        stub.reachable = False
        with pytest.raises(zigpy.exceptions.DeliveryError):
            await app.send_packet(packet_to(stub.nwk, data))


# -- Restarts ------------------------------------------------------------------------------------


async def test_a_restarted_stack_and_a_restarted_radio_find_the_same_network(
    air: Air, tmp_path: Path, socket_enabled: None
) -> None:
    state_path = tmp_path / "radio.json"
    database = tmp_path / "zigbee.db"
    radio = DeconzRadio(air, state_path)
    port = await radio.start()
    try:
        async with running_app(port, database=database) as app:
            formed = network_of(app)
            assert formed == network_of(radio)
            await join_stub(app, air)
            # The coordinator's neighbour table (Mgmt_Lqi to itself) lists the sleepy stub.
            await app.topology.scan(devices=[app._device])
            neighbors = app.topology.neighbors[app.state.node_info.ieee]
            assert [(n.ieee, n.device_type) for n in neighbors] == [
                (STUB_IEEE, zdo_t.Neighbor.DeviceType.EndDevice)
            ]
        # Home Assistant restarts: the stick stays up, the stack reconnects.
        async with running_app(port, auto_form=False, database=database) as app:
            assert network_of(app) == formed
            assert STUB_IEEE in app.devices  # Interviewed, so zigpy saved it.
        counter = radio.frame_counter
    finally:
        await radio.stop()

    # The stick itself restarts (a new process): the network comes from the state file.
    radio = DeconzRadio(air, state_path)
    port = await radio.start()
    try:
        assert radio.frame_counter == counter
        assert network_of(radio) == formed
        assert radio.neighbors == ()
        async with running_app(port, auto_form=False, database=database) as app:
            assert network_of(app) == formed
            assert app.state.network_info.tc_link_key.key == zt.KeyData(b"ZigBeeAlliance09")
            assert app.state.node_info.ieee == radio.ieee
            # zigpy-deconz hands the stick its sleepy children back (update_neighbor).
            assert [n.ieee for n in radio.neighbors] == [STUB_IEEE]
    finally:
        await radio.stop()


async def test_a_virtual_device_is_interviewed_and_remembered_across_restarts(
    radio: DeconzRadio, air: Air, tmp_path: Path
) -> None:
    # The whole chain: gateway.sim's virtual HEIMAN smoke sensor, the air, this radio, zigpy.
    database = tmp_path / "zigbee.db"
    smoke = SmokeDetector(air)
    try:
        async with running_app(radio.port, database=database) as app:
            watcher = Watcher()
            app.add_listener(watcher)
            await app.permit(30)
            smoke.join()
            await wait_until(lambda: smoke.eui64 in watcher.initialized)
            device = app.get_device(ieee=smoke.eui64)
            assert (device.manufacturer, device.model) == ("HEIMAN", "SmokeSensor-EM")
            assert 0x0500 in device.endpoints[1].in_clusters
        async with running_app(radio.port, auto_form=False, database=database) as app:
            assert app.get_device(ieee=smoke.eui64).model == "SmokeSensor-EM"
    finally:
        smoke.close()


async def test_an_unformed_radio_refuses_startup_without_auto_form(radio: DeconzRadio) -> None:
    app = ControllerApplication(app_config(radio.port))
    with pytest.raises(zigpy.exceptions.NetworkNotFormed):
        await app.startup(auto_form=False)
    await app.shutdown()


# -- Garbage in both directions ------------------------------------------------------------------


async def test_the_stack_survives_garbage_from_the_radio(radio: DeconzRadio, air: Air) -> None:
    async with running_app(radio.port) as app:
        stub = await join_stub(app, air)
        assert stub.nwk is not None
        good = bytes((CommandId.device_state_changed, 0, 0, 7, 0, 0x22, 0))
        bad_checksum = b"\xc0" + good + b"\x00\x00\xc0"
        radio.inject_garbage(bad_checksum)
        radio.inject_garbage(b"\xc0\x0e\x00\xc0")  # Truncated.
        radio.inject_garbage(encode_frame(bytes((0x55, 0, 0, 5, 0))))  # Unknown command.
        radio.inject_garbage(encode_frame(good[:-1] + b"\x00\x00"))  # Wrong frame length.
        radio.inject_garbage(b"\x01\x02\x03\x04\x05")  # Unterminated: the next frame ends it.
        data = bytes((0x01, 0x38, 0x00))
        await app.send_packet(packet_to(stub.nwk, data))
        await wait_until(lambda: any(f.payload == data for f in stub.received))
        await app.permit(10)
        assert air.joins_permitted


async def test_a_dangling_escape_drops_zigpy_deconz_and_it_reconnects(radio: DeconzRadio) -> None:
    # zigpy-deconz 0.25.5 quirk: an ESC right before END makes its unescape return None and
    # its data_received raise, so asyncio closes the connection. The stack must reconnect.
    watcher = Watcher()
    async with running_app(radio.port) as app:
        app.add_listener(watcher)
        radio.inject_garbage(b"\xc0\x01\x02\xdb\xc0")
        await asyncio.wait_for(watcher.lost.wait(), 3)
    async with running_app(radio.port, auto_form=False) as app:
        assert app.state.network_info.pan_id == radio.pan_id


async def test_the_radio_survives_garbage_from_the_host(radio: DeconzRadio) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", radio.port)
    try:
        version = bytes((CommandId.version, 1, 0, 9, 0, 0, 0, 0, 0))
        writer.write(b"\xc0" + version + b"\x00\x00\xc0")  # Bad checksum.
        writer.write(b"\xc0\x01\xc0")  # Too short to carry a checksum.
        writer.write(encode_frame(bytes((0x0D, 2))))  # Too short to be a command.
        writer.write(encode_frame(bytes((0x55, 3, 0, 5, 0))))  # Unknown command.
        truncated = bytes((CommandId.read_parameter, 4, 0, 7, 0, 0, 0))  # No parameter id.
        writer.write(encode_frame(truncated))
        writer.write(encode_frame(version.replace(b"\x01", b"\x05", 1)))
        await writer.drain()
        responses = await _read_frames(reader, count=3)
    finally:
        writer.close()
        await writer.wait_closed()

    assert [(r[0], r[1], r[2]) for r in responses] == [
        (0x55, 3, Status.UNSUPPORTED),
        (CommandId.read_parameter, 4, Status.INVALID_VALUE),
        (CommandId.version, 5, Status.SUCCESS),
    ]
    assert int.from_bytes(responses[2][5:9], "little") == FIRMWARE_VERSION
    # And the real stack still gets a working radio afterwards.
    async with running_app(radio.port) as app:
        assert app.state.network_info.pan_id == radio.pan_id


async def test_a_new_connection_replaces_the_old_one(radio: DeconzRadio) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", radio.port)
    try:
        await wait_until(lambda: radio.connected)
        async with running_app(radio.port) as app:
            assert await reader.read() == b""  # The first host was hung up on.
            assert app.state.network_info.pan_id == radio.pan_id
    finally:
        writer.close()
        await writer.wait_closed()


# -- Helpers -------------------------------------------------------------------------------------


class Watcher:
    """A zigpy application listener for the events tests wait on."""

    def __init__(self) -> None:
        self.initialized: set[zt.EUI64] = set()
        self.lost = asyncio.Event()

    def device_initialized(self, device: Any) -> None:
        self.initialized.add(device.ieee)

    def connection_lost(self, exc: BaseException | None) -> None:
        self.lost.set()


def network_of(source: ControllerApplication | DeconzRadio) -> tuple[Any, ...]:
    """PAN ID, extended PAN ID, channel and network key, as the stack or the radio sees them."""
    if isinstance(source, DeconzRadio):
        return (source.pan_id, source.extended_pan_id, source.channel, source.network_key)
    # Read at once: zigpy's backup task reloads (and briefly blanks) these fields later on.
    info = source.state.network_info
    return (info.pan_id, info.extended_pan_id, info.channel, info.network_key.key)


def _tap(
    original: Callable[[zt.ZigbeePacket], None], into: list[zt.ZigbeePacket]
) -> Callable[[zt.ZigbeePacket], None]:
    def tapped(packet: zt.ZigbeePacket) -> None:
        into.append(packet)
        original(packet)

    return tapped


async def _read_frames(reader: asyncio.StreamReader, count: int) -> list[bytes]:
    decoder = FrameDecoder()
    frames: list[bytes] = []
    async with asyncio.timeout(3):
        while len(frames) < count:
            frames += decoder.feed(await reader.read(256))
    return frames
