"""Vital signs outside the resident's thresholds."""

from __future__ import annotations

import logging

import pytest

from gateway.alarms import AlarmKind, Severity
from gateway.safety.engine import SafetyEngine
from gateway.safety.observations import VitalReading
from gateway.safety.settings import SafetySettings, VitalRange
from gateway.vital_signs import VitalSign

from .conftest import SHANGHAI, T0, open_alarm, raised


@pytest.mark.parametrize(
    ("reading", "source"),
    [
        (VitalReading("sensor.spo2", VitalSign.SPO2, 86, "%"), "spo2 86 % low"),
        (VitalReading("sensor.hr", VitalSign.HEART_RATE, 150, "bpm"), "heart_rate 150 bpm high"),
        (VitalReading("sensor.hr", VitalSign.HEART_RATE, 35), "heart_rate 35 low"),
        (VitalReading("sensor.sys", VitalSign.SYSTOLIC, 195, "mmHg"), "systolic 195 mmHg high"),
        (VitalReading("sensor.dia", VitalSign.DIASTOLIC, 45, "mmHg"), "diastolic 45 mmHg low"),
        (VitalReading("sensor.glu", VitalSign.GLUCOSE, 2.8, "mmol/L"), "glucose 2.8 mmol/L low"),
        (VitalReading("sensor.t", VitalSign.TEMPERATURE, 39.2, "°C"), "temperature 39.2 °C high"),
    ],
    ids=lambda value: value if isinstance(value, str) else value.sign.value,
)
def test_out_of_range_reading_raises_vitals_with_the_reading(
    engine: SafetyEngine, reading: VitalReading, source: str
) -> None:
    effects = engine.handle(reading, T0)
    alarm = open_alarm(engine, AlarmKind.VITALS)
    assert alarm.severity is Severity.HIGH
    assert alarm.source == source
    [body] = raised(effects)
    assert body["source"] == source


@pytest.mark.parametrize(
    "reading",
    [
        VitalReading("sensor.spo2", VitalSign.SPO2, 97, "%"),
        VitalReading("sensor.spo2", VitalSign.SPO2, 90, "%"),  # the bound itself is in range
        VitalReading("sensor.spo2", VitalSign.SPO2, 100, "%"),  # no upper bound
        VitalReading("sensor.hr", VitalSign.HEART_RATE, 72, "bpm"),
        VitalReading("sensor.sys", VitalSign.SYSTOLIC, 180, "mmHg"),
        VitalReading("sensor.glu", VitalSign.GLUCOSE, 5.4, "mmol/L"),
    ],
    ids=lambda r: f"{r.sign.value}-{r.value:g}",
)
def test_in_range_reading_raises_nothing(engine: SafetyEngine, reading: VitalReading) -> None:
    assert engine.handle(reading, T0) == []
    assert engine.book.all_alarms() == []


def test_custom_ranges_from_options() -> None:
    settings = SafetySettings.from_options(
        {"vital_ranges": {"heart_rate": {"low": 50, "high": 100}, "spo2": {"low": 94}}},
        time_zone=SHANGHAI,
    )
    assert settings.vital_ranges[VitalSign.HEART_RATE] == VitalRange(50, 100)
    assert settings.vital_ranges[VitalSign.SPO2] == VitalRange(94, None)
    # Signs not mentioned keep the defaults.
    assert settings.vital_ranges[VitalSign.SYSTOLIC] == VitalRange(90, 180)
    engine = SafetyEngine(settings, T0)

    assert engine.handle(VitalReading("sensor.hr", VitalSign.HEART_RATE, 45, "bpm"), T0) != []
    assert open_alarm(engine, AlarmKind.VITALS).source == "heart_rate 45 bpm low"
    engine.handle(VitalReading("sensor.spo2", VitalSign.SPO2, 93, "%"), T0)
    assert open_alarm(engine, AlarmKind.VITALS).count == 2
    assert raised(engine.handle(VitalReading("sensor.hr", VitalSign.HEART_RATE, 95), T0)) == []


def test_a_sign_without_a_range_never_alarms() -> None:
    engine = SafetyEngine(SafetySettings(vital_ranges={}), T0)
    assert engine.handle(VitalReading("sensor.hr", VitalSign.HEART_RATE, 250), T0) == []


def test_a_reading_is_a_sign_of_life(engine: SafetyEngine) -> None:
    engine.handle(VitalReading("sensor.hr", VitalSign.HEART_RATE, 72), T0)
    assert engine.inactivity.last_activity == T0


def test_vital_range_verdict() -> None:
    assert VitalRange(None, None).verdict(-1e9) is None
    assert VitalRange(1, 2).verdict(0.999) == "low"
    assert VitalRange(1, 2).verdict(2.001) == "high"
    assert VitalRange(1, 2).verdict(float("nan")) is None


# Units: each reading is judged in the engine's unit, whatever unit its device reports in.


@pytest.mark.parametrize(
    ("reading", "source"),
    [
        # Judged before as 60 mmol/L (high); 60 mg/dL is 3.33 mmol/L.
        (VitalReading("sensor.glu", VitalSign.GLUCOSE, 60, "mg/dL"), "glucose 60 mg/dL low"),
        (VitalReading("sensor.glu", VitalSign.GLUCOSE, 320, "mg/dL"), "glucose 320 mg/dL high"),
        (
            VitalReading("t", VitalSign.TEMPERATURE, 101.5, "[degF]"),
            "temperature 101.5 [degF] high",
        ),
        (VitalReading("t", VitalSign.TEMPERATURE, 94.5, "°F"), "temperature 94.5 °F low"),
        (VitalReading("cuff", VitalSign.SYSTOLIC, 25, "kPa"), "systolic 25 kPa high"),
        (VitalReading("cuff", VitalSign.DIASTOLIC, 6, "kPa"), "diastolic 6 kPa low"),
        (VitalReading("cuff", VitalSign.SYSTOLIC, 190, "mm[Hg]"), "systolic 190 mm[Hg] high"),
        (VitalReading("ox", VitalSign.HEART_RATE, 135, "/min"), "heart_rate 135 /min high"),
        (VitalReading("t", VitalSign.TEMPERATURE, 38.9, "Cel"), "temperature 38.9 Cel high"),
    ],
    ids=lambda value: value if isinstance(value, str) else f"{value.value:g}{value.unit}",
)
def test_a_reading_in_another_unit_is_converted_before_it_is_judged(
    engine: SafetyEngine, reading: VitalReading, source: str
) -> None:
    engine.handle(reading, T0)
    # The alarm names the reading as the device showed it, in its own unit.
    assert open_alarm(engine, AlarmKind.VITALS).source == source


@pytest.mark.parametrize(
    "reading",
    [
        VitalReading("sensor.glu", VitalSign.GLUCOSE, 120, "mg/dL"),  # was "high" as mmol/L
        VitalReading("sensor.t", VitalSign.TEMPERATURE, 98.6, "[degF]"),  # was "high" as Cel
        VitalReading("sensor.t", VitalSign.TEMPERATURE, 99.1, "°F"),
        VitalReading("cuff", VitalSign.SYSTOLIC, 16, "kPa"),  # was "low" as mmHg
        VitalReading("cuff", VitalSign.DIASTOLIC, 10.6, "kPa"),
        VitalReading("sensor.hr", VitalSign.HEART_RATE, 72, "beats/min"),
    ],
    ids=lambda r: f"{r.value:g}{r.unit}",
)
def test_a_normal_reading_in_another_unit_raises_nothing(
    engine: SafetyEngine, reading: VitalReading
) -> None:
    assert engine.handle(reading, T0) == []
    assert engine.book.all_alarms() == []


def test_a_reading_on_a_converted_bound_is_in_range() -> None:
    """The center's glucose low of 70 mg/dL is 3.89 mmol/L in the engine; a meter reading of
    exactly 70 mg/dL must not fall below it by a rounding difference."""
    engine = SafetyEngine(SafetySettings(vital_ranges={VitalSign.GLUCOSE: VitalRange(3.89)}), T0)
    assert engine.handle(VitalReading("m", VitalSign.GLUCOSE, 70, "mg/dL"), T0) == []
    assert raised(engine.handle(VitalReading("m", VitalSign.GLUCOSE, 69, "mg/dL"), T0))


def test_a_unit_we_cannot_interpret_raises_nothing_and_is_logged_once(
    engine: SafetyEngine, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="gateway.safety.rules.vitals"):
        for value in (1.0, 999.0):  # far outside any range, were they mmol/L
            engine.handle(VitalReading("m", VitalSign.GLUCOSE, value, "g/L"), T0)
        engine.handle(VitalReading("hr", VitalSign.HEART_RATE, 300, "mg/dL"), T0)  # not a rate
    assert engine.book.all_alarms() == []
    assert len(caplog.records) == 2  # once per sign and unit
    assert "999" not in caplog.text  # no readings in the log
    # The same sign in a known unit is still judged.
    engine.handle(VitalReading("m", VitalSign.GLUCOSE, 30, "mg/dL"), T0)
    assert open_alarm(engine, AlarmKind.VITALS).source == "glucose 30 mg/dL low"


# Residents: a monitor assigned to a resident is judged by that resident's ranges.

GRANDMA, GRANDPA = "01HRESIDENTGRANDMA00000000", "01HRESIDENTGRANDPA00000000"


def _two_residents() -> SafetyEngine:
    local = SafetySettings(time_zone=SHANGHAI)
    center = {
        GRANDMA: {VitalSign.SYSTOLIC: VitalRange(None, 140)},
        GRANDPA: {VitalSign.SYSTOLIC: VitalRange(None, 170), VitalSign.HEART_RATE: VitalRange(50)},
    }
    # The household's set is the widest of theirs, for readings of no known resident.
    widest = {VitalSign.SYSTOLIC: VitalRange(None, 170), VitalSign.HEART_RATE: VitalRange(50)}
    return SafetyEngine(local.with_center_ranges(widest, center), T0)


def test_a_residents_reading_is_judged_by_their_own_range_not_the_households_widest() -> None:
    engine = _two_residents()
    assert engine.handle(VitalReading("cuff", VitalSign.SYSTOLIC, 155, "mmHg", GRANDPA), T0) == []
    engine.handle(VitalReading("cuff", VitalSign.SYSTOLIC, 155, "mmHg", GRANDMA), T0)
    # Nothing about whose reading it is in the alarm: the care center knows the monitor.
    assert open_alarm(engine, AlarmKind.VITALS).source == "systolic 155 mmHg high"


def test_a_reading_of_no_known_resident_is_judged_by_the_households_range() -> None:
    engine = _two_residents()
    assert engine.handle(VitalReading("cuff", VitalSign.SYSTOLIC, 165, "mmHg"), T0) == []
    stranger = "01HRESIDENTNOTKNOWNHERE000"
    assert engine.handle(VitalReading("cuff", VitalSign.SYSTOLIC, 165, "mmHg", stranger), T0) == []
    engine.handle(VitalReading("cuff", VitalSign.SYSTOLIC, 175, "mmHg", stranger), T0)
    assert open_alarm(engine, AlarmKind.VITALS).source == "systolic 175 mmHg high"


def test_a_sign_the_center_left_to_the_household_uses_the_households_own_option() -> None:
    """Grandpa's heart-rate low is 50 (the center's); grandma has none from the center, so
    her reading meets the household's own option (40), not grandpa's bound."""
    engine = _two_residents()
    assert engine.handle(VitalReading("ox", VitalSign.HEART_RATE, 45, "/min", GRANDMA), T0) == []
    engine.handle(VitalReading("ox", VitalSign.HEART_RATE, 45, "/min", GRANDPA), T0)
    assert open_alarm(engine, AlarmKind.VITALS).source == "heart_rate 45 /min low"
