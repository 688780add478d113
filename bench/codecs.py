#!/usr/bin/env python3
"""Codec benchmark: our Bluetooth SIG decoders (gateway/ble/) beside bluetooth-sig 0.6.0.

Both decode the same bytes: a corpus built with OUR encoders from seeded random, realistic
readings (both units, optional fields present and absent, flags, RR-interval lists, status
bits, negative SFLOAT exponents, and IEEE 11073 special values - NaN, NRes, +INF, -INF,
reserved - patched into SFLOAT/FLOAT fields), plus hand-written trap payloads (each special
value, negative mantissas, uint16 heart rate, kg/L and mol/L glucose, imperial weight,
"unknown" Date Time, reserved codes, truncated payloads, trailing bytes).

Throughput: decodes/s and ns/decode per characteristic and in total (time.perf_counter_ns,
a warm-up pass, several repeats, the median repeat), for ours and for bluetooth-sig in two
ways: a characteristic instance's ``parse_value`` with its parse trace switched off
(BLUETOOTH_SIG_ENABLE_PARSE_TRACE=0, the library's fastest path) and the documented
``BluetoothSIGTranslator().parse_characteristic(uuid, data)`` with the library's defaults.
Every call is timed inside the same try/except, whichever side raises.

Agreement: every valid payload is decoded by both and compared field by field (numbers
within half a unit of the last decimal of our value). Each difference is put in a class with
one example (hex payload, ours, theirs) and why ours follows the GATT Specification
Supplement. To tell causes apart, a payload that differs is decoded a second time by
bluetooth-sig with only its SFLOAT/FLOAT parser replaced by a two's-complement one: a
difference that disappears then is the exponent misread, one that stays has another cause.
Invalid traps must be rejected by ours; theirs accepting them is a difference too. The
exceptions bluetooth-sig raises are counted per type.

Exit status: differences with bluetooth-sig never fail this benchmark. It fails only when
OUR side breaks: a decoder raising anything but BleDecodeError (on the corpus, the traps or
the fuzzed truncations/mutations), or a round trip (decode(encode(v)) == v and
encode(decode(b)) == b) that does not hold.

    .venv/bin/python -m bench.codecs [--repeats 7] [--corpus 300] [--markdown FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import math
import os
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from importlib.metadata import version
from typing import Any

from bluetooth_sig import BluetoothSIGTranslator
from bluetooth_sig.gatt.characteristics import (
    BatteryLevelCharacteristic,
    BloodPressureMeasurementCharacteristic,
    GlucoseMeasurementCharacteristic,
    GlucoseMeasurementContextCharacteristic,
    HeartRateMeasurementCharacteristic,
    IntermediateCuffPressureCharacteristic,
    PLXContinuousMeasurementCharacteristic,
    PLXSpotCheckMeasurementCharacteristic,
    TemperatureMeasurementCharacteristic,
    WeightMeasurementCharacteristic,
)
from bluetooth_sig.gatt.characteristics.base import BaseCharacteristic
from bluetooth_sig.gatt.characteristics.utils.ieee11073_parser import IEEE11073Parser
from bluetooth_sig.gatt.exceptions import InsufficientDataError

from gateway.ble import battery, blood_pressure, glucose, heart_rate, plx, temperature, weight
from gateway.ble.errors import BleDecodeError

from .args import Flag, Options, plan_from, run_alone

THEIR_PACKAGE = "bluetooth-sig"
TRACE_ENV = "BLUETOOTH_SIG_ENABLE_PARSE_TRACE"
MIN_REPEAT_NS = 20_000_000  # a timed repeat loops the corpus until it lasts at least 20 ms
MAX_FAILURES_SHOWN = 25

SFLOAT_SPECIALS = {
    "NaN": 0x07FF,
    "NRes": 0x0800,
    "+INF": 0x07FE,
    "-INF": 0x0802,
    "reserved": 0x0801,
}
FLOAT_SPECIALS = {
    "NaN": 0x007FFFFF,
    "NRes": 0x00800000,
    "+INF": 0x007FFFFE,
    "-INF": 0x00800002,
    "reserved": 0x00800001,
}


# ---------------------------------------------------------------------------------------------
# Difference classes: what differs, and why ours is right (GATT Specification Supplement, GSS)


@dataclass(frozen=True)
class DiffClass:
    title: str
    why: str


EXP_SFLOAT = DiffClass(
    "SFLOAT exponent read as excess-8, not two's complement",
    "GSS medfloat16 (IEEE 11073-20601 F.8): the 4-bit exponent is two's complement "
    "(0x0..0x7 = 0..7, 0x8..0xF = -8..-1); bluetooth-sig subtracts 8, so 0x0078 = 120 "
    "reads 1.2e-06 and 0xF4B5 = 120.5 reads 1.205e+10",
)
EXP_FLOAT = DiffClass(
    "FLOAT exponent read as excess-128, not two's complement",
    "GSS medfloat32 (IEEE 11073-20601 F.9): the 8-bit exponent is two's complement; "
    "bluetooth-sig subtracts 128, so 36.7 (0xFF00016F) reads 3.67e+129",
)
EXP_RAISES = DiffClass(
    "raises on a valid value its exponent misread pushed out of range",
    "same exponent error: e.g. 120.5 mmHg reads as 1.205e+10 mmHg and fails its own "
    "0-300 mmHg check, so a valid reading is lost",
)
SPECIAL_NAN = DiffClass(
    "NaN / NRes special value returned as float nan",
    "GSS special values: NaN (0x07FF) and NRes (0x0800) mean 'no valid value', not a number; "
    "ours returns None, which a caller must handle, while nan slips through comparisons "
    "(nan < 90 is False) and poisons averages",
)
SPECIAL_INF = DiffClass(
    "+INF / -INF special value returned as float +-inf",
    "GSS special values: +INF (0x07FE) / -INF (0x0802) say the sensor's range was exceeded, "
    "not what was measured; ours returns None, theirs a float that passes > / < alarm checks "
    "as if it were a reading",
)
SPECIAL_RESERVED = DiffClass(
    "reserved special value returned as a number",
    "GSS special values: 0x0801 (SFLOAT) / 0x00800001 (FLOAT) are 'reserved for future use', "
    "no number at all; theirs reads mantissa -2047 (-8388607) as a value",
)
WEIGHT_UNSUCCESSFUL = DiffClass(
    "weight 0xFFFF 'Measurement Unsuccessful' returned as a weight",
    "GSS Weight Measurement: the special value 0xFFFF means 'Measurement Unsuccessful'; "
    "theirs reports 327.675 kg (655.35 lb), ours None",
)
EXERCISE_OVERRUN = DiffClass(
    "exercise duration 0xFFFF 'overrun' returned as 65535 s",
    "GSS Glucose Measurement Context: exercise duration 0xFFFF means 'overrun' (longer "
    "than 65534 s), not 65535 s; ours returns None minutes and keeps the intensity",
)
GLUCOSE_UNIT = DiffClass(
    "glucose concentration not converted from kg/L or mol/L",
    "GSS Glucose Measurement: the concentration is in kg/L (flags bit 2 = 0) or mol/L "
    "(bit 2 = 1); bluetooth-sig returns the wire number unchanged but labels it 'mg/dL' / "
    "'mmol/L' (off by 10^5 / 10^3); ours converts exactly (92e-5 kg/L = 92 mg/dL)",
)
RAISES_DATE_UNKNOWN = DiffClass(
    "raises on a Date Time 'not known' (year, month or day 0)",
    "GSS Date Time: year 0, month 0 and day 0 mean 'not known' (a device clock never set); "
    "the reading is valid, ours keeps it with timestamp None",
)
RAISES_SPECIAL_RANGE = DiffClass(
    "raises on a special value (its range check sees nan / inf / -2047)",
    "a special value is a valid field value (GSS): mean arterial pressure NaN from a cuff that "
    "does not compute it, -INF from a meter below its range; their range checks (0-300 mmHg, "
    "glucose >= 0) reject the whole reading instead of the one field",
)
RAISES_RESERVED_CODE = DiffClass(
    "raises on a code the GSS reserves for future use",
    "reserved codes (sample location 0, type 11-15, meal 0, temperature type 10+, ...) come "
    "from newer devices; the reading stays valid: ours decodes the code as RESERVED",
)
RAISES_NEGATIVE = DiffClass(
    "raises on a valid negative value (negative mantissa)",
    "SFLOAT/FLOAT mantissas are signed (GSS); a cuff near 0 mmHg after deflation or a "
    "thermometer's sub-zero reading is a valid value, their range check rejects it",
)
ACCEPT_TRUNCATED = DiffClass(
    "accepted a truncated payload (a flagged field silently dropped)",
    "GSS: a field whose flag is set is present; a value that ends early is corrupt. Ours "
    "rejects it, theirs returns the reading without the field (or with half a field)",
)
ACCEPT_TRAILING = DiffClass(
    "accepted trailing bytes",
    "the flags fix the value's layout and length (GSS); octets beyond it mean flags and "
    "fields disagree (wrong flag byte, corrupt or foreign packet). Ours rejects it rather "
    "than guess (a strictness policy); theirs ignores the extra octets",
)
UNEXPLAINED = DiffClass("other difference (unexplained)", "not classified: investigate")


def _raise_class(message: str) -> DiffClass | None:
    """The class of a bluetooth-sig exception message (with its exponent already fixed)."""
    text = message.lower()
    if "year 0" in text or "month must be" in text or "day is out of range" in text:
        return RAISES_DATE_UNKNOWN
    if "is not a valid" in text:
        return RAISES_RESERVED_CODE
    match = re.search(r"pressure (\S+) \S+ is outside valid range", text) or re.search(
        r"must be non-negative, got (\S+)", text
    )
    if match:
        value = match.group(1)
        if value in ("nan", "inf", "-inf", "-2047.0"):  # -2047: the reserved value 0x0801
            return RAISES_SPECIAL_RANGE
        if value.startswith("-"):
            return RAISES_NEGATIVE
    return None


# ---------------------------------------------------------------------------------------------
# Field-by-field comparison


def tolerance(ours: float) -> float:
    """Half a unit of the last decimal of our value (ours is the exact decimal sent)."""
    exponent = Decimal(repr(ours)).as_tuple().exponent
    assert isinstance(exponent, int)
    return 0.5 * 10.0 ** min(exponent, 0)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


@dataclass
class FieldDiff:
    name: str
    kind: str  # SFLOAT, FLOAT, value
    label: DiffClass
    ours: object
    theirs: object


@dataclass
class Diffs:
    items: list[FieldDiff] = field(default_factory=list)

    def num(
        self,
        name: str,
        ours: float | None,
        theirs: object,
        *,
        kind: str = "SFLOAT",
        scale: float = 1.0,
        unit_scale: float | None = None,
        sentinel: DiffClass | None = None,
    ) -> None:
        """Compare a number; ``theirs * scale`` is in our unit. None = absent or no value."""
        if ours is None and theirs is None:
            return
        label: DiffClass
        if ours is None:
            if isinstance(theirs, float) and math.isnan(theirs):
                label = SPECIAL_NAN
            elif isinstance(theirs, float) and math.isinf(theirs):
                label = SPECIAL_INF
            else:
                label = sentinel or SPECIAL_RESERVED
        elif not _finite(theirs):
            label = UNEXPLAINED
        else:
            assert isinstance(theirs, int | float)
            got = theirs * scale
            if abs(got - ours) <= tolerance(ours):
                return
            if unit_scale is not None and abs(got * unit_scale - ours) <= tolerance(ours):
                label = GLUCOSE_UNIT
            else:
                label = UNEXPLAINED
        self.items.append(FieldDiff(name, kind, label, ours, theirs))

    def same(self, name: str, ours: object, theirs: object) -> None:
        if ours != theirs:
            self.items.append(FieldDiff(name, "value", UNEXPLAINED, ours, theirs))


def _code(value: object) -> int | None:
    """An enum/int code (or None), comparable across the two libraries."""
    return None if value is None else int(value)  # type: ignore[call-overload]


def _name(value: object) -> str | None:
    return None if value is None else str(getattr(value, "name", value))


def _bp_status(status: blood_pressure.BloodPressureStatus | None) -> int | None:
    if status is None:
        return None
    return (
        (0x01 if status.body_movement else 0)
        | (0x02 if status.cuff_too_loose else 0)
        | (0x04 if status.irregular_pulse else 0)
        | (int(status.pulse_rate_range) << 3)
        | (0x20 if status.improper_position else 0)
    )


def _masked(value: object, mask: int) -> int | None:
    return None if value is None else int(value) & mask  # type: ignore[call-overload]


def compare_bp(ours: blood_pressure.BloodPressureMeasurement, theirs: Any, d: Diffs) -> None:
    d.num("systolic", ours.systolic, theirs.systolic)
    d.num("diastolic", ours.diastolic, theirs.diastolic)
    d.num("mean arterial", ours.mean_arterial, theirs.mean_arterial_pressure)
    _compare_bp_common(ours, theirs, d)


def compare_cuff(ours: blood_pressure.BloodPressureMeasurement, theirs: Any, d: Diffs) -> None:
    # bluetooth-sig does not return the two unused (NaN) fields.
    d.num("cuff pressure", ours.systolic, theirs.current_cuff_pressure)
    _compare_bp_common(ours, theirs, d)


def _compare_bp_common(
    ours: blood_pressure.BloodPressureMeasurement, theirs: Any, d: Diffs
) -> None:
    opt = theirs.optional_fields
    d.same("unit", ours.unit.name, _name(theirs.unit))
    d.same("timestamp", ours.timestamp, opt.timestamp)
    d.num("pulse rate", ours.pulse_rate, opt.pulse_rate)
    d.same("user id", ours.user_id, opt.user_id)
    # Bits 0-5 are defined (bit 5 = improper measurement position), 6-15 reserved.
    d.same("measurement status", _bp_status(ours.status), _masked(opt.measurement_status, 0x3F))


def compare_spot(ours: plx.PlxSpotCheck, theirs: Any, d: Diffs) -> None:
    d.num("SpO2", ours.spo2, theirs.spo2)
    d.num("pulse rate", ours.pulse_rate, theirs.pulse_rate)
    d.same("timestamp", ours.timestamp, theirs.timestamp)
    _compare_plx_status(ours, theirs, d)
    d.same("clock not set", ours.device_clock_not_set, bool(int(theirs.spot_check_flags) & 0x10))


def compare_continuous(ours: plx.PlxContinuous, theirs: Any, d: Diffs) -> None:
    d.num("SpO2", ours.spo2, theirs.spo2)
    d.num("pulse rate", ours.pulse_rate, theirs.pulse_rate)
    for label, pair, spo2, rate in (
        ("fast", ours.fast, theirs.spo2_fast, theirs.pulse_rate_fast),
        ("slow", ours.slow, theirs.spo2_slow, theirs.pulse_rate_slow),
    ):
        if pair is None:
            d.same(f"{label} present", False, spo2 is not None or rate is not None)
        else:
            d.same(f"{label} present", True, True)
            d.num(f"{label} SpO2", pair.spo2, spo2)
            d.num(f"{label} pulse rate", pair.pulse_rate, rate)
    _compare_plx_status(ours, theirs, d)


def _compare_plx_status(ours: plx.PlxSpotCheck | plx.PlxContinuous, theirs: Any, d: Diffs) -> None:
    status = ours.measurement_status
    device = ours.device_sensor_status
    d.same(
        "measurement status",
        None if status is None else status.value,
        _masked(theirs.measurement_status, 0xFFE0),
    )
    d.same(
        "device and sensor status",
        None if device is None else device.value,
        _masked(theirs.device_and_sensor_status, 0xFFFF),
    )
    d.num("pulse amplitude index", ours.pulse_amplitude_index, theirs.pulse_amplitude_index)


def compare_glucose(ours: glucose.GlucoseMeasurement, theirs: Any, d: Diffs) -> None:
    d.same("sequence", ours.sequence, theirs.sequence_number)
    d.same("base time", ours.base_time, theirs.base_time)
    d.same("time offset", ours.time_offset_minutes, theirs.time_offset_minutes)
    has_block = ours.sample_type is not None
    if has_block:
        # Same claimed unit on both sides (theirs: unit="mg/dL"), so no scale here.
        d.num(
            "concentration",
            ours.concentration,
            theirs.glucose_concentration,
            unit_scale=1e5 if ours.unit is glucose.GlucoseUnit.MG_DL else 1e3,
        )
        d.same("unit", ours.unit.value, theirs.unit)
    d.same("sample type", _code(ours.sample_type), _code(theirs.glucose_type))
    d.same("sample location", _code(ours.sample_location), _code(theirs.sample_location))
    d.same(
        "sensor status",
        None if ours.sensor_status is None else ours.sensor_status.value,
        _masked(theirs.sensor_status, 0x0FFF),
    )
    d.same("context follows", ours.context_follows, bool(int(theirs.flags) & 0x10))


def compare_context(ours: glucose.GlucoseContext, theirs: Any, d: Diffs) -> None:
    d.same("sequence", ours.sequence, theirs.sequence_number)
    d.same("extended flags", ours.extended_flags, theirs.extended_flags)
    carb = ours.carbohydrate
    d.same(
        "carbohydrate id", None if carb is None else int(carb.kind), _code(theirs.carbohydrate_id)
    )
    if carb is not None:
        d.num("carbohydrate", carb.grams, theirs.carbohydrate_kg, scale=1e3)  # kg -> g
    d.same("meal", _code(ours.meal), _code(theirs.meal))
    d.same("tester", _code(ours.tester), _code(theirs.tester))
    d.same("health", _code(ours.health), _code(theirs.health))
    # Compared in the wire's whole seconds (minutes = seconds / 60 is no exact decimal).
    minutes = ours.exercise_minutes
    d.num(
        "exercise duration",
        None if minutes is None else float(round(minutes * 60)),
        theirs.exercise_duration_seconds,
        kind="value",
        sentinel=EXERCISE_OVERRUN,
    )
    d.same("exercise intensity", ours.exercise_intensity, theirs.exercise_intensity_percent)
    med = ours.medication
    d.same("medication id", None if med is None else int(med.kind), _code(theirs.medication_id))
    if med is not None:
        litres = med.unit is glucose.MedicationUnit.MILLILITERS
        d.num("medication", med.amount, theirs.medication_value, scale=1e3 if litres else 1e6)
        d.same("medication unit", "litres" if litres else "kg", theirs.medication_unit)
    d.num("HbA1c", ours.hba1c, theirs.hba1c_percent)


def compare_heart_rate(ours: heart_rate.HeartRateMeasurement, theirs: Any, d: Diffs) -> None:
    d.same("heart rate", ours.bpm, theirs.heart_rate)
    contact = {None: "NOT_SUPPORTED", True: "DETECTED", False: "NOT_DETECTED"}
    d.same("sensor contact", contact[ours.sensor_contact], _name(theirs.sensor_contact))
    d.same("energy expended", ours.energy_expended_kj, theirs.energy_expended)
    d.same("RR count", len(ours.rr_intervals_s), len(theirs.rr_intervals))
    for i, (mine, other) in enumerate(zip(ours.rr_intervals_s, theirs.rr_intervals, strict=False)):
        d.num(f"RR[{i}]", mine, other, kind="value")


def compare_temperature(ours: temperature.TemperatureMeasurement, theirs: Any, d: Diffs) -> None:
    d.num("temperature", ours.value, theirs.temperature, kind="FLOAT")
    d.same("unit", ours.unit.name, _name(theirs.unit))
    d.same("timestamp", ours.timestamp, theirs.timestamp)
    d.same("type", _code(ours.location), _code(theirs.temperature_type))


def compare_weight(ours: weight.WeightMeasurement, theirs: Any, d: Diffs) -> None:
    d.num("weight", ours.weight, theirs.weight, kind="value", sentinel=WEIGHT_UNSUCCESSFUL)
    d.same("unit", ours.unit.name, _name(theirs.weight_unit))
    d.same("timestamp", ours.timestamp, theirs.timestamp)
    d.same("user id", ours.user_id, theirs.user_id)
    d.num("BMI", ours.bmi, theirs.bmi, kind="value")
    d.num("height", ours.height, theirs.height, kind="value")


def compare_battery(ours: int, theirs: Any, d: Diffs) -> None:
    d.same("battery level", ours, theirs)


# ---------------------------------------------------------------------------------------------
# Corpus: realistic readings encoded with OUR encoders


@dataclass(frozen=True)
class Slot:
    """A SFLOAT (width 2) or FLOAT (width 4) field that may carry a special value."""

    width: int
    put: Callable[[float], Any]  # the sample with this field set to the given float


@dataclass(frozen=True)
class Sample:
    value: Any
    slots: tuple[Slot, ...] = ()


def decimal_value(rng: random.Random, low: float, high: float, places: int, mantissa: int) -> float:
    """A decimal in [low, high] with up to ``places`` decimals whose mantissa fits."""
    while places > 0:
        candidate = round(rng.uniform(low, high), places)
        if abs(Decimal(repr(candidate)).scaleb(places)) <= mantissa:
            return candidate
        places -= 1
    return float(round(rng.uniform(low, high)))


def sfloat_value(rng: random.Random, low: float, high: float, places: int = 1) -> float:
    """Mostly one decimal (a negative exponent on the wire), sometimes a whole number."""
    return decimal_value(rng, low, high, rng.choice((0, places, places)), 2047)


def maybe[T](rng: random.Random, value: T, chance: float = 0.5) -> T | None:
    return value if rng.random() < chance else None


def random_time(rng: random.Random) -> datetime:
    start = datetime(2020, 1, 1)  # noqa: DTZ001 - a device's wall clock
    return start + timedelta(seconds=rng.randrange(7 * 365 * 86400))


def gen_bp(rng: random.Random) -> Sample:
    kpa = rng.random() < 0.2
    if kpa:
        systolic = sfloat_value(rng, 12.0, 24.0, 2)
        diastolic = sfloat_value(rng, 7.0, 12.5, 2)
    else:
        systolic = sfloat_value(rng, 95.0, 185.0)
        diastolic = sfloat_value(rng, 55.0, 110.0)
    mean = round((systolic + 2 * diastolic) / 3, 1)
    value = blood_pressure.BloodPressureMeasurement(
        systolic=systolic,
        diastolic=diastolic,
        mean_arterial=maybe(rng, mean, 0.85),  # None: sent as NaN (cuff computes no MAP)
        unit=blood_pressure.PressureUnit.KPA if kpa else blood_pressure.PressureUnit.MMHG,
        timestamp=maybe(rng, random_time(rng), 0.7),
        pulse_rate=maybe(rng, sfloat_value(rng, 45.0, 130.0), 0.8),
        user_id=maybe(rng, rng.choice((1, 2, 3, 4, 255)), 0.4),
        status=maybe(rng, _random_bp_status(rng), 0.6),
    )
    slots = [
        Slot(2, lambda x: dataclasses.replace(value, mean_arterial=x)),
        Slot(2, lambda x: dataclasses.replace(value, diastolic=x)),
    ]
    if value.pulse_rate is not None:
        slots.append(Slot(2, lambda x: dataclasses.replace(value, pulse_rate=x)))
    return Sample(value, tuple(slots))


def _random_bp_status(rng: random.Random) -> blood_pressure.BloodPressureStatus:
    return blood_pressure.BloodPressureStatus(
        body_movement=rng.random() < 0.2,
        cuff_too_loose=rng.random() < 0.1,
        irregular_pulse=rng.random() < 0.15,
        pulse_rate_range=rng.choice(list(blood_pressure.PulseRateRange)[:3]),
        improper_position=rng.random() < 0.1,
    )


def gen_cuff(rng: random.Random) -> Sample:
    kpa = rng.random() < 0.2
    pressure = sfloat_value(rng, 1.0, 26.0, 2) if kpa else sfloat_value(rng, 5.0, 200.0)
    value = blood_pressure.BloodPressureMeasurement(
        systolic=pressure,
        diastolic=None,
        mean_arterial=None,
        unit=blood_pressure.PressureUnit.KPA if kpa else blood_pressure.PressureUnit.MMHG,
        timestamp=maybe(rng, random_time(rng), 0.2),
        pulse_rate=maybe(rng, sfloat_value(rng, 45.0, 130.0), 0.3),
        user_id=maybe(rng, rng.randrange(1, 5), 0.2),
        status=maybe(rng, _random_bp_status(rng), 0.3),
    )
    slots = [Slot(2, lambda x: dataclasses.replace(value, systolic=x))]
    if value.pulse_rate is not None:
        slots.append(Slot(2, lambda x: dataclasses.replace(value, pulse_rate=x)))
    return Sample(value, tuple(slots))


def _plx_status(rng: random.Random) -> plx.PlxMeasurementStatus:
    return plx.PlxMeasurementStatus(rng.randrange(1 << 16) & 0xFFE0)


def _plx_device(rng: random.Random) -> plx.PlxDeviceSensorStatus:
    return plx.PlxDeviceSensorStatus(rng.randrange(1 << 16) & rng.choice((0x0, 0x3F, 0xFFFF)))


def gen_spot(rng: random.Random) -> Sample:
    value = plx.PlxSpotCheck(
        spo2=decimal_value(rng, 86.0, 100.0, rng.choice((0, 1)), 2047),
        pulse_rate=sfloat_value(rng, 45.0, 140.0),
        timestamp=maybe(rng, random_time(rng), 0.6),
        measurement_status=maybe(rng, _plx_status(rng), 0.4),
        device_sensor_status=maybe(rng, _plx_device(rng), 0.4),
        pulse_amplitude_index=maybe(rng, decimal_value(rng, 0.2, 20.0, 2, 2047), 0.5),
        device_clock_not_set=rng.random() < 0.1,
    )
    slots = [
        Slot(2, lambda x: dataclasses.replace(value, spo2=x)),
        Slot(2, lambda x: dataclasses.replace(value, pulse_rate=x)),
    ]
    if value.pulse_amplitude_index is not None:
        slots.append(Slot(2, lambda x: dataclasses.replace(value, pulse_amplitude_index=x)))
    return Sample(value, tuple(slots))


def _pair(rng: random.Random) -> plx.SpO2PulseRate:
    return plx.SpO2PulseRate(
        spo2=decimal_value(rng, 86.0, 100.0, rng.choice((0, 1)), 2047),
        pulse_rate=sfloat_value(rng, 45.0, 140.0),
    )


def gen_continuous(rng: random.Random) -> Sample:
    normal = _pair(rng)
    value = plx.PlxContinuous(
        spo2=normal.spo2,
        pulse_rate=normal.pulse_rate,
        fast=maybe(rng, _pair(rng), 0.4),
        slow=maybe(rng, _pair(rng), 0.4),
        measurement_status=maybe(rng, _plx_status(rng), 0.4),
        device_sensor_status=maybe(rng, _plx_device(rng), 0.4),
        pulse_amplitude_index=maybe(rng, decimal_value(rng, 0.2, 20.0, 2, 2047), 0.5),
    )
    slots = [
        Slot(2, lambda x: dataclasses.replace(value, spo2=x)),
        Slot(2, lambda x: dataclasses.replace(value, pulse_rate=x)),
    ]
    if value.fast is not None:
        fast = value.fast
        slots.append(
            Slot(2, lambda x: dataclasses.replace(value, fast=dataclasses.replace(fast, spo2=x)))
        )
    if value.pulse_amplitude_index is not None:
        slots.append(Slot(2, lambda x: dataclasses.replace(value, pulse_amplitude_index=x)))
    return Sample(value, tuple(slots))


_SAMPLE_TYPES = [t for t in glucose.GlucoseType if t is not glucose.GlucoseType.RESERVED]
_LOCATIONS = [s for s in glucose.SampleLocation if s is not glucose.SampleLocation.RESERVED]


def gen_glucose(rng: random.Random) -> Sample:
    mmol = rng.random() < 0.3
    has_block = rng.random() < 0.9
    if mmol:
        concentration = decimal_value(rng, 2.5, 25.0, 1, 2047)
    else:
        concentration = decimal_value(rng, 45.0, 400.0, rng.choice((0, 0, 1)), 2047)
    value = glucose.GlucoseMeasurement(
        sequence=rng.randrange(1 << 16),
        base_time=random_time(rng),
        time_offset_minutes=maybe(rng, rng.randrange(-720, 720), 0.4),
        concentration=concentration if has_block else None,
        unit=glucose.GlucoseUnit.MMOL_L if mmol else glucose.GlucoseUnit.MG_DL,
        sample_type=rng.choice(_SAMPLE_TYPES) if has_block else None,
        sample_location=rng.choice(_LOCATIONS) if has_block else None,
        sensor_status=maybe(
            rng,
            glucose.GlucoseSensorStatus(rng.randrange(1 << 12) & rng.choice((0, 0x7F, 0xFFF))),
            0.4,
        ),
        context_follows=rng.random() < 0.3,
    )
    slots = (Slot(2, lambda x: dataclasses.replace(value, concentration=x)),) if has_block else ()
    return Sample(value, slots)


def gen_context(rng: random.Random) -> Sample:
    carb = maybe(
        rng,
        glucose.Carbohydrate(
            rng.choice(list(glucose.CarbohydrateId)[1:]), decimal_value(rng, 5.0, 120.0, 1, 2047)
        ),
    )
    litres = rng.random() < 0.3
    med = maybe(
        rng,
        glucose.Medication(
            rng.choice(list(glucose.MedicationId)[1:]),
            decimal_value(rng, 0.5, 40.0, 1, 2047),
            glucose.MedicationUnit.MILLILITERS if litres else glucose.MedicationUnit.MILLIGRAMS,
        ),
        0.4,
    )
    tester_health = rng.random() < 0.5
    exercise = rng.random() < 0.3
    overrun = exercise and rng.random() < 0.15
    value = glucose.GlucoseContext(
        sequence=rng.randrange(1 << 16),
        carbohydrate=carb,
        meal=maybe(rng, rng.choice(list(glucose.Meal)[1:])),
        tester=rng.choice(list(glucose.GlucoseTester)[1:]) if tester_health else None,
        health=rng.choice(list(glucose.GlucoseHealth)[1:]) if tester_health else None,
        exercise_minutes=(rng.randrange(60, 7200) / 60 if exercise and not overrun else None),
        exercise_intensity=rng.randrange(101) if exercise else None,
        medication=med,
        hba1c=maybe(rng, decimal_value(rng, 4.5, 12.0, 1, 2047), 0.4),
        extended_flags=maybe(rng, 0, 0.05),
    )
    slots: list[Slot] = []
    if value.hba1c is not None:
        slots.append(Slot(2, lambda x: dataclasses.replace(value, hba1c=x)))
    if carb is not None:
        slots.append(
            Slot(
                2,
                lambda x: dataclasses.replace(
                    value, carbohydrate=dataclasses.replace(carb, grams=x)
                ),
            )
        )
    return Sample(value, tuple(slots))


def gen_heart_rate(rng: random.Random) -> Sample:
    bpm = rng.randrange(256, 320) if rng.random() < 0.03 else rng.randrange(38, 200)
    rr_count = rng.choice((0, 0, 1, 1, 2, 3, 4, 6))
    base = 60 / max(bpm, 40)
    value = heart_rate.HeartRateMeasurement(
        bpm=bpm,
        sensor_contact=rng.choice((None, True, True, False)),
        energy_expended_kj=maybe(rng, rng.randrange(0, 65536), 0.2),
        rr_intervals_s=tuple(
            round((base + rng.uniform(-0.08, 0.08)) * 1024) / 1024 for _ in range(rr_count)
        ),
    )
    return Sample(value)


_SITES = [t for t in temperature.TemperatureType if t is not temperature.TemperatureType.RESERVED]


def gen_temperature(rng: random.Random) -> Sample:
    fahrenheit = rng.random() < 0.3
    low, high = (95.0, 106.0) if fahrenheit else (35.0, 41.0)
    value = temperature.TemperatureMeasurement(
        value=decimal_value(rng, low, high, rng.choice((1, 1, 2)), (1 << 23) - 1),
        unit=temperature.TemperatureUnit.FAHRENHEIT
        if fahrenheit
        else temperature.TemperatureUnit.CELSIUS,
        timestamp=maybe(rng, random_time(rng), 0.6),
        location=maybe(rng, rng.choice(_SITES), 0.6),
    )
    return Sample(value, (Slot(4, lambda x: dataclasses.replace(value, value=x)),))


def gen_weight(rng: random.Random) -> Sample:
    imperial = rng.random() < 0.3
    unit = weight.WeightUnit.LB if imperial else weight.WeightUnit.KG
    if imperial:
        mass = rng.randrange(8800, 33000) / 100  # 88..330 lb, 0.01 lb steps
        height = rng.randrange(560, 780) / 10  # inches
    else:
        mass = rng.randrange(8000, 30000) / 200  # 40..150 kg, 0.005 kg steps
        height = rng.randrange(1450, 2000) / 1000  # metres
    with_bmi = rng.random() < 0.5
    value = weight.WeightMeasurement(
        weight=None if rng.random() < 0.03 else mass,
        unit=unit,
        timestamp=maybe(rng, random_time(rng), 0.6),
        user_id=maybe(rng, rng.choice((1, 2, 3, 255)), 0.5),
        bmi=rng.randrange(160, 400) / 10 if with_bmi else None,
        height=height if with_bmi else None,
    )
    return Sample(value)


def gen_battery(rng: random.Random) -> Sample:
    return Sample(rng.randrange(101))


# ---------------------------------------------------------------------------------------------
# The characteristics


@dataclass(frozen=True)
class Codec:
    uuid: str
    name: str
    decode: Callable[[bytes], Any]
    encode: Callable[[Any], bytes]
    theirs: type[BaseCharacteristic[Any]]
    generate: Callable[[random.Random], Sample]
    compare: Callable[[Any, Any, Diffs], None]


CODECS: tuple[Codec, ...] = (
    Codec(
        "2A35",
        "Blood Pressure Measurement",
        blood_pressure.decode_blood_pressure,
        blood_pressure.encode_blood_pressure,
        BloodPressureMeasurementCharacteristic,
        gen_bp,
        compare_bp,
    ),
    Codec(
        "2A36",
        "Intermediate Cuff Pressure",
        blood_pressure.decode_intermediate_cuff_pressure,
        blood_pressure.encode_intermediate_cuff_pressure,
        IntermediateCuffPressureCharacteristic,
        gen_cuff,
        compare_cuff,
    ),
    Codec(
        "2A5E",
        "PLX Spot-check Measurement",
        plx.decode_plx_spot_check,
        plx.encode_plx_spot_check,
        PLXSpotCheckMeasurementCharacteristic,
        gen_spot,
        compare_spot,
    ),
    Codec(
        "2A5F",
        "PLX Continuous Measurement",
        plx.decode_plx_continuous,
        plx.encode_plx_continuous,
        PLXContinuousMeasurementCharacteristic,
        gen_continuous,
        compare_continuous,
    ),
    Codec(
        "2A18",
        "Glucose Measurement",
        glucose.decode_glucose_measurement,
        glucose.encode_glucose_measurement,
        GlucoseMeasurementCharacteristic,
        gen_glucose,
        compare_glucose,
    ),
    Codec(
        "2A34",
        "Glucose Measurement Context",
        glucose.decode_glucose_context,
        glucose.encode_glucose_context,
        GlucoseMeasurementContextCharacteristic,
        gen_context,
        compare_context,
    ),
    Codec(
        "2A37",
        "Heart Rate Measurement",
        heart_rate.decode_heart_rate,
        heart_rate.encode_heart_rate,
        HeartRateMeasurementCharacteristic,
        gen_heart_rate,
        compare_heart_rate,
    ),
    Codec(
        "2A1C",
        "Temperature Measurement",
        temperature.decode_temperature,
        temperature.encode_temperature,
        TemperatureMeasurementCharacteristic,
        gen_temperature,
        compare_temperature,
    ),
    Codec(
        "2A9D",
        "Weight Measurement",
        weight.decode_weight,
        weight.encode_weight,
        WeightMeasurementCharacteristic,
        gen_weight,
        compare_weight,
    ),
    Codec(
        "2A19",
        "Battery Level",
        battery.decode_battery_level,
        battery.encode_battery_level,
        BatteryLevelCharacteristic,
        gen_battery,
        compare_battery,
    ),
)


# ---------------------------------------------------------------------------------------------
# Traps: hand-written payloads (hex) that parsers get wrong


@dataclass(frozen=True)
class Trap:
    uuid: str
    label: str
    hex: str
    valid: bool
    kind: DiffClass | None = None  # for invalid traps: what accepting it means

    @property
    def data(self) -> bytes:
        return bytes.fromhex(self.hex)


def _special_traps(uuid: str, prefix: str, suffix: str, where: str, width: int) -> list[Trap]:
    table = SFLOAT_SPECIALS if width == 2 else FLOAT_SPECIALS
    return [
        Trap(uuid, f"{where} = {name}", prefix + raw.to_bytes(width, "little").hex() + suffix, True)
        for name, raw in table.items()
    ]


TRUNCATED = ACCEPT_TRUNCATED
TRAILING = ACCEPT_TRAILING
TRAPS: tuple[Trap, ...] = (
    # Blood pressure: 120.5 / 80.5 / 93.8 mmHg are 0xF4B5 / 0xF325 / 0xF3AA (exponent -1).
    Trap("2A35", "negative exponents 120.5/80.5/93.8 mmHg", "00b5f425f3aaf3", True),
    Trap("2A35", "kPa 16.0/10.7/12.5", "01a0f06bf07df0", True),
    Trap("2A35", "whole mmHg 120/80/93, pulse 72", "04780050005d004800", True),
    *_special_traps("2A35", "00b5f425f3", "", "mean arterial", 2),
    *_special_traps("2A35", "04b5f425f3aaf3", "", "pulse rate", 2),
    Trap("2A35", "timestamp 'not known' (all zero)", "02b5f425f3aaf300000000000000", True),
    Trap("2A35", "status bit 5 improper position", "10b5f425f3aaf32000", True),
    Trap("2A35", "pulse flagged, missing", "04b5f425f3aaf3", False, TRUNCATED),
    Trap("2A35", "status flagged, 1 of 2 bytes", "10b5f425f3aaf320", False, TRUNCATED),
    Trap("2A35", "MAP cut mid-field", "00b5f425f3aa", False, TRUNCATED),
    Trap("2A35", "one trailing byte", "00b5f425f3aaf300", False, TRAILING),
    Trap("2A36", "cuff 150 mmHg, unused NaN", "009600ff07ff07", True),
    Trap("2A36", "negative mantissa -0.5 mmHg (0xFFFB)", "00fbffff07ff07", True),
    Trap("2A36", "cuff 150 mmHg, unused 0", "00960000000000", True),
    Trap("2A36", "unused fields missing", "009600", False, TRUNCATED),
    # PLX
    Trap("2A5E", "SpO2 98 %, 72 bpm", "0062004800", True),
    Trap("2A5E", "SpO2 97.5 %, 72.5 bpm (exponent -1)", "00cff3d5f2", True),
    *_special_traps("2A5E", "00", "4800", "SpO2", 2),
    Trap("2A5E", "device clock not set flag", "1062004800", True),
    Trap("2A5E", "timestamp 'not known'", "016200480000000000000000", True),
    Trap("2A5E", "PAI flagged, 1 byte", "08620048000a", False, TRUNCATED),
    Trap("2A5E", "device status flagged, 2 of 3 bytes", "0462004800ffff", False, TRUNCATED),
    Trap("2A5E", "one trailing byte", "006200480000", False, TRAILING),
    Trap("2A5F", "fast and slow present", "03620048006100490063004700", True),
    *_special_traps("2A5F", "1062004800", "", "pulse amplitude index", 2),
    Trap("2A5F", "fast flagged, 2 of 4 bytes", "01620048006100", False, TRUNCATED),
    Trap("2A5F", "PAI flagged, missing", "1062004800", False, TRUNCATED),
    Trap("2A5F", "one trailing byte", "006200480000", False, TRAILING),
    # Glucose: 92 mg/dL = 92e-5 kg/L = 0xB05C; 5.3 mmol/L = 53e-4 mol/L = 0xC035.
    Trap("2A18", "92 mg/dL as kg/L (exponent -5)", "020100e80703040a0b0c5cb011", True),
    Trap("2A18", "5.3 mmol/L as mol/L (exponent -4)", "060100e80703040a0b0c35c011", True),
    Trap("2A18", "time offset -120 min", "030200e80703040a0b0c88ff5cb011", True),
    Trap("2A18", "base time 'not known'", "020100" + "00" * 7 + "5cb011", True),
    Trap("2A18", "reserved sample location 0", "020100e80703040a0b0c5cb001", True),
    Trap("2A18", "reserved sample type 11", "020100e80703040a0b0c5cb01b", True),
    *_special_traps("2A18", "020100e80703040a0b0c", "11", "concentration", 2),
    Trap(
        "2A18",
        "concentration flagged, type byte missing",
        "020100e80703040a0b0c5cb0",
        False,
        TRUNCATED,
    ),
    Trap("2A18", "status flagged, missing", "080100e80703040a0b0c", False, TRUNCATED),
    Trap("2A18", "one trailing byte", "020100e80703040a0b0c5cb01100", False, TRAILING),
    # Glucose context: HbA1c 5.9 % = 0xF03B; 45 g = 45e-3 kg = 0xD02D; 10 mg = 10e-6 kg = 0xA00A.
    Trap("2A34", "HbA1c 5.9 %", "4001003bf0", True),
    Trap("2A34", "carbohydrate 45 g (as 0.045 kg)", "010100012dd0", True),
    Trap("2A34", "medication 10 mg (as kg)", "100100010aa0", True),
    Trap("2A34", "medication 2.5 mL (as L)", "3001000119c0", True),
    Trap("2A34", "exercise duration overrun 0xFFFF", "080100ffff50", True),
    Trap("2A34", "reserved meal 0", "02010000", True),
    Trap("2A34", "tester-health 'not available' 0xFF", "040100ff", True),
    Trap("2A34", "HbA1c flagged, 1 byte", "4001003b", False, TRUNCATED),
    Trap("2A34", "exercise flagged, 2 of 3 bytes", "0801001000", False, TRUNCATED),
    Trap("2A34", "one trailing byte", "4001003bf000", False, TRAILING),
    # Heart rate
    Trap("2A37", "uint16 format, 72 bpm", "014800", True),
    Trap("2A37", "uint16 format, 300 bpm", "012c01", True),
    Trap("2A37", "RR list 1.0/1.049/0.984 s", "104800043204f003", True),
    Trap("2A37", "energy 1000 kJ + RR", "1848e8030004", True),
    Trap("2A37", "contact supported, not detected", "0448", True),
    Trap("2A37", "uint16 flagged, 1 byte", "0148", False, TRUNCATED),
    Trap("2A37", "energy flagged, 1 byte", "0848e8", False, TRUNCATED),
    Trap("2A37", "odd RR byte (half an interval)", "1048000432", False, TRUNCATED),
    Trap("2A37", "RR flagged, none sent", "1048", True),
    # Temperature: 36.7 C = 0xFF00016F; 98.6 F = 0xFF0003DA; -1.5 C = 0xFFFFFFF1.
    Trap("2A1C", "36.7 C (exponent -1)", "006f0100ff", True),
    Trap("2A1C", "98.6 F", "01da0300ff", True),
    Trap("2A1C", "negative mantissa -1.5 C", "00f1ffffff", True),
    *_special_traps("2A1C", "00", "", "temperature", 4),
    Trap("2A1C", "reserved type 10", "046f0100ff0a", True),
    Trap("2A1C", "timestamp 'not known'", "026f0100ff00000000000000", True),
    Trap("2A1C", "cut mid-FLOAT", "006f0100", False, TRUNCATED),
    Trap("2A1C", "type flagged, missing", "046f0100ff", False, TRUNCATED),
    Trap("2A1C", "one trailing byte", "006f0100ff00", False, TRAILING),
    # Weight: 77.6 kg = 15520 x 0.005 (0x3CA0); 170.5 lb = 17050 x 0.01 (0x429A).
    Trap("2A9D", "77.6 kg", "00a03c", True),
    Trap("2A9D", "imperial 170.5 lb", "019a42", True),
    Trap("2A9D", "0xFFFF measurement unsuccessful", "00ffff", True),
    Trap("2A9D", "BMI 24.5, height 1.78 m", "08a03cf500f406", True),
    Trap("2A9D", "imperial BMI 24.5, height 70.1 in", "099a42f500bd02", True),
    Trap("2A9D", "BMI flagged, height missing", "08a03cf500", False, TRUNCATED),
    Trap("2A9D", "user id flagged, missing", "04a03c", False, TRUNCATED),
    Trap("2A9D", "one trailing byte", "00a03c00", False, TRAILING),
    # Battery
    Trap("2A19", "100 %", "64", True),
    Trap("2A19", "0 %", "00", True),
    Trap("2A19", "101 (not a percentage)", "65", False, UNEXPLAINED),
    Trap("2A19", "empty", "", False, TRUNCATED),
    Trap("2A19", "two bytes", "6400", False, TRAILING),
)


# ---------------------------------------------------------------------------------------------
# Calling theirs


@dataclass(frozen=True)
class Outcome:
    value: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def exception_key(error: BaseException) -> str:
    cause = error.__cause__
    return f"{type(error).__name__}({type(cause).__name__})" if cause else type(error).__name__


def root_message(error: BaseException) -> str:
    cause = error.__cause__ or error
    return str(cause)


def call(fn: Callable[[bytes], Any], data: bytes) -> Outcome:
    try:
        return Outcome(fn(data))
    except Exception as err:
        return Outcome(error=err)


def _twos_sfloat(data: bytes | bytearray, offset: int = 0) -> float:
    """bluetooth-sig's parse_sfloat with a two's-complement exponent (its specials kept)."""
    if len(data) < offset + 2:
        raise InsufficientDataError("IEEE 11073 SFLOAT", data[offset:], 2)
    raw = int.from_bytes(data[offset : offset + 2], "little")
    special = {0x07FF: math.nan, 0x0800: math.nan, 0x07FE: math.inf, 0x0802: -math.inf}
    if raw in special:
        return special[raw]
    mantissa = raw & 0x0FFF
    mantissa -= 0x1000 if mantissa >= 0x0800 else 0
    exponent = raw >> 12
    exponent -= 16 if exponent >= 8 else 0
    return float(Decimal(mantissa).scaleb(exponent))


def _twos_float32(data: bytes | bytearray, offset: int = 0) -> float:
    if len(data) < offset + 4:
        raise InsufficientDataError("IEEE 11073 FLOAT32", data[offset:], 4)
    raw = int.from_bytes(data[offset : offset + 4], "little")
    special = {
        0x007FFFFF: math.nan,
        0x00800000: math.nan,
        0x007FFFFE: math.inf,
        0x00800002: -math.inf,
    }
    if raw in special:
        return special[raw]
    mantissa = raw & 0xFFFFFF
    mantissa -= 0x1000000 if mantissa >= 0x800000 else 0
    exponent = raw >> 24
    exponent -= 256 if exponent >= 128 else 0
    return float(Decimal(mantissa).scaleb(exponent))


@contextlib.contextmanager
def twos_complement_exponent() -> Iterator[None]:
    """Diagnosis only: bluetooth-sig with just its SFLOAT/FLOAT exponent fixed."""
    saved = IEEE11073Parser.__dict__["parse_sfloat"], IEEE11073Parser.__dict__["parse_float32"]
    IEEE11073Parser.parse_sfloat = staticmethod(_twos_sfloat)  # type: ignore[method-assign]
    IEEE11073Parser.parse_float32 = staticmethod(_twos_float32)  # type: ignore[method-assign]
    try:
        yield
    finally:
        IEEE11073Parser.parse_sfloat, IEEE11073Parser.parse_float32 = saved  # type: ignore[method-assign]


@contextlib.contextmanager
def quiet_theirs() -> Iterator[None]:
    """Their translator logs a warning per failed parse; the parse trace switch is restored."""
    logger = logging.getLogger("bluetooth_sig")
    level = logger.level
    saved = os.environ.get(TRACE_ENV)
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)
        if saved is None:
            os.environ.pop(TRACE_ENV, None)
        else:
            os.environ[TRACE_ENV] = saved


# ---------------------------------------------------------------------------------------------
# Results


@dataclass
class Example:
    codec: str
    payload: str
    field: str
    ours: str
    theirs: str
    direct: bool = True  # False: seen only once bluetooth-sig's exponent was fixed


@dataclass
class ClassTally:
    seen: set[tuple[str, str]] = field(default_factory=set)  # (characteristic, payload)
    fields: int = 0
    codecs: set[str] = field(default_factory=set)
    example: Example | None = None

    @property
    def payloads(self) -> int:
        return len(self.seen)


@dataclass
class Timing:
    decodes: int
    ns: float  # median repeat, per decode


@dataclass
class CodecResult:
    codec: Codec
    corpus: int = 0
    specials: int = 0
    compared: int = 0
    agree: int = 0
    differ: int = 0
    theirs_raised: Counter[str] = field(default_factory=Counter)
    trap_valid: int = 0
    trap_valid_agree: int = 0
    trap_invalid: int = 0
    trap_invalid_both_reject: int = 0
    fuzzed: int = 0
    fuzz_theirs_raised: Counter[str] = field(default_factory=Counter)
    timings: dict[str, Timing] = field(default_factory=dict)


@dataclass
class Report:
    results: list[CodecResult] = field(default_factory=list)
    classes: dict[DiffClass, ClassTally] = field(default_factory=dict)
    # OUR side broke (a decoder raised something else than BleDecodeError, a round trip did
    # not hold): make bench fails. Warnings are judgements of this benchmark about ours (a
    # valid trap rejected, an invalid one accepted): printed with "!!", they do not fail it.
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    settings: str = ""

    def note(self, label: DiffClass, codec: Codec, example: Example) -> None:
        tally = self.classes.setdefault(label, ClassTally())
        tally.seen.add((codec.uuid, example.payload))
        tally.fields += 1
        tally.codecs.add(codec.uuid)
        if tally.example is None or (example.direct and not tally.example.direct):
            tally.example = example


def short(value: object, limit: int = 150) -> str:
    """repr(), cut; a str is taken as already formatted."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------------------------------
# Building and checking the corpus (our side)


def ours_decode(codec: Codec, data: bytes, report: Report, where: str) -> Outcome:
    """Our decoder: a value or BleDecodeError; anything else is recorded as a failure."""
    try:
        return Outcome(codec.decode(data))
    except BleDecodeError as err:
        return Outcome(error=err)
    except Exception as err:
        report.failures.append(
            f"{codec.uuid} {where}: ours raised {type(err).__name__}: {err} on {data.hex()}"
        )
        return Outcome(error=err)


def build_corpus(codec: Codec, plan: Plan, report: Report, result: CodecResult) -> list[bytes]:
    rng = random.Random(f"{plan.seed}:{codec.uuid}")  # noqa: S311 - seeded: reproducible corpus
    corpus: list[bytes] = []
    for _ in range(plan.corpus):
        sample = codec.generate(rng)
        try:
            data = codec.encode(sample.value)
        except Exception as err:  # a realistic reading our encoder cannot send: a bug of ours
            report.failures.append(
                f"{codec.uuid}: ours could not encode {short(sample.value)}: "
                f"{type(err).__name__}: {err}"
            )
            continue
        decoded = ours_decode(codec, data, report, "corpus")
        if not decoded.ok:
            report.failures.append(f"{codec.uuid}: ours rejected its own encoding {data.hex()}")
            continue
        if decoded.value != sample.value:
            report.failures.append(
                f"{codec.uuid}: round trip decode(encode(v)) != v for {short(sample.value)}"
                f" -> {short(decoded.value)}"
            )
        elif codec.encode(decoded.value) != data:
            report.failures.append(f"{codec.uuid}: encode(decode(b)) != b for {data.hex()}")
        if sample.slots and rng.random() < plan.special_rate:
            try:
                data = with_special(codec, sample, rng, report)
            except Exception as err:
                report.failures.append(
                    f"{codec.uuid}: ours could not encode a special value into "
                    f"{short(sample.value)}: {type(err).__name__}: {err}"
                )
                continue
            result.specials += 1
        corpus.append(data)
    return corpus


def with_special(codec: Codec, sample: Sample, rng: random.Random, report: Report) -> bytes:
    """The sample with one SFLOAT/FLOAT field replaced by a random special value."""
    slot = rng.choice(sample.slots)
    as_nan = codec.encode(slot.put(math.nan))
    as_one = codec.encode(slot.put(1.0))
    offset = next(i for i, (a, b) in enumerate(zip(as_nan, as_one, strict=True)) if a != b)
    table = SFLOAT_SPECIALS if slot.width == 2 else FLOAT_SPECIALS
    raw = rng.choice(list(table.values()))
    data = as_nan[:offset] + raw.to_bytes(slot.width, "little") + as_nan[offset + slot.width :]
    mine = ours_decode(codec, data, report, "special")
    if mine.ok and mine.value != codec.decode(as_nan):
        report.warnings.append(
            f"{codec.uuid}: special value {raw:#x} not 'no value' in {data.hex()}"
        )
    return data


def fuzz(codec: Codec, corpus: Sequence[bytes], rng: random.Random, count: int) -> list[bytes]:
    """Truncations, bit flips, extra bytes and random blobs: ours may only raise BleDecodeError."""
    inputs: list[bytes] = []
    for data in corpus[:count]:
        inputs.extend(data[:cut] for cut in range(len(data)))
    for data in corpus:
        flipped = bytearray(data)
        if flipped:
            position = rng.randrange(len(flipped))
            flipped[position] ^= 1 << rng.randrange(8)
        inputs.append(bytes(flipped))
        inputs.append(data + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4))))
    inputs.extend(rng.randbytes(rng.randrange(0, 24)) for _ in range(count))
    return inputs


# ---------------------------------------------------------------------------------------------
# Comparison (valid inputs)


def compare(codec: Codec, ours: Any, theirs: Outcome) -> list[FieldDiff] | None:
    """Field differences, or None when theirs raised (or returned something unexpected)."""
    if not theirs.ok:
        return None
    diffs = Diffs()
    try:
        codec.compare(ours, theirs.value, diffs)
    except (AttributeError, TypeError, KeyError, ValueError) as err:
        return [FieldDiff("(shape)", "value", UNEXPLAINED, "", f"{type(err).__name__}: {err}")]
    return diffs.items


def classify(
    codec: Codec,
    data: bytes,
    *,
    ours: Any,
    stock: Outcome,
    instance: BaseCharacteristic[Any],
    report: Report,
) -> bool:
    """Record the differences of one valid payload; True when both agree.

    A payload that differs is decoded again by bluetooth-sig with only its SFLOAT/FLOAT
    exponent fixed: what that removes is the exponent misread, what stays has its own class.
    """
    stock_diffs = compare(codec, ours, stock)
    if stock_diffs == []:
        return True
    with twos_complement_exponent():
        fixed = call(instance.parse_value, data)
    fixed_diffs = compare(codec, ours, fixed)
    hex_payload = data.hex()
    if stock_diffs is None:
        assert stock.error is not None
        theirs_text = (
            f"raises {exception_key(stock.error)}: {short(root_message(stock.error), 110)}"
        )
        if fixed_diffs is not None:
            # With the exponent fixed it decodes: the misread value tripped its range check.
            report.note(
                EXP_RAISES, codec, Example(codec.uuid, hex_payload, "-", short(ours), theirs_text)
            )
            for diff in fixed_diffs:
                theirs_fixed = (
                    f"{short(diff.theirs)} (once its exponent is fixed; as shipped it raises)"
                )
                example = Example(
                    codec.uuid, hex_payload, diff.name, short(diff.ours), theirs_fixed, direct=False
                )
                report.note(diff.label, codec, example)
            return False
        assert fixed.error is not None
        message = root_message(fixed.error)
        if message != root_message(stock.error):
            theirs_text += f" (exponent fixed: {short(message, 90)})"
        label = _raise_class(message) or UNEXPLAINED
        report.note(label, codec, Example(codec.uuid, hex_payload, "-", short(ours), theirs_text))
        return False
    fixed_by_name = {d.name: d for d in fixed_diffs or []}
    for stock_diff in stock_diffs:
        diff = stock_diff
        numeric = diff.kind in ("SFLOAT", "FLOAT")
        if fixed_diffs is not None and diff.name not in fixed_by_name:
            label = EXP_FLOAT if diff.kind == "FLOAT" else EXP_SFLOAT
        elif diff.name in fixed_by_name:
            label = fixed_by_name[diff.name].label
            again = fixed_by_name[diff.name].theirs
            if short(again) != short(diff.theirs):
                diff = dataclasses.replace(
                    diff, theirs=f"{short(diff.theirs)} (exponent fixed: {short(again)})"
                )
        elif numeric and diff.label is UNEXPLAINED:  # the fixed run raised: cannot re-check
            label = EXP_FLOAT if diff.kind == "FLOAT" else EXP_SFLOAT
        else:
            label = diff.label
        example = Example(codec.uuid, hex_payload, diff.name, short(diff.ours), short(diff.theirs))
        report.note(label, codec, example)
    return False


# ---------------------------------------------------------------------------------------------
# Timing


@dataclass(frozen=True)
class Decoder:
    fn: Callable[[bytes], Any]
    their_trace: bool = False  # bluetooth-sig's parse trace on (its default) for this one


def _set_trace(on: bool) -> None:
    if on:
        os.environ.pop(TRACE_ENV, None)  # the library's default: trace on
    else:
        os.environ[TRACE_ENV] = "0"


def time_decoders(
    decoders: dict[str, Decoder], corpus: Sequence[bytes], repeats: int
) -> dict[str, Timing]:
    """Median repeat per decoder after a warm-up pass. Repeats are interleaved (ours, theirs,
    translator, ours, ...) so that load from elsewhere on the machine hits all alike; every
    call is inside the same try/except whichever side raises."""

    def one_pass(decoder: Decoder, loops: int) -> int:
        _set_trace(decoder.their_trace)
        fn = decoder.fn
        start = time.perf_counter_ns()
        for _ in range(loops):
            for data in corpus:
                try:
                    fn(data)
                except Exception:  # noqa: S112 - timed whether it raises or not
                    continue
        return time.perf_counter_ns() - start

    loops = {}
    for name, decoder in decoders.items():
        warm = max(one_pass(decoder, 1), 1)
        loops[name] = max(1, math.ceil(MIN_REPEAT_NS / warm))
    runs: dict[str, list[int]] = {name: [] for name in decoders}
    for _ in range(repeats):
        for name, decoder in decoders.items():
            runs[name].append(one_pass(decoder, loops[name]))
    return {
        name: Timing(
            decodes=loops[name] * len(corpus),
            ns=statistics.median(runs[name]) / (loops[name] * len(corpus)),
        )
        for name in decoders
    }


# ---------------------------------------------------------------------------------------------
# The run


SIDES = ("ours", "theirs", "translator")


@dataclass(frozen=True)
class Plan:
    corpus: int = 300
    repeats: int = 7
    seed: int = 11073
    special_rate: float = 0.2
    fuzz: int = 40
    markdown: str | None = None


def bench(plan: Plan) -> Report:
    report = Report(
        settings=(
            f"corpus {plan.corpus} payloads per characteristic (seed {plan.seed}, "
            f"{plan.special_rate:.0%} with a special value), {plan.repeats} repeats + warm-up, "
            f"median repeat; {THEIR_PACKAGE} {version(THEIR_PACKAGE)}, "
            f"Python {sys.version.split()[0]}"
        )
    )
    translator = BluetoothSIGTranslator()
    with quiet_theirs():
        _set_trace(False)
        for codec in CODECS:
            result = CodecResult(codec)
            report.results.append(result)
            instance = codec.theirs()
            corpus = build_corpus(codec, plan, report, result)
            result.corpus = len(corpus)
            for data in corpus:
                mine = ours_decode(codec, data, report, "corpus")
                if not mine.ok:  # a special value patched in (its own encoding failed above)
                    report.warnings.append(
                        f"{codec.uuid}: ours rejected {data.hex()}: {mine.error}"
                    )
                    continue
                stock = call(instance.parse_value, data)
                if stock.error is not None:
                    result.theirs_raised[exception_key(stock.error)] += 1
                result.compared += 1
                if classify(
                    codec, data, ours=mine.value, stock=stock, instance=instance, report=report
                ):
                    result.agree += 1
                else:
                    result.differ += 1
            run_traps(codec, instance, report, result)
            rng = random.Random(f"{plan.seed}:fuzz:{codec.uuid}")  # noqa: S311 - reproducible
            for data in fuzz(codec, corpus, rng, plan.fuzz):
                result.fuzzed += 1
                ours_decode(codec, data, report, "fuzz")
                theirs = call(instance.parse_value, data)
                if theirs.error is not None:
                    result.fuzz_theirs_raised[exception_key(theirs.error)] += 1
            decoders = {
                "ours": Decoder(codec.decode),
                "theirs": Decoder(instance.parse_value),
                "translator": Decoder(
                    partial(translator.parse_characteristic, codec.uuid), their_trace=True
                ),
            }
            result.timings = time_decoders(decoders, corpus, plan.repeats)
            _set_trace(False)
    return report


def run_traps(
    codec: Codec, instance: BaseCharacteristic[Any], report: Report, result: CodecResult
) -> None:
    for trap in (t for t in TRAPS if t.uuid == codec.uuid):
        data = trap.data
        mine = ours_decode(codec, data, report, f"trap '{trap.label}'")
        theirs = call(instance.parse_value, data)
        if theirs.error is not None:
            result.theirs_raised[exception_key(theirs.error)] += 1
        if trap.valid:
            result.trap_valid += 1
            if not mine.ok:
                report.warnings.append(
                    f"{codec.uuid} trap '{trap.label}': ours rejected a valid payload: {mine.error}"
                )
                continue
            if classify(
                codec, data, ours=mine.value, stock=theirs, instance=instance, report=report
            ):
                result.trap_valid_agree += 1
            continue
        result.trap_invalid += 1
        if mine.ok:
            report.warnings.append(
                f"{codec.uuid} trap '{trap.label}' ({data.hex()}): ours accepted it: "
                f"{short(mine.value)}"
            )
        elif not theirs.ok:
            result.trap_invalid_both_reject += 1
        else:
            report.note(
                trap.kind or UNEXPLAINED,
                codec,
                Example(
                    codec.uuid,
                    data.hex() or "(empty)",
                    trap.label,
                    f"BleDecodeError: {getattr(mine.error, 'reason', mine.error)}",
                    short(theirs.value),
                ),
            )


# ---------------------------------------------------------------------------------------------
# Output


def _rate(timing: Timing) -> str:
    return f"{1e9 / timing.ns:,.0f}"


def _totals(report: Report, side: str) -> Timing:
    decodes = sum(r.corpus for r in report.results)
    ns = sum(r.timings[side].ns * r.corpus for r in report.results)
    return Timing(decodes=decodes, ns=ns / decodes)


def throughput_rows(report: Report) -> list[list[str]]:
    rows = []
    for result in [*report.results, None]:
        if result is None:
            name, corpus = "all (same mix)", sum(r.corpus for r in report.results)
            timings = {side: _totals(report, side) for side in SIDES}
        else:
            name, corpus = f"{result.codec.uuid} {result.codec.name}", result.corpus
            timings = result.timings
        ours, theirs, translator = (timings[side] for side in SIDES)
        rows.append(
            [
                name,
                str(corpus),
                _rate(ours),
                f"{ours.ns:,.0f}",
                _rate(theirs),
                f"{theirs.ns:,.0f}",
                _rate(translator),
                f"{translator.ns:,.0f}",
                f"{theirs.ns / ours.ns:.1f}x",
            ]
        )
    return rows


THROUGHPUT_HEADER = [
    "characteristic",
    "payloads",
    "ours dec/s",
    "ours ns",
    "theirs dec/s",
    "theirs ns",
    "translator dec/s",
    "translator ns",
    "ours faster",
]


def agreement_rows(report: Report) -> list[list[str]]:
    rows = []
    for r in report.results:
        raised = sum(r.theirs_raised.values())
        rows.append(
            [
                f"{r.codec.uuid} {r.codec.name}",
                f"{r.compared} ({r.specials} special)",
                str(r.agree),
                str(r.differ),
                f"{r.trap_valid_agree}/{r.trap_valid}",
                f"{r.trap_invalid_both_reject}/{r.trap_invalid}",
                str(raised),
            ]
        )
    return rows


AGREEMENT_HEADER = [
    "characteristic",
    "valid corpus",
    "agree",
    "DIFFER",
    "valid traps agree",
    "invalid traps both reject",
    "theirs raised",
]


def raised_lines(report: Report) -> list[str]:
    """bluetooth-sig's exceptions on valid corpus + traps, per type (cause in brackets)."""
    lines = []
    for r in report.results:
        if r.theirs_raised:
            counts = ", ".join(f"{k} {v}" for k, v in r.theirs_raised.most_common())
            lines.append(f"{r.codec.uuid}: {counts}")
    fuzz: Counter[str] = Counter()
    for r in report.results:
        fuzz.update(r.fuzz_theirs_raised)
    total = sum(r.fuzzed for r in report.results)
    counts = ", ".join(f"{k} {v:,}" for k, v in fuzz.most_common()) or "nothing"
    lines.append(f"fuzz ({total:,} truncated/mutated/random payloads): {counts}")
    return lines


def class_rows(report: Report) -> list[tuple[DiffClass, ClassTally]]:
    return sorted(report.classes.items(), key=lambda item: -item[1].payloads)


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    numeric = [i > 0 for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            cell.rjust(w) if num and i else cell.ljust(w)
            for i, (cell, w, num) in enumerate(zip(cells, widths, numeric, strict=True))
        ).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def print_report(report: Report) -> None:
    print(f"codecs: gateway.ble vs {THEIR_PACKAGE}: {report.settings}")
    print("decode throughput (ns = per decode; theirs = characteristic.parse_value, parse trace")
    print("off; translator = BluetoothSIGTranslator().parse_characteristic(uuid, data)):")
    print(table(THROUGHPUT_HEADER, throughput_rows(report)))
    print()
    print("agreement on valid inputs (field by field, half a unit of the last decimal):")
    print(table(AGREEMENT_HEADER, agreement_rows(report)))
    print("bluetooth-sig raised (exception type, its cause in brackets):")
    for line in raised_lines(report):
        print(f"  {line}")
    broke = any(" fuzz:" in failure for failure in report.failures)
    print(f"ours on the fuzz payloads: {'FAILED' if broke else 'only BleDecodeError or a value'}")
    print()
    print("difference classes (payloads; one example each; why ours is right):")
    for label, tally in class_rows(report):
        example = tally.example
        assert example is not None
        print(
            f"  [{tally.payloads:>4} payloads, {tally.fields:>4} fields] {label.title}"
            f"  ({', '.join(sorted(tally.codecs))})"
        )
        print(f"         e.g. {example.codec} {example.payload}  field: {example.field}")
        print(f"           ours:   {example.ours}")
        print(f"           theirs: {example.theirs}")
        print(f"         why: {label.why}")
    for warning in report.warnings:
        print(f"  !! {warning}")
    for failure in report.failures[:MAX_FAILURES_SHOWN]:
        print(f"  FAIL (ours): {failure}")
    if len(report.failures) > MAX_FAILURES_SHOWN:
        print(f"  FAIL (ours): ... {len(report.failures) - MAX_FAILURES_SHOWN} more")


def markdown(report: Report) -> str:
    def md_table(header: list[str], rows: list[list[str]]) -> str:
        out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
        return "\n".join(out)

    classes = []
    for label, tally in class_rows(report):
        example = tally.example
        assert example is not None
        classes.append(
            [
                label.title,
                f"{tally.payloads} ({tally.fields} fields)",
                ", ".join(sorted(tally.codecs)),
                f"`{example.codec}` `{example.payload}` ({example.field})",
                f"`{example.ours}`",
                f"`{example.theirs}`",
                label.why,
            ]
        )
    return "\n\n".join(
        [
            f"Settings: {report.settings}.",
            md_table(THROUGHPUT_HEADER, throughput_rows(report)),
            md_table(AGREEMENT_HEADER, agreement_rows(report)),
            "bluetooth-sig raised (exception type, its cause in brackets):\n\n"
            + "\n".join(f"- {line}" for line in raised_lines(report)),
            md_table(
                [
                    "difference",
                    "payloads",
                    "characteristics",
                    "example",
                    "ours",
                    "theirs",
                    "why ours is right",
                ],
                classes,
            ),
        ]
    )


# ---------------------------------------------------------------------------------------------
# Entry points


FLAGS = (
    Flag("corpus", "valid payloads per characteristic"),
    Flag("repeats", "timed repeats (median reported)"),
    Flag("seed"),
    Flag("fuzz", "payloads truncated at every length"),
    Flag("markdown", "also write the tables as Markdown", metavar="FILE"),
)


def add_arguments(parser: argparse.ArgumentParser, prefix: str = "codecs-") -> None:
    """The options; `python -m bench` prefixes them (`--codecs-repeats`), this module not."""
    Options(parser, "codecs (bench/codecs.py)", prefix, dest="codecs_").plan(Plan(), FLAGS)


FAILURE = "codecs: our decoders broke (see the FAIL lines of the codecs section)"


def run(args: argparse.Namespace) -> bool:
    """Print the comparison; False only when OUR codecs broke (not for differences)."""
    plan = plan_from(Plan, args, "codecs_")
    if plan.corpus < 1 or plan.repeats < 1 or plan.fuzz < 0:
        raise SystemExit("codecs: corpus and repeats must be positive")
    report = bench(plan)
    print_report(report)
    if plan.markdown:
        with open(plan.markdown, "w", encoding="utf-8") as out:
            out.write(markdown(report) + "\n")
    return not report.failures


if __name__ == "__main__":
    run_alone("bench.codecs", __doc__, add_arguments, run, FAILURE)
