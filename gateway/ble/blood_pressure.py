"""Blood Pressure Measurement (0x2A35), Intermediate Cuff Pressure (0x2A36), Feature (0x2A49).

Measurement layout (GATT Specification Supplement):
flags uint8 | systolic SFLOAT | diastolic SFLOAT | mean arterial SFLOAT
| [timestamp Date Time, flag bit 1] | [pulse rate SFLOAT, bit 2] | [user id uint8, bit 3]
| [measurement status uint16, bit 4].  Flag bit 0: 0 = mmHg, 1 = kPa; bits 5-7 reserved.
Intermediate Cuff Pressure has the same layout; the current cuff pressure is in the systolic
field and diastolic / mean arterial are NaN.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum, IntEnum

from gateway.ble._reader import Reader, Writer

BLOOD_PRESSURE_MEASUREMENT = "Blood Pressure Measurement"
INTERMEDIATE_CUFF_PRESSURE = "Intermediate Cuff Pressure"
BLOOD_PRESSURE_FEATURE = "Blood Pressure Feature"

_FLAG_KPA = 0x01
_FLAG_TIMESTAMP = 0x02
_FLAG_PULSE_RATE = 0x04
_FLAG_USER_ID = 0x08
_FLAG_STATUS = 0x10

_STATUS_BODY_MOVEMENT = 0x0001
_STATUS_CUFF_TOO_LOOSE = 0x0002
_STATUS_IRREGULAR_PULSE = 0x0004
_STATUS_PULSE_RANGE_SHIFT = 3
_STATUS_PULSE_RANGE_MASK = 0x0018
_STATUS_IMPROPER_POSITION = 0x0020

USER_ID_UNKNOWN = 0xFF  # "unknown user" per the User Index definition


class PressureUnit(Enum):
    MMHG = "mmHg"
    KPA = "kPa"


class PulseRateRange(IntEnum):
    """Measurement status bits 3-4."""

    WITHIN_RANGE = 0
    ABOVE_UPPER_LIMIT = 1
    BELOW_LOWER_LIMIT = 2
    RESERVED = 3
    EXCEEDS_UPPER_LIMIT = 1  # alias: the spec's wording ("exceeds upper limit")


@dataclass(frozen=True, slots=True)
class BloodPressureStatus:
    """Measurement status flags (bits 6-15 reserved, ignored)."""

    body_movement: bool = False
    cuff_too_loose: bool = False
    irregular_pulse: bool = False
    pulse_rate_range: PulseRateRange = PulseRateRange.WITHIN_RANGE
    improper_position: bool = False


@dataclass(frozen=True, slots=True)
class BloodPressureMeasurement:
    """One cuff reading. Pressures/pulse are None when absent or a special value (NaN...).

    ``user_id`` is the raw User Index (255 = unknown user) or None when not sent;
    ``status`` is None when the device sent no measurement status.
    """

    systolic: float | None
    diastolic: float | None
    mean_arterial: float | None
    unit: PressureUnit = PressureUnit.MMHG
    timestamp: datetime | None = None
    pulse_rate: float | None = None
    user_id: int | None = None
    status: BloodPressureStatus | None = None


@dataclass(frozen=True, slots=True)
class BloodPressureFeature:
    """Blood Pressure Feature (uint16) supported-feature bits; bits 9-15 reserved."""

    body_movement_detection: bool = False
    cuff_fit_detection: bool = False
    irregular_pulse_detection: bool = False
    pulse_rate_range_detection: bool = False
    measurement_position_detection: bool = False
    multiple_bond: bool = False
    e2e_crc: bool = False
    user_data_service: bool = False
    user_facing_time: bool = False


_FEATURE_FIELDS = (
    "body_movement_detection",
    "cuff_fit_detection",
    "irregular_pulse_detection",
    "pulse_rate_range_detection",
    "measurement_position_detection",
    "multiple_bond",
    "e2e_crc",
    "user_data_service",
    "user_facing_time",
)


def _decode_status(raw: int) -> BloodPressureStatus:
    return BloodPressureStatus(
        body_movement=bool(raw & _STATUS_BODY_MOVEMENT),
        cuff_too_loose=bool(raw & _STATUS_CUFF_TOO_LOOSE),
        irregular_pulse=bool(raw & _STATUS_IRREGULAR_PULSE),
        pulse_rate_range=PulseRateRange(
            (raw & _STATUS_PULSE_RANGE_MASK) >> _STATUS_PULSE_RANGE_SHIFT
        ),
        improper_position=bool(raw & _STATUS_IMPROPER_POSITION),
    )


def _encode_status(status: BloodPressureStatus) -> int:
    return (
        (_STATUS_BODY_MOVEMENT if status.body_movement else 0)
        | (_STATUS_CUFF_TOO_LOOSE if status.cuff_too_loose else 0)
        | (_STATUS_IRREGULAR_PULSE if status.irregular_pulse else 0)
        | (int(status.pulse_rate_range) << _STATUS_PULSE_RANGE_SHIFT)
        | (_STATUS_IMPROPER_POSITION if status.improper_position else 0)
    )


def _decode(data: bytes | bytearray, name: str) -> BloodPressureMeasurement:
    reader = Reader(data, name)
    flags = reader.u8("flags")  # bits 5-7 reserved: ignored
    systolic = reader.sfloat("systolic")
    diastolic = reader.sfloat("diastolic")
    mean_arterial = reader.sfloat("mean arterial pressure")
    timestamp = reader.date_time("timestamp") if flags & _FLAG_TIMESTAMP else None
    pulse_rate = reader.sfloat("pulse rate") if flags & _FLAG_PULSE_RATE else None
    user_id = reader.u8("user id") if flags & _FLAG_USER_ID else None
    status = _decode_status(reader.u16("measurement status")) if flags & _FLAG_STATUS else None
    reader.end()
    return BloodPressureMeasurement(
        systolic=systolic,
        diastolic=diastolic,
        mean_arterial=mean_arterial,
        unit=PressureUnit.KPA if flags & _FLAG_KPA else PressureUnit.MMHG,
        timestamp=timestamp,
        pulse_rate=pulse_rate,
        user_id=user_id,
        status=status,
    )


def _encode(value: BloodPressureMeasurement, name: str) -> bytes:
    flags = (
        (_FLAG_KPA if value.unit is PressureUnit.KPA else 0)
        | (_FLAG_TIMESTAMP if value.timestamp is not None else 0)
        | (_FLAG_PULSE_RATE if value.pulse_rate is not None else 0)
        | (_FLAG_USER_ID if value.user_id is not None else 0)
        | (_FLAG_STATUS if value.status is not None else 0)
    )
    writer = Writer(name)
    writer.u8(flags, "flags")
    writer.sfloat(value.systolic, "systolic")
    writer.sfloat(value.diastolic, "diastolic")
    writer.sfloat(value.mean_arterial, "mean arterial pressure")
    if value.timestamp is not None:
        writer.date_time(value.timestamp, "timestamp")
    if value.pulse_rate is not None:
        writer.sfloat(value.pulse_rate, "pulse rate")
    if value.user_id is not None:
        writer.u8(value.user_id, "user id")
    if value.status is not None:
        writer.u16(_encode_status(value.status), "measurement status")
    return writer.bytes()


def decode_blood_pressure(data: bytes | bytearray) -> BloodPressureMeasurement:
    """Decode Blood Pressure Measurement (0x2A35)."""
    return _decode(data, BLOOD_PRESSURE_MEASUREMENT)


def encode_blood_pressure(value: BloodPressureMeasurement) -> bytes:
    """Encode Blood Pressure Measurement (0x2A35); None pressures are sent as NaN."""
    return _encode(value, BLOOD_PRESSURE_MEASUREMENT)


def decode_intermediate_cuff_pressure(data: bytes | bytearray) -> BloodPressureMeasurement:
    """Decode Intermediate Cuff Pressure (0x2A36): ``systolic`` is the current cuff pressure."""
    return _decode(data, INTERMEDIATE_CUFF_PRESSURE)


def encode_intermediate_cuff_pressure(value: BloodPressureMeasurement) -> bytes:
    """Encode Intermediate Cuff Pressure (0x2A36)."""
    return _encode(value, INTERMEDIATE_CUFF_PRESSURE)


def decode_blood_pressure_feature(data: bytes | bytearray) -> BloodPressureFeature:
    """Decode Blood Pressure Feature (0x2A49): exactly 2 bytes."""
    reader = Reader(data, BLOOD_PRESSURE_FEATURE)
    raw = reader.u16("feature bits")
    reader.end()
    return BloodPressureFeature(
        **{field: bool(raw & (1 << bit)) for bit, field in enumerate(_FEATURE_FIELDS)}
    )


def encode_blood_pressure_feature(value: BloodPressureFeature) -> bytes:
    """Encode Blood Pressure Feature (0x2A49)."""
    raw = 0
    for bit, field in enumerate(_FEATURE_FIELDS):
        if getattr(value, field):
            raw |= 1 << bit
    return raw.to_bytes(2, "little")
