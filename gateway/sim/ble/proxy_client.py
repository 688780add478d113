"""The Home Assistant side of the virtual proxy, as an ESPHome proxy's is: a habluetooth
remote scanner that feeds the proxy's advertisements into HA's Bluetooth manager, and a bleak
backend client that HA's `HaBleakClientWrapper` picks (`scanner.connector.client`) for devices
heard through it.

Imports habluetooth and bleak only, never homeassistant: the caller registers the scanner
(in HA: `bluetooth.async_register_scanner(hass, scanner, connection_slots=slots)`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, ClassVar, cast

from bleak.args import SizedBuffer
from bleak.assigned_numbers import CharacteristicPropertyName
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import PROTOCOL_ERROR_CODES, BleakDeviceNotFoundError, BleakError
from bleak_retry_connector.bluez import Allocations
from bluetooth_data_tools import monotonic_time_coarse
from habluetooth import BaseHaRemoteScanner, HaBluetoothConnector, get_manager

from .wire import (
    MAX_LINE_BYTES,
    PROTOCOL_VERSION,
    AdvertisementEvent,
    DisconnectedEvent,
    ErrorCode,
    EventType,
    Hello,
    NotificationEvent,
    Op,
    Request,
    ServiceInfo,
    SlotsEvent,
    WireError,
    decode_line,
    encode_line,
    services_from_json,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_SOURCE = "02:EC:B1:E0:00:01"  # a locally administered address: no real adapter's
REQUEST_TIMEOUT = 10.0
CCCD_UUID = "00002902-0000-1000-8000-00805f9b34fb"

RegisterScanner = Callable[[BaseHaRemoteScanner, int], Callable[[], None]]


class ProxyLink:
    """The TCP connection to the proxy server: requests and their replies, and events."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, hello: Hello
    ) -> None:
        self.hello = hello
        self._reader = reader
        self._writer = writer
        self._next_id = 0
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._clients: dict[str, VirtualProxyClient] = {}
        self._task: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()
        self.on_advertisement: Callable[[AdvertisementEvent], None] = lambda _: None
        self.on_slots: Callable[[SlotsEvent], None] = lambda _: None
        self.on_closed: Callable[[], None] = lambda: None

    @property
    def open(self) -> bool:
        return not self.closed.is_set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._read())

    async def request(
        self, op: Op, address: str, *, timeout: float = REQUEST_TIMEOUT, **fields: Any
    ) -> dict[str, Any]:
        """Send a request; its result, or WireError as the proxy answered."""
        if not self.open:
            raise BleakError("the virtual Bluetooth proxy is not connected")
        self._next_id += 1
        request = Request(self._next_id, op, address, **fields)
        reply = asyncio.get_running_loop().create_future()
        self._pending[request.id] = reply
        try:
            self._writer.write(encode_line(request.to_json()))
            async with asyncio.timeout(timeout):
                result: dict[str, Any] = await reply
                return result
        finally:
            self._pending.pop(request.id, None)

    def attach(self, client: VirtualProxyClient) -> None:
        self._clients[client.address.upper()] = client

    def detach(self, client: VirtualProxyClient) -> None:
        if self._clients.get(client.address.upper()) is client:
            del self._clients[client.address.upper()]

    async def _read(self) -> None:
        try:
            while line := await self._reader.readline():
                try:
                    self._dispatch(decode_line(line))
                except WireError as err:
                    _LOGGER.warning("Virtual proxy sent a bad message: %s", err)
                except Exception:  # a subscriber's callback failing must not cut the link
                    _LOGGER.exception("Error handling a virtual proxy message")
        except (ConnectionError, ValueError) as err:
            _LOGGER.warning("Virtual proxy link failed: %s", err)
        finally:
            self._lost()

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "event" not in message:
            reply = self._pending.get(message.get("id", -1))
            if reply is not None and not reply.done():
                if "error" in message:
                    reply.set_exception(WireError.from_json(message["error"]))
                else:
                    reply.set_result(message.get("result") or {})
            elif "error" in message:
                _LOGGER.warning("Virtual proxy error: %s", message["error"])
            return
        match message["event"]:
            case EventType.ADVERTISEMENT:
                self.on_advertisement(AdvertisementEvent.from_json(message))
            case EventType.NOTIFICATION:
                notification = NotificationEvent.from_json(message)
                if (client := self._clients.get(notification.address)) is not None:
                    client.notified(notification)
            case EventType.DISCONNECTED:
                gone = DisconnectedEvent.from_json(message)
                if (client := self._clients.pop(gone.address, None)) is not None:
                    client.link_lost(gone.reason)
            case EventType.SLOTS:
                self.on_slots(SlotsEvent.from_json(message))

    def _lost(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        self._writer.close()
        for reply in self._pending.values():
            if not reply.done():
                reply.set_exception(BleakError("the virtual Bluetooth proxy went away"))
        for client in list(self._clients.values()):
            client.link_lost("the proxy went away")
        self._clients.clear()
        self.on_closed()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._lost()
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()


class VirtualProxyScanner(BaseHaRemoteScanner):
    """What HA's Bluetooth manager sees of the proxy: advertisements and connection slots."""

    def __init__(
        self, source: str, adapter: str, connector: HaBluetoothConnector, link: ProxyLink
    ) -> None:
        super().__init__(source, adapter, connector, connectable=True)
        self._link = link
        self.slots = SlotsEvent(link.hello.slots, link.hello.slots)
        link.on_advertisement = self.heard
        link.on_slots = self.slots_changed

    def heard(self, advert: AdvertisementEvent) -> None:
        self._async_on_advertisement(
            advert.address,
            advert.rssi,
            advert.name,
            list(advert.service_uuids),
            dict(advert.service_data),
            dict(advert.manufacturer_data),
            advert.tx_power,
            {},
            monotonic_time_coarse(),
        )

    def slots_changed(self, slots: SlotsEvent) -> None:
        self.slots = slots
        with contextlib.suppress(RuntimeError):  # no manager: not registered with HA
            get_manager().async_on_allocation_changed(self._allocations())

    def can_connect(self) -> bool:
        return self._link.open and self.slots.free > 0

    def get_allocations(self) -> Allocations | None:
        return self._allocations()

    def _allocations(self) -> Allocations:
        slots = self.slots
        return Allocations(self.adapter, slots.limit, slots.free, list(slots.allocated))

    def _async_watchdog_triggered(self) -> bool:
        # Health monitors advertise only when they have news, so a quiet proxy is normal;
        # the open link is what tells that it still listens.
        return not self._link.open


class VirtualProxyClient(BaseBleakClient):
    """A bleak backend for devices heard through the virtual proxy.

    HA instantiates `scanner.connector.client` itself, so each proxy gets a subclass bound to
    its link (`_bound_client`).
    """

    link: ClassVar[ProxyLink]

    def __init__(self, address_or_ble_device: BLEDevice | str, **kwargs: Any) -> None:
        super().__init__(address_or_ble_device, **kwargs)
        self.address = self.address.upper()
        device_name = (
            address_or_ble_device.name if isinstance(address_or_ble_device, BLEDevice) else None
        )
        self._name = device_name or self.address
        self._connected = False
        self._mtu = 23
        self._callbacks: dict[int, NotifyCallback] = {}

    @property
    def name(self) -> str:
        return self._name

    @property
    def mtu_size(self) -> int:
        return self._mtu

    @property
    def is_connected(self) -> bool:
        return self._connected

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        if pair:
            _LOGGER.debug("%s: virtual devices need no pairing", self.address)
        timeout = float(kwargs.get("timeout", self._timeout))
        result = await self._call(Op.CONNECT, timeout=timeout)
        self._mtu = int(result.get("mtu", 23))
        self._name = str(result.get("name") or self._name)
        self._connected = True
        self.link.attach(self)
        try:
            table = services_from_json(await self._call(Op.SERVICES, timeout=timeout))
        except BaseException:
            await self.disconnect()
            raise
        self.services = _collection(table, self._mtu)

    async def disconnect(self) -> None:
        if not self._connected:
            return
        self._forget()
        with contextlib.suppress(BleakError):
            await self._call(Op.DISCONNECT)

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        """Virtual devices take any central without pairing."""

    async def unpair(self) -> None:
        """Nothing was paired."""

    async def clear_cache(self) -> bool:
        return True  # nothing cached: services are discovered on every connection

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, **kwargs: Any
    ) -> bytearray:
        result = await self._call(Op.READ, handle=characteristic.handle)
        return bytearray.fromhex(str(result.get("value", "")))

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, **kwargs: Any
    ) -> bytearray:
        result = await self._call(Op.READ, handle=descriptor.handle)
        return bytearray.fromhex(str(result.get("value", "")))

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool
    ) -> None:
        await self._call(
            Op.WRITE, handle=characteristic.handle, value=bytes(data), response=response
        )

    async def write_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, data: SizedBuffer
    ) -> None:
        await self._call(Op.WRITE, handle=descriptor.handle, value=bytes(data), response=True)

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        """Enable notifications (preferred, as bleak does) or indications in the CCCD."""
        cccd = characteristic.get_descriptor(CCCD_UUID)
        if cccd is None:
            raise BleakError(f"{characteristic.uuid} can neither notify nor indicate")
        bits = 0x0001 if "notify" in characteristic.properties else 0x0002
        # Registered first: the device may indicate straight after the CCCD write.
        self._callbacks[characteristic.handle] = callback
        try:
            await self.write_gatt_descriptor(cccd, bits.to_bytes(2, "little"))
        except BaseException:
            self._callbacks.pop(characteristic.handle, None)
            raise

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        self._callbacks.pop(characteristic.handle, None)
        cccd = characteristic.get_descriptor(CCCD_UUID)
        if cccd is not None and self._connected:
            await self.write_gatt_descriptor(cccd, b"\x00\x00")

    # --- from the link --------------------------------------------------------------------

    def notified(self, notification: NotificationEvent) -> None:
        callback = self._callbacks.get(notification.handle)
        if callback is not None:
            callback(bytearray(notification.value))

    def link_lost(self, reason: str) -> None:
        """The device (or the proxy) dropped the connection."""
        if not self._connected:
            return
        _LOGGER.debug("%s: disconnected (%s)", self.address, reason)
        self._forget()
        if self._disconnected_callback is not None:
            self._disconnected_callback()

    def _forget(self) -> None:
        self._connected = False
        self._callbacks.clear()
        self.link.detach(self)

    async def _call(
        self, op: Op, *, timeout: float = REQUEST_TIMEOUT, **fields: Any
    ) -> dict[str, Any]:
        if op not in (Op.CONNECT, Op.DISCONNECT) and not self._connected:
            raise BleakError(f"{self.address}: not connected")
        try:
            return await self.link.request(op, self.address, timeout=timeout, **fields)
        except WireError as err:
            raise _bleak_error(self.address, err) from None


def _bleak_error(address: str, err: WireError) -> BleakError:
    """The error bleak's other backends would raise, worded so that bleak-retry-connector
    classifies it (its out-of-slots and device-missing checks read the message)."""
    if err.code is ErrorCode.UNKNOWN_DEVICE:
        return BleakDeviceNotFoundError(address, f"{address}: device not found ({err.message})")
    if err.code is ErrorCode.NO_SLOTS:
        return BleakError(f"{address}: no available connection slot on the virtual proxy")
    if err.code is ErrorCode.ATT_ERROR and err.att is not None:
        meaning = PROTOCOL_ERROR_CODES.get(err.att, "application error")
        return BleakError(f"{address}: ATT error: 0x{err.att:02x} ({meaning})")
    return BleakError(f"{address}: {err.code}: {err.message}")


def _collection(table: tuple[ServiceInfo, ...], mtu: int) -> BleakGATTServiceCollection:
    collection = BleakGATTServiceCollection()
    for info in table:
        service = BleakGATTService(info, info.handle, info.uuid)
        collection.add_service(service)
        for char_info in info.characteristics:
            characteristic = BleakGATTCharacteristic(
                char_info,
                char_info.handle,
                char_info.uuid,
                cast(list[CharacteristicPropertyName], list(char_info.properties)),
                lambda: mtu - 3,
                service,
            )
            collection.add_characteristic(characteristic)
            for descriptor in char_info.descriptors:
                collection.add_descriptor(
                    BleakGATTDescriptor(
                        descriptor, descriptor.handle, descriptor.uuid, characteristic
                    )
                )
    return collection


def _bound_client(link: ProxyLink) -> type[VirtualProxyClient]:
    class BoundVirtualProxyClient(VirtualProxyClient):
        pass

    BoundVirtualProxyClient.link = link
    return BoundVirtualProxyClient


class VirtualProxy:
    """A connected virtual proxy, its scanner registered with HA until `async_close()` or the
    simulator going away (`wait_closed()`)."""

    def __init__(self, link: ProxyLink, scanner: VirtualProxyScanner, source: str) -> None:
        self.link = link
        self.scanner = scanner
        self.source = source
        self._undo: list[Callable[[], None]] = []
        link.on_closed = self._unregister

    @property
    def closed(self) -> bool:
        return not self.link.open

    def keep(self, undo: Callable[[], None]) -> None:
        self._undo.append(undo)

    def _unregister(self) -> None:
        while self._undo:
            self._undo.pop()()

    async def wait_closed(self) -> None:
        await self.link.closed.wait()

    async def async_close(self) -> None:
        await self.link.close()
        self._unregister()


async def connect_virtual_proxy(
    host: str,
    port: int,
    register_scanner: RegisterScanner,
    *,
    source: str = DEFAULT_SOURCE,
    timeout: float = REQUEST_TIMEOUT,
) -> VirtualProxy:
    """Connect to the simulator's proxy server and register its scanner with
    `register_scanner(scanner, connection_slots)`, which returns the unregister callback."""
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(host, port, limit=MAX_LINE_BYTES)
        try:
            hello = Hello.from_json(decode_line(await reader.readline()))
            if hello.version != PROTOCOL_VERSION:
                raise WireError(ErrorCode.BAD_REQUEST, f"proxy speaks version {hello.version}")
        except (WireError, ValueError, ConnectionError):
            writer.close()
            raise
    link = ProxyLink(reader, writer, hello)
    scanner: VirtualProxyScanner | None = None
    connector = HaBluetoothConnector(
        client=_bound_client(link),
        source=source,
        can_connect=lambda: scanner is not None and scanner.can_connect(),
    )
    scanner = VirtualProxyScanner(source, hello.name, connector, link)
    proxy = VirtualProxy(link, scanner, source)
    proxy.keep(scanner.async_setup())
    proxy.keep(register_scanner(scanner, hello.slots))
    link.start()
    _LOGGER.info("Virtual Bluetooth proxy %s connected (%s slots)", hello.name, hello.slots)
    return proxy
