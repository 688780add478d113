"""Settings as a host stores them (plain JSON options), and refusals with a clear message."""

from __future__ import annotations

import json
from datetime import time, timedelta
from typing import Any

import pytest

from gateway.safety.settings import (
    DEFAULT_VITAL_RANGES,
    DailyWindow,
    FamilyMember,
    SafetySettings,
    SettingsError,
    VitalRange,
)
from gateway.vital_signs import VitalSign

from .conftest import FAMILY, SHANGHAI

OPTIONS: dict[str, Any] = {
    "valve_window": 20,
    "valve_attempts": 3,
    "supervision_window": 15,
    "battery_low_percent": 20,
    "sos_cancel_window": 30,
    "quiet_hours": "23:00-05:30",
    "door_open_limit": 5,
    "inactivity_limit": 3.5,
    "day_window": "06:30-21:00",
    "prewarning_period": 5,
    "family_answer_window": 90,
    "vital_ranges": {"heart_rate": {"low": 45, "high": 120}, "spo2": {"low": 92, "high": None}},
    "family": [
        {"name": "Li Na", "notify_service": "mobile_app_li_na", "phone": "+8613800000001"},
        {"name": "Wang Wei", "notify_service": "mobile_app_wang_wei"},
    ],
    "call_number": "+86 10 1234 5678",
}


def test_defaults_are_the_documented_ones() -> None:
    s = SafetySettings()
    assert s.valve_window == timedelta(seconds=30)
    assert s.valve_attempts == 2
    assert s.supervision_window == timedelta(minutes=10)
    assert s.battery_low_percent == 15
    assert s.sos_cancel_window == timedelta(0)
    assert s.quiet_hours == DailyWindow(time(22), time(6))
    assert s.inactivity_limit == timedelta(hours=4)
    assert s.day_window == DailyWindow(time(7), time(22))
    assert s.vital_ranges == DEFAULT_VITAL_RANGES
    assert s.family == ()
    assert SafetySettings.from_options({}) == SafetySettings()


def test_from_options_reads_every_knob() -> None:
    s = SafetySettings.from_options(OPTIONS, time_zone=SHANGHAI)
    assert s.time_zone is SHANGHAI
    assert s.valve_window == timedelta(seconds=20)
    assert s.valve_attempts == 3
    assert s.supervision_window == timedelta(minutes=15)
    assert s.battery_low_percent == 20
    assert s.sos_cancel_window == timedelta(seconds=30)
    assert s.quiet_hours == DailyWindow(time(23), time(5, 30))
    assert s.door_open_limit == timedelta(minutes=5)
    assert s.inactivity_limit == timedelta(hours=3, minutes=30)
    assert s.day_window == DailyWindow(time(6, 30), time(21))
    assert s.prewarning_period == timedelta(minutes=5)
    assert s.family_answer_window == timedelta(seconds=90)
    assert s.vital_ranges[VitalSign.HEART_RATE] == VitalRange(45, 120)
    assert s.vital_ranges[VitalSign.SPO2] == VitalRange(92, None)
    assert s.vital_ranges[VitalSign.GLUCOSE] == DEFAULT_VITAL_RANGES[VitalSign.GLUCOSE]
    assert s.family == (
        FamilyMember("Li Na", "mobile_app_li_na", "+8613800000001"),
        FamilyMember("Wang Wei", "mobile_app_wang_wei", ""),
    )
    assert s.call_number == "+86 10 1234 5678"


@pytest.mark.parametrize(
    "s",
    [
        SafetySettings(),
        SafetySettings.from_options(OPTIONS, time_zone=SHANGHAI),
        SafetySettings(time_zone=SHANGHAI, quiet_hours=None, family=FAMILY),
    ],
    ids=["defaults", "options", "no-quiet-hours"],
)
def test_to_options_round_trips_through_json(s: SafetySettings) -> None:
    options = json.loads(json.dumps(s.to_options()))
    assert SafetySettings.from_options(options, time_zone=s.time_zone) == s


def test_empty_quiet_hours_turns_them_off() -> None:
    assert SafetySettings.from_options({"quiet_hours": " "}).quiet_hours is None
    assert SafetySettings(quiet_hours=None).to_options()["quiet_hours"] == ""


def test_valve_attempts_is_at_least_one() -> None:
    assert SafetySettings.from_options({"valve_attempts": 0}).valve_attempts == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"valve_window": 1}, "valve_window must be at least 0:00:02"),
        ({"supervision_window": 0.5}, "supervision_window must be at least 0:01:00"),
        ({"sos_cancel_window": -5}, "sos_cancel_window must be at least 0:00:00"),
        ({"inactivity_limit": 0.25}, "inactivity_limit must be at least 0:30:00"),
        ({"family_answer_window": 5}, "family_answer_window must be at least 0:00:15"),
        ({"valve_window": "soon"}, "valve_window"),
        ({"door_open_limit": None}, "door_open_limit"),
        ({"door_open_limit": float("inf")}, "door_open_limit"),
        ({"door_open_limit": float("nan")}, "door_open_limit"),
        ({"quiet_hours": "22:00"}, "'22:00' is not a time window like 22:00-06:00"),
        ({"quiet_hours": "25:00-06:00"}, "is not a time window"),
        ({"day_window": "07:00-07:00"}, "'07:00-07:00' is an empty time window"),
        ({"valve_attempts": "twice"}, "valve_attempts"),
        ({"battery_low_percent": "low"}, "battery_low_percent"),
        ({"vital_ranges": {"blood_sugar": {"low": 4}}}, "blood_sugar"),
        ({"vital_ranges": {"spo2": {"low": "ninety"}}}, "spo2"),
        ({"vital_ranges": {"spo2": 90}}, "spo2"),
        ({"vital_ranges": ["spo2"]}, "vital_ranges"),
        ({"vital_ranges": {"heart_rate": {"low": 130, "high": 40}}}, "heart_rate"),
        ({"family": [{"name": "Li Na"}]}, "notify_service"),
        ({"family": ["Li Na"]}, "family"),
    ],
    ids=lambda value: json.dumps(value) if isinstance(value, dict) else None,
)
def test_bad_options_are_refused_clearly(options: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")) as caught:
        SafetySettings.from_options(options)
    assert isinstance(caught.value, ValueError)
