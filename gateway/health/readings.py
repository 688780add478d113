"""Decoded measurements as readings: values with UCUM units, the device's own time, flags.

One reading is one measurement as the resident took it (a cuff reading is systolic,
diastolic, mean arterial pressure and pulse). Its `key` recognises the same stored record
when a monitor sends it again, so it is never counted twice.
"""

from __future__ import annotations

import enum
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from ..ble import (
    BloodPressureMeasurement,
    GlucoseContext,
    GlucoseMeasurement,
    GlucoseUnit,
    HeartRateMeasurement,
    PlxContinuous,
    PlxSpotCheck,
    PressureUnit,
    PulseRateRange,
    TemperatureMeasurement,
    TemperatureUnit,
    WeightMeasurement,
    WeightUnit,
)
from .profiles import MonitorProfile

# A device clock this far ahead of ours, or before this year, was never set: its time
# would misplace the reading in the record, so the receive time stands in for it.
CLOCK_AHEAD_TOLERANCE = timedelta(minutes=10)
EARLIEST_PLAUSIBLE_YEAR = 2015
# A reading older than this when it arrives (a meter synced days later) goes into the
# record but does not alarm now, nor count as the resident being up and about.
CURRENT_FOR = timedelta(hours=6)

# Flags that make the value itself untrustworthy: recorded and shown, but never an alarm.
UNTRUSTED_FLAGS = frozenset(
    {
        # PLX measurement status
        "measurement_ongoing",
        "early_estimated_data",
        "data_for_demonstration",
        "data_for_testing",
        "calibration_ongoing",
        "measurement_unavailable",
        "questionable_measurement_detected",
        "invalid_measurement_detected",
        # PLX device and sensor status
        "equipment_malfunction_detected",
        "sensor_unconnected_to_user",
        "unknown_sensor_connected",
        "sensor_displaced",
        "sensor_malfunctioning",
        "sensor_disconnected",
        # glucose sensor status annunciation
        "sensor_malfunction",
        "sample_size_insufficient",
        "strip_insertion_error",
        "strip_type_incorrect",
        "temperature_too_high",
        "temperature_too_low",
        "read_interrupted",
        "general_device_fault",
    }
)
MAX_FLAGS = 16  # what a `vital` carries (docs/wire-contract.md)


class Quantity(StrEnum):
    """What one value of a reading measures; each becomes one sensor and one `vital`."""

    SYSTOLIC = "systolic"
    DIASTOLIC = "diastolic"
    MEAN_ARTERIAL = "mean_arterial_pressure"
    PULSE = "pulse"
    SPO2 = "spo2"
    GLUCOSE = "glucose"
    TEMPERATURE = "body_temperature"
    HEART_RATE = "heart_rate"
    WEIGHT = "weight"
    BMI = "bmi"


@dataclass(frozen=True, slots=True)
class Observed:
    quantity: Quantity
    value: float  # as the device measured it, in `unit`
    unit: str  # UCUM: mm[Hg], kPa, /min, %, mg/dL, mmol/L, Cel, [degF], kg, [lb_av], kg/m2


@dataclass(frozen=True, slots=True)
class HealthReading:
    profile: MonitorProfile
    measured_at: datetime  # timezone-aware
    device_time: bool  # measured_at came from the device's clock, not the receive time
    values: tuple[Observed, ...]
    flags: tuple[str, ...] = ()
    sequence: int | None = None  # the glucose meter's record number
    details: dict[str, str | int | float | list[float]] = field(default_factory=dict)

    @property
    def key(self) -> str | None:
        """The same stored record gives the same key, whenever and however often it is sent.
        None without a device time: a reading stamped on arrival cannot be told apart from
        a second one, and such devices delete what they sent."""
        if not self.device_time:
            return None
        moment = self.measured_at.isoformat()
        if self.sequence is not None:
            return f"{self.profile}:{self.sequence}:{moment}"
        values = ",".join(f"{v.quantity}={v.value:g}{v.unit}" for v in self.values)
        return f"{self.profile}:{moment}:{values}"

    @property
    def trusted(self) -> bool:
        """The device vouches for the values (no sensor fault, not demonstration data)."""
        return not UNTRUSTED_FLAGS.intersection(self.flags)

    def is_current(self, now: datetime) -> bool:
        return now - self.measured_at <= CURRENT_FOR

    def value_of(self, quantity: Quantity) -> Observed | None:
        return next((v for v in self.values if v.quantity is quantity), None)

    def to_json(self) -> dict[str, Any]:
        """For a host's storage (readings waiting to be handed on survive a restart)."""
        return {
            "profile": self.profile.value,
            "measured_at": self.measured_at.isoformat(),
            "device_time": self.device_time,
            "values": [[v.quantity.value, v.value, v.unit] for v in self.values],
            "flags": list(self.flags),
            "sequence": self.sequence,
            "details": self.details,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HealthReading:
        """The reading `to_json` gave; ValueError when `data` is not one."""
        try:
            return cls(
                profile=MonitorProfile(data["profile"]),
                measured_at=datetime.fromisoformat(data["measured_at"]),
                device_time=bool(data["device_time"]),
                values=tuple(Observed(Quantity(q), float(v), str(u)) for q, v, u in data["values"]),
                flags=tuple(data.get("flags", ())),
                sequence=data.get("sequence"),
                details=dict(data.get("details", {})),
            )
        except (KeyError, TypeError) as err:
            raise ValueError(f"not a saved reading: {err}") from err


def reading_of(
    measurement: object,
    received_at: datetime,
    time_zone: tzinfo,
    context: GlucoseContext | None = None,
) -> HealthReading | None:
    """The reading a decoded measurement holds; None when it holds no value at all (every
    field a special value, a scale's "measurement unsuccessful")."""
    match measurement:
        case BloodPressureMeasurement():
            return _blood_pressure(measurement, received_at, time_zone)
        case PlxSpotCheck():
            return _finish(
                MonitorProfile.PULSE_OXIMETER,
                measurement.timestamp,
                received_at,
                time_zone,
                [
                    _value(Quantity.SPO2, measurement.spo2, "%"),
                    _value(Quantity.PULSE, measurement.pulse_rate, "/min"),
                ],
                _flag_names(measurement.measurement_status, measurement.device_sensor_status),
                details=_optional("pulse_amplitude_index", measurement.pulse_amplitude_index),
            )
        case GlucoseMeasurement():
            return _glucose(measurement, context, received_at, time_zone)
        case TemperatureMeasurement():
            unit = "Cel" if measurement.unit is TemperatureUnit.CELSIUS else "[degF]"
            location = measurement.location
            return _finish(
                MonitorProfile.THERMOMETER,
                measurement.timestamp,
                received_at,
                time_zone,
                [_value(Quantity.TEMPERATURE, measurement.value, unit)],
                details={} if location is None else {"location": _token(location)},
            )
        case WeightMeasurement():
            unit = "kg" if measurement.unit is WeightUnit.KG else "[lb_av]"
            return _finish(
                MonitorProfile.SCALE,
                measurement.timestamp,
                received_at,
                time_zone,
                [
                    _value(Quantity.WEIGHT, measurement.weight, unit),
                    _value(Quantity.BMI, measurement.bmi, "kg/m2"),
                ],
                details=_optional("user_id", measurement.user_id),
            )
        case _:
            return None


def heart_rate_reading(
    samples: Sequence[HeartRateMeasurement], received_at: datetime
) -> HealthReading | None:
    """One reading from a strap's stream: the median of the samples taken while it touched
    the skin (a strap that reports no contact gives numbers that mean nothing)."""
    touching = [s for s in samples if s.sensor_contact is not False and s.bpm]
    if not touching:
        return None
    rr = [interval for sample in touching for interval in sample.rr_intervals_s]
    bpm = float(statistics.median(s.bpm for s in touching))
    return HealthReading(
        profile=MonitorProfile.HEART_RATE,
        measured_at=received_at,
        device_time=False,
        values=(Observed(Quantity.HEART_RATE, bpm, "/min"),),
        details={"rr_intervals_s": rr[-32:]} if rr else {},
    )


def continuous_plx_reading(
    samples: Sequence[PlxContinuous], received_at: datetime
) -> HealthReading | None:
    """A spot reading from a continuous oximeter: its last sample with a value."""
    for sample in reversed(samples):
        values = [
            _value(Quantity.SPO2, sample.spo2, "%"),
            _value(Quantity.PULSE, sample.pulse_rate, "/min"),
        ]
        if any(v is not None for v in values):
            return _finish(
                MonitorProfile.PULSE_OXIMETER,
                None,
                received_at,
                UTC,  # no device time to place
                values,
                _flag_names(sample.measurement_status, sample.device_sensor_status),
            )
    return None


def _blood_pressure(
    measurement: BloodPressureMeasurement, received_at: datetime, time_zone: tzinfo
) -> HealthReading | None:
    unit = "mm[Hg]" if measurement.unit is PressureUnit.MMHG else "kPa"
    flags: list[str] = []
    status = measurement.status
    if status is not None:
        flags += [
            name
            for name, on in (
                ("body_movement", status.body_movement),
                ("cuff_too_loose", status.cuff_too_loose),
                ("irregular_pulse", status.irregular_pulse),
                ("improper_position", status.improper_position),
            )
            if on
        ]
        if status.pulse_rate_range is PulseRateRange.ABOVE_UPPER_LIMIT:
            flags.append("pulse_rate_above_range")
        elif status.pulse_rate_range is PulseRateRange.BELOW_LOWER_LIMIT:
            flags.append("pulse_rate_below_range")
    return _finish(
        MonitorProfile.BLOOD_PRESSURE,
        measurement.timestamp,
        received_at,
        time_zone,
        [
            _value(Quantity.SYSTOLIC, measurement.systolic, unit),
            _value(Quantity.DIASTOLIC, measurement.diastolic, unit),
            _value(Quantity.MEAN_ARTERIAL, measurement.mean_arterial, unit),
            _value(Quantity.PULSE, measurement.pulse_rate, "/min"),
        ],
        flags,
        details=_optional("user_id", measurement.user_id),
    )


def _glucose(
    measurement: GlucoseMeasurement,
    context: GlucoseContext | None,
    received_at: datetime,
    time_zone: tzinfo,
) -> HealthReading | None:
    unit = "mg/dL" if measurement.unit is GlucoseUnit.MG_DL else "mmol/L"
    details: dict[str, str | int | float | list[float]] = {}
    if measurement.sample_type is not None:
        details["sample_type"] = _token(measurement.sample_type)
    if measurement.sample_location is not None:
        details["sample_location"] = _token(measurement.sample_location)
    if context is not None:
        if context.meal is not None:
            details["meal"] = _token(context.meal)
        if context.hba1c is not None:
            details["hba1c_percent"] = context.hba1c
    return _finish(
        MonitorProfile.GLUCOSE,
        measurement.measured_at,
        received_at,
        time_zone,
        [_value(Quantity.GLUCOSE, measurement.concentration, unit)],
        _flag_names(measurement.sensor_status),
        sequence=measurement.sequence,
        details=details,
    )


def _finish(  # noqa: PLR0917 (private; every caller names the reading's parts in order)
    profile: MonitorProfile,
    device_time: datetime | None,
    received_at: datetime,
    time_zone: tzinfo,
    values: list[Observed | None],
    flags: list[str] | tuple[str, ...] = (),
    *,
    sequence: int | None = None,
    details: dict[str, str | int | float | list[float]] | None = None,
) -> HealthReading | None:
    present = tuple(v for v in values if v is not None)
    if not present:
        return None
    measured_at, from_device = _moment(device_time, received_at, time_zone)
    all_flags = list(flags)
    if device_time is not None and not from_device:
        all_flags.append("device_clock_wrong")
    return HealthReading(
        profile=profile,
        measured_at=measured_at,
        device_time=from_device,
        values=present,
        flags=tuple(dict.fromkeys(all_flags))[:MAX_FLAGS],
        sequence=sequence,
        details=details or {},
    )


def _moment(
    device_time: datetime | None, received_at: datetime, time_zone: tzinfo
) -> tuple[datetime, bool]:
    """The device's time (its local wall clock, in the home's time zone) when plausible."""
    if device_time is None:
        return received_at, False
    local = device_time.replace(tzinfo=time_zone) if device_time.tzinfo is None else device_time
    if local.year < EARLIEST_PLAUSIBLE_YEAR or local > received_at + CLOCK_AHEAD_TOLERANCE:
        return received_at, False
    return local, True


def _value(quantity: Quantity, value: float | None, unit: str) -> Observed | None:
    return None if value is None else Observed(quantity, float(value), unit)


def _optional(name: str, value: float | None) -> dict[str, str | int | float | list[float]]:
    return {} if value is None else {name: value}


def _flag_names(*flag_sets: enum.Flag | None) -> list[str]:
    """Set flags as snake_case tokens (`IRREGULAR_PULSE` -> `irregular_pulse`)."""
    names: list[str] = []
    for flags in flag_sets:
        if flags is None:
            continue
        for member in type(flags):
            if member.name and member.value and member in flags:
                names.append(member.name.lower())
    return names


def _token(value: enum.Enum) -> str:
    return value.name.lower() if isinstance(value.name, str) else str(value.value)
