"""The virtual Bluetooth health monitors on their own: GATT table, transfers, RACP, misbehaviour.

A recording central stands in for the proxy's radio; payloads are checked with the gateway's
own decoders.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import pytest

from gateway.ble.battery import decode_battery_level
from gateway.ble.blood_pressure import (
    PressureUnit,
    decode_blood_pressure,
    decode_intermediate_cuff_pressure,
)
from gateway.ble.date_time import decode_current_time, encode_current_time
from gateway.ble.errors import BleDecodeError
from gateway.ble.glucose import (
    GlucoseUnit,
    Meal,
    decode_glucose_context,
    decode_glucose_measurement,
)
from gateway.ble.heart_rate import decode_heart_rate
from gateway.ble.plx import decode_plx_continuous, decode_plx_spot_check
from gateway.ble.racp import (
    RacpNumberOfRecords,
    RacpOpcode,
    RacpResponse,
    RacpResponseCode,
    decode_racp_response,
    encode_abort,
    encode_report_all_records,
    encode_report_number_of_records,
    encode_report_records_from,
)
from gateway.ble.temperature import TemperatureUnit, decode_temperature
from gateway.ble.uuids import uuid16
from gateway.ble.weight import WeightUnit, decode_weight
from gateway.sim.ble.device import ConnectRefused, Timing, VirtualBleDevice
from gateway.sim.ble.devices import (
    BLOOD_PRESSURE_MEASUREMENT,
    GLUCOSE_CONTEXT,
    GLUCOSE_MEASUREMENT,
    HEART_RATE_MEASUREMENT,
    INTERMEDIATE_CUFF_PRESSURE,
    PLX_CONTINUOUS,
    PLX_SPOT_CHECK,
    RACP,
    TEMPERATURE_MEASUREMENT,
    WEIGHT_MEASUREMENT,
)
from gateway.sim.ble.gatt import CCCD_INDICATE, CCCD_NOTIFY, AttError, AttErrorCode
from gateway.sim.ble.household import VirtualBleHousehold

FAST = Timing(advertise_seconds=30, linger_seconds=0.05, idle_seconds=5, stream_interval=0.02)
# Monitor clocks are naive local wall time, as on the wire.
NOON = datetime(2026, 3, 2, 12, 0, 0)  # noqa: DTZ001
HALF_PAST = datetime(2026, 3, 2, 12, 30)  # noqa: DTZ001
BATTERY_LEVEL = uuid16(0x2A19)
CURRENT_TIME = uuid16(0x2A2B)


class RecordingCentral:
    """The proxy's radio as a device sees it: takes every value, confirms at once."""

    def __init__(self) -> None:
        self.received: list[tuple[int, bytes, bool]] = []
        self.lost: list[str] = []
        self.changed = asyncio.Event()

    async def deliver(self, handle: int, value: bytes, *, indicate: bool) -> None:
        self.received.append((handle, value, indicate))
        self.changed.set()

    def link_lost(self, reason: str) -> None:
        self.lost.append(reason)
        self.changed.set()

    def values(self, device: VirtualBleDevice, uuid: str) -> list[bytes]:
        handle = device.characteristic(uuid).handle
        return [value for h, value, _ in self.received if h == handle]

    async def until(self, condition: Callable[[], bool], timeout: float = 2.0) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                self.changed.clear()
                await self.changed.wait()


@pytest.fixture
async def home() -> AsyncIterator[VirtualBleHousehold]:
    household = VirtualBleHousehold(clock=lambda: NOON, timing=FAST)
    yield household
    household.close()


def subscribe(device: VirtualBleDevice, uuid: str, bits: int) -> None:
    cccd = device.characteristic(uuid).cccd_handle
    assert cccd is not None
    device.gatt.write(cccd, bits.to_bytes(2, "little"), response=True)


# --- the GATT table -----------------------------------------------------------------------


async def test_attribute_table_has_unique_handles_and_cccds(home: VirtualBleHousehold) -> None:
    for device in home.devices.values():
        handles: list[int] = []
        for service in device.gatt.services:
            handles.append(service.handle)
            for characteristic in service.characteristics:
                handles.append(characteristic.handle)
                notifies = characteristic.property_names
                assert (characteristic.cccd_handle is not None) == (
                    "notify" in notifies or "indicate" in notifies
                )
                if characteristic.cccd_handle is not None:
                    handles.append(characteristic.cccd_handle)
        assert len(handles) == len(set(handles)), device.identity.name
        assert device.characteristic(BATTERY_LEVEL)


async def test_reads_and_writes_are_checked_against_the_properties(
    home: VirtualBleHousehold,
) -> None:
    bp = home.bp
    bp.advertise()
    bp.connect(RecordingCentral())
    assert decode_battery_level(bp.gatt.read(bp.characteristic(BATTERY_LEVEL).handle)) == 87
    measurement = bp.characteristic(BLOOD_PRESSURE_MEASUREMENT)
    with pytest.raises(AttError) as read_error:
        bp.gatt.read(measurement.handle)
    assert read_error.value.code is AttErrorCode.READ_NOT_PERMITTED
    with pytest.raises(AttError) as write_error:
        bp.gatt.write(bp.characteristic(BATTERY_LEVEL).handle, b"\x10", response=True)
    assert write_error.value.code is AttErrorCode.WRITE_NOT_PERMITTED
    with pytest.raises(AttError) as cccd_error:
        subscribe(bp, BLOOD_PRESSURE_MEASUREMENT, CCCD_NOTIFY)  # it only indicates
    assert cccd_error.value.code is AttErrorCode.CCCD_IMPROPERLY_CONFIGURED
    with pytest.raises(AttError) as handle_error:
        bp.gatt.read(0x7777)
    assert handle_error.value.code is AttErrorCode.INVALID_HANDLE
    # A refused write command has no answer on the air: it is simply dropped.
    bp.gatt.write(bp.characteristic(BATTERY_LEVEL).handle, b"\x10", response=False)


# --- stored measurements: blood pressure, thermometer, scale, oximeter ----------------------


async def test_a_measurement_is_advertised_then_indicated_and_the_cuff_hangs_up(
    home: VirtualBleHousehold,
) -> None:
    bp = home.bp
    assert not bp.advertising
    assert bp.advertisement() is None
    bp.measure(165, 100, pulse=92, irregular=True)
    bp.measure(16.8, 12.1, unit=PressureUnit.KPA)
    advert = bp.advertisement()
    assert advert is not None
    assert advert.service_uuids == (uuid16(0x1810),)
    assert advert.name == "SIM-BPM"
    assert advert.rssi < 0

    central = RecordingCentral()
    bp.connect(central)
    assert not bp.advertising  # one central at a time
    with pytest.raises(ConnectRefused):
        bp.connect(RecordingCentral())
    subscribe(bp, BLOOD_PRESSURE_MEASUREMENT, CCCD_INDICATE)
    await central.until(lambda: bool(central.lost))

    first, second = (
        decode_blood_pressure(v) for v in central.values(bp, BLOOD_PRESSURE_MEASUREMENT)
    )
    assert (first.systolic, first.diastolic, first.pulse_rate) == (165, 100, 92)
    assert first.status is not None
    assert first.status.irregular_pulse
    assert first.timestamp == NOON
    assert (second.systolic, second.unit) == (16.8, PressureUnit.KPA)
    assert all(indicate for _, _, indicate in central.received)
    assert not bp.pending
    assert not bp.connected
    assert not bp.advertising  # everything delivered: back to sleep


async def test_the_central_sets_the_cuff_clock(home: VirtualBleHousehold) -> None:
    bp = home.bp
    bp.advertise()
    bp.connect(RecordingCentral())
    clock = bp.characteristic(CURRENT_TIME)
    assert decode_current_time(bp.gatt.read(clock.handle)).time == NOON
    bp.gatt.write(clock.handle, encode_current_time(HALF_PAST), response=True)
    assert bp.clock.now() == HALF_PAST
    assert bp.measure(120, 80).timestamp == HALF_PAST
    with pytest.raises(AttError):
        bp.gatt.write(clock.handle, b"\x00" * 10, response=True)  # date unknown


@pytest.mark.parametrize(
    ("name", "uuid"),
    [
        ("thermometer", TEMPERATURE_MEASUREMENT),
        ("scale", WEIGHT_MEASUREMENT),
        ("oximeter", PLX_SPOT_CHECK),
    ],
)
async def test_every_stored_profile_round_trips(
    home: VirtualBleHousehold, name: str, uuid: str
) -> None:
    device = home.device(name)
    if name == "thermometer":
        home.thermometer.measure(101.5, TemperatureUnit.FAHRENHEIT)
    elif name == "scale":
        home.scale.measure(138, WeightUnit.LB)
    else:
        home.oximeter.measure(91, 88)
    central = RecordingCentral()
    device.connect(central)
    subscribe(device, uuid, CCCD_INDICATE)
    await central.until(lambda: bool(central.lost))
    (payload,) = central.values(device, uuid)
    if name == "thermometer":
        temperature = decode_temperature(payload)
        assert (temperature.value, temperature.unit) == (101.5, TemperatureUnit.FAHRENHEIT)
    elif name == "scale":
        weight = decode_weight(payload)
        assert (weight.weight, weight.unit, weight.timestamp) == (138, WeightUnit.LB, NOON)
    else:
        spot = decode_plx_spot_check(payload)
        assert (spot.spo2, spot.pulse_rate) == (91, 88)


async def test_the_oximeter_streams_its_live_reading(home: VirtualBleHousehold) -> None:
    plx = home.oximeter
    plx.measure(95, 72)
    central = RecordingCentral()
    plx.connect(central)
    subscribe(plx, PLX_CONTINUOUS, CCCD_NOTIFY)
    await central.until(lambda: len(central.values(plx, PLX_CONTINUOUS)) >= 2)
    sample = decode_plx_continuous(central.values(plx, PLX_CONTINUOUS)[0])
    assert (sample.spo2, sample.pulse_rate) == (95, 72)
    assert plx.pending  # the spot-check waits for its own subscription


async def test_a_silent_central_is_dropped() -> None:
    scale = VirtualBleHousehold(timing=Timing(idle_seconds=0.05)).scale
    scale.measure(62.5)
    central = RecordingCentral()
    scale.connect(central)
    await central.until(lambda: bool(central.lost))
    assert scale.pending
    assert scale.advertising
    scale.close()


async def test_advertising_stops_when_the_window_closes() -> None:
    thermometer = VirtualBleHousehold(timing=Timing(advertise_seconds=0.05)).thermometer
    thermometer.measure(38.6)
    assert thermometer.advertising
    await asyncio.sleep(0.1)
    assert not thermometer.advertising
    with pytest.raises(ConnectRefused):
        thermometer.connect(RecordingCentral())
    thermometer.close()


# --- misbehaviour -------------------------------------------------------------------------


async def test_drop_after_cuts_the_transfer_and_keeps_the_rest(home: VirtualBleHousehold) -> None:
    bp = home.bp
    for systolic in (130, 140, 150):
        bp.measure(systolic, 85)
    bp.drop_after(1)
    central = RecordingCentral()
    bp.connect(central)
    subscribe(bp, BLOOD_PRESSURE_MEASUREMENT, CCCD_INDICATE)
    await central.until(lambda: bool(central.lost))
    assert [
        decode_blood_pressure(v).systolic for v in central.values(bp, BLOOD_PRESSURE_MEASUREMENT)
    ] == [130]
    assert len(bp.pending) == 2
    assert bp.advertising

    again = RecordingCentral()
    bp.connect(again)
    subscribe(bp, BLOOD_PRESSURE_MEASUREMENT, CCCD_INDICATE)
    await again.until(lambda: bool(again.lost))
    assert [
        decode_blood_pressure(v).systolic for v in again.values(bp, BLOOD_PRESSURE_MEASUREMENT)
    ] == [140, 150]


async def test_garbage_and_wrong_length_spoil_one_payload_each(home: VirtualBleHousehold) -> None:
    thermometer = home.thermometer
    for value in (36.6, 37.0, 37.4):
        thermometer.measure(value)
    good = thermometer.pending[0]
    thermometer.garbage()
    central = RecordingCentral()
    thermometer.connect(central)
    thermometer.wrong_length()  # applies after the garbage one: to the second payload
    subscribe(thermometer, TEMPERATURE_MEASUREMENT, CCCD_INDICATE)
    await central.until(lambda: bool(central.lost))
    garbage, short, fine = central.values(thermometer, TEMPERATURE_MEASUREMENT)
    assert len(garbage) == len(good)
    assert garbage != good
    assert len(short) < len(good)
    with pytest.raises(BleDecodeError):
        decode_temperature(short)
    assert decode_temperature(fine).value == 37.4


# --- the glucose meter and its RACP -------------------------------------------------------


async def glucose_session(home: VirtualBleHousehold) -> RecordingCentral:
    meter = home.glucose
    meter.advertise()
    central = RecordingCentral()
    meter.connect(central)
    subscribe(meter, GLUCOSE_MEASUREMENT, CCCD_NOTIFY)
    subscribe(meter, GLUCOSE_CONTEXT, CCCD_NOTIFY)
    subscribe(meter, RACP, CCCD_INDICATE)
    return central


def racp_answers(
    central: RecordingCentral, home: VirtualBleHousehold
) -> list[RacpResponse | RacpNumberOfRecords]:
    return [decode_racp_response(v) for v in central.values(home.glucose, RACP)]


async def test_the_meter_reports_records_from_a_sequence_number(home: VirtualBleHousehold) -> None:
    meter = home.glucose
    seeded = meter.last_sequence
    assert seeded == 3  # a meter in use
    new = meter.measure(11.2, GlucoseUnit.MMOL_L, meal=Meal.POSTPRANDIAL)
    assert new.sequence == 4
    assert new.context_follows
    assert meter.advertising
    central = await glucose_session(home)
    meter.gatt.write(
        meter.characteristic(RACP).handle, encode_report_records_from(3), response=True
    )
    await central.until(lambda: bool(central.values(meter, RACP)))

    records = [decode_glucose_measurement(v) for v in central.values(meter, GLUCOSE_MEASUREMENT)]
    assert [r.sequence for r in records] == [3, 4]
    assert (records[1].concentration, records[1].unit) == (11.2, GlucoseUnit.MMOL_L)
    (context,) = [decode_glucose_context(v) for v in central.values(meter, GLUCOSE_CONTEXT)]
    assert (context.sequence, context.meal) == (4, Meal.POSTPRANDIAL)
    assert racp_answers(central, home) == [
        RacpResponse(RacpOpcode.REPORT_STORED_RECORDS, RacpResponseCode.SUCCESS)
    ]
    await central.until(lambda: bool(central.lost))  # and it hangs up after the transfer
    assert meter.last_sequence == 4  # a meter keeps its records


async def test_racp_all_count_none_and_unsupported(home: VirtualBleHousehold) -> None:
    meter = home.glucose
    meter.measure(200, GlucoseUnit.MG_DL)
    central = await glucose_session(home)
    racp = meter.characteristic(RACP).handle

    async def ask(request: bytes, answers: int) -> None:
        meter.gatt.write(racp, request, response=True)
        await central.until(lambda: len(central.values(meter, RACP)) >= answers)

    await ask(encode_report_number_of_records(), 1)
    await ask(encode_report_all_records(), 2)
    await ask(encode_report_records_from(99), 3)
    await ask(bytes([0x02, 0x01]), 4)  # delete all: this meter does not
    assert racp_answers(central, home) == [
        RacpNumberOfRecords(4),
        RacpResponse(RacpOpcode.REPORT_STORED_RECORDS, RacpResponseCode.SUCCESS),
        RacpResponse(RacpOpcode.REPORT_STORED_RECORDS, RacpResponseCode.NO_RECORDS_FOUND),
        RacpResponse(RacpOpcode.DELETE_STORED_RECORDS, RacpResponseCode.OP_CODE_NOT_SUPPORTED),
    ]
    assert len(central.values(meter, GLUCOSE_MEASUREMENT)) == 4
    mg_dl = decode_glucose_measurement(central.values(meter, GLUCOSE_MEASUREMENT)[-1])
    assert (mg_dl.concentration, mg_dl.unit) == (200, GlucoseUnit.MG_DL)


async def test_racp_abort_stops_a_report(home: VirtualBleHousehold) -> None:
    meter = home.glucose
    for value in range(30):
        meter.measure(5 + value / 10)
    central = await glucose_session(home)
    racp = meter.characteristic(RACP).handle
    meter.gatt.write(racp, encode_report_all_records(), response=True)
    with pytest.raises(AttError) as busy:
        meter.gatt.write(racp, encode_report_number_of_records(), response=True)
    assert busy.value.code is AttErrorCode.PROCEDURE_ALREADY_IN_PROGRESS
    meter.gatt.write(racp, encode_abort(), response=True)
    await central.until(lambda: bool(central.values(meter, RACP)))
    assert racp_answers(central, home) == [
        RacpResponse(RacpOpcode.ABORT_OPERATION, RacpResponseCode.SUCCESS)
    ]
    assert len(central.values(meter, GLUCOSE_MEASUREMENT)) < 33


async def test_racp_needs_indications_and_the_meter_clock_is_read_only(
    home: VirtualBleHousehold,
) -> None:
    meter = home.glucose
    meter.advertise()
    meter.connect(RecordingCentral())
    with pytest.raises(AttError) as refused:
        meter.gatt.write(
            meter.characteristic(RACP).handle, encode_report_all_records(), response=True
        )
    assert refused.value.code is AttErrorCode.CCCD_IMPROPERLY_CONFIGURED
    clock = meter.characteristic(CURRENT_TIME)
    assert "write" not in clock.property_names
    with pytest.raises(AttError):
        meter.gatt.write(clock.handle, encode_current_time(NOON), response=True)


async def test_a_silent_meter_never_answers(home: VirtualBleHousehold) -> None:
    meter = home.glucose
    meter.silent_racp()
    central = await glucose_session(home)
    meter.gatt.write(meter.characteristic(RACP).handle, encode_report_all_records(), response=True)
    await asyncio.sleep(0.1)
    assert not central.values(meter, RACP)
    assert not central.values(meter, GLUCOSE_MEASUREMENT)


# --- the heart-rate strap -----------------------------------------------------------------


async def test_the_strap_advertises_while_worn_and_notifies_every_interval(
    home: VirtualBleHousehold,
) -> None:
    hr = home.hr
    assert not hr.advertising
    hr.set_rate(130)
    assert hr.advertising
    central = RecordingCentral()
    hr.connect(central)
    subscribe(hr, HEART_RATE_MEASUREMENT, CCCD_NOTIFY)
    await central.until(lambda: len(central.values(hr, HEART_RATE_MEASUREMENT)) >= 3)
    sample = decode_heart_rate(central.values(hr, HEART_RATE_MEASUREMENT)[0])
    assert sample.bpm == 130
    assert sample.sensor_contact
    assert sample.rr_intervals_s
    assert all(0.4 < rr < 0.5 for rr in sample.rr_intervals_s)
    assert not central.lost  # streaming keeps the link
    hr.set_rate(None)  # taken off
    await central.until(lambda: bool(central.lost))
    assert not hr.advertising


async def test_a_reading_taken_while_connected_shows_the_cuff_deflating(
    home: VirtualBleHousehold,
) -> None:
    bp = home.bp
    bp.advertise()
    central = RecordingCentral()
    bp.connect(central)
    subscribe(bp, INTERMEDIATE_CUFF_PRESSURE, CCCD_NOTIFY)
    subscribe(bp, BLOOD_PRESSURE_MEASUREMENT, CCCD_INDICATE)
    bp.measure(128, 82, pulse=66)
    await central.until(lambda: bool(central.values(bp, BLOOD_PRESSURE_MEASUREMENT)))
    cuff = [
        decode_intermediate_cuff_pressure(v) for v in central.values(bp, INTERMEDIATE_CUFF_PRESSURE)
    ]
    pressures = [c.systolic for c in cuff]
    assert len(pressures) == 3
    assert pressures == sorted(pressures, reverse=True)
    assert all(c.diastolic is None for c in cuff)
    (result,) = central.values(bp, BLOOD_PRESSURE_MEASUREMENT)
    assert decode_blood_pressure(result).systolic == 128
