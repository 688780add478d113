"""Heart Rate Measurement (0x2A37).

flags uint8 | heart rate uint8 (flag bit 0 = 0) or uint16 (bit 0 = 1)
| [energy expended uint16 kJ, bit 3] | [RR-interval uint16 x n, bit 4].
Bits 1-2: sensor contact; bit 2 = feature supported, bit 1 = contact detected.
RR-intervals are in 1/1024 s (not milliseconds) and fill the rest of the value.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.ble._reader import Reader, Writer, fixed_point, to_fixed_point

HEART_RATE_MEASUREMENT = "Heart Rate Measurement"

_FLAG_UINT16 = 0x01
_FLAG_CONTACT_DETECTED = 0x02
_FLAG_CONTACT_SUPPORTED = 0x04
_FLAG_ENERGY = 0x08
_FLAG_RR = 0x10

RR_RESOLUTION = 1024  # RR-interval units per second


@dataclass(frozen=True, slots=True)
class HeartRateMeasurement:
    """``sensor_contact`` is None when the sensor does not report contact.

    ``energy_expended_kj`` is None when not sent (0xFFFF = "at least 65535 kJ").
    ``rr_intervals_s`` are seconds (raw / 1024), oldest first.
    """

    bpm: int
    sensor_contact: bool | None = None
    energy_expended_kj: int | None = None
    rr_intervals_s: tuple[float, ...] = ()


def decode_heart_rate(data: bytes | bytearray) -> HeartRateMeasurement:
    """Decode Heart Rate Measurement (0x2A37)."""
    reader = Reader(data, HEART_RATE_MEASUREMENT)
    flags = reader.u8("flags")
    # The format flag matters: reading a uint16 rate as uint8 gives a plausible wrong number.
    bpm = reader.u16("heart rate") if flags & _FLAG_UINT16 else reader.u8("heart rate")
    contact = bool(flags & _FLAG_CONTACT_DETECTED) if flags & _FLAG_CONTACT_SUPPORTED else None
    energy = reader.u16("energy expended") if flags & _FLAG_ENERGY else None
    rr: list[float] = []
    if flags & _FLAG_RR:
        # RR-intervals take the rest of the value; an odd byte left is a truncated interval.
        while reader.remaining:
            rr.append(fixed_point(reader.u16("RR-interval"), RR_RESOLUTION))
    reader.end()
    return HeartRateMeasurement(bpm, contact, energy, tuple(rr))


def encode_heart_rate(value: HeartRateMeasurement) -> bytes:
    """Encode Heart Rate Measurement (0x2A37); uint8 format whenever the rate fits.

    RR-intervals are rounded to the nearest 1/1024 s, as the sensor itself quantises them.
    """
    wide = value.bpm > 0xFF
    flags = (
        (_FLAG_UINT16 if wide else 0)
        | (_FLAG_CONTACT_SUPPORTED if value.sensor_contact is not None else 0)
        | (_FLAG_CONTACT_DETECTED if value.sensor_contact else 0)
        | (_FLAG_ENERGY if value.energy_expended_kj is not None else 0)
        | (_FLAG_RR if value.rr_intervals_s else 0)
    )
    writer = Writer(HEART_RATE_MEASUREMENT)
    writer.u8(flags, "flags")
    if wide:
        writer.u16(value.bpm, "heart rate")
    else:
        writer.u8(value.bpm, "heart rate")
    if value.energy_expended_kj is not None:
        writer.u16(value.energy_expended_kj, "energy expended")
    for interval in value.rr_intervals_s:
        writer.u16(
            to_fixed_point(interval, RR_RESOLUTION, HEART_RATE_MEASUREMENT, "RR-interval"),
            "RR-interval",
        )
    return writer.bytes()
