"""The household's tunable safety policy, with the defaults a care center would start from."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any

from ..vital_signs import VitalSign


class SettingsError(ValueError):
    """A setting that cannot be used; the message says which and why."""


@dataclass(frozen=True, slots=True)
class DailyWindow:
    """A stretch of local clock time each day; it may wrap past midnight (22:00-06:00)."""

    start: time
    end: time

    def contains(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    @classmethod
    def parse(cls, text: str) -> DailyWindow:
        try:
            start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
        except ValueError as err:
            raise SettingsError(f"{text!r} is not a time window like 22:00-06:00") from err
        if start == end:
            raise SettingsError(f"{text!r} is an empty time window")
        return cls(start, end)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True, slots=True)
class VitalRange:
    low: float | None = None
    high: float | None = None

    def verdict(self, value: float) -> str | None:
        """'low' or 'high' when `value` is outside the range, else None."""
        if self.low is not None and value < self.low:
            return "low"
        if self.high is not None and value > self.high:
            return "high"
        return None


# Conservative adult defaults; the care center sets each resident's own through `config`.
DEFAULT_VITAL_RANGES: dict[VitalSign, VitalRange] = {
    VitalSign.HEART_RATE: VitalRange(40, 130),
    VitalSign.SPO2: VitalRange(90, None),
    VitalSign.SYSTOLIC: VitalRange(90, 180),
    VitalSign.DIASTOLIC: VitalRange(50, 110),
    VitalSign.GLUCOSE: VitalRange(3.9, 16.7),  # mmol/L
    VitalSign.TEMPERATURE: VitalRange(35.0, 38.5),  # degC
}


@dataclass(frozen=True, slots=True)
class FamilyMember:
    name: str
    notify_service: str  # e.g. "mobile_app_lis_phone", a notify action of the companion app
    phone: str = ""


@dataclass(frozen=True, slots=True)
class SafetySettings:
    """Every knob of the always-on rules. Durations are timedeltas; clock times are local."""

    time_zone: tzinfo = UTC
    valve_window: timedelta = timedelta(seconds=30)
    valve_attempts: int = 2
    supervision_window: timedelta = timedelta(minutes=10)
    battery_low_percent: float = 15
    sos_cancel_window: timedelta = timedelta(0)  # off unless the household turns it on
    quiet_hours: DailyWindow | None = DailyWindow(time(22), time(6))
    door_open_limit: timedelta = timedelta(minutes=10)
    inactivity_limit: timedelta = timedelta(hours=4)
    day_window: DailyWindow = DailyWindow(time(7), time(22))
    prewarning_period: timedelta = timedelta(minutes=10)
    vital_ranges: dict[VitalSign, VitalRange] = field(
        default_factory=lambda: dict(DEFAULT_VITAL_RANGES)
    )
    # Each resident's own ranges (hub resident id -> sign -> range), for readings of a monitor
    # assigned to them; `vital_ranges` judges the others. From the care center, not options.
    resident_vital_ranges: dict[str, dict[VitalSign, VitalRange]] = field(default_factory=dict)
    family: tuple[FamilyMember, ...] = ()
    family_answer_window: timedelta = timedelta(minutes=2)
    call_number: str = ""  # what "Call" on a family alert dials: the home or the care center

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.time_zone)

    def with_center_ranges(
        self,
        center: Mapping[VitalSign, VitalRange],
        residents: Mapping[str, Mapping[VitalSign, VitalRange]] | None = None,
    ) -> SafetySettings:
        """These settings under the care center's vital ranges (its `config`), which know the
        resident: each bound the center sets replaces the household's own; a bound it leaves
        open keeps the household's, unless that one would cross the center's.

        `center` is the household's set (the residents' widest), for readings nobody is
        assigned to. `residents` are each resident's own, laid over the household's own
        options the same way: a resident's reading is judged by their bounds where the center
        set them and by the household's options elsewhere, never by another resident's."""
        return replace(
            self,
            vital_ranges=_overlaid(self.vital_ranges, center),
            resident_vital_ranges={
                resident: _overlaid(self.vital_ranges, theirs)
                for resident, theirs in (residents or {}).items()
            },
        )

    def vital_range(self, sign: VitalSign, resident: str | None = None) -> VitalRange | None:
        """The range a reading of `sign` is judged by: its resident's when the monitor is
        assigned to a resident the care center told us about, else the household's."""
        theirs = self.resident_vital_ranges.get(resident) if resident is not None else None
        if theirs is not None and sign in theirs:
            return theirs[sign]
        return self.vital_ranges.get(sign)

    # Options as a host stores them: plain JSON types, durations in seconds or minutes.
    @classmethod
    def from_options(cls, options: dict[str, Any], time_zone: tzinfo = UTC) -> SafetySettings:
        base = cls(time_zone=time_zone)
        try:
            changes: dict[str, Any] = {
                **_durations(options),
                **_windows(options),
                **_numbers(options),
                "vital_ranges": _vital_ranges(options.get("vital_ranges", {})),
                "family": _family(options.get("family", [])),
                "call_number": str(options.get("call_number", "")),
            }
            return replace(base, **changes)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as err:
            if isinstance(err, SettingsError):
                raise
            raise SettingsError(f"unusable safety settings: {err}") from err

    def to_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {}
        for name, (unit, _) in _DURATION_OPTIONS.items():
            options[name] = getattr(self, name) / unit
        options["quiet_hours"] = str(self.quiet_hours) if self.quiet_hours else ""
        options["day_window"] = str(self.day_window)
        options["valve_attempts"] = self.valve_attempts
        options["battery_low_percent"] = self.battery_low_percent
        options["vital_ranges"] = {
            sign.value: {"low": r.low, "high": r.high} for sign, r in self.vital_ranges.items()
        }
        options["family"] = [
            {"name": m.name, "notify_service": m.notify_service, "phone": m.phone}
            for m in self.family
        ]
        options["call_number"] = self.call_number
        return options


def _overlaid(
    ours: Mapping[VitalSign, VitalRange], center: Mapping[VitalSign, VitalRange]
) -> dict[VitalSign, VitalRange]:
    ranges = dict(ours)
    for sign, theirs in center.items():
        mine = ranges.get(sign, VitalRange())
        low = mine.low if theirs.low is None else theirs.low
        high = mine.high if theirs.high is None else theirs.high
        if low is not None and high is not None and low > high:
            low, high = theirs.low, theirs.high
        ranges[sign] = VitalRange(low, high)
    return ranges


_SECOND = timedelta(seconds=1)
_MINUTE = timedelta(minutes=1)
_HOUR = timedelta(hours=1)
# option name -> (unit, smallest sensible value)
_DURATION_OPTIONS: dict[str, tuple[timedelta, timedelta]] = {
    "valve_window": (_SECOND, 2 * _SECOND),
    "supervision_window": (_MINUTE, 1 * _MINUTE),
    "sos_cancel_window": (_SECOND, timedelta(0)),
    "door_open_limit": (_MINUTE, 1 * _MINUTE),
    "inactivity_limit": (_HOUR, 30 * _MINUTE),
    "prewarning_period": (_MINUTE, 1 * _MINUTE),
    "family_answer_window": (_SECOND, 15 * _SECOND),
}


def _durations(options: dict[str, Any]) -> dict[str, timedelta]:
    result: dict[str, timedelta] = {}
    for name, (unit, smallest) in _DURATION_OPTIONS.items():
        if name in options:
            value = unit * _number(name, options[name])
            if value < smallest:
                raise SettingsError(f"{name} must be at least {smallest}")
            result[name] = value
    return result


def _windows(options: dict[str, Any]) -> dict[str, DailyWindow | None]:
    result: dict[str, DailyWindow | None] = {}
    if "quiet_hours" in options:
        text = str(options["quiet_hours"]).strip()
        result["quiet_hours"] = DailyWindow.parse(text) if text else None
    if "day_window" in options:
        result["day_window"] = DailyWindow.parse(str(options["day_window"]))
    return result


def _numbers(options: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if "valve_attempts" in options:
        result["valve_attempts"] = max(1, int(_number("valve_attempts", options["valve_attempts"])))
    if "battery_low_percent" in options:
        result["battery_low_percent"] = _number(
            "battery_low_percent", options["battery_low_percent"]
        )
    return result


def _number(name: str, value: Any) -> float:
    """A finite number, or a SettingsError that names the option."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{name} must be a number, not {value!r}") from None
    if not math.isfinite(number):
        raise SettingsError(f"{name} must be a finite number, not {value!r}")
    return number


def _optional_number(name: str, value: Any) -> float | None:
    return None if value is None else _number(name, value)


def _vital_ranges(raw: Any) -> dict[VitalSign, VitalRange]:
    if not isinstance(raw, dict):
        raise SettingsError("vital_ranges must map each vital sign to its low and high")
    ranges = dict(DEFAULT_VITAL_RANGES)
    for sign_name, bounds in raw.items():
        try:
            sign = VitalSign(sign_name)
        except ValueError:
            known = ", ".join(VitalSign)
            raise SettingsError(f"vital_ranges: {sign_name!r} is not one of {known}") from None
        if not isinstance(bounds, dict):
            raise SettingsError(f"vital_ranges.{sign_name} must have a low and a high")
        low = _optional_number(f"vital_ranges.{sign_name}.low", bounds.get("low"))
        high = _optional_number(f"vital_ranges.{sign_name}.high", bounds.get("high"))
        if low is not None and high is not None and low > high:
            raise SettingsError(f"vital_ranges.{sign_name}: low {low:g} is above high {high:g}")
        ranges[sign] = VitalRange(low, high)
    return ranges


def _family(raw: Any) -> tuple[FamilyMember, ...]:
    members: list[FamilyMember] = []
    for number, member in enumerate(raw, start=1):
        if not isinstance(member, dict):
            raise SettingsError(f"family member {number} must have a name and a notify_service")
        for key in ("name", "notify_service"):
            if key not in member:
                raise SettingsError(f"family member {number} has no {key}")
        members.append(
            FamilyMember(
                str(member["name"]), str(member["notify_service"]), str(member.get("phone", ""))
            )
        )
    return tuple(members)
