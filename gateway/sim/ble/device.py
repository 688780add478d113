"""What every virtual health monitor does: advertise when it has news, take one central,
hand over its stored measurements, hang up.

A monitor is asleep until the resident takes a measurement. Then it advertises for a while
(`Timing.advertise_seconds`); a central connects (the monitor stops advertising, it takes
one connection), reads what it likes, subscribes, and the monitor indicates every stored
measurement, oldest first, forgetting each only once it was confirmed. A short while after
the transfer (`Timing.linger_seconds`) it hangs up if the central has not; a central that
does nothing at all is dropped after `Timing.idle_seconds`. If the link drops with
measurements still stored, the monitor advertises again.

Subclasses in `devices.py` add the profile's service and behaviour.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, ClassVar

from gateway.ble.battery import encode_battery_level
from gateway.ble.date_time import decode_current_time, encode_current_time
from gateway.ble.device_info import encode_utf8_string
from gateway.ble.errors import BleDecodeError
from gateway.ble.uuids import uuid16

from .clock import DeviceClock
from .gatt import (
    AttError,
    AttErrorCode,
    Central,
    Characteristic,
    GattServer,
    Prop,
    Service,
)

_LOGGER = logging.getLogger(__name__)

# Home Assistant passes an advertisement identical to the last one on only once, so each
# new measurement changes a news counter the monitors send as service data under their
# maker's own 128-bit UUID (no SIG number: HA's integration matchers would claim those).
NEWS_SERVICE_DATA_UUID = "ef38f2ab-75c8-4ba8-989f-e8b8409c4d47"

DEVICE_INFORMATION = uuid16(0x180A)
MANUFACTURER_NAME = uuid16(0x2A29)
MODEL_NUMBER = uuid16(0x2A24)
SERIAL_NUMBER = uuid16(0x2A25)
FIRMWARE_REVISION = uuid16(0x2A26)
BATTERY_SERVICE = uuid16(0x180F)
BATTERY_LEVEL = uuid16(0x2A19)
CURRENT_TIME_SERVICE = uuid16(0x1805)
CURRENT_TIME = uuid16(0x2A2B)


@dataclass(frozen=True, slots=True)
class Identity:
    address: str  # random static (the two top bits set), stable across restarts
    name: str  # the advertised local name
    manufacturer: str
    model: str
    serial: str
    firmware: str = "1.0.0"
    rssi: int = -62  # as the proxy hears it across the room


@dataclass(frozen=True, slots=True)
class Timing:
    advertise_seconds: float = 30.0  # how long news is advertised
    linger_seconds: float = 2.0  # hang up this long after a transfer
    idle_seconds: float = 30.0  # hang up on a central that asks nothing for this long
    stream_interval: float = 1.0  # period of a strap's or oximeter's live notifications


@dataclass(frozen=True, slots=True)
class Advertisement:
    address: str
    name: str
    service_uuids: tuple[str, ...]
    rssi: int
    service_data: dict[str, bytes] = field(default_factory=dict)
    tx_power: int | None = None


class ConnectRefused(Exception):
    """The monitor does not take the connection: it is not advertising, or already taken."""

    def __init__(self, reason: str, *, busy: bool = False) -> None:
        super().__init__(reason)
        self.busy = busy  # connected to another central (else: not advertising)


Listener = Callable[["VirtualBleDevice"], None]


class VirtualBleDevice:
    service_uuid: ClassVar[str]  # the profile's service, advertised
    # The characteristic whose stored measurements go out once subscribed (None: none kept).
    stored_uuid: ClassVar[str | None] = None
    time_settable: ClassVar[bool | None] = None  # Current Time: None absent, False read-only

    IDENTITY: ClassVar[Identity]  # each model's own unit

    def __init__(
        self,
        identity: Identity | None = None,
        *,
        clock: DeviceClock | None = None,
        timing: Timing | None = None,
        battery: int = 87,
    ) -> None:
        self.identity = identity or self.IDENTITY
        self.clock = clock or DeviceClock()
        self.timing = timing or Timing()
        self.battery = battery
        self.pending: deque[bytes] = deque()  # stored measurements not yet delivered
        self._advertise_until = 0.0
        self._news = 0  # bumped by every new measurement, sent in the advertisement
        self._listeners: list[Listener] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._transfer: asyncio.Task[None] | None = None
        self._hang_up: asyncio.TimerHandle | None = None
        self._lingering = False
        self.gatt = GattServer(
            [*self._profile_services(), *self._common_services()],
            on_subscribe=self._subscribed,
            on_request=self._central_active,
            on_disconnect=self._link_ended,
        )

    # --- the attribute table --------------------------------------------------------------

    def _profile_services(self) -> list[Service]:
        raise NotImplementedError

    def _common_services(self) -> list[Service]:
        info = self.identity
        services = [
            Service(
                DEVICE_INFORMATION,
                [
                    _text(MANUFACTURER_NAME, info.manufacturer),
                    _text(MODEL_NUMBER, info.model),
                    _text(SERIAL_NUMBER, info.serial),
                    _text(FIRMWARE_REVISION, info.firmware),
                ],
            ),
            Service(
                BATTERY_SERVICE,
                [
                    Characteristic(
                        BATTERY_LEVEL,
                        Prop.READ | Prop.NOTIFY,
                        on_read=lambda: encode_battery_level(self.battery),
                    )
                ],
            ),
        ]
        if self.time_settable is not None:
            properties = Prop.READ | Prop.NOTIFY | (Prop.WRITE if self.time_settable else 0)
            services.append(
                Service(
                    CURRENT_TIME_SERVICE,
                    [
                        Characteristic(
                            CURRENT_TIME,
                            properties,
                            on_read=lambda: encode_current_time(self.clock.now()),
                            on_write=self._set_time,
                        )
                    ],
                )
            )
        return services

    def _set_time(self, value: bytes) -> None:
        if len(value) != 10:
            raise AttError(AttErrorCode.INVALID_ATTRIBUTE_LENGTH, "Current Time is 10 bytes")
        try:
            when = decode_current_time(value).time
        except BleDecodeError as err:
            raise AttError(AttErrorCode.VALUE_NOT_ALLOWED, str(err)) from None
        if when is None:
            raise AttError(AttErrorCode.VALUE_NOT_ALLOWED, "the date is unknown")
        self.clock.set(when)
        _LOGGER.info("%s clock set to %s", self.identity.name, when)

    def characteristic(self, uuid: str) -> Characteristic:
        return self.gatt.characteristic(uuid)

    @property
    def address(self) -> str:
        return self.identity.address

    def set_battery(self, percent: int) -> None:
        if not 0 <= percent <= 100:
            raise ValueError("battery level is 0..100 %")
        self.battery = percent
        level = self.characteristic(BATTERY_LEVEL)
        if self.gatt.subscription(level):
            self.spawn(self._notify_battery(level))

    async def _notify_battery(self, level: Characteristic) -> None:
        await self.gatt.send(level, encode_battery_level(self.battery))

    # --- advertising ----------------------------------------------------------------------

    @property
    def advertising(self) -> bool:
        if self.gatt.connected:
            return False  # one connection only: a connected monitor stops advertising
        return self._always_advertising() or time.monotonic() < self._advertise_until

    def _always_advertising(self) -> bool:
        return False

    def advertise(self, seconds: float | None = None) -> None:
        """Start advertising news (what a measurement does; a meter's Bluetooth button too)."""
        window = self.timing.advertise_seconds if seconds is None else seconds
        self._advertise_until = max(self._advertise_until, time.monotonic() + window)
        self._news += 1
        self._changed()

    def stop_advertising(self) -> None:
        self._advertise_until = 0.0

    def advertisement(self) -> Advertisement | None:
        if not self.advertising:
            return None
        return Advertisement(
            address=self.identity.address,
            name=self.identity.name,
            service_uuids=(self.service_uuid,),
            rssi=self.identity.rssi,
            service_data={NEWS_SERVICE_DATA_UUID: bytes([self._news & 0xFF])},
        )

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """`listener(device)` whenever it starts advertising news; returns the remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener(self)

    # --- the connection -------------------------------------------------------------------

    def connect(self, central: Central) -> None:
        if self.gatt.connected:
            raise ConnectRefused("already connected to another central", busy=True)
        if not self.advertising:
            raise ConnectRefused("not advertising")
        self.gatt.attach(central)
        self.stop_advertising()  # its news is being heard; what is left re-advertises later
        self._hang_up_in(self.timing.idle_seconds, lingering=False)
        _LOGGER.info("%s connected", self.identity.name)

    def disconnect(self) -> None:
        """The central hangs up."""
        self.gatt.central_disconnected()

    def hang_up(self, reason: str = "remote user terminated connection") -> None:
        """The monitor ends the connection itself."""
        self.gatt.disconnect(reason)

    @property
    def connected(self) -> bool:
        return self.gatt.connected

    def _link_ended(self) -> None:
        self._cancel_hang_up()
        for task in list(self._tasks):
            task.cancel()
        _LOGGER.info("%s disconnected", self.identity.name)
        if self._has_news():
            self.advertise()  # what is still stored wants out

    def _has_news(self) -> bool:
        return bool(self.pending)

    def _central_active(self) -> None:
        if not self._lingering:
            self._hang_up_in(self.timing.idle_seconds, lingering=False)

    def _hang_up_in(self, seconds: float, *, lingering: bool) -> None:
        self._cancel_hang_up()
        self._lingering = lingering
        with contextlib.suppress(RuntimeError):  # no running loop: nobody to hang up on
            loop = asyncio.get_running_loop()
            self._hang_up = loop.call_later(seconds, self._time_to_hang_up)

    def _cancel_hang_up(self) -> None:
        if self._hang_up is not None:
            self._hang_up.cancel()
            self._hang_up = None

    def _time_to_hang_up(self) -> None:
        self._hang_up = None
        if self._keep_link():
            self._hang_up_in(self.timing.idle_seconds, lingering=False)
            return
        self.hang_up()

    def _keep_link(self) -> bool:
        """Whether the monitor keeps the link despite the timer (a strap while streaming)."""
        return False

    def transfer_done(self) -> None:
        """The profile's transfer is over: hang up after `linger_seconds`."""
        if self.gatt.connected:
            self._hang_up_in(self.timing.linger_seconds, lingering=True)

    # --- stored measurements --------------------------------------------------------------

    def store(self, payload: bytes) -> None:
        """A new measurement for the stored characteristic: send it now if a central is
        subscribed, else keep it and advertise."""
        self.pending.append(payload)
        if self.gatt.connected:
            self._start_transfer()
        else:
            self.advertise()

    def _subscribed(self, characteristic: Characteristic, bits: int) -> None:
        if bits and characteristic.uuid == self.stored_uuid:
            self._start_transfer()

    def _start_transfer(self) -> None:
        if self.stored_uuid is None or (self._transfer is not None and not self._transfer.done()):
            return
        characteristic = self.characteristic(self.stored_uuid)
        if not self.gatt.subscription(characteristic):
            return
        self._transfer = self.spawn(self._send_stored(characteristic))

    async def _send_stored(self, characteristic: Characteristic) -> None:
        while self.pending:
            if not await self.gatt.send(characteristic, self.pending[0]):
                return  # the link dropped: the rest stays for next time
            self.pending.popleft()
        self.transfer_done()

    def spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """A task of this connection: cancelled when the link ends."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # --- misbehaviour on request ----------------------------------------------------------

    def drop_after(self, count: int) -> None:
        """Drop the link after `count` indications/notifications of the next transfer."""
        self.gatt.drop_after(count)

    def garbage(self) -> None:
        """The next measurement payload is random bytes of a plausible length."""
        self.gatt.garbage()

    def wrong_length(self) -> None:
        """The next measurement payload is truncated by a few bytes."""
        self.gatt.wrong_length()

    def close(self) -> None:
        """Switch off: drop any link, stop every timer and task."""
        self.hang_up("remote device terminated connection due to power off")
        self._cancel_hang_up()
        for task in list(self._tasks):
            task.cancel()
        self.stop_advertising()

    def status(self) -> dict[str, Any]:
        return {
            "address": self.identity.address,
            "name": self.identity.name,
            "advertising": self.advertising,
            "connected": self.gatt.connected,
            "pending": len(self.pending),
            "battery": self.battery,
            "clock": self.clock.now().isoformat(),
        }


def _text(uuid: str, value: str) -> Characteristic:
    return Characteristic(uuid, Prop.READ, encode_utf8_string(value))
