"""An emulated ConBee II: the deCONZ serial protocol on a TCP socket, backed by the simulated air.

The unmodified zigpy-deconz driver (and so Home Assistant's ZHA) connects to
`socket://127.0.0.1:PORT` and talks to this radio exactly as to the USB stick: SLIP-framed commands
with a 16-bit two's complement checksum, the command layouts of `zigpy_deconz.api`, network
parameters, the device-state flags that tell the driver when to fetch APS confirms and indications.

What the firmware does on its own is done here too: it forms the network from the written
parameters, answers the ZDO requests about the coordinator node itself (node, active endpoint and
simple descriptors, neighbour and routing tables, energy scan), and opens joins on a permit-join
parameter write or a Mgmt_Permit_Joining_req broadcast. Everything else is relayed between the
driver and the `Air`.

What virtual devices see (zigpy-deconz 0.25 behaviour, mirrored here):
- Unicasts arrive with dst_nwk set (the driver never sends IEEE-addressed frames in normal use);
  broadcasts use 0xFFFC (permit joining), 0xFFFD or 0xFFFF. Group frames are confirmed but not
  delivered: the air has no group addressing.
- The coordinator sends ZDO from endpoint 0 and everything else from endpoint 1, whatever
  endpoint zigpy asked for (`src_ep=min(1, src_ep)` in the driver).
- zigpy only learns of a device from its Device_annce; reply from the endpoint you were asked on.
- Frames to the coordinator reach zigpy with the ApsFrame's lqi and rssi unchanged; the source
  is always reported as a NWK address.
- Delivery is confirmed at once: SUCCESS when `Air.send_from_coordinator` accepted the frame,
  otherwise MAC_NO_ACK (or APS_NO_ACK when the driver asked for APS acks); zigpy retries
  twice, then raises DeliveryError.
"""

from __future__ import annotations

import asyncio
import binascii
import json
import logging
import os
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zigpy.types as zt
import zigpy.zdo.types as zdo_t
import zigpy_deconz.types as dt
from zigpy_deconz.api import (
    COMMAND_SCHEMAS,
    NETWORK_PARAMETER_TYPES,
    CommandId,
    DeviceState,
    DeviceStateFlags,
    IndexedEndpoint,
    IndexedKey,
    LinkKey,
    NetworkParameter,
    NetworkState,
    NetworkState2,
    SecurityMode,
    Status,
)

from gateway.sim.air import BROADCASTS, COORDINATOR_NWK, ZDO_PROFILE, Air, ApsFrame
from gateway.sim.codec import node_descriptor

_LOGGER = logging.getLogger(__name__)

# A ConBee II on a recent firmware: major 0x26, minor 0x78, platform 0x07 (ConBee II), reserved 0.
FIRMWARE_VERSION = 0x26780700
PROTOCOL_VERSION = 0x010E

DRESDEN_ELEKTRONIK_OUI = "00:21:2e"
DRESDEN_ELEKTRONIK_MANUFACTURER_CODE = 0x1135
DEFAULT_TC_LINK_KEY = zt.KeyData(b"ZigBeeAlliance09")
UNFORMED_PAN_ID = 0xFFFF
UNFORMED_NWK = 0xFFFF
UNFORMED_EXTENDED_PAN_ID = zt.ExtendedPanId.convert("ff:ff:ff:ff:ff:ff:ff:ff")

# A real stick buffers only a handful of frames while the host is away; so do we (oldest go).
MAX_QUEUED_INDICATIONS = 64

# -- SLIP framing with the deCONZ checksum ------------------------------------------------------

END = 0xC0
ESC = 0xDB
ESC_END = 0xDC
ESC_ESC = 0xDD
# Command id, sequence number, status and the 16-bit frame length start every frame.
_HEADER_LENGTH = 5
# Garbage that never ends a frame must not grow the buffer for ever.
_MAX_BUFFERED = 4096


def checksum(data: bytes) -> bytes:
    """The deCONZ checksum: the two's complement of the byte sum, little-endian."""
    return ((~sum(data) + 1) & 0xFFFF).to_bytes(2, "little")


def encode_frame(data: bytes) -> bytes:
    """Checksum, escape and delimit one frame; the leading END flushes any garbage before it."""
    escaped = bytearray()
    for byte in data + checksum(data):
        if byte == END:
            escaped += bytes((ESC, ESC_END))
        elif byte == ESC:
            escaped += bytes((ESC, ESC_ESC))
        else:
            escaped.append(byte)
    return bytes((END, *escaped, END))


def _unescape(data: bytes) -> bytes | None:
    out = bytearray()
    escaped = False
    for byte in data:
        if escaped:
            if byte not in (ESC_END, ESC_ESC):
                return None
            out.append(END if byte == ESC_END else ESC)
            escaped = False
        elif byte == ESC:
            escaped = True
        else:
            out.append(byte)
    return None if escaped else bytes(out)


class FrameDecoder:
    """Splits a byte stream into checked frames, dropping (and logging) anything malformed."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        frames: list[bytes] = []
        while (end := self._buffer.find(END)) >= 0:
            chunk = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            if frame := self._check(chunk):
                frames.append(frame)
        if len(self._buffer) > _MAX_BUFFERED:
            _LOGGER.warning("Dropping %d bytes without a frame end", len(self._buffer))
            self._buffer.clear()
        return frames

    @staticmethod
    def _check(chunk: bytes) -> bytes | None:
        if not chunk:
            return None  # Between two END bytes: normal.
        frame = _unescape(chunk)
        if frame is None or len(frame) < 3:
            _LOGGER.warning("Dropping a malformed frame: %s", chunk.hex())
            return None
        data, crc = frame[:-2], frame[-2:]
        if checksum(data) != crc:
            _LOGGER.warning("Dropping a frame with a bad checksum: %s", frame.hex())
            return None
        return data


# -- The coordinator's own ZDO server (what the firmware answers without the host) ---------------

_ZDO_RESPONSE_BIT = 0x8000
_NEIGHBORS_PER_PAGE = 3
# zigpy answers IEEE_addr_req, NWK_addr_req and Match_Desc_req from devices itself; the firmware
# must answer only what zigpy leaves alone, or devices get two replies.
_FIRMWARE_ANSWERS_DEVICES = frozenset(
    {
        zdo_t.ZDOCmd.Node_Desc_req,
        zdo_t.ZDOCmd.Active_EP_req,
        zdo_t.ZDOCmd.Simple_Desc_req,
        zdo_t.ZDOCmd.Mgmt_Lqi_req,
        zdo_t.ZDOCmd.Mgmt_Rtg_req,
    }
)
# Requests that have no response.
_NO_RESPONSE = frozenset({zdo_t.ZDOCmd.Device_annce})


@dataclass(slots=True)
class Neighbor:
    """A device the coordinator heard announce itself; every simulated device is one hop away."""

    ieee: zt.EUI64
    nwk: int
    capability: int
    lqi: int = 255


@dataclass(frozen=True, slots=True)
class LocalNode:
    """What the coordinator's ZDO server reports about itself."""

    ieee: zt.EUI64
    nwk: int
    extended_pan_id: zt.ExtendedPanId
    endpoints: tuple[zdo_t.SimpleDescriptor, ...]
    neighbors: tuple[Neighbor, ...]


def coordinator_node_descriptor() -> zdo_t.NodeDescriptor:
    mac = zdo_t.NodeDescriptor.MACCapabilityFlags
    flags = (
        mac.AlternatePanCoordinator
        | mac.FullFunctionDevice
        | mac.MainsPowered
        | mac.RxOnWhenIdle
        | mac.AllocateAddress
    )
    return node_descriptor(
        zdo_t.LogicalType.Coordinator,
        flags,
        DRESDEN_ELEKTRONIK_MANUFACTURER_CODE,
        buffer_size=0x48,
        transfer_size=0x0040,
        server_mask=0x2C41,  # Primary trust centre, stack compliance revision 22.
    )


def _channel_energy(channel: int) -> int:
    # Wi-Fi channels 1, 6 and 11 overlap Zigbee 11-14, 16-19 and 21-24: those read busier.
    return 10 if channel in (15, 20, 25, 26) else 45


def _zdo_payload(command: zdo_t.ZDOCmd, tsn: int, *args: Any) -> bytes:
    _, types = zdo_t.CLUSTERS[command]
    return bytes((tsn,)) + bytes(zt.serialize(args, types))


def _neighbor_entry(neighbor: Neighbor, extended_pan_id: zt.ExtendedPanId) -> zdo_t.Neighbor:
    router = bool(neighbor.capability & 0x02)
    rx_on = bool(neighbor.capability & 0x08)
    return zdo_t.Neighbor(
        extended_pan_id=extended_pan_id,
        ieee=neighbor.ieee,
        nwk=neighbor.nwk,
        device_type=(
            zdo_t.Neighbor.DeviceType.Router if router else zdo_t.Neighbor.DeviceType.EndDevice
        ),
        rx_on_when_idle=(
            zdo_t.Neighbor.RxOnWhenIdle.On if rx_on else zdo_t.Neighbor.RxOnWhenIdle.Off
        ),
        relationship=zdo_t.Neighbor.Relationship.Child,
        reserved1=0,
        permit_joining=zdo_t.Neighbor.PermitJoins.Unknown,
        reserved2=0,
        depth=1,
        lqi=neighbor.lqi,
    )


class CoordinatorZdo:
    """Answers ZDO requests addressed to the coordinator node, as the firmware does."""

    def __init__(self, node: LocalNode) -> None:
        self._node = node
        self._handlers: dict[int, Callable[[int, list[Any]], bytes | None]] = {
            zdo_t.ZDOCmd.NWK_addr_req: self._nwk_addr,
            zdo_t.ZDOCmd.IEEE_addr_req: self._ieee_addr,
            zdo_t.ZDOCmd.Node_Desc_req: self._node_desc,
            zdo_t.ZDOCmd.Active_EP_req: self._active_ep,
            zdo_t.ZDOCmd.Simple_Desc_req: self._simple_desc,
            zdo_t.ZDOCmd.Mgmt_Lqi_req: self._mgmt_lqi,
            zdo_t.ZDOCmd.Mgmt_Rtg_req: self._mgmt_rtg,
            zdo_t.ZDOCmd.Mgmt_NWK_Update_req: self._mgmt_nwk_update,
            zdo_t.ZDOCmd.Mgmt_Permit_Joining_req: self._mgmt_permit_joining,
        }

    def answer(self, cluster: int, payload: bytes) -> tuple[int, bytes] | None:
        """The (cluster, payload) response to a request, or None when there is none to send."""
        if cluster & _ZDO_RESPONSE_BIT or cluster in _NO_RESPONSE or not payload:
            return None
        tsn = payload[0]
        handler = self._handlers.get(cluster)
        if handler is None:
            return cluster | _ZDO_RESPONSE_BIT, bytes((tsn, zdo_t.Status.NOT_SUPPORTED))
        try:
            args, _ = zt.deserialize(payload[1:], zdo_t.CLUSTERS[zdo_t.ZDOCmd(cluster)][1])
        except (ValueError, KeyError):
            _LOGGER.warning("Ignoring a malformed ZDO request 0x%04x: %s", cluster, payload.hex())
            return None
        response = handler(tsn, args)
        return None if response is None else (cluster | _ZDO_RESPONSE_BIT, response)

    def _nwk_addr(self, tsn: int, args: list[Any]) -> bytes:
        node = self._node
        if args[0] != node.ieee:
            status, nwk = zdo_t.Status.DEVICE_NOT_FOUND, UNFORMED_NWK
            return _zdo_payload(zdo_t.ZDOCmd.NWK_addr_rsp, tsn, status, args[0], nwk)
        return _zdo_payload(zdo_t.ZDOCmd.NWK_addr_rsp, tsn, 0, node.ieee, node.nwk, 0, 0, [])

    def _ieee_addr(self, tsn: int, args: list[Any]) -> bytes:
        node = self._node
        if args[0] != node.nwk:
            status = zdo_t.Status.DEVICE_NOT_FOUND
            return _zdo_payload(zdo_t.ZDOCmd.IEEE_addr_rsp, tsn, status, node.ieee, args[0])
        return _zdo_payload(zdo_t.ZDOCmd.IEEE_addr_rsp, tsn, 0, node.ieee, node.nwk, 0, 0, [])

    def _node_desc(self, tsn: int, args: list[Any]) -> bytes:
        descriptor = coordinator_node_descriptor()
        return _zdo_payload(zdo_t.ZDOCmd.Node_Desc_rsp, tsn, 0, self._node.nwk, descriptor)

    def _active_ep(self, tsn: int, args: list[Any]) -> bytes:
        endpoints = [descriptor.endpoint for descriptor in self._node.endpoints]
        return _zdo_payload(zdo_t.ZDOCmd.Active_EP_rsp, tsn, 0, self._node.nwk, endpoints)

    def _simple_desc(self, tsn: int, args: list[Any]) -> bytes:
        endpoint = args[1]
        for descriptor in self._node.endpoints:
            if descriptor.endpoint == endpoint:
                sized = zdo_t.SizePrefixedSimpleDescriptor(**descriptor.as_dict())
                return _zdo_payload(zdo_t.ZDOCmd.Simple_Desc_rsp, tsn, 0, self._node.nwk, sized)
        status = zdo_t.Status.INVALID_EP if endpoint in (0, 0xFF) else zdo_t.Status.NOT_ACTIVE
        return _zdo_payload(zdo_t.ZDOCmd.Simple_Desc_rsp, tsn, status, self._node.nwk)

    def _mgmt_lqi(self, tsn: int, args: list[Any]) -> bytes:
        start = int(args[0])
        neighbors = self._node.neighbors
        page = [
            _neighbor_entry(neighbor, self._node.extended_pan_id)
            for neighbor in neighbors[start : start + _NEIGHBORS_PER_PAGE]
        ]
        table = zdo_t.Neighbors(Entries=len(neighbors), StartIndex=start, NeighborTableList=page)
        return _zdo_payload(zdo_t.ZDOCmd.Mgmt_Lqi_rsp, tsn, 0, table)

    def _mgmt_rtg(self, tsn: int, args: list[Any]) -> bytes:
        # All simulated devices are direct neighbours: the coordinator holds no routes.
        table = zdo_t.Routes(Entries=0, StartIndex=int(args[0]), RoutingTableList=[])
        return _zdo_payload(zdo_t.ZDOCmd.Mgmt_Rtg_rsp, tsn, 0, table)

    def _mgmt_nwk_update(self, tsn: int, args: list[Any]) -> bytes | None:
        update = args[0]
        if update.ScanDuration > 0x05:
            return None  # A channel change: no response; zigpy-deconz moves via parameters.
        channels = list(update.ScanChannels)
        energies = [_channel_energy(channel) for channel in channels]
        command = zdo_t.ZDOCmd.Mgmt_NWK_Update_rsp
        return _zdo_payload(command, tsn, 0, update.ScanChannels, 0, 0, energies)

    def _mgmt_permit_joining(self, tsn: int, args: list[Any]) -> bytes:
        # The radio opens the air itself (see DeconzRadio._apply_permit_request).
        return _zdo_payload(zdo_t.ZDOCmd.Mgmt_Permit_Joining_rsp, tsn, 0)


# -- Persisted network parameters --------------------------------------------------------------

# Kept in the state file (as the hex of their serial-protocol bytes); the rest is runtime only.
_PERSISTED_PARAMETERS = (
    NetworkParameter.mac_address,
    NetworkParameter.nwk_panid,
    NetworkParameter.nwk_address,
    NetworkParameter.nwk_extended_panid,
    NetworkParameter.aps_designed_coordinator,
    NetworkParameter.channel_mask,
    NetworkParameter.aps_extended_panid,
    NetworkParameter.trust_center_address,
    NetworkParameter.security_mode,
    NetworkParameter.use_predefined_nwk_panid,
    NetworkParameter.network_key,
    NetworkParameter.current_channel,
    NetworkParameter.nwk_update_id,
    NetworkParameter.nwk_frame_counter,
    NetworkParameter.app_zdp_response_handling,
)
# Parameters the firmware derives itself; the host cannot write them.
_READ_ONLY_PARAMETERS = frozenset(
    {
        NetworkParameter.nwk_extended_panid,
        NetworkParameter.current_channel,
        NetworkParameter.protocol_version,
    }
)
_STATE_FILE_VERSION = 1


def _serialize_parameter(parameter: Any, value: Any) -> bytes:
    _, value_type = NETWORK_PARAMETER_TYPES[parameter]
    return bytes(value_type(value).serialize())


def _fresh_parameters() -> dict[int, bytes]:
    """A factory-fresh stick: its own MAC address, no network formed yet."""
    suffix = ":".join(f"{byte:02x}" for byte in os.urandom(3))
    mac = zt.EUI64.convert(f"{DRESDEN_ELEKTRONIK_OUI}:ff:ff:{suffix}")
    values: dict[Any, Any] = {
        NetworkParameter.mac_address: mac,
        NetworkParameter.nwk_panid: UNFORMED_PAN_ID,
        NetworkParameter.nwk_address: UNFORMED_NWK,
        NetworkParameter.nwk_extended_panid: UNFORMED_EXTENDED_PAN_ID,
        NetworkParameter.aps_designed_coordinator: 1,
        NetworkParameter.channel_mask: zt.Channels.ALL_CHANNELS,
        NetworkParameter.aps_extended_panid: zt.ExtendedPanId.convert("00:00:00:00:00:00:00:00"),
        NetworkParameter.trust_center_address: mac,
        NetworkParameter.security_mode: SecurityMode.ONLY_TCLK,
        NetworkParameter.use_predefined_nwk_panid: False,
        NetworkParameter.network_key: IndexedKey(index=0, key=zt.KeyData(os.urandom(16))),
        NetworkParameter.current_channel: 0,
        NetworkParameter.nwk_update_id: 0,
        NetworkParameter.nwk_frame_counter: 0,
        NetworkParameter.app_zdp_response_handling: 0,
        NetworkParameter.watchdog_ttl: 0,
    }
    return {int(key): _serialize_parameter(key, value) for key, value in values.items()}


def _default_endpoints() -> list[zdo_t.SimpleDescriptor]:
    """The three endpoint slots of the stick: HA, Green Power proxy, and a vendor endpoint."""
    return [
        zdo_t.SimpleDescriptor(
            endpoint=0x01,
            profile=0x0104,
            device_type=0x0005,
            device_version=1,
            input_clusters=[0x0000, 0x0006, 0x000A, 0x0019, 0x0501],
            output_clusters=[0x0001, 0x0020, 0x0500, 0x0502],
        ),
        zdo_t.SimpleDescriptor(
            endpoint=0xF2,
            profile=0xA1E0,
            device_type=0x0064,
            device_version=1,
            input_clusters=[],
            output_clusters=[0x0021],
        ),
        zdo_t.SimpleDescriptor(
            endpoint=0x50,
            profile=0xDE00,
            device_type=0x0005,
            device_version=1,
            input_clusters=[0xFC00],
            output_clusters=[],
        ),
    ]


def _read_state_file(path: Path) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        state = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(
            f"The radio state file {path} is not valid JSON ({err}); fix it, or delete it to"
            " start a new Zigbee network"
        ) from err
    if not isinstance(state, dict) or state.get("version") != _STATE_FILE_VERSION:
        raise ValueError(
            f"The radio state file {path} has an unknown layout; delete it to start a new"
            " Zigbee network"
        )
    return state


def _write_state_file(path: Path, state: dict[str, Any]) -> None:
    # Write then rename, so a crash never leaves half a network behind.
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    temporary.replace(path)


# -- The radio --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Confirm:
    request_id: int
    destination: bytes  # The request's address-and-endpoint bytes, echoed back.
    src_ep: int
    status: int


@dataclass(frozen=True, slots=True)
class _DataRequest:
    request_id: int
    destination: Any  # A zigpy_deconz DeconzAddressEndpoint.
    destination_bytes: bytes
    profile_id: int
    cluster_id: int
    src_ep: int
    asdu: bytes
    tx_options: int


def _parse_data_request(body: bytes) -> _DataRequest:
    request_id, rest = dt.uint8_t.deserialize(body)
    _flags, rest = dt.DeconzSendDataFlags.deserialize(rest)
    destination, after = dt.DeconzAddressEndpoint.deserialize(rest)
    destination_bytes = rest[: len(rest) - len(after)]
    profile_id, rest = dt.uint16_t.deserialize(after)
    cluster_id, rest = dt.uint16_t.deserialize(rest)
    src_ep, rest = dt.uint8_t.deserialize(rest)
    asdu, rest = dt.LongOctetString.deserialize(rest)
    tx_options, _rest = dt.DeconzTransmitOptions.deserialize(rest)  # Radius, relays: unused.
    return _DataRequest(
        request_id=int(request_id),
        destination=destination,
        destination_bytes=bytes(destination_bytes),
        profile_id=int(profile_id),
        cluster_id=int(cluster_id),
        src_ep=int(src_ep),
        asdu=bytes(asdu),
        tx_options=int(tx_options),
    )


def _nwk_address_bytes(nwk: int) -> bytes:
    return bytes((dt.AddressMode.NWK,)) + nwk.to_bytes(2, "little")


def _indication_body(frame: ApsFrame) -> bytes:
    """An aps_data_indication after its device state byte; the source is always a NWK address."""
    return b"".join(
        (
            _nwk_address_bytes(frame.dst_nwk),
            bytes((frame.dst_ep,)),
            _nwk_address_bytes(frame.src_nwk),
            bytes((frame.src_ep,)),
            frame.profile_id.to_bytes(2, "little"),
            frame.cluster_id.to_bytes(2, "little"),
            len(frame.payload).to_bytes(2, "little"),
            frame.payload,
            bytes(2),  # reserved
            bytes((frame.lqi,)),
            bytes(4),  # reserved
            frame.rssi.to_bytes(1, "little", signed=True),
        )
    )


class _ClientLink(asyncio.Protocol):
    """One host connection: bytes in, frames out."""

    def __init__(self, radio: DeconzRadio) -> None:
        self._radio = radio
        self._decoder = FrameDecoder()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._radio._client_connected(self)

    def data_received(self, data: bytes) -> None:
        for frame in self._decoder.feed(data):
            self._radio._handle_frame(self, frame)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self._radio._client_disconnected(self)

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


Handler = Callable[[int, bytes], None]


class DeconzRadio:
    """A ConBee II that zigpy-deconz drives over TCP, with the simulated `Air` as its antenna."""

    def __init__(self, air: Air, state_path: Path | None = None) -> None:
        self._air = air
        self._state_path = state_path
        self._parameters = _fresh_parameters()
        self._link_keys: dict[zt.EUI64, zt.KeyData] = {}
        self._endpoints = _default_endpoints()
        self._network_state = NetworkState.OFFLINE
        self._permit_until = 0.0
        self._neighbors: dict[zt.EUI64, Neighbor] = {}
        self._indications: deque[ApsFrame] = deque(maxlen=MAX_QUEUED_INDICATIONS)
        self._confirms: deque[_Confirm] = deque()
        self._reported_state: int | None = None
        self._server: asyncio.Server | None = None
        self._client: _ClientLink | None = None
        self._running = False
        self._save_task: asyncio.Task[None] | None = None
        self._save_pending = False
        self._handlers: dict[int, Handler] = {
            CommandId.version: self._on_version,
            CommandId.device_state: self._on_device_state,
            CommandId.change_network_state: self._on_change_network_state,
            CommandId.read_parameter: self._on_read_parameter,
            CommandId.write_parameter: self._on_write_parameter,
            CommandId.aps_data_request: self._on_aps_data_request,
            CommandId.aps_data_indication: self._on_aps_data_indication,
            CommandId.aps_data_confirm: self._on_aps_data_confirm,
            CommandId.update_neighbor: self._on_update_neighbor,
        }
        # Parameters whose value is not simply the stored bytes.
        self._readers: dict[int, Callable[[bytes], bytes | None]] = {
            NetworkParameter.configure_endpoint: self._read_endpoint,
            NetworkParameter.network_key: self._read_network_key,
            NetworkParameter.link_key: self._read_link_key,
            NetworkParameter.permit_join: self._read_permit_join,
            NetworkParameter.protocol_version: self._read_protocol_version,
        }

    # Lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Load the persisted network, listen, join the air; returns the bound port."""
        if self._state_path is not None:
            state = await asyncio.to_thread(_read_state_file, self._state_path)
            if state is not None:
                self._restore(state)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _ClientLink(self), host, port)
        self._running = True
        self._air.attach_coordinator(self._on_air_frame)
        _LOGGER.debug("Emulated ConBee II listening on %s:%d", host, self.port)
        return self.port

    async def stop(self) -> None:
        """Leave the air, drop the host, stop listening and persist the network."""
        self._running = False
        self._air.detach_coordinator()
        if self._client is not None:
            self._client.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        self._mark_dirty()  # The frame counter moves with every frame: save it once at the end.
        if self._save_task is not None:
            await self._save_task
            self._save_task = None

    # Test controls

    def inject_garbage(self, data: bytes) -> None:
        """Write raw bytes to the host, unframed: use `encode_frame` for well-framed nonsense."""
        if self._client is None:
            raise RuntimeError("No host is connected to the radio")
        self._client.write(data)

    @property
    def port(self) -> int:
        """The TCP port the radio listens on (after `start`)."""
        if self._server is None:
            raise RuntimeError("The radio is not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def neighbors(self) -> tuple[Neighbor, ...]:
        """The devices the coordinator knows as its direct neighbours (its Mgmt_Lqi table)."""
        return tuple(self._neighbors.values())

    @property
    def connected(self) -> bool:
        return self._client is not None

    @property
    def network_state(self) -> NetworkState:
        return NetworkState(self._network_state)

    @property
    def ieee(self) -> zt.EUI64:
        return zt.EUI64(self._value(NetworkParameter.mac_address))

    @property
    def pan_id(self) -> int:
        return int(self._value(NetworkParameter.nwk_panid))

    @property
    def extended_pan_id(self) -> zt.ExtendedPanId:
        return zt.ExtendedPanId(self._value(NetworkParameter.nwk_extended_panid))

    @property
    def channel(self) -> int:
        return int(self._value(NetworkParameter.current_channel))

    @property
    def network_key(self) -> zt.KeyData:
        return zt.KeyData(self._value(NetworkParameter.network_key).key)

    @property
    def nwk_update_id(self) -> int:
        return int(self._value(NetworkParameter.nwk_update_id))

    @property
    def frame_counter(self) -> int:
        return int(self._value(NetworkParameter.nwk_frame_counter))

    # Host connection

    def _client_connected(self, client: _ClientLink) -> None:
        if self._client is not None:
            _LOGGER.debug("A new host connection replaces the old one")
            self._client.close()
        self._client = client
        # Confirms belong to the old host's requests; indications still wait for a host.
        self._confirms.clear()
        self._reported_state = None

    def _client_disconnected(self, client: _ClientLink) -> None:
        if self._client is client:
            self._client = None

    def _handle_frame(self, client: _ClientLink, data: bytes) -> None:
        if client is not self._client:
            return
        _LOGGER.debug("Host frame: %s", binascii.hexlify(data).decode())
        if len(data) < _HEADER_LENGTH:
            _LOGGER.warning("Ignoring a frame too short to be a command: %s", data.hex())
            return
        command_id, seq = data[0], data[1]
        handler = self._handlers.get(command_id)
        if handler is None:
            _LOGGER.warning("Unsupported command 0x%02x from the host", command_id)
            self._respond(command_id, seq, Status.UNSUPPORTED)
            return
        body = self._request_body(command_id, data)
        if body is None:
            return
        try:
            handler(seq, body)
        except (ValueError, KeyError, IndexError, AttributeError):
            _LOGGER.warning("Malformed command 0x%02x: %s", command_id, data.hex(), exc_info=True)
            self._respond(command_id, seq, Status.INVALID_VALUE)

    @staticmethod
    def _request_body(command_id: int, data: bytes) -> bytes | None:
        """The parameters after the frame (and payload) length, or None if a length is wrong."""
        frame_length = int.from_bytes(data[3:5], "little")
        tx_schema, _ = COMMAND_SCHEMAS[CommandId(command_id)]
        if frame_length != len(data):
            _LOGGER.warning("Ignoring a frame whose length field is wrong: %s", data.hex())
            return None
        if "payload_length" not in tx_schema:
            return data[_HEADER_LENGTH:]
        if int.from_bytes(data[5:7], "little") != len(data) - 7:
            _LOGGER.warning("Ignoring a frame whose payload length is wrong: %s", data.hex())
            return None
        return data[7:]

    def _respond(self, command_id: int, seq: int, status: int, body: bytes = b"") -> None:
        """Frame a response (or notification) the way zigpy-deconz's receive schema expects."""
        schemas = COMMAND_SCHEMAS.get(command_id)
        with_payload_length = schemas is not None and "payload_length" in schemas[1]
        payload_length = len(body).to_bytes(2, "little") if with_payload_length else b""
        frame_length = _HEADER_LENGTH + len(payload_length) + len(body)
        data = bytes((command_id, seq, status)) + frame_length.to_bytes(2, "little")
        if self._client is not None:
            self._client.write(encode_frame(data + payload_length + body))

    # Device state and its flags

    def _device_state(self) -> int:
        flags = DeviceStateFlags.APSDE_DATA_REQUEST_FREE_SLOTS_AVAILABLE
        if self._confirms:
            flags |= DeviceStateFlags.APSDE_DATA_CONFIRM
        if self._indications:
            flags |= DeviceStateFlags.APSDE_DATA_INDICATION
        state = DeviceState(network_state=NetworkState2(self._network_state), device_state=flags)
        return int(state.serialize()[0])

    def _reported_device_state(self) -> bytes:
        """The state byte for a response the driver takes its flags from."""
        self._reported_state = self._device_state()
        return bytes((self._reported_state,))

    def _notify_state(self) -> None:
        """Send device_state_changed when the flags moved since the driver last heard them.

        Sequence number 0: zigpy-deconz numbers its commands 1..255, so a notification never
        looks like the (mismatched) response to a pending command.
        """
        if self._client is None or self._device_state() == self._reported_state:
            return
        state = self._reported_device_state()
        self._respond(CommandId.device_state_changed, 0, Status.SUCCESS, state + b"\x00")

    # Commands

    def _on_version(self, seq: int, body: bytes) -> None:
        version = FIRMWARE_VERSION.to_bytes(4, "little")
        self._respond(CommandId.version, seq, Status.SUCCESS, version)

    def _on_device_state(self, seq: int, body: bytes) -> None:
        # zigpy-deconz does not take its flags from this response: _reported_state stays.
        state = bytes((self._device_state(),))
        self._respond(CommandId.device_state, seq, Status.SUCCESS, state + b"\x00\x00")

    def _on_change_network_state(self, seq: int, body: bytes) -> None:
        target = NetworkState(body[0])
        self._respond(CommandId.change_network_state, seq, Status.SUCCESS, body[:1])
        if target == NetworkState.CONNECTED:
            self._form_network()
        elif target == NetworkState.OFFLINE:
            self._network_state = NetworkState.OFFLINE
            self._permit_joins(0)  # Off the network, nobody can join through us.
        self._notify_state()

    def _on_read_parameter(self, seq: int, body: bytes) -> None:
        parameter, argument = body[0], body[1:]
        value = self._read_parameter(parameter, argument)
        status = Status.UNSUPPORTED if value is None else Status.SUCCESS
        response = bytes((parameter,)) + (value or b"")
        self._respond(CommandId.read_parameter, seq, status, response)

    def _on_write_parameter(self, seq: int, body: bytes) -> None:
        parameter, value = body[0], body[1:]
        status = self._write_parameter(parameter, value)
        self._respond(CommandId.write_parameter, seq, status, bytes((parameter,)))

    def _on_aps_data_request(self, seq: int, body: bytes) -> None:
        request = _parse_data_request(body)
        request_id = bytes((request.request_id,))
        if self._network_state != NetworkState.CONNECTED:
            state = self._reported_device_state()
            self._respond(CommandId.aps_data_request, seq, Status.NO_NETWORK, state + request_id)
            return
        state = self._reported_device_state()
        self._respond(CommandId.aps_data_request, seq, Status.SUCCESS, state + request_id)
        # The response goes out first; the confirm (and its flag) follow it on the wire.
        status = self._transmit(request)
        self._confirms.append(
            _Confirm(request.request_id, request.destination_bytes, request.src_ep, status)
        )
        self._notify_state()

    def _on_aps_data_indication(self, seq: int, body: bytes) -> None:
        if not self._indications:
            state = self._reported_device_state()
            self._respond(CommandId.aps_data_indication, seq, Status.FAILURE, state)
            return
        frame = self._indications.popleft()
        state = self._reported_device_state()
        self._respond(
            CommandId.aps_data_indication, seq, Status.SUCCESS, state + _indication_body(frame)
        )

    def _on_aps_data_confirm(self, seq: int, body: bytes) -> None:
        if not self._confirms:
            state = self._reported_device_state()
            self._respond(CommandId.aps_data_confirm, seq, Status.FAILURE, state)
            return
        confirm = self._confirms.popleft()
        response = b"".join(
            (
                self._reported_device_state(),
                bytes((confirm.request_id,)),
                confirm.destination,
                bytes((confirm.src_ep, confirm.status)),
                bytes(4),  # reserved
            )
        )
        self._respond(CommandId.aps_data_confirm, seq, Status.SUCCESS, response)

    def _on_update_neighbor(self, seq: int, body: bytes) -> None:
        # zigpy-deconz restores sleepy children it knew from its database after a restart.
        nwk, _ = dt.NWK.deserialize(body[1:3])
        ieee, _ = dt.EUI64.deserialize(body[3:11])
        self._learn_neighbor(zt.EUI64(ieee), int(nwk), body[11])
        self._respond(CommandId.update_neighbor, seq, Status.SUCCESS, body[:12])

    # Network parameters

    def _value(self, parameter: Any) -> Any:
        _, value_type = NETWORK_PARAMETER_TYPES[parameter]
        value, _ = value_type.deserialize(self._parameters[int(parameter)])
        return value

    def _set(self, parameter: Any, value: Any) -> None:
        self._parameters[int(parameter)] = _serialize_parameter(parameter, value)

    def _read_parameter(self, parameter: int, argument: bytes) -> bytes | None:
        """The parameter's bytes, or None for UNSUPPORTED (an unknown id or endpoint slot)."""
        reader = self._readers.get(parameter)
        if reader is not None:
            return reader(argument)
        return self._parameters.get(parameter)

    def _read_endpoint(self, argument: bytes) -> bytes | None:
        index = argument[0]
        if index >= len(self._endpoints):
            return None  # zigpy-deconz counts the slots by reading until UNSUPPORTED.
        endpoint = IndexedEndpoint(index=index, descriptor=self._endpoints[index])
        return bytes(endpoint.serialize())

    def _read_network_key(self, argument: bytes) -> bytes | None:
        # The stick keeps one network key, at index 0.
        return self._parameters[NetworkParameter.network_key] if argument[:1] == b"\x00" else None

    def _read_link_key(self, argument: bytes) -> bytes:
        ieee, _ = dt.EUI64.deserialize(argument)
        key = self._link_keys.get(zt.EUI64(ieee), DEFAULT_TC_LINK_KEY)
        return bytes(LinkKey(ieee=ieee, key=key).serialize())

    def _read_permit_join(self, argument: bytes) -> bytes:
        return bytes((self._permit_seconds_left(),))

    def _read_protocol_version(self, argument: bytes) -> bytes:
        return PROTOCOL_VERSION.to_bytes(2, "little")

    def _write_parameter(self, parameter: int, value: bytes) -> int:
        if parameter not in NETWORK_PARAMETER_TYPES or parameter in _READ_ONLY_PARAMETERS:
            return int(Status.UNSUPPORTED)
        _, value_type = NETWORK_PARAMETER_TYPES[NetworkParameter(parameter)]
        try:
            decoded, _ = value_type.deserialize(value)
        except ValueError:
            return int(Status.INVALID_VALUE)
        if parameter == NetworkParameter.configure_endpoint:
            return self._write_endpoint(decoded)
        if parameter == NetworkParameter.network_key and decoded.index != 0:
            return int(Status.UNSUPPORTED)  # The stick keeps one network key.
        if parameter == NetworkParameter.link_key:
            self._link_keys[zt.EUI64(decoded.ieee)] = zt.KeyData(decoded.key)
        elif parameter == NetworkParameter.permit_join:
            self._permit_joins(int(decoded))
            return int(Status.SUCCESS)
        else:
            self._parameters[parameter] = bytes(decoded.serialize())
        if parameter != NetworkParameter.watchdog_ttl:
            self._mark_dirty()
        return int(Status.SUCCESS)

    def _write_endpoint(self, endpoint: Any) -> int:
        if endpoint.index >= len(self._endpoints):
            return int(Status.UNSUPPORTED)
        self._endpoints[endpoint.index] = endpoint.descriptor
        return int(Status.SUCCESS)

    def _form_network(self) -> None:
        """Start (or re-form) the network from the written parameters, as the firmware does."""
        mask = zt.Channels(self._value(NetworkParameter.channel_mask))
        if mask == zt.Channels.NO_CHANNELS:
            _LOGGER.warning("Cannot start a network: the channel mask is empty")
            return
        if self.pan_id == UNFORMED_PAN_ID:
            # Without a predefined PAN ID the firmware picks one.
            self._set(NetworkParameter.nwk_panid, random.randint(0x0001, 0xFFF7))  # noqa: S311
        extended_pan_id = zt.ExtendedPanId(self._value(NetworkParameter.aps_extended_panid))
        if extended_pan_id == zt.ExtendedPanId.convert("00:00:00:00:00:00:00:00"):
            extended_pan_id = zt.ExtendedPanId(self.ieee)
        if extended_pan_id != self.extended_pan_id:
            self._neighbors.clear()  # A different network: nobody we knew is on it.
        self._set(NetworkParameter.nwk_extended_panid, extended_pan_id)
        channels = list(mask)
        if self.channel not in channels:
            self._set(NetworkParameter.current_channel, channels[0])
        self._set(NetworkParameter.nwk_address, COORDINATOR_NWK)
        self._network_state = NetworkState.CONNECTED
        self._mark_dirty()
        _LOGGER.debug(
            "Network up: PAN 0x%04x, extended PAN %s, channel %d",
            self.pan_id,
            self.extended_pan_id,
            self.channel,
        )

    # Joining

    def _permit_joins(self, seconds: int) -> None:
        loop = asyncio.get_running_loop()
        self._permit_until = loop.time() + seconds if seconds else 0.0
        self._air.permit_joins(seconds)

    def _permit_seconds_left(self) -> int:
        left = self._permit_until - asyncio.get_running_loop().time()
        return max(0, min(255, round(left)))

    def _apply_permit_request(self, request: _DataRequest, dst_nwk: int) -> None:
        """A Mgmt_Permit_Joining_req broadcast (or sent to us) opens the coordinator too."""
        is_permit = (
            request.profile_id == ZDO_PROFILE
            and request.cluster_id == zdo_t.ZDOCmd.Mgmt_Permit_Joining_req
        )
        if is_permit and len(request.asdu) >= 2 and dst_nwk in (*BROADCASTS, COORDINATOR_NWK):
            self._permit_joins(request.asdu[1])

    # Transmission

    def _transmit(self, request: _DataRequest) -> int:
        """Put a host request on the air (or answer it ourselves); returns the confirm status."""
        mode = request.destination.address_mode
        if mode == dt.AddressMode.GROUP:
            # The simulated air has no group addressing: the multicast goes nowhere.
            _LOGGER.debug("Group 0x%04x frame not delivered", request.destination.address)
            return int(zt.APSStatus.APS_SUCCESS)
        dst_nwk = self._resolve(request.destination)
        if dst_nwk is None:
            return int(zt.APSStatus.APS_NO_SHORT_ADDRESS)
        self._apply_permit_request(request, dst_nwk)
        if dst_nwk == COORDINATOR_NWK:
            self._loop_back(request)
            return int(zt.APSStatus.APS_SUCCESS)
        frame = ApsFrame(
            src_nwk=COORDINATOR_NWK,
            src_ep=request.src_ep,
            dst_nwk=dst_nwk,
            dst_ep=int(request.destination.endpoint),
            profile_id=request.profile_id,
            cluster_id=request.cluster_id,
            payload=request.asdu,
        )
        self._set(NetworkParameter.nwk_frame_counter, (self.frame_counter + 1) & 0xFFFFFFFF)
        if self._air.send_from_coordinator(frame):
            return int(zt.APSStatus.APS_SUCCESS)
        if request.tx_options & dt.DeconzTransmitOptions.USE_APS_ACKS:
            return int(zt.APSStatus.APS_NO_ACK)
        return int(zt.MACStatus.MAC_NO_ACK)

    def _resolve(self, destination: Any) -> int | None:
        if destination.address_mode != dt.AddressMode.IEEE:
            return int(destination.address)
        ieee = zt.EUI64(destination.address)
        if ieee == self.ieee:
            return COORDINATOR_NWK
        neighbor = self._neighbors.get(ieee)
        return None if neighbor is None else neighbor.nwk

    def _loop_back(self, request: _DataRequest) -> None:
        """The host addressed the coordinator itself: the firmware's ZDO server answers."""
        if request.profile_id != ZDO_PROFILE:
            _LOGGER.debug("Dropping a non-ZDO frame the host sent to itself: %s", request)
            return
        answer = self._zdo().answer(request.cluster_id, request.asdu)
        if answer is None:
            return
        cluster_id, payload = answer
        self._queue_indication(
            ApsFrame(
                src_nwk=COORDINATOR_NWK,
                src_ep=0,
                dst_nwk=COORDINATOR_NWK,
                dst_ep=0,
                profile_id=ZDO_PROFILE,
                cluster_id=cluster_id,
                payload=payload,
            )
        )

    def _zdo(self) -> CoordinatorZdo:
        node = LocalNode(
            ieee=self.ieee,
            nwk=int(self._value(NetworkParameter.nwk_address)),
            extended_pan_id=self.extended_pan_id,
            endpoints=tuple(self._endpoints),
            neighbors=tuple(self._neighbors.values()),
        )
        return CoordinatorZdo(node)

    # Reception

    def _on_air_frame(self, frame: ApsFrame) -> None:
        if not self._running or self._network_state != NetworkState.CONNECTED:
            _LOGGER.debug("Radio off the air; dropped %s", frame)
            return
        if frame.profile_id == ZDO_PROFILE:
            self._observe_zdo(frame)
        self._note_link_quality(frame)
        self._queue_indication(frame)

    def _observe_zdo(self, frame: ApsFrame) -> None:
        """Learn neighbours from announcements; answer what the firmware answers for devices."""
        if frame.cluster_id == zdo_t.ZDOCmd.Device_annce and len(frame.payload) >= 12:
            nwk, ieee, capability = frame.payload[1:3], frame.payload[3:11], frame.payload[11]
            self._learn_neighbor(
                zt.EUI64(ieee), int.from_bytes(nwk, "little"), capability, frame.lqi
            )
        if frame.dst_nwk != COORDINATOR_NWK or frame.cluster_id not in _FIRMWARE_ANSWERS_DEVICES:
            return
        answer = self._zdo().answer(frame.cluster_id, frame.payload)
        if answer is not None:
            cluster_id, payload = answer
            response = ApsFrame(
                src_nwk=COORDINATOR_NWK,
                src_ep=0,
                dst_nwk=frame.src_nwk,
                dst_ep=0,
                profile_id=ZDO_PROFILE,
                cluster_id=cluster_id,
                payload=payload,
            )
            self._air.send_from_coordinator(response)

    def _learn_neighbor(self, ieee: zt.EUI64, nwk: int, capability: int, lqi: int = 255) -> None:
        self._neighbors[ieee] = Neighbor(ieee=ieee, nwk=nwk, capability=capability, lqi=lqi)

    def _note_link_quality(self, frame: ApsFrame) -> None:
        for neighbor in self._neighbors.values():
            if neighbor.nwk == frame.src_nwk:
                neighbor.lqi = frame.lqi

    def _queue_indication(self, frame: ApsFrame) -> None:
        if len(self._indications) == self._indications.maxlen:
            _LOGGER.warning("Indication queue full; dropping the oldest frame")
        self._indications.append(frame)
        self._notify_state()

    # Persistence

    def _snapshot(self) -> dict[str, Any]:
        return {
            "version": _STATE_FILE_VERSION,
            "parameters": {
                parameter.name: self._parameters[parameter].hex()
                for parameter in _PERSISTED_PARAMETERS
            },
            "link_keys": {
                ieee.serialize().hex(): bytes(key.serialize()).hex()
                for ieee, key in self._link_keys.items()
            },
        }

    def _restore(self, state: dict[str, Any]) -> None:
        try:
            for name, value in state["parameters"].items():
                parameter = NetworkParameter[name]
                _, value_type = NETWORK_PARAMETER_TYPES[parameter]
                value_type.deserialize(bytes.fromhex(value))  # Validate before trusting it.
                self._parameters[int(parameter)] = bytes.fromhex(value)
            for ieee, key in state["link_keys"].items():
                eui, _ = zt.EUI64.deserialize(bytes.fromhex(ieee))
                self._link_keys[eui] = zt.KeyData(bytes.fromhex(key))
        except (KeyError, ValueError, TypeError, AttributeError) as err:
            raise ValueError(
                f"The radio state file {self._state_path} is damaged ({err!r}); delete it to"
                " start a new Zigbee network"
            ) from err

    def _mark_dirty(self) -> None:
        """Save the parameters soon, off the event loop; saves never overlap."""
        if self._state_path is None:
            return
        self._save_pending = True
        if self._save_task is None or self._save_task.done():
            self._save_task = asyncio.get_running_loop().create_task(self._save())

    async def _save(self) -> None:
        assert self._state_path is not None
        while self._save_pending:
            self._save_pending = False
            await asyncio.to_thread(_write_state_file, self._state_path, self._snapshot())
