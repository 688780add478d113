"""Vital signs outside the resident's thresholds."""

from __future__ import annotations

import pytest

from gateway.alarms import AlarmKind, Severity
from gateway.safety.engine import SafetyEngine
from gateway.safety.observations import VitalReading
from gateway.safety.roles import VitalSign
from gateway.safety.settings import SafetySettings, VitalRange

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
