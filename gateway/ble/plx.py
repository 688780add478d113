"""Pulse oximeter: PLX Spot-check Measurement (0x2A5E) and PLX Continuous Measurement (0x2A5F).

Spot-check: flags uint8 | SpO2 SFLOAT (%) | PR SFLOAT (bpm) | [timestamp, flag bit 0]
| [measurement status uint16, bit 1] | [device and sensor status uint24, bit 2]
| [pulse amplitude index SFLOAT (%), bit 3]; bit 4 = device clock not set; 5-7 reserved.

Continuous: flags uint8 | SpO2PR-Normal (2 x SFLOAT) | [SpO2PR-Fast, bit 0]
| [SpO2PR-Slow, bit 1] | [measurement status, bit 2] | [device and sensor status, bit 3]
| [pulse amplitude index, bit 4]; bits 5-7 reserved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Flag

from gateway.ble._reader import Reader, Writer

PLX_SPOT_CHECK = "PLX Spot-check Measurement"
PLX_CONTINUOUS = "PLX Continuous Measurement"


class PlxMeasurementStatus(Flag):
    """Measurement Status (uint16); bits 0-4 reserved."""

    NONE = 0
    MEASUREMENT_ONGOING = 1 << 5
    EARLY_ESTIMATED_DATA = 1 << 6
    VALIDATED_DATA = 1 << 7
    FULLY_QUALIFIED_DATA = 1 << 8
    DATA_FROM_MEASUREMENT_STORAGE = 1 << 9
    DATA_FOR_DEMONSTRATION = 1 << 10
    DATA_FOR_TESTING = 1 << 11
    CALIBRATION_ONGOING = 1 << 12
    MEASUREMENT_UNAVAILABLE = 1 << 13
    QUESTIONABLE_MEASUREMENT_DETECTED = 1 << 14
    INVALID_MEASUREMENT_DETECTED = 1 << 15


class PlxDeviceSensorStatus(Flag):
    """Device and Sensor Status (uint24); bits 16-23 reserved."""

    NONE = 0
    EXTENDED_DISPLAY_UPDATE_ONGOING = 1 << 0
    EQUIPMENT_MALFUNCTION_DETECTED = 1 << 1
    SIGNAL_PROCESSING_IRREGULARITY_DETECTED = 1 << 2
    INADEQUATE_SIGNAL_DETECTED = 1 << 3
    POOR_SIGNAL_DETECTED = 1 << 4
    LOW_PERFUSION_DETECTED = 1 << 5
    ERRATIC_SIGNAL_DETECTED = 1 << 6
    NONPULSATILE_SIGNAL_DETECTED = 1 << 7
    QUESTIONABLE_PULSE_DETECTED = 1 << 8
    SIGNAL_ANALYSIS_ONGOING = 1 << 9
    SENSOR_INTERFERENCE_DETECTED = 1 << 10
    SENSOR_UNCONNECTED_TO_USER = 1 << 11
    UNKNOWN_SENSOR_CONNECTED = 1 << 12
    SENSOR_DISPLACED = 1 << 13
    SENSOR_MALFUNCTIONING = 1 << 14
    SENSOR_DISCONNECTED = 1 << 15


_MEASUREMENT_STATUS_MASK = 0xFFE0
_DEVICE_STATUS_MASK = 0x00FFFF


@dataclass(frozen=True, slots=True)
class SpO2PulseRate:
    """An SpO2 (%) / pulse rate (bpm) pair; None = special value (NaN, NRes...)."""

    spo2: float | None
    pulse_rate: float | None


@dataclass(frozen=True, slots=True)
class PlxSpotCheck:
    """One spot-check reading. Status fields are None when the device did not send them."""

    spo2: float | None
    pulse_rate: float | None
    timestamp: datetime | None = None
    measurement_status: PlxMeasurementStatus | None = None
    device_sensor_status: PlxDeviceSensorStatus | None = None
    pulse_amplitude_index: float | None = None
    device_clock_not_set: bool = False


@dataclass(frozen=True, slots=True)
class PlxContinuous:
    """One continuous-measurement sample; ``fast``/``slow`` None when not sent."""

    spo2: float | None
    pulse_rate: float | None
    fast: SpO2PulseRate | None = None
    slow: SpO2PulseRate | None = None
    measurement_status: PlxMeasurementStatus | None = None
    device_sensor_status: PlxDeviceSensorStatus | None = None
    pulse_amplitude_index: float | None = None


_SPOT_TIMESTAMP = 0x01
_SPOT_STATUS = 0x02
_SPOT_DEVICE_STATUS = 0x04
_SPOT_PAI = 0x08
_SPOT_CLOCK_NOT_SET = 0x10

_CONT_FAST = 0x01
_CONT_SLOW = 0x02
_CONT_STATUS = 0x04
_CONT_DEVICE_STATUS = 0x08
_CONT_PAI = 0x10


def _read_pair(reader: Reader, what: str) -> SpO2PulseRate:
    return SpO2PulseRate(reader.sfloat(f"{what} SpO2"), reader.sfloat(f"{what} pulse rate"))


def _read_statuses(
    reader: Reader, has_status: bool, has_device_status: bool
) -> tuple[PlxMeasurementStatus | None, PlxDeviceSensorStatus | None]:
    status = None
    device_status = None
    if has_status:
        # Reserved bits are masked off, not an error.
        status = PlxMeasurementStatus(reader.u16("measurement status") & _MEASUREMENT_STATUS_MASK)
    if has_device_status:
        device_status = PlxDeviceSensorStatus(
            reader.u24("device and sensor status") & _DEVICE_STATUS_MASK
        )
    return status, device_status


def decode_plx_spot_check(data: bytes | bytearray) -> PlxSpotCheck:
    """Decode PLX Spot-check Measurement (0x2A5E)."""
    reader = Reader(data, PLX_SPOT_CHECK)
    flags = reader.u8("flags")
    spo2 = reader.sfloat("SpO2")
    pulse_rate = reader.sfloat("pulse rate")
    timestamp = reader.date_time("timestamp") if flags & _SPOT_TIMESTAMP else None
    status, device_status = _read_statuses(
        reader, bool(flags & _SPOT_STATUS), bool(flags & _SPOT_DEVICE_STATUS)
    )
    pai = reader.sfloat("pulse amplitude index") if flags & _SPOT_PAI else None
    reader.end()
    return PlxSpotCheck(
        spo2=spo2,
        pulse_rate=pulse_rate,
        timestamp=timestamp,
        measurement_status=status,
        device_sensor_status=device_status,
        pulse_amplitude_index=pai,
        device_clock_not_set=bool(flags & _SPOT_CLOCK_NOT_SET),
    )


def encode_plx_spot_check(value: PlxSpotCheck) -> bytes:
    """Encode PLX Spot-check Measurement (0x2A5E)."""
    flags = (
        (_SPOT_TIMESTAMP if value.timestamp is not None else 0)
        | (_SPOT_STATUS if value.measurement_status is not None else 0)
        | (_SPOT_DEVICE_STATUS if value.device_sensor_status is not None else 0)
        | (_SPOT_PAI if value.pulse_amplitude_index is not None else 0)
        | (_SPOT_CLOCK_NOT_SET if value.device_clock_not_set else 0)
    )
    writer = Writer(PLX_SPOT_CHECK)
    writer.u8(flags, "flags")
    writer.sfloat(value.spo2, "SpO2")
    writer.sfloat(value.pulse_rate, "pulse rate")
    if value.timestamp is not None:
        writer.date_time(value.timestamp, "timestamp")
    if value.measurement_status is not None:
        writer.u16(value.measurement_status.value, "measurement status")
    if value.device_sensor_status is not None:
        writer.u24(value.device_sensor_status.value, "device and sensor status")
    if value.pulse_amplitude_index is not None:
        writer.sfloat(value.pulse_amplitude_index, "pulse amplitude index")
    return writer.bytes()


def decode_plx_continuous(data: bytes | bytearray) -> PlxContinuous:
    """Decode PLX Continuous Measurement (0x2A5F)."""
    reader = Reader(data, PLX_CONTINUOUS)
    flags = reader.u8("flags")
    normal = _read_pair(reader, "SpO2PR-Normal")
    fast = _read_pair(reader, "SpO2PR-Fast") if flags & _CONT_FAST else None
    slow = _read_pair(reader, "SpO2PR-Slow") if flags & _CONT_SLOW else None
    status, device_status = _read_statuses(
        reader, bool(flags & _CONT_STATUS), bool(flags & _CONT_DEVICE_STATUS)
    )
    pai = reader.sfloat("pulse amplitude index") if flags & _CONT_PAI else None
    reader.end()
    return PlxContinuous(
        spo2=normal.spo2,
        pulse_rate=normal.pulse_rate,
        fast=fast,
        slow=slow,
        measurement_status=status,
        device_sensor_status=device_status,
        pulse_amplitude_index=pai,
    )


def encode_plx_continuous(value: PlxContinuous) -> bytes:
    """Encode PLX Continuous Measurement (0x2A5F)."""
    flags = (
        (_CONT_FAST if value.fast is not None else 0)
        | (_CONT_SLOW if value.slow is not None else 0)
        | (_CONT_STATUS if value.measurement_status is not None else 0)
        | (_CONT_DEVICE_STATUS if value.device_sensor_status is not None else 0)
        | (_CONT_PAI if value.pulse_amplitude_index is not None else 0)
    )
    writer = Writer(PLX_CONTINUOUS)
    writer.u8(flags, "flags")
    writer.sfloat(value.spo2, "SpO2PR-Normal SpO2")
    writer.sfloat(value.pulse_rate, "SpO2PR-Normal pulse rate")
    for what, pair in (("SpO2PR-Fast", value.fast), ("SpO2PR-Slow", value.slow)):
        if pair is not None:
            writer.sfloat(pair.spo2, f"{what} SpO2")
            writer.sfloat(pair.pulse_rate, f"{what} pulse rate")
    if value.measurement_status is not None:
        writer.u16(value.measurement_status.value, "measurement status")
    if value.device_sensor_status is not None:
        writer.u24(value.device_sensor_status.value, "device and sensor status")
    if value.pulse_amplitude_index is not None:
        writer.sfloat(value.pulse_amplitude_index, "pulse amplitude index")
    return writer.bytes()
