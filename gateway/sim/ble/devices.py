"""The six virtual health monitors, each speaking its Bluetooth SIG profile.

Payloads are built with the codecs of `gateway.ble` (the same ones the gateway decodes with),
time-stamped by the monitor's own clock. Feature characteristics without a codec carry their
fixed bit field as bytes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from gateway.ble.blood_pressure import (
    BloodPressureFeature,
    BloodPressureMeasurement,
    BloodPressureStatus,
    PressureUnit,
    encode_blood_pressure,
    encode_blood_pressure_feature,
    encode_intermediate_cuff_pressure,
)
from gateway.ble.errors import BleDecodeError
from gateway.ble.glucose import (
    GlucoseContext,
    GlucoseMeasurement,
    GlucoseType,
    GlucoseUnit,
    Meal,
    SampleLocation,
    encode_glucose_context,
    encode_glucose_measurement,
)
from gateway.ble.heart_rate import HeartRateMeasurement, encode_heart_rate
from gateway.ble.plx import (
    PlxContinuous,
    PlxSpotCheck,
    encode_plx_continuous,
    encode_plx_spot_check,
)
from gateway.ble.racp import (
    RacpFilterType,
    RacpNumberOfRecords,
    RacpOpcode,
    RacpOperator,
    RacpRequest,
    RacpResponse,
    RacpResponseCode,
    decode_racp_request,
    encode_racp_response,
)
from gateway.ble.temperature import (
    TemperatureMeasurement,
    TemperatureType,
    TemperatureUnit,
    encode_temperature,
)
from gateway.ble.uuids import uuid16
from gateway.ble.weight import WeightMeasurement, WeightUnit, encode_weight

from .clock import DeviceClock
from .device import Identity, Timing, VirtualBleDevice
from .gatt import CCCD_INDICATE, AttError, AttErrorCode, Characteristic, Prop, Service

BLOOD_PRESSURE_SERVICE = uuid16(0x1810)
BLOOD_PRESSURE_MEASUREMENT = uuid16(0x2A35)
INTERMEDIATE_CUFF_PRESSURE = uuid16(0x2A36)
BLOOD_PRESSURE_FEATURE = uuid16(0x2A49)
PLX_SERVICE = uuid16(0x1822)
PLX_SPOT_CHECK = uuid16(0x2A5E)
PLX_CONTINUOUS = uuid16(0x2A5F)
PLX_FEATURES = uuid16(0x2A60)
GLUCOSE_SERVICE = uuid16(0x1808)
GLUCOSE_MEASUREMENT = uuid16(0x2A18)
GLUCOSE_CONTEXT = uuid16(0x2A34)
GLUCOSE_FEATURE = uuid16(0x2A51)
RACP = uuid16(0x2A52)
THERMOMETER_SERVICE = uuid16(0x1809)
TEMPERATURE_MEASUREMENT = uuid16(0x2A1C)
TEMPERATURE_TYPE = uuid16(0x2A1D)
HEART_RATE_SERVICE = uuid16(0x180D)
HEART_RATE_MEASUREMENT = uuid16(0x2A37)
BODY_SENSOR_LOCATION = uuid16(0x2A38)
WEIGHT_SCALE_SERVICE = uuid16(0x181D)
WEIGHT_MEASUREMENT = uuid16(0x2A9D)
WEIGHT_SCALE_FEATURE = uuid16(0x2A9E)

_MANUFACTURER = "Eldercare Virtual Devices"


# --- blood pressure -----------------------------------------------------------------------


class BloodPressureMonitor(VirtualBleDevice):
    """An upper-arm cuff: stores readings until a central takes them; its clock is settable."""

    service_uuid = BLOOD_PRESSURE_SERVICE
    stored_uuid = BLOOD_PRESSURE_MEASUREMENT
    time_settable = True
    IDENTITY: ClassVar[Identity] = Identity(
        "D2:4B:7A:10:35:01", "SIM-BPM", _MANUFACTURER, "VBP-710", "BP2024000137", rssi=-58
    )

    def _profile_services(self) -> list[Service]:
        feature = BloodPressureFeature(
            body_movement_detection=True,
            cuff_fit_detection=True,
            irregular_pulse_detection=True,
            pulse_rate_range_detection=True,
        )
        return [
            Service(
                BLOOD_PRESSURE_SERVICE,
                [
                    Characteristic(BLOOD_PRESSURE_MEASUREMENT, Prop.INDICATE),
                    Characteristic(INTERMEDIATE_CUFF_PRESSURE, Prop.NOTIFY),
                    Characteristic(
                        BLOOD_PRESSURE_FEATURE, Prop.READ, encode_blood_pressure_feature(feature)
                    ),
                ],
            )
        ]

    def measure(
        self,
        systolic: float,
        diastolic: float,
        *,
        pulse: float | None = None,
        mean_arterial: float | None = None,
        irregular: bool = False,
        body_movement: bool = False,
        unit: PressureUnit = PressureUnit.MMHG,
        user_id: int | None = None,
        at: datetime | None = None,
    ) -> BloodPressureMeasurement:
        """A cuff reading as the resident takes it; returns what the cuff will send."""
        if mean_arterial is None:
            # The usual estimate: diastolic plus a third of the pulse pressure.
            digits = 0 if unit is PressureUnit.MMHG else 1
            mean_arterial = round(diastolic + (systolic - diastolic) / 3, digits)
        measurement = BloodPressureMeasurement(
            systolic=systolic,
            diastolic=diastolic,
            mean_arterial=mean_arterial,
            unit=unit,
            timestamp=at or self.clock.now(),
            pulse_rate=pulse,
            user_id=user_id,
            status=BloodPressureStatus(body_movement=body_movement, irregular_pulse=irregular),
        )
        payload = encode_blood_pressure(measurement)
        cuff = self.characteristic(INTERMEDIATE_CUFF_PRESSURE)
        if self.connected and self.gatt.subscription(cuff):
            self.spawn(self._deflate(cuff, measurement, payload))
        else:
            self.store(payload)
        return measurement

    async def _deflate(
        self, cuff: Characteristic, measurement: BloodPressureMeasurement, payload: bytes
    ) -> None:
        """While connected during a measurement: the falling cuff pressure, then the result."""
        top = (measurement.systolic or 0) + (20 if measurement.unit is PressureUnit.MMHG else 2.7)
        for step in range(3):
            pressure = round(top - step * (top - (measurement.diastolic or 0)) / 3, 1)
            # Intermediate cuff pressure: the current pressure as "systolic", the rest NaN.
            current = BloodPressureMeasurement(pressure, None, None, unit=measurement.unit)
            await self.gatt.send(cuff, encode_intermediate_cuff_pressure(current))
            await asyncio.sleep(self.timing.stream_interval / 4)
        self.store(payload)


# --- pulse oximeter -----------------------------------------------------------------------

# PLX Features: measurement storage and timestamps for spot-checks (bits 2 and 3).
_PLX_FEATURES = (0x000C).to_bytes(2, "little")


class PulseOximeter(VirtualBleDevice):
    """A fingertip oximeter: stored spot-checks, and a live reading while subscribed."""

    service_uuid = PLX_SERVICE
    stored_uuid = PLX_SPOT_CHECK
    IDENTITY: ClassVar[Identity] = Identity(
        "C8:3E:92:55:0A:02", "SIM-PLX", _MANUFACTURER, "VPO-20", "PO2024000412", rssi=-64
    )
    live: tuple[float, float] | None = None  # the finger's current (SpO2, pulse)

    def _profile_services(self) -> list[Service]:
        return [
            Service(
                PLX_SERVICE,
                [
                    Characteristic(PLX_SPOT_CHECK, Prop.INDICATE),
                    Characteristic(PLX_CONTINUOUS, Prop.NOTIFY),
                    Characteristic(PLX_FEATURES, Prop.READ, _PLX_FEATURES),
                ],
            )
        ]

    def measure(
        self,
        spo2: float,
        pulse: float,
        *,
        pulse_amplitude_index: float | None = None,
        at: datetime | None = None,
    ) -> PlxSpotCheck:
        spot = PlxSpotCheck(
            spo2=spo2,
            pulse_rate=pulse,
            timestamp=at or self.clock.now(),
            pulse_amplitude_index=pulse_amplitude_index,
        )
        payload = encode_plx_spot_check(spot)
        self.live = (spo2, pulse)
        self.store(payload)
        return spot

    def _subscribed(self, characteristic: Characteristic, bits: int) -> None:
        super()._subscribed(characteristic, bits)
        if bits and characteristic.uuid == PLX_CONTINUOUS:
            self.spawn(self._stream(characteristic))

    async def _stream(self, characteristic: Characteristic) -> None:
        while self.gatt.subscription(characteristic):
            if self.live is not None:
                spo2, pulse = self.live
                sample = PlxContinuous(spo2=spo2, pulse_rate=pulse)
                await self.gatt.send(characteristic, encode_plx_continuous(sample))
            await asyncio.sleep(self.timing.stream_interval)


# --- glucose meter ------------------------------------------------------------------------

# Glucose Feature: low battery, sensor malfunction, sample size, strip insertion, result
# high/low and general fault detection.
_GLUCOSE_FEATURES = (0x0001 | 0x0002 | 0x0004 | 0x0008 | 0x0020 | 0x0100).to_bytes(2, "little")


@dataclass(frozen=True, slots=True)
class GlucoseRecord:
    measurement: GlucoseMeasurement
    context: GlucoseContext | None = None


class GlucoseMeter(VirtualBleDevice):
    """A meter that keeps every record, numbered; a central asks for them over the RACP.

    Its clock is its own (Current Time is read-only): record times are as the meter had them.
    """

    service_uuid = GLUCOSE_SERVICE
    time_settable = False
    IDENTITY: ClassVar[Identity] = Identity(
        "E1:7C:04:9B:61:03", "SIM-GLU", _MANUFACTURER, "VGM-5", "GM2024000988", rssi=-66
    )

    def __init__(
        self,
        identity: Identity | None = None,
        *,
        clock: DeviceClock | None = None,
        timing: Timing | None = None,
        battery: int = 87,
    ) -> None:
        super().__init__(identity, clock=clock, timing=timing, battery=battery)
        self.records: list[GlucoseRecord] = []
        self._procedure: asyncio.Task[None] | None = None
        self._aborted = False
        self._silent = False
        self._cut_off = False
        self._seed()

    def _seed(self) -> None:
        """A meter in use: the last few days' records already in its memory."""
        now = self.clock.now().replace(second=0)
        for days, hour, value, meal in ((3, 7, 6.1, Meal.FASTING), (2, 19, 8.4, Meal.POSTPRANDIAL)):
            when = (now - timedelta(days=days)).replace(hour=hour, minute=12)
            self._add(value, GlucoseUnit.MMOL_L, when, meal=meal)
        self._add(5.8, GlucoseUnit.MMOL_L, (now - timedelta(days=1)).replace(hour=7, minute=5))

    def _profile_services(self) -> list[Service]:
        return [
            Service(
                GLUCOSE_SERVICE,
                [
                    Characteristic(GLUCOSE_MEASUREMENT, Prop.NOTIFY),
                    Characteristic(GLUCOSE_CONTEXT, Prop.NOTIFY),
                    Characteristic(GLUCOSE_FEATURE, Prop.READ, _GLUCOSE_FEATURES),
                    Characteristic(RACP, Prop.WRITE | Prop.INDICATE, on_write=self._racp_written),
                ],
            )
        ]

    def measure(
        self,
        value: float,
        unit: GlucoseUnit = GlucoseUnit.MMOL_L,
        *,
        sample_type: GlucoseType = GlucoseType.CAPILLARY_PLASMA,
        location: SampleLocation = SampleLocation.FINGER,
        meal: Meal | None = None,
        at: datetime | None = None,
    ) -> GlucoseMeasurement:
        record = self._add(
            value,
            unit,
            at or self.clock.now(),
            sample_type=sample_type,
            location=location,
            meal=meal,
        )
        self.advertise()
        return record.measurement

    def _add(
        self,
        value: float,
        unit: GlucoseUnit,
        when: datetime,
        *,
        sample_type: GlucoseType = GlucoseType.CAPILLARY_PLASMA,
        location: SampleLocation = SampleLocation.FINGER,
        meal: Meal | None = None,
    ) -> GlucoseRecord:
        sequence = (self.records[-1].measurement.sequence + 1) if self.records else 1
        measurement = GlucoseMeasurement(
            sequence=sequence & 0xFFFF,
            base_time=when,
            time_offset_minutes=0,
            concentration=value,
            unit=unit,
            sample_type=sample_type,
            sample_location=location,
            context_follows=meal is not None,
        )
        encode_glucose_measurement(measurement)  # refuse a value the meter could not send
        context = None if meal is None else GlucoseContext(sequence=sequence & 0xFFFF, meal=meal)
        record = GlucoseRecord(measurement, context)
        self.records.append(record)
        return record

    @property
    def last_sequence(self) -> int | None:
        return self.records[-1].measurement.sequence if self.records else None

    def silent_racp(self, silent: bool = True) -> None:
        """Misbehave: take RACP requests and never answer them."""
        self._silent = silent

    # --- Record Access Control Point ------------------------------------------------------

    def _link_ended(self) -> None:
        # A meter cut off while sending records advertises again: the rest still wants out.
        self._cut_off = self._procedure is not None and not self._procedure.done()
        super()._link_ended()

    def _has_news(self) -> bool:
        return super()._has_news() or self._cut_off

    def _racp_written(self, value: bytes) -> None:
        racp = self.characteristic(RACP)
        if not self.gatt.subscription(racp) & CCCD_INDICATE:
            raise AttError(AttErrorCode.CCCD_IMPROPERLY_CONFIGURED, "RACP indications are off")
        try:
            request = decode_racp_request(value)
        except BleDecodeError as err:
            raise AttError(AttErrorCode.INVALID_ATTRIBUTE_LENGTH, str(err)) from None
        busy = self._procedure is not None and not self._procedure.done()
        if busy and request.opcode != RacpOpcode.ABORT_OPERATION:
            raise AttError(AttErrorCode.PROCEDURE_ALREADY_IN_PROGRESS, "a request is running")
        if self._silent:
            return
        if request.opcode == RacpOpcode.ABORT_OPERATION:
            self._aborted = busy
            self.spawn(self._answer_abort(racp, request))
            return
        self._aborted = False
        self._procedure = self.spawn(self._run(racp, request))

    async def _answer_abort(self, racp: Characteristic, request: RacpRequest) -> None:
        if request.operator != RacpOperator.NULL or request.operand:
            code = RacpResponseCode.INVALID_OPERATOR
        else:
            if self._procedure is not None:
                await asyncio.wait({self._procedure})
            code = RacpResponseCode.SUCCESS
        await self._respond(racp, request.opcode, code)

    async def _run(self, racp: Characteristic, request: RacpRequest) -> None:
        match request.opcode:
            case RacpOpcode.REPORT_STORED_RECORDS:
                await self._report(racp, request)
            case RacpOpcode.REPORT_NUMBER_OF_STORED_RECORDS:
                selected = self._select(request)
                if isinstance(selected, RacpResponseCode):
                    await self._respond(racp, request.opcode, selected)
                else:
                    await self.gatt.send(
                        racp, encode_racp_response(RacpNumberOfRecords(len(selected)))
                    )
            case _:
                await self._respond(racp, request.opcode, RacpResponseCode.OP_CODE_NOT_SUPPORTED)
        self.transfer_done()

    async def _report(self, racp: Characteristic, request: RacpRequest) -> None:
        selected = self._select(request)
        if isinstance(selected, RacpResponseCode):
            await self._respond(racp, request.opcode, selected)
            return
        measurement = self.characteristic(GLUCOSE_MEASUREMENT)
        context = self.characteristic(GLUCOSE_CONTEXT)
        for record in selected:
            if self._aborted:
                return  # the abort request gets the answer
            if (
                not await self.gatt.send(
                    measurement, encode_glucose_measurement(record.measurement)
                )
                and not self.connected
            ):
                return
            if record.context is not None and self.gatt.subscription(context):
                await self.gatt.send(context, encode_glucose_context(record.context))
            if not self.connected:
                return
        code = RacpResponseCode.SUCCESS if selected else RacpResponseCode.NO_RECORDS_FOUND
        await self._respond(racp, request.opcode, code)

    def _select(self, request: RacpRequest) -> list[GlucoseRecord] | RacpResponseCode:
        """The records a request's operator and operand pick, or why it picks none."""
        records = self.records
        match request.operator:
            case RacpOperator.ALL_RECORDS:
                return list(records)
            case RacpOperator.FIRST_RECORD:
                return records[:1]
            case RacpOperator.LAST_RECORD:
                return records[-1:]
            case RacpOperator.GREATER_THAN_OR_EQUAL_TO | RacpOperator.LESS_THAN_OR_EQUAL_TO:
                return self._by_sequence(request)
            case RacpOperator.NULL:
                return RacpResponseCode.INVALID_OPERATOR
            case _:
                return RacpResponseCode.OPERATOR_NOT_SUPPORTED

    def _by_sequence(self, request: RacpRequest) -> list[GlucoseRecord] | RacpResponseCode:
        operand = request.operand
        if not operand or operand[0] != RacpFilterType.SEQUENCE_NUMBER:
            return RacpResponseCode.OPERAND_NOT_SUPPORTED  # user facing time: not kept
        if len(operand) != 3:
            return RacpResponseCode.INVALID_OPERAND
        bound = int.from_bytes(operand[1:3], "little")
        if request.operator == RacpOperator.GREATER_THAN_OR_EQUAL_TO:
            return [r for r in self.records if r.measurement.sequence >= bound]
        return [r for r in self.records if r.measurement.sequence <= bound]

    async def _respond(self, racp: Characteristic, opcode: int, code: RacpResponseCode) -> None:
        await self.gatt.send(racp, encode_racp_response(RacpResponse(opcode, code)))


# --- thermometer --------------------------------------------------------------------------


class Thermometer(VirtualBleDevice):
    """An ear thermometer: stores readings until a central takes them."""

    service_uuid = THERMOMETER_SERVICE
    stored_uuid = TEMPERATURE_MEASUREMENT
    IDENTITY: ClassVar[Identity] = Identity(
        "F3:19:C6:28:7E:04", "SIM-THERMO", _MANUFACTURER, "VTH-3", "TH2024000551", rssi=-61
    )

    def _profile_services(self) -> list[Service]:
        return [
            Service(
                THERMOMETER_SERVICE,
                [
                    Characteristic(TEMPERATURE_MEASUREMENT, Prop.INDICATE),
                    Characteristic(TEMPERATURE_TYPE, Prop.READ, bytes([TemperatureType.TYMPANUM])),
                ],
            )
        ]

    def measure(
        self,
        value: float,
        unit: TemperatureUnit = TemperatureUnit.CELSIUS,
        *,
        location: TemperatureType | None = None,
        at: datetime | None = None,
    ) -> TemperatureMeasurement:
        measurement = TemperatureMeasurement(value, unit, at or self.clock.now(), location)
        self.store(encode_temperature(measurement))
        return measurement


# --- heart-rate strap ---------------------------------------------------------------------


class HeartRateStrap(VirtualBleDevice):
    """A chest strap: advertises while worn, notifies the rate every second once subscribed."""

    service_uuid = HEART_RATE_SERVICE
    IDENTITY: ClassVar[Identity] = Identity(
        "DA:52:8E:43:B9:05", "SIM-HRM", _MANUFACTURER, "VHR-1", "HR2024000093", rssi=-70
    )
    bpm: int | None = None  # None: not worn
    _beat = 0

    def _profile_services(self) -> list[Service]:
        return [
            Service(
                HEART_RATE_SERVICE,
                [
                    Characteristic(HEART_RATE_MEASUREMENT, Prop.NOTIFY),
                    Characteristic(BODY_SENSOR_LOCATION, Prop.READ, bytes([0x01])),  # chest
                ],
            )
        ]

    def set_rate(self, bpm: int | None) -> None:
        """The wearer's heart rate; None takes the strap off (it stops advertising and
        hangs up a while later)."""
        if bpm is not None and not 20 <= bpm <= 300:
            raise ValueError("a heart rate is 20..300 bpm")
        self.bpm = bpm
        if bpm is None:
            self.transfer_done()
            return
        self.advertise()

    def _always_advertising(self) -> bool:
        return self.bpm is not None  # a worn strap advertises, news or not

    def _keep_link(self) -> bool:
        return self.bpm is not None and bool(
            self.gatt.subscription(self.characteristic(HEART_RATE_MEASUREMENT))
        )

    def _subscribed(self, characteristic: Characteristic, bits: int) -> None:
        if bits and characteristic.uuid == HEART_RATE_MEASUREMENT:
            self.spawn(self._stream(characteristic))

    async def _stream(self, characteristic: Characteristic) -> None:
        while self.gatt.subscription(characteristic) and self.bpm is not None:
            await self.gatt.send(characteristic, encode_heart_rate(self.sample()))
            await asyncio.sleep(self.timing.stream_interval)

    def sample(self) -> HeartRateMeasurement:
        """One second of beats: the rate and the RR intervals that made it, varying a little
        from beat to beat as a living heart does."""
        bpm = self.bpm or 0
        beats = max(1, round(bpm / 60))
        intervals = []
        for _ in range(beats):
            self._beat += 1
            wobble = (-0.015, 0.01, 0.02, -0.01)[self._beat % 4]
            intervals.append(round(60 / bpm * (1 + wobble), 3))
        return HeartRateMeasurement(bpm, sensor_contact=True, rr_intervals_s=tuple(intervals))


# --- scale --------------------------------------------------------------------------------

# Weight Scale Feature: time stamps, multiple users, BMI; 0.05 kg and 1 mm resolution.
_SCALE_FEATURES = (0x01 | 0x02 | 0x04 | (4 << 3) | (3 << 7)).to_bytes(4, "little")


class Scale(VirtualBleDevice):
    """A bathroom scale: stores weighings until a central takes them."""

    service_uuid = WEIGHT_SCALE_SERVICE
    stored_uuid = WEIGHT_MEASUREMENT
    IDENTITY: ClassVar[Identity] = Identity(
        "CC:A0:3D:71:16:06", "SIM-SCALE", _MANUFACTURER, "VWS-8", "WS2024000310", rssi=-68
    )

    def _profile_services(self) -> list[Service]:
        return [
            Service(
                WEIGHT_SCALE_SERVICE,
                [
                    Characteristic(WEIGHT_MEASUREMENT, Prop.INDICATE),
                    Characteristic(WEIGHT_SCALE_FEATURE, Prop.READ, _SCALE_FEATURES),
                ],
            )
        ]

    def measure(
        self,
        weight: float,
        unit: WeightUnit = WeightUnit.KG,
        *,
        user_id: int | None = None,
        bmi: float | None = None,
        height: float | None = None,
        at: datetime | None = None,
    ) -> WeightMeasurement:
        measurement = WeightMeasurement(weight, unit, at or self.clock.now(), user_id, bmi, height)
        self.store(encode_weight(measurement))
        return measurement
