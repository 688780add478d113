"""The virtual proxy's radio: serves a household of monitors to Home Assistant over `wire.py`.

Plays the part an ESPHome Bluetooth proxy's firmware plays: it hears advertisements and
passes them on, holds up to `slots` connections per client, runs the GATT requests and
confirms indications (as the radio's stack does, once it has the value), and tells the
client when a device drops the link. Listens on 127.0.0.1 only. Bad input gets a typed
error reply; nothing a client sends stops the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from .device import ConnectRefused, VirtualBleDevice
from .gatt import CCCD_UUID, AttError
from .household import VirtualBleHousehold
from .wire import (
    MAX_LINE_BYTES,
    AdvertisementEvent,
    CharacteristicInfo,
    DescriptorInfo,
    DisconnectedEvent,
    ErrorCode,
    Hello,
    NotificationEvent,
    Op,
    Request,
    ServiceInfo,
    SlotsEvent,
    WireError,
    decode_line,
    encode_line,
    request_id_of,
    services_to_json,
)

_LOGGER = logging.getLogger(__name__)

HOST = "127.0.0.1"
DEFAULT_SLOTS = 3  # real proxies hold few connections: a central must let go promptly
PROXY_NAME = "Eldercare virtual Bluetooth proxy"


class ProxyServer:
    def __init__(
        self,
        household: VirtualBleHousehold,
        *,
        slots: int = DEFAULT_SLOTS,
        advert_interval: float = 1.0,
    ) -> None:
        self.household = household
        self.slots = slots
        self.advert_interval = advert_interval  # how often an advertising device is heard
        self._server: asyncio.Server | None = None
        self._sessions: set[_Session] = set()
        self._session_tasks: set[asyncio.Task[None]] = set()
        self._advertiser: asyncio.Task[None] | None = None
        self._unlisten = [device.add_listener(self._heard) for device in household.devices.values()]

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the proxy server is not running")
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self, port: int = 0) -> None:
        self._server = await asyncio.start_server(self._accept, HOST, port, limit=MAX_LINE_BYTES)
        self._advertiser = asyncio.create_task(self._advertise_periodically())
        _LOGGER.info("Virtual Bluetooth proxy on %s:%s", HOST, self.port)

    async def close(self) -> None:
        for remove in self._unlisten:
            remove()
        self._unlisten.clear()
        if self._advertiser is not None:
            self._advertiser.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._advertiser
        if self._server is not None:
            self._server.close()
        for session in list(self._sessions):
            session.close()
        for task in list(self._session_tasks):
            task.cancel()
        if self._session_tasks:
            await asyncio.wait(self._session_tasks)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._session_tasks.add(task)
        session = _Session(self, reader, writer)
        self._sessions.add(session)
        try:
            await session.run()
        finally:
            self._sessions.discard(session)
            self._session_tasks.discard(task)
            session.close()

    # --- advertisements -------------------------------------------------------------------

    def _heard(self, device: VirtualBleDevice) -> None:
        for session in self._sessions:
            session.advertise(device)

    async def _advertise_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.advert_interval)
            for device in self.household.devices.values():
                self._heard(device)


class _Session:
    """One client (one Home Assistant) of the proxy, with its connections to devices."""

    def __init__(
        self, server: ProxyServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        self.links: dict[str, _DeviceLink] = {}

    def send(self, message: dict[str, Any]) -> None:
        if not self.writer.is_closing():
            self.writer.write(encode_line(message))

    async def drain(self) -> None:
        if self.writer.is_closing():
            raise ConnectionResetError("the proxy client went away")
        await self.writer.drain()

    def advertise(self, device: VirtualBleDevice) -> None:
        advert = device.advertisement()
        if advert is None:
            return
        event = AdvertisementEvent(
            address=advert.address,
            name=advert.name,
            rssi=advert.rssi,
            service_uuids=advert.service_uuids,
            service_data=dict(advert.service_data),
            tx_power=advert.tx_power,
        )
        self.send(event.to_json())

    def send_slots(self) -> None:
        free = self.server.slots - len(self.links)
        self.send(SlotsEvent(free, self.server.slots, tuple(self.links)).to_json())

    async def run(self) -> None:
        self.send(Hello(PROXY_NAME, self.server.slots).to_json())
        self.send_slots()
        for device in self.server.household.devices.values():
            self.advertise(device)
        while True:
            try:
                line = await self.reader.readline()
            except ValueError:  # longer than MAX_LINE_BYTES: the rest of it is dropped
                self.send(_error(None, WireError(ErrorCode.LINE_TOO_LONG, "line too long")))
                continue
            except ConnectionError:
                return
            if not line:
                return
            if line.strip():
                self._handle(line)
            with contextlib.suppress(ConnectionError):
                await self.writer.drain()

    def _handle(self, line: bytes) -> None:
        request_id: int | None = None
        try:
            message = decode_line(line)
            request_id = request_id_of(message)
            request = Request.from_json(message)
            result = self._perform(request)
        except WireError as err:
            self.send(_error(request_id, err))
        except Exception as err:  # never let one request take the proxy down
            _LOGGER.exception("Virtual proxy request failed: %s", line[:200])
            self.send(_error(request_id, WireError(ErrorCode.INTERNAL, str(err))))
        else:
            self.send({"id": request.id, "result": result})

    def _perform(self, request: Request) -> dict[str, Any]:
        device = self.server.household.by_address(request.address)
        if device is None:
            raise WireError(ErrorCode.UNKNOWN_DEVICE, f"no device {request.address}")
        if request.op is Op.CONNECT:
            return self._connect(device)
        if request.op is Op.DISCONNECT:
            self._disconnect(device)
            return {}
        if request.address not in self.links:
            raise WireError(ErrorCode.NOT_CONNECTED, f"not connected to {request.address}")
        try:
            if request.op is Op.SERVICES:
                return services_to_json(_service_table(device))
            if request.op is Op.READ:
                return {"value": device.gatt.read(request.handle).hex()}
            device.gatt.write(request.handle, request.value, response=request.response)
            return {}
        except AttError as err:
            raise WireError(ErrorCode.ATT_ERROR, str(err), att=int(err.code)) from None

    def _connect(self, device: VirtualBleDevice) -> dict[str, Any]:
        address = device.address
        if address not in self.links:
            if len(self.links) >= self.server.slots:
                raise WireError(ErrorCode.NO_SLOTS, "no free connection slot on the proxy")
            link = _DeviceLink(self, address)
            try:
                device.connect(link)
            except ConnectRefused as err:
                code = ErrorCode.BUSY if err.busy else ErrorCode.NOT_ADVERTISING
                raise WireError(code, f"{address}: {err}") from None
            self.links[address] = link
            self.send_slots()
        return {"mtu": device.gatt.mtu, "name": device.identity.name}

    def _disconnect(self, device: VirtualBleDevice) -> None:
        if self.links.pop(device.address, None) is not None:
            device.disconnect()
            self.send_slots()

    def close(self) -> None:
        """The client went away: every device it held sees the link drop."""
        for address in list(self.links):
            device = self.server.household.by_address(address)
            self.links.pop(address)
            if device is not None:
                device.disconnect()
        self.writer.close()


class _DeviceLink:
    """The radio's connection to one device on behalf of one client (a `gatt.Central`)."""

    def __init__(self, session: _Session, address: str) -> None:
        self.session = session
        self.address = address

    async def deliver(self, handle: int, value: bytes, *, indicate: bool) -> None:
        self.session.send(NotificationEvent(self.address, handle, value, indicate).to_json())
        # Flushed to the client: the radio has it, which is when it confirms an indication.
        await self.session.drain()

    def link_lost(self, reason: str) -> None:
        if self.session.links.pop(self.address, None) is None:
            return
        self.session.send(DisconnectedEvent(self.address, reason).to_json())
        self.session.send_slots()


def _service_table(device: VirtualBleDevice) -> tuple[ServiceInfo, ...]:
    return tuple(
        ServiceInfo(
            service.uuid,
            service.handle,
            tuple(
                CharacteristicInfo(
                    c.uuid,
                    c.handle,
                    tuple(c.property_names),
                    () if c.cccd_handle is None else (DescriptorInfo(CCCD_UUID, c.cccd_handle),),
                )
                for c in service.characteristics
            ),
        )
        for service in device.gatt.services
    )


def _error(request_id: int | None, error: WireError) -> dict[str, Any]:
    return {"id": request_id, "error": error.to_json()}


async def start_proxy_server(
    household: VirtualBleHousehold,
    port: int = 0,
    *,
    slots: int = DEFAULT_SLOTS,
    advert_interval: float = 1.0,
) -> ProxyServer:
    """Serve `household` on 127.0.0.1:`port` (0: any free port, see `.port`)."""
    server = ProxyServer(household, slots=slots, advert_interval=advert_interval)
    await server.start(port)
    return server
