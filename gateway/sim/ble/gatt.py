"""A peripheral's GATT server: services, characteristics, CCCDs and the one connected central.

Handles are laid out as a real attribute table is (service declaration, then per
characteristic its declaration, its value and its CCCD), and a characteristic's `handle` is
its value handle, as bleak's backends report it. Reads and writes are checked against the
characteristic's properties and answered with ATT error codes; notifications and indications
go out only while the central has enabled them in the CCCD, indications one at a time and
each confirmed before the next. The device's misbehaviour on request (drop the link mid
transfer, garbage or truncated payloads) happens here, on the way out.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from gateway.ble.uuids import uuid16

_LOGGER = logging.getLogger(__name__)

CCCD_UUID = uuid16(0x2902)
CCCD_NOTIFY = 0x0001
CCCD_INDICATE = 0x0002


class Prop(enum.IntFlag):
    """Characteristic properties (Core spec Vol 3 Part G 3.3.1.1)."""

    READ = 0x02
    WRITE_WITHOUT_RESPONSE = 0x04
    WRITE = 0x08
    NOTIFY = 0x10
    INDICATE = 0x20


# bleak's names for the properties, as `BleakGATTCharacteristic.properties` lists them.
PROPERTY_NAMES: dict[Prop, str] = {
    Prop.READ: "read",
    Prop.WRITE_WITHOUT_RESPONSE: "write-without-response",
    Prop.WRITE: "write",
    Prop.NOTIFY: "notify",
    Prop.INDICATE: "indicate",
}


class AttErrorCode(enum.IntEnum):
    INVALID_HANDLE = 0x01
    READ_NOT_PERMITTED = 0x02
    WRITE_NOT_PERMITTED = 0x03
    INVALID_ATTRIBUTE_LENGTH = 0x0D
    VALUE_NOT_ALLOWED = 0x13
    # Common profile and service error codes (Core Specification Supplement part B).
    CCCD_IMPROPERLY_CONFIGURED = 0xFD
    PROCEDURE_ALREADY_IN_PROGRESS = 0xFE
    OUT_OF_RANGE = 0xFF


class AttError(Exception):
    """The ATT error response a request gets."""

    def __init__(self, code: AttErrorCode, message: str) -> None:
        super().__init__(f"ATT error 0x{code:02x} ({code.name.lower()}): {message}")
        self.code = code


class Central(Protocol):
    """The connected central as the peripheral sees it (the proxy's radio, for us)."""

    async def deliver(self, handle: int, value: bytes, *, indicate: bool) -> None:
        """Send a notification, or an indication and return once it is confirmed."""

    def link_lost(self, reason: str) -> None:
        """The peripheral ended the connection (or the link dropped)."""


ReadHandler = Callable[[], bytes]
WriteHandler = Callable[[bytes], None]


@dataclass(eq=False)
class Characteristic:
    uuid: str
    properties: Prop
    value: bytes = b""
    on_read: ReadHandler | None = None  # computes the value on each read (a clock, a count)
    on_write: WriteHandler | None = None  # may raise AttError to refuse the value
    handle: int = 0  # the value handle, given when the server lays out its table
    cccd_handle: int | None = None

    @property
    def property_names(self) -> list[str]:
        return [name for prop, name in PROPERTY_NAMES.items() if prop in self.properties]


@dataclass(eq=False)
class Service:
    uuid: str
    characteristics: list[Characteristic]
    handle: int = 0
    end_handle: int = 0


@dataclass
class _Misbehaviour:
    drop_after: int | None = None  # indications/notifications left before the link drops
    garbage: bool = False
    short: bool = False


SubscribeHandler = Callable[[Characteristic, int], None]


@dataclass(eq=False)
class GattServer:
    services: Sequence[Service]
    mtu: int = 23  # the BLE 4.x default: most health monitors never negotiate more
    on_subscribe: SubscribeHandler | None = None  # a CCCD changed: (characteristic, bits)
    on_request: Callable[[], None] | None = None  # any request from the central
    on_disconnect: Callable[[], None] | None = None
    central: Central | None = field(default=None, init=False)
    _by_handle: dict[int, Characteristic] = field(default_factory=dict, init=False)
    _by_cccd: dict[int, Characteristic] = field(default_factory=dict, init=False)
    _cccd: dict[int, int] = field(default_factory=dict, init=False)  # value handle -> bits
    _indicating: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)
    _misbehaviour: _Misbehaviour = field(default_factory=_Misbehaviour, init=False)

    def __post_init__(self) -> None:
        handle = 1
        for service in self.services:
            service.handle = handle
            for characteristic in service.characteristics:
                characteristic.handle = handle + 2  # after the characteristic declaration
                self._by_handle[characteristic.handle] = characteristic
                handle = characteristic.handle
                if characteristic.properties & (Prop.NOTIFY | Prop.INDICATE):
                    handle += 1
                    characteristic.cccd_handle = handle
                    self._by_cccd[handle] = characteristic
            service.end_handle = handle
            handle += 1

    # --- the table ------------------------------------------------------------------------

    def characteristic(self, uuid: str) -> Characteristic:
        for service in self.services:
            for characteristic in service.characteristics:
                if characteristic.uuid == uuid:
                    return characteristic
        raise KeyError(uuid)

    @property
    def connected(self) -> bool:
        return self.central is not None

    def subscription(self, characteristic: Characteristic) -> int:
        """The CCCD bits the central has set (CCCD_NOTIFY | CCCD_INDICATE), 0 if none."""
        return self._cccd.get(characteristic.handle, 0)

    # --- the central's requests -----------------------------------------------------------

    def attach(self, central: Central) -> None:
        if self.central is not None:
            raise RuntimeError("a central is already connected")
        self.central = central
        self._cccd.clear()  # no bonding: every connection starts unsubscribed

    def read(self, handle: int) -> bytes:
        self._requested()
        if (owner := self._by_cccd.get(handle)) is not None:
            return self._cccd.get(owner.handle, 0).to_bytes(2, "little")
        characteristic = self._value_attribute(handle)
        if Prop.READ not in characteristic.properties:
            raise AttError(AttErrorCode.READ_NOT_PERMITTED, f"{characteristic.uuid[4:8]}")
        if characteristic.on_read is not None:
            return characteristic.on_read()
        return characteristic.value

    def write(self, handle: int, value: bytes, *, response: bool) -> None:
        """A write request (response=True) or command; a refused command is dropped silently,
        as ATT has no way to say so."""
        self._requested()
        try:
            if (owner := self._by_cccd.get(handle)) is not None:
                self._write_cccd(owner, value)
                return
            characteristic = self._value_attribute(handle)
            wanted = Prop.WRITE if response else Prop.WRITE_WITHOUT_RESPONSE
            if wanted not in characteristic.properties:
                raise AttError(AttErrorCode.WRITE_NOT_PERMITTED, f"{characteristic.uuid[4:8]}")
            if characteristic.on_write is not None:
                characteristic.on_write(value)
            else:
                characteristic.value = value
        except AttError:
            if response:
                raise
            _LOGGER.debug("write command to 0x%04x refused", handle)

    def _write_cccd(self, characteristic: Characteristic, value: bytes) -> None:
        if len(value) != 2:
            raise AttError(AttErrorCode.INVALID_ATTRIBUTE_LENGTH, "a CCCD is 2 bytes")
        bits = int.from_bytes(value, "little")
        allowed = (CCCD_NOTIFY if Prop.NOTIFY in characteristic.properties else 0) | (
            CCCD_INDICATE if Prop.INDICATE in characteristic.properties else 0
        )
        if bits & ~allowed:
            raise AttError(
                AttErrorCode.CCCD_IMPROPERLY_CONFIGURED,
                f"{characteristic.uuid[4:8]} does not allow CCCD value 0x{bits:04x}",
            )
        self._cccd[characteristic.handle] = bits
        if self.on_subscribe is not None:
            self.on_subscribe(characteristic, bits)

    def _value_attribute(self, handle: int) -> Characteristic:
        characteristic = self._by_handle.get(handle)
        if characteristic is None:
            raise AttError(AttErrorCode.INVALID_HANDLE, f"no attribute 0x{handle:04x}")
        return characteristic

    def _requested(self) -> None:
        if self.on_request is not None:
            self.on_request()

    # --- the peripheral's side ------------------------------------------------------------

    async def send(self, characteristic: Characteristic, value: bytes) -> bool:
        """Notify or indicate `value` as the central subscribed (indication preferred, being
        the acknowledged one); True once delivered (an indication: confirmed)."""
        async with self._indicating:
            bits = self.subscription(characteristic)
            central = self.central
            if central is None or not bits:
                return False
            trouble = self._misbehaviour
            if trouble.drop_after == 0:
                self.disconnect("connection timeout")
                return False
            value = self._mangled(value)
            try:
                await central.deliver(
                    characteristic.handle, value, indicate=bool(bits & CCCD_INDICATE)
                )
            except ConnectionError:
                self.disconnect("link lost")
                return False
            if trouble.drop_after is not None:
                trouble.drop_after -= 1
                if trouble.drop_after == 0:
                    trouble.drop_after = None
                    self.disconnect("connection timeout")
            return True

    def _mangled(self, value: bytes) -> bytes:
        trouble = self._misbehaviour
        if trouble.garbage:
            trouble.garbage = False
            return os.urandom(len(value))
        if trouble.short:
            trouble.short = False
            return value[: max(1, len(value) - max(1, min(4, len(value) // 3)))]
        return value

    def disconnect(self, reason: str) -> None:
        """The peripheral hangs up (or the link is lost): the central is told."""
        central = self.central
        if central is None:
            return
        self._detach()
        central.link_lost(reason)

    def central_disconnected(self) -> None:
        """The central hung up."""
        if self.central is not None:
            self._detach()

    def _detach(self) -> None:
        self.central = None
        self._cccd.clear()
        if self.on_disconnect is not None:
            self.on_disconnect()

    # --- misbehaviour on request ----------------------------------------------------------

    def drop_after(self, count: int) -> None:
        """Drop the link after `count` more notifications/indications (0: before the next)."""
        if count < 0:
            raise ValueError("count must be 0 or more")
        self._misbehaviour.drop_after = count

    def garbage(self) -> None:
        """The next notification/indication carries random bytes of the same length."""
        self._misbehaviour.garbage = True

    def wrong_length(self) -> None:
        """The next notification/indication is cut short by a few bytes."""
        self._misbehaviour.short = True
