"""Weight Measurement (0x2A9D) of the Weight Scale service.

flags uint8 | weight uint16 | [timestamp, flag bit 1] | [user id uint8, bit 2]
| [BMI uint16 + height uint16, bit 3].  Bit 0: 0 = SI, 1 = imperial; bits 4-7 reserved.
Resolutions: weight 0.005 kg or 0.01 lb; BMI 0.1 kg/m2; height 0.001 m or 0.1 in.
Weight 0xFFFF means "measurement unsuccessful" (the resident stepped off, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from gateway.ble._reader import Reader, Writer, fixed_point, to_fixed_point
from gateway.ble.errors import BleEncodeError

WEIGHT_MEASUREMENT = "Weight Measurement"

_FLAG_IMPERIAL = 0x01
_FLAG_TIMESTAMP = 0x02
_FLAG_USER_ID = 0x04
_FLAG_BMI_HEIGHT = 0x08

MEASUREMENT_UNSUCCESSFUL = 0xFFFF


class WeightUnit(Enum):
    KG = "kg"  # height in metres
    LB = "lb"  # height in inches


# Wire steps per unit: weight 1/200 kg = 0.005 kg, 1/100 lb; height 1/1000 m, 1/10 in.
_WEIGHT_STEPS = {WeightUnit.KG: 200, WeightUnit.LB: 100}
_HEIGHT_STEPS = {WeightUnit.KG: 1000, WeightUnit.LB: 10}
_BMI_STEPS = 10


@dataclass(frozen=True, slots=True)
class WeightMeasurement:
    """``weight`` in ``unit``, None when the measurement was unsuccessful.

    ``height`` is in metres (KG) or inches (LB); ``bmi`` in kg/m2; both or neither.
    ``user_id`` is the raw User Index (255 = unknown user), None when not sent.
    """

    weight: float | None
    unit: WeightUnit = WeightUnit.KG
    timestamp: datetime | None = None
    user_id: int | None = None
    bmi: float | None = None
    height: float | None = None


def decode_weight(data: bytes | bytearray) -> WeightMeasurement:
    """Decode Weight Measurement (0x2A9D)."""
    reader = Reader(data, WEIGHT_MEASUREMENT)
    flags = reader.u8("flags")
    unit = WeightUnit.LB if flags & _FLAG_IMPERIAL else WeightUnit.KG
    raw_weight = reader.u16("weight")
    weight = (
        None
        if raw_weight == MEASUREMENT_UNSUCCESSFUL
        else fixed_point(raw_weight, _WEIGHT_STEPS[unit])
    )
    timestamp = reader.date_time("timestamp") if flags & _FLAG_TIMESTAMP else None
    user_id = reader.u8("user id") if flags & _FLAG_USER_ID else None
    bmi = None
    height = None
    if flags & _FLAG_BMI_HEIGHT:
        bmi = fixed_point(reader.u16("BMI"), _BMI_STEPS)
        height = fixed_point(reader.u16("height"), _HEIGHT_STEPS[unit])
    reader.end()
    return WeightMeasurement(weight, unit, timestamp, user_id, bmi, height)


def _steps(value: float, steps: int, what: str, limit: int) -> int:
    raw = to_fixed_point(value, steps, WEIGHT_MEASUREMENT, what)
    if not 0 <= raw <= limit:
        raise BleEncodeError(WEIGHT_MEASUREMENT, f"{what}={value} out of range")
    return raw


def encode_weight(value: WeightMeasurement) -> bytes:
    """Encode Weight Measurement (0x2A9D), rounding to the nearest wire step."""
    if (value.bmi is None) != (value.height is None):
        raise BleEncodeError(WEIGHT_MEASUREMENT, "bmi and height go together: set both")
    flags = (
        (_FLAG_IMPERIAL if value.unit is WeightUnit.LB else 0)
        | (_FLAG_TIMESTAMP if value.timestamp is not None else 0)
        | (_FLAG_USER_ID if value.user_id is not None else 0)
        | (_FLAG_BMI_HEIGHT if value.bmi is not None else 0)
    )
    writer = Writer(WEIGHT_MEASUREMENT)
    writer.u8(flags, "flags")
    if value.weight is None:
        writer.u16(MEASUREMENT_UNSUCCESSFUL, "weight")
    else:
        # 0xFFFF is reserved for "unsuccessful", so the largest weight is one step below.
        writer.u16(_steps(value.weight, _WEIGHT_STEPS[value.unit], "weight", 0xFFFE), "weight")
    if value.timestamp is not None:
        writer.date_time(value.timestamp, "timestamp")
    if value.user_id is not None:
        writer.u8(value.user_id, "user id")
    if value.bmi is not None and value.height is not None:
        writer.u16(_steps(value.bmi, _BMI_STEPS, "BMI", 0xFFFF), "BMI")
        writer.u16(_steps(value.height, _HEIGHT_STEPS[value.unit], "height", 0xFFFF), "height")
    return writer.bytes()
