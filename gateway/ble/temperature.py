"""Temperature Measurement (0x2A1C) of the Health Thermometer service.

flags uint8 | temperature FLOAT (32-bit IEEE 11073) | [timestamp, flag bit 1]
| [temperature type uint8, bit 2].  Bit 0: 0 = Celsius, 1 = Fahrenheit; bits 3-7 reserved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum, IntEnum

from gateway.ble._reader import Reader, Writer

TEMPERATURE_MEASUREMENT = "Temperature Measurement"

_FLAG_FAHRENHEIT = 0x01
_FLAG_TIMESTAMP = 0x02
_FLAG_TYPE = 0x04


class TemperatureUnit(Enum):
    CELSIUS = "°C"
    FAHRENHEIT = "°F"


class TemperatureType(IntEnum):
    """Temperature Type (0x2A1D) values: where on the body. Reserved codes -> RESERVED."""

    RESERVED = 0
    ARMPIT = 1
    BODY = 2  # general
    EAR = 3  # usually earlobe
    FINGER = 4
    GASTROINTESTINAL_TRACT = 5
    MOUTH = 6
    RECTUM = 7
    TOE = 8
    TYMPANUM = 9  # ear drum


@dataclass(frozen=True, slots=True)
class TemperatureMeasurement:
    """``value`` is None for a special value (NaN, NRes, +/-INF)."""

    value: float | None
    unit: TemperatureUnit = TemperatureUnit.CELSIUS
    timestamp: datetime | None = None
    location: TemperatureType | None = None


def decode_temperature(data: bytes | bytearray) -> TemperatureMeasurement:
    """Decode Temperature Measurement (0x2A1C)."""
    reader = Reader(data, TEMPERATURE_MEASUREMENT)
    flags = reader.u8("flags")
    value = reader.float32("temperature")
    timestamp = reader.date_time("timestamp") if flags & _FLAG_TIMESTAMP else None
    location = None
    if flags & _FLAG_TYPE:
        code = reader.u8("temperature type")
        try:
            location = TemperatureType(code)
        except ValueError:
            location = TemperatureType.RESERVED  # a future site, keep the reading
    reader.end()
    unit = TemperatureUnit.FAHRENHEIT if flags & _FLAG_FAHRENHEIT else TemperatureUnit.CELSIUS
    return TemperatureMeasurement(value, unit, timestamp, location)


def encode_temperature(value: TemperatureMeasurement) -> bytes:
    """Encode Temperature Measurement (0x2A1C); a None value is sent as NaN."""
    flags = (
        (_FLAG_FAHRENHEIT if value.unit is TemperatureUnit.FAHRENHEIT else 0)
        | (_FLAG_TIMESTAMP if value.timestamp is not None else 0)
        | (_FLAG_TYPE if value.location is not None else 0)
    )
    writer = Writer(TEMPERATURE_MEASUREMENT)
    writer.u8(flags, "flags")
    writer.float32(value.value, "temperature")
    if value.timestamp is not None:
        writer.date_time(value.timestamp, "timestamp")
    if value.location is not None:
        writer.u8(int(value.location), "temperature type")
    return writer.bytes()
