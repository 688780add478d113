"""The control language for the Bluetooth monitors (`gateway/sim/commands.py` hands these on).

measure bp 165/100 [pulse 92] [irregular] [kpa]     measure spo2 91 pulse 88
measure glucose 11.2 [mg/dl]                        measure temp 38.6 [f]
measure hr 130 | measure hr off                     measure weight 62.5 [lb]
ble drop DEVICE AFTER | ble garbage DEVICE | ble short DEVICE
"""

from __future__ import annotations

from collections.abc import Callable

from gateway.ble.blood_pressure import PressureUnit
from gateway.ble.errors import BleEncodeError
from gateway.ble.glucose import GlucoseUnit
from gateway.ble.temperature import TemperatureUnit
from gateway.ble.weight import WeightUnit

from .device import VirtualBleDevice
from .household import VirtualBleHousehold

MEASURE_USAGE = {
    "bp": "measure bp SYSTOLIC/DIASTOLIC [pulse N] [irregular] [kpa], "
    "e.g. measure bp 165/100 pulse 92",
    "spo2": "measure spo2 PERCENT pulse N, e.g. measure spo2 91 pulse 88",
    "glucose": "measure glucose VALUE [mmol/l|mg/dl], e.g. measure glucose 11.2",
    "temp": "measure temp VALUE [c|f], e.g. measure temp 38.6",
    "hr": "measure hr BPM | measure hr off, e.g. measure hr 130",
    "weight": "measure weight VALUE [kg|lb], e.g. measure weight 62.5",
}
BLE_USAGE = "ble drop DEVICE AFTER | ble garbage DEVICE | ble short DEVICE"


class BleCommandError(ValueError):
    """A Bluetooth command that is wrong, with the usage that would be right."""


def measure(household: VirtualBleHousehold, args: list[str]) -> str:
    kind, rest = (args[0], args[1:]) if args else ("", [])
    actions: dict[str, Callable[[VirtualBleHousehold, list[str]], str]] = {
        "bp": _blood_pressure,
        "spo2": _spo2,
        "glucose": _glucose,
        "temp": _temperature,
        "hr": _heart_rate,
        "weight": _weight,
    }
    action = actions.get(kind)
    if action is None:
        raise BleCommandError("\n".join(MEASURE_USAGE.values()))
    try:
        return action(household, rest)
    except BleCommandError:
        raise
    except (ValueError, IndexError, BleEncodeError) as err:
        detail = f" ({err})" if isinstance(err, BleEncodeError) else ""
        raise BleCommandError(MEASURE_USAGE[kind] + detail) from None


def misbehave(household: VirtualBleHousehold, args: list[str]) -> str:
    match args:
        case ["drop", name, after]:
            count = int(after) if after.isdigit() else -1
            if count < 0:
                raise BleCommandError(f"{BLE_USAGE} (AFTER is a number of indications)")
            _device(household, name).drop_after(count)
            return f"{name} drops the link after {count} indication(s) of its next transfer"
        case ["garbage", name]:
            _device(household, name).garbage()
            return f"{name} sends random bytes next"
        case ["short", name]:
            _device(household, name).wrong_length()
            return f"{name} sends a truncated value next"
        case _:
            raise BleCommandError(BLE_USAGE)


def _device(household: VirtualBleHousehold, name: str) -> VirtualBleDevice:
    try:
        return household.device(name)
    except KeyError as err:
        raise BleCommandError(str(err.args[0])) from None


def _unit[U](words: list[str], units: dict[str, U], default: U) -> U:
    if not words:
        return default
    if len(words) > 1 or words[0] not in units:
        raise ValueError(f"unit is one of {', '.join(units)}")
    return units[words[0]]


def _blood_pressure(household: VirtualBleHousehold, args: list[str]) -> str:
    systolic, diastolic = (float(v) for v in args[0].split("/"))
    words = args[1:]
    pulse = None
    if "pulse" in words:
        at = words.index("pulse")
        pulse = float(words[at + 1])
        del words[at : at + 2]
    irregular = "irregular" in words
    words = [w for w in words if w != "irregular"]
    unit = _unit(words, {"mmhg": PressureUnit.MMHG, "kpa": PressureUnit.KPA}, PressureUnit.MMHG)
    household.bp.measure(systolic, diastolic, pulse=pulse, irregular=irregular, unit=unit)
    text = f"bp measured {systolic:g}/{diastolic:g} {unit.value}"
    if pulse is not None:
        text += f" pulse {pulse:g}"
    return text + (" (irregular pulse)" if irregular else "")


def _spo2(household: VirtualBleHousehold, args: list[str]) -> str:
    match args:
        case [spo2, "pulse", pulse]:
            household.oximeter.measure(float(spo2), float(pulse))
            return f"oximeter measured SpO2 {float(spo2):g} % pulse {float(pulse):g}"
    raise ValueError("spo2 and pulse")


def _glucose(household: VirtualBleHousehold, args: list[str]) -> str:
    value = float(args[0])
    units = {"mmol/l": GlucoseUnit.MMOL_L, "mg/dl": GlucoseUnit.MG_DL}
    unit = _unit(args[1:], units, GlucoseUnit.MMOL_L)
    record = household.glucose.measure(value, unit)
    return f"glucose meter measured {value:g} {unit.value} (record {record.sequence})"


def _temperature(household: VirtualBleHousehold, args: list[str]) -> str:
    value = float(args[0])
    units = {"c": TemperatureUnit.CELSIUS, "f": TemperatureUnit.FAHRENHEIT}
    unit = _unit(args[1:], units, TemperatureUnit.CELSIUS)
    household.thermometer.measure(value, unit)
    return f"thermometer measured {value:g} {unit.value}"


def _heart_rate(household: VirtualBleHousehold, args: list[str]) -> str:
    if args == ["off"]:
        household.hr.set_rate(None)
        return "heart-rate strap taken off"
    (bpm,) = args
    household.hr.set_rate(int(bpm))
    return f"heart-rate strap worn, {int(bpm)} bpm"


def _weight(household: VirtualBleHousehold, args: list[str]) -> str:
    value = float(args[0])
    unit = _unit(args[1:], {"kg": WeightUnit.KG, "lb": WeightUnit.LB}, WeightUnit.KG)
    household.scale.measure(value, unit)
    return f"scale measured {value:g} {unit.value}"
