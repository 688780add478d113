"""Glucose Measurement (0x2A18) and Glucose Measurement Context (0x2A34).

Measurement: flags uint8 | sequence number uint16 | base time (Date Time)
| [time offset sint16 minutes, flag bit 0]
| [concentration SFLOAT + type/sample-location uint8, bit 1]
| [sensor status annunciation uint16, bit 3].
Bit 2: concentration unit, 0 = kg/L, 1 = mol/L; bit 4: a context record follows.

The wire's kg/L and mol/L are converted *exactly* (decimal exponent shift, no binary
multiplication) to mg/dL (x 10^5) and mmol/L (x 10^3): 95 mg/dL is sent as mantissa 95,
exponent -5 kg/L and decodes to exactly 95.0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum, Flag, IntEnum

from gateway.ble._reader import Reader, Writer, to_fixed_point
from gateway.ble.errors import BleEncodeError

GLUCOSE_MEASUREMENT = "Glucose Measurement"
GLUCOSE_CONTEXT = "Glucose Measurement Context"


class GlucoseUnit(Enum):
    MG_DL = "mg/dL"  # wire: kg/L
    MMOL_L = "mmol/L"  # wire: mol/L


# Decimal exponent from the wire unit to the reported unit.
_UNIT_SCALE = {GlucoseUnit.MG_DL: 5, GlucoseUnit.MMOL_L: 3}


class GlucoseType(IntEnum):
    """Type nibble. Unknown/reserved codes (0, 11-15) decode to RESERVED."""

    RESERVED = 0
    CAPILLARY_WHOLE_BLOOD = 1
    CAPILLARY_PLASMA = 2
    VENOUS_WHOLE_BLOOD = 3
    VENOUS_PLASMA = 4
    ARTERIAL_WHOLE_BLOOD = 5
    ARTERIAL_PLASMA = 6
    UNDETERMINED_WHOLE_BLOOD = 7
    UNDETERMINED_PLASMA = 8
    INTERSTITIAL_FLUID = 9
    CONTROL_SOLUTION = 10


class SampleLocation(IntEnum):
    """Sample location nibble. Reserved codes (0, 5-14) decode to RESERVED."""

    RESERVED = 0
    FINGER = 1
    ALTERNATE_SITE_TEST = 2
    EARLOBE = 3
    CONTROL_SOLUTION = 4
    NOT_AVAILABLE = 15


class GlucoseSensorStatus(Flag):
    """Sensor Status Annunciation (uint16); bits 12-15 reserved."""

    NONE = 0
    DEVICE_BATTERY_LOW = 1 << 0
    SENSOR_MALFUNCTION = 1 << 1
    SAMPLE_SIZE_INSUFFICIENT = 1 << 2
    STRIP_INSERTION_ERROR = 1 << 3
    STRIP_TYPE_INCORRECT = 1 << 4
    RESULT_TOO_HIGH = 1 << 5
    RESULT_TOO_LOW = 1 << 6
    TEMPERATURE_TOO_HIGH = 1 << 7
    TEMPERATURE_TOO_LOW = 1 << 8
    READ_INTERRUPTED = 1 << 9  # strip pulled too soon
    GENERAL_DEVICE_FAULT = 1 << 10
    TIME_FAULT = 1 << 11


_SENSOR_STATUS_MASK = 0x0FFF

_FLAG_TIME_OFFSET = 0x01
_FLAG_CONCENTRATION = 0x02
_FLAG_MOL_L = 0x04
_FLAG_SENSOR_STATUS = 0x08
_FLAG_CONTEXT_FOLLOWS = 0x10


def _enum_or_reserved[E: IntEnum](kind: type[E], code: int, reserved: E) -> E:
    # Unknown codes are future spec values, not a broken device: keep the reading.
    try:
        return kind(code)
    except ValueError:
        return reserved


@dataclass(frozen=True, slots=True)
class GlucoseMeasurement:
    """One glucose record.

    ``concentration`` is in ``unit`` (mg/dL or mmol/L); None when the record carries no
    concentration (then ``sample_type``/``sample_location`` are None too) or a special value.
    ``base_time`` is None when the meter's clock was unknown.
    """

    sequence: int
    base_time: datetime | None
    time_offset_minutes: int | None = None
    concentration: float | None = None
    unit: GlucoseUnit = GlucoseUnit.MG_DL
    sample_type: GlucoseType | None = None
    sample_location: SampleLocation | None = None
    sensor_status: GlucoseSensorStatus | None = None
    context_follows: bool = False

    @property
    def measured_at(self) -> datetime | None:
        """Base time plus the time offset: when the sample was taken (device local time)."""
        if self.base_time is None:
            return None
        return self.base_time + timedelta(minutes=self.time_offset_minutes or 0)


def decode_glucose_measurement(data: bytes | bytearray) -> GlucoseMeasurement:
    """Decode Glucose Measurement (0x2A18)."""
    reader = Reader(data, GLUCOSE_MEASUREMENT)
    flags = reader.u8("flags")
    unit = GlucoseUnit.MMOL_L if flags & _FLAG_MOL_L else GlucoseUnit.MG_DL
    sequence = reader.u16("sequence number")
    base_time = reader.date_time("base time")
    offset = reader.s16("time offset") if flags & _FLAG_TIME_OFFSET else None
    concentration = None
    sample_type = None
    sample_location = None
    if flags & _FLAG_CONCENTRATION:
        concentration = reader.sfloat("concentration", scale_exponent=_UNIT_SCALE[unit])
        type_location = reader.u8("type-sample location")
        sample_type = _enum_or_reserved(GlucoseType, type_location & 0x0F, GlucoseType.RESERVED)
        sample_location = _enum_or_reserved(
            SampleLocation, type_location >> 4, SampleLocation.RESERVED
        )
    status = None
    if flags & _FLAG_SENSOR_STATUS:
        status = GlucoseSensorStatus(reader.u16("sensor status annunciation") & _SENSOR_STATUS_MASK)
    reader.end()
    return GlucoseMeasurement(
        sequence=sequence,
        base_time=base_time,
        time_offset_minutes=offset,
        concentration=concentration,
        unit=unit,
        sample_type=sample_type,
        sample_location=sample_location,
        sensor_status=status,
        context_follows=bool(flags & _FLAG_CONTEXT_FOLLOWS),
    )


def encode_glucose_measurement(value: GlucoseMeasurement) -> bytes:
    """Encode Glucose Measurement (0x2A18).

    The concentration block is sent when ``sample_type`` and ``sample_location`` are set
    (a None concentration inside it goes out as NaN).
    """
    has_block = value.sample_type is not None or value.sample_location is not None
    if has_block and (value.sample_type is None or value.sample_location is None):
        raise BleEncodeError(
            GLUCOSE_MEASUREMENT, "sample_type and sample_location go together: set both"
        )
    if not has_block and value.concentration is not None:
        raise BleEncodeError(
            GLUCOSE_MEASUREMENT, "a concentration needs sample_type and sample_location"
        )
    flags = (
        (_FLAG_TIME_OFFSET if value.time_offset_minutes is not None else 0)
        | (_FLAG_CONCENTRATION if has_block else 0)
        | (_FLAG_MOL_L if value.unit is GlucoseUnit.MMOL_L else 0)
        | (_FLAG_SENSOR_STATUS if value.sensor_status is not None else 0)
        | (_FLAG_CONTEXT_FOLLOWS if value.context_follows else 0)
    )
    writer = Writer(GLUCOSE_MEASUREMENT)
    writer.u8(flags, "flags")
    writer.u16(value.sequence, "sequence number")
    writer.date_time(value.base_time, "base time")
    if value.time_offset_minutes is not None:
        writer.s16(value.time_offset_minutes, "time offset")
    if value.sample_type is not None and value.sample_location is not None:
        writer.sfloat(value.concentration, "concentration", scale_exponent=_UNIT_SCALE[value.unit])
        writer.u8(int(value.sample_type) | (int(value.sample_location) << 4), "type-location")
    if value.sensor_status is not None:
        writer.u16(value.sensor_status.value, "sensor status annunciation")
    return writer.bytes()


# --- Glucose Measurement Context (0x2A34) -------------------------------------------------


class CarbohydrateId(IntEnum):
    RESERVED = 0
    BREAKFAST = 1
    LUNCH = 2
    DINNER = 3
    SNACK = 4
    DRINK = 5
    SUPPER = 6
    BRUNCH = 7


class Meal(IntEnum):
    RESERVED = 0
    PREPRANDIAL = 1  # before meal
    POSTPRANDIAL = 2  # after meal
    FASTING = 3
    CASUAL = 4  # snacks, drinks
    BEDTIME = 5


class GlucoseTester(IntEnum):
    RESERVED = 0
    SELF = 1
    HEALTH_CARE_PROFESSIONAL = 2
    LAB_TEST = 3
    NOT_AVAILABLE = 15


class GlucoseHealth(IntEnum):
    RESERVED = 0
    MINOR_HEALTH_ISSUES = 1
    MAJOR_HEALTH_ISSUES = 2
    DURING_MENSES = 3
    UNDER_STRESS = 4
    NO_HEALTH_ISSUES = 5
    NOT_AVAILABLE = 15


class MedicationId(IntEnum):
    RESERVED = 0
    RAPID_ACTING_INSULIN = 1
    SHORT_ACTING_INSULIN = 2
    INTERMEDIATE_ACTING_INSULIN = 3
    LONG_ACTING_INSULIN = 4
    PRE_MIXED_INSULIN = 5


class MedicationUnit(Enum):
    MILLIGRAMS = "mg"  # wire: kilograms
    MILLILITERS = "mL"  # wire: liters


_MEDICATION_SCALE = {MedicationUnit.MILLIGRAMS: 6, MedicationUnit.MILLILITERS: 3}
_CARBOHYDRATE_SCALE = 3  # wire kilograms -> grams
EXERCISE_DURATION_OVERRUN = 0xFFFF  # "exercise lasted longer than 65534 s"


@dataclass(frozen=True, slots=True)
class Carbohydrate:
    kind: CarbohydrateId
    grams: float | None


@dataclass(frozen=True, slots=True)
class Medication:
    kind: MedicationId
    amount: float | None
    unit: MedicationUnit


@dataclass(frozen=True, slots=True)
class GlucoseContext:
    """Context record for the measurement with the same ``sequence``.

    Absent fields are None. ``exercise_minutes`` is the wire's seconds / 60, None when the
    duration overran (0xFFFF) or no exercise block was sent; the block is present exactly when
    ``exercise_intensity`` (percent) is not None. ``hba1c`` is in percent.
    ``extended_flags`` is the reserved extended-flags byte when the device sent one.
    """

    sequence: int
    carbohydrate: Carbohydrate | None = None
    meal: Meal | None = None
    tester: GlucoseTester | None = None
    health: GlucoseHealth | None = None
    exercise_minutes: float | None = None
    exercise_intensity: int | None = None
    medication: Medication | None = None
    hba1c: float | None = None
    extended_flags: int | None = None


_CTX_CARBOHYDRATE = 0x01
_CTX_MEAL = 0x02
_CTX_TESTER_HEALTH = 0x04
_CTX_EXERCISE = 0x08
_CTX_MEDICATION = 0x10
_CTX_MEDICATION_LITERS = 0x20
_CTX_HBA1C = 0x40
_CTX_EXTENDED = 0x80


def decode_glucose_context(data: bytes | bytearray) -> GlucoseContext:
    """Decode Glucose Measurement Context (0x2A34)."""
    reader = Reader(data, GLUCOSE_CONTEXT)
    flags = reader.u8("flags")
    sequence = reader.u16("sequence number")
    extended = reader.u8("extended flags") if flags & _CTX_EXTENDED else None
    carbohydrate = None
    if flags & _CTX_CARBOHYDRATE:
        kind = _enum_or_reserved(
            CarbohydrateId, reader.u8("carbohydrate id"), CarbohydrateId.RESERVED
        )
        grams = reader.sfloat("carbohydrate", scale_exponent=_CARBOHYDRATE_SCALE)
        carbohydrate = Carbohydrate(kind, grams)
    meal = _enum_or_reserved(Meal, reader.u8("meal"), Meal.RESERVED) if flags & _CTX_MEAL else None
    tester = None
    health = None
    if flags & _CTX_TESTER_HEALTH:
        nibbles = reader.u8("tester-health")
        tester = _enum_or_reserved(GlucoseTester, nibbles & 0x0F, GlucoseTester.RESERVED)
        health = _enum_or_reserved(GlucoseHealth, nibbles >> 4, GlucoseHealth.RESERVED)
    exercise_minutes = None
    intensity = None
    if flags & _CTX_EXERCISE:
        seconds = reader.u16("exercise duration")
        intensity = reader.u8("exercise intensity")
        exercise_minutes = None if seconds == EXERCISE_DURATION_OVERRUN else seconds / 60
    medication = None
    if flags & _CTX_MEDICATION:
        unit = (
            MedicationUnit.MILLILITERS
            if flags & _CTX_MEDICATION_LITERS
            else MedicationUnit.MILLIGRAMS
        )
        kind_m = _enum_or_reserved(MedicationId, reader.u8("medication id"), MedicationId.RESERVED)
        amount = reader.sfloat("medication", scale_exponent=_MEDICATION_SCALE[unit])
        medication = Medication(kind_m, amount, unit)
    hba1c = reader.sfloat("HbA1c") if flags & _CTX_HBA1C else None
    reader.end()
    return GlucoseContext(
        sequence=sequence,
        carbohydrate=carbohydrate,
        meal=meal,
        tester=tester,
        health=health,
        exercise_minutes=exercise_minutes,
        exercise_intensity=intensity,
        medication=medication,
        hba1c=hba1c,
        extended_flags=extended,
    )


def encode_glucose_context(value: GlucoseContext) -> bytes:
    """Encode Glucose Measurement Context (0x2A34)."""
    if (value.tester is None) != (value.health is None):
        raise BleEncodeError(GLUCOSE_CONTEXT, "tester and health share one byte: set both")
    if value.exercise_minutes is not None and value.exercise_intensity is None:
        raise BleEncodeError(GLUCOSE_CONTEXT, "exercise_minutes needs exercise_intensity")
    flags = (
        (_CTX_CARBOHYDRATE if value.carbohydrate is not None else 0)
        | (_CTX_MEAL if value.meal is not None else 0)
        | (_CTX_TESTER_HEALTH if value.tester is not None else 0)
        | (_CTX_EXERCISE if value.exercise_intensity is not None else 0)
        | (_CTX_MEDICATION if value.medication is not None else 0)
        | (
            _CTX_MEDICATION_LITERS
            if value.medication is not None and value.medication.unit is MedicationUnit.MILLILITERS
            else 0
        )
        | (_CTX_HBA1C if value.hba1c is not None else 0)
        | (_CTX_EXTENDED if value.extended_flags is not None else 0)
    )
    writer = Writer(GLUCOSE_CONTEXT)
    writer.u8(flags, "flags")
    writer.u16(value.sequence, "sequence number")
    if value.extended_flags is not None:
        writer.u8(value.extended_flags, "extended flags")
    if value.carbohydrate is not None:
        writer.u8(int(value.carbohydrate.kind), "carbohydrate id")
        writer.sfloat(value.carbohydrate.grams, "carbohydrate", scale_exponent=_CARBOHYDRATE_SCALE)
    if value.meal is not None:
        writer.u8(int(value.meal), "meal")
    if value.tester is not None and value.health is not None:
        writer.u8(int(value.tester) | (int(value.health) << 4), "tester-health")
    if value.exercise_intensity is not None:
        if value.exercise_minutes is None:
            seconds = EXERCISE_DURATION_OVERRUN
        else:
            seconds = to_fixed_point(
                value.exercise_minutes, 60, GLUCOSE_CONTEXT, "exercise duration"
            )
            if not 0 <= seconds < EXERCISE_DURATION_OVERRUN:
                raise BleEncodeError(
                    GLUCOSE_CONTEXT, f"exercise of {value.exercise_minutes} min out of range"
                )
        writer.u16(seconds, "exercise duration")
        writer.u8(value.exercise_intensity, "exercise intensity")
    if value.medication is not None:
        writer.u8(int(value.medication.kind), "medication id")
        writer.sfloat(
            value.medication.amount,
            "medication",
            scale_exponent=_MEDICATION_SCALE[value.medication.unit],
        )
    if value.hba1c is not None:
        writer.sfloat(value.hba1c, "HbA1c")
    return writer.bytes()
