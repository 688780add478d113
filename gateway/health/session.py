"""One connection to a health monitor: what to read, subscribe and ask, and when to stop.

Monitors hold their measurements until a central has taken them, then go quiet or hang
up. A session takes everything on offer and returns as soon as the transfer is over, so
the caller can disconnect at once: a Bluetooth proxy has only a few connection slots, and
the next cuff in the building may be waiting for one.

A dropped link is normal, not an error: what arrived stands (each indication was
confirmed to the device, which keeps the rest), and the glucose meter is asked next time
for the records after the last one received.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.exc import BleakError

from ..ble import (
    BleDecodeError,
    GlucoseContext,
    GlucoseMeasurement,
    HeartRateMeasurement,
    PlxContinuous,
    RacpNumberOfRecords,
    RacpResponse,
    RacpResponseCode,
    decode_battery_level,
    decode_characteristic,
    decode_racp_response,
    decode_utf8_string,
    encode_current_time,
    encode_report_all_records,
    encode_report_records_from,
)
from ..ble.uuids import uuid16
from .profiles import MonitorProfile
from .readings import (
    HealthReading,
    continuous_plx_reading,
    heart_rate_reading,
    reading_of,
)

_LOGGER = logging.getLogger(__name__)

BATTERY_LEVEL = uuid16(0x2A19)
CURRENT_TIME = uuid16(0x2A2B)
RACP = uuid16(0x2A52)
GLUCOSE_MEASUREMENT = uuid16(0x2A18)
GLUCOSE_CONTEXT = uuid16(0x2A34)
HEART_RATE = uuid16(0x2A37)
PLX_SPOT_CHECK = uuid16(0x2A5E)
PLX_CONTINUOUS = uuid16(0x2A5F)

DEVICE_INFO = {
    "manufacturer": uuid16(0x2A29),
    "model": uuid16(0x2A24),
    "serial": uuid16(0x2A25),
    "firmware": uuid16(0x2A26),
    "hardware": uuid16(0x2A27),
}

# What each profile sends its measurements on (indications, except a strap's notifications).
MEASUREMENTS: dict[MonitorProfile, tuple[str, ...]] = {
    MonitorProfile.BLOOD_PRESSURE: (uuid16(0x2A35),),
    MonitorProfile.PULSE_OXIMETER: (PLX_SPOT_CHECK,),
    MonitorProfile.GLUCOSE: (GLUCOSE_MEASUREMENT,),
    MonitorProfile.THERMOMETER: (uuid16(0x2A1C),),
    MonitorProfile.HEART_RATE: (HEART_RATE,),
    MonitorProfile.SCALE: (uuid16(0x2A9D),),
}


@dataclass(frozen=True, slots=True)
class SessionTimeouts:
    first: float = 8.0  # for the first measurement after subscribing
    quiet: float = 1.5  # after the last one: the device has sent all it holds
    racp: float = 15.0  # for the glucose meter's answer, restarted by every record
    stream: float = 5.0  # how long to listen to a strap or a continuous oximeter
    stream_samples: int = 5  # ... or until this many samples came


@dataclass
class SessionResult:
    info: dict[str, str] = field(default_factory=dict)
    battery: int | None = None
    # Decoded measurements in arrival order; glucose records paired with their context.
    measurements: list[object] = field(default_factory=list)
    contexts: dict[int, GlucoseContext] = field(default_factory=dict)
    stream: list[HeartRateMeasurement | PlxContinuous] = field(default_factory=list)
    rejected: list[BleDecodeError] = field(default_factory=list)
    complete: bool = False  # the profile's own end (RACP answered, device done), not a drop
    clock_set: bool = False
    records_on_device: int | None = None

    @property
    def streamed(self) -> bool:
        """The monitor streams (a strap, a continuous oximeter) rather than stores."""
        return bool(self.stream)

    def readings(self, received_at: datetime, time_zone: tzinfo) -> list[HealthReading]:
        """What the session brought, as readings: each stored measurement (glucose with its
        context), and one spot reading from a stream."""
        readings: list[HealthReading | None] = []
        for measurement in self.measurements:
            context = (
                self.contexts.get(measurement.sequence)
                if isinstance(measurement, GlucoseMeasurement)
                else None
            )
            readings.append(reading_of(measurement, received_at, time_zone, context))
        straps = [m for m in self.stream if isinstance(m, HeartRateMeasurement)]
        oximeter = [m for m in self.stream if isinstance(m, PlxContinuous)]
        if straps:
            readings.append(heart_rate_reading(straps, received_at))
        if oximeter:
            readings.append(continuous_plx_reading(oximeter, received_at))
        return [reading for reading in readings if reading is not None]

    @property
    def last_sequence(self) -> int | None:
        sequences = [m.sequence for m in self.measurements if isinstance(m, GlucoseMeasurement)]
        return max(sequences, default=None)


class MonitorSession:
    def __init__(
        self,
        profile: MonitorProfile,
        *,
        local_now: Callable[[], datetime],
        after_sequence: int | None = None,
        read_info: bool = True,
        timeouts: SessionTimeouts | None = None,
    ) -> None:
        self.profile = profile
        self._local_now = local_now  # the home's wall clock (naive), to set the device's
        self._after_sequence = after_sequence
        self._read_info = read_info
        self._timeouts = timeouts or SessionTimeouts()
        self.result = SessionResult()
        self._activity = asyncio.Event()
        self._lost = asyncio.Event()
        self._racp_answer: asyncio.Future[RacpResponse | RacpNumberOfRecords] | None = None

    def link_lost(self) -> None:
        """The disconnected callback: the device hung up or the link dropped."""
        self._lost.set()
        self._activity.set()

    async def run(self, client: BleakClient) -> SessionResult:
        try:
            await self._prepare(client)
            await self._subscribe(client)
            if self.profile is MonitorProfile.GLUCOSE:
                await self._fetch_records(client)
            elif self.profile is MonitorProfile.HEART_RATE or self._stream_only(client):
                await self._listen_to_stream()
            else:
                await self._take_stored()
        except (BleakError, TimeoutError, EOFError, OSError) as err:
            # A link that drops in the middle of a GATT request surfaces here.
            if not self._lost.is_set():
                _LOGGER.debug("%s session ended early: %s", self.profile, err)
            self.result.complete = False
        return self.result

    async def _prepare(self, client: BleakClient) -> None:
        if self._read_info:
            for name, uuid in DEVICE_INFO.items():
                raw = await self._read(client, uuid)
                if raw is not None:
                    with contextlib.suppress(BleDecodeError):
                        self.result.info[name] = decode_utf8_string(raw)
        raw = await self._read(client, BATTERY_LEVEL)
        if raw is not None:
            try:
                self.result.battery = decode_battery_level(raw)
            except BleDecodeError as err:
                self.result.rejected.append(err)
        # The profiles that keep time by the Current Time Service let a central set it; a
        # glucose meter's record times are its own (its CTS is read-only) and stay so.
        current_time = _characteristic(client, CURRENT_TIME)
        if current_time is not None and "write" in current_time.properties:
            await client.write_gatt_char(current_time, encode_current_time(self._local_now()), True)
            self.result.clock_set = True

    async def _subscribe(self, client: BleakClient) -> None:
        uuids = list(MEASUREMENTS[self.profile])
        if self.profile is MonitorProfile.GLUCOSE:
            if _characteristic(client, GLUCOSE_CONTEXT) is not None:
                uuids.append(GLUCOSE_CONTEXT)
            uuids.append(RACP)
        if self._stream_only(client):
            uuids = [PLX_CONTINUOUS]
        for uuid in uuids:
            if _characteristic(client, uuid) is None:
                if uuid == GLUCOSE_CONTEXT:
                    continue
                raise BleakError(f"{self.profile} monitor has no characteristic {uuid}")
            await client.start_notify(uuid, self._received)

    def _stream_only(self, client: BleakClient) -> bool:
        """An oximeter with only the continuous characteristic."""
        return (
            self.profile is MonitorProfile.PULSE_OXIMETER
            and _characteristic(client, PLX_SPOT_CHECK) is None
            and _characteristic(client, PLX_CONTINUOUS) is not None
        )

    def _received(self, characteristic: BleakGATTCharacteristic, data: bytearray) -> None:
        uuid = characteristic.uuid.lower()
        try:
            if uuid == RACP:
                answer = decode_racp_response(bytes(data))
                if self._racp_answer is not None and not self._racp_answer.done():
                    self._racp_answer.set_result(answer)
                return
            decoded = decode_characteristic(uuid, bytes(data))
        except BleDecodeError as err:
            # A broken payload costs that one measurement, never the session.
            _LOGGER.warning("%s sent an undecodable %s: %s", self.profile, uuid[4:8], err)
            self.result.rejected.append(err)
            self._activity.set()
            return
        match decoded:
            case GlucoseContext():
                self.result.contexts[decoded.sequence] = decoded
            case HeartRateMeasurement() | PlxContinuous():
                self.result.stream.append(decoded)
            case _:
                self.result.measurements.append(decoded)
        self._activity.set()

    async def _take_stored(self) -> None:
        """Indications until the device has nothing more (quiet) or hangs up."""
        wait = self._timeouts.first
        while not self._lost.is_set():
            self._activity.clear()
            try:
                async with asyncio.timeout(wait):
                    await self._activity.wait()
            except TimeoutError:
                break
            wait = self._timeouts.quiet
        # A cuff hangs up when it has sent all it holds; so does a dropped link. Only a hang-up
        # in the middle of sending may have left readings behind: then the caller looks again.
        sending = bool(self.result.measurements or self.result.rejected)
        self.result.complete = not (self._lost.is_set() and sending)

    async def _listen_to_stream(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeouts.stream
        while (
            not self._lost.is_set()
            and len(self.result.stream) < self._timeouts.stream_samples
            and (left := deadline - loop.time()) > 0
        ):
            self._activity.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(left):
                    await self._activity.wait()
        self.result.complete = bool(self.result.stream)

    async def _fetch_records(self, client: BleakClient) -> None:
        """Ask for the records after the last one we hold; wait for the meter's answer,
        giving it more time while records keep coming."""
        request = (
            encode_report_all_records()
            if self._after_sequence is None
            else encode_report_records_from((self._after_sequence + 1) & 0xFFFF)
        )
        self._racp_answer = asyncio.get_running_loop().create_future()
        await client.write_gatt_char(RACP, request, True)
        while not self._racp_answer.done() and not self._lost.is_set():
            self._activity.clear()
            waiter: asyncio.Future[object] = asyncio.ensure_future(self._activity.wait())
            racp: asyncio.Future[object] = self._racp_answer  # type: ignore[assignment]
            try:
                done, _ = await asyncio.wait(
                    {waiter, racp},
                    timeout=self._timeouts.racp,
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                waiter.cancel()
            if not done:
                _LOGGER.warning("Glucose meter did not answer its record request")
                return
        if not self._racp_answer.done():
            return  # lost mid-transfer: keep what came, ask again next time
        answer = self._racp_answer.result()
        if isinstance(answer, RacpNumberOfRecords):
            self.result.records_on_device = answer.count
            return
        self.result.complete = answer.code in (
            RacpResponseCode.SUCCESS,
            RacpResponseCode.NO_RECORDS_FOUND,
        )
        if not self.result.complete:
            _LOGGER.warning("Glucose meter refused the record request: %s", answer.code)

    async def _read(self, client: BleakClient, uuid: str) -> bytearray | None:
        characteristic = _characteristic(client, uuid)
        if characteristic is None or "read" not in characteristic.properties:
            return None
        return await client.read_gatt_char(characteristic)


def _characteristic(client: BleakClient, uuid: str) -> BleakGATTCharacteristic | None:
    return client.services.get_characteristic(uuid)
