"""The household's control language, shared by the HTTP endpoint, the CLI and tests."""

from __future__ import annotations

from collections.abc import Callable

from ..remote_keys import default_key_for
from ..services.catalogue import ServiceType
from .ble import commands as ble_commands
from .ble.household import VirtualBleHousehold
from .catalog import BatteryMixin, IasZoneDevice
from .device import VirtualDevice
from .household import VirtualHousehold

# One command per line, indented: printed under "Commands:" by `python -m gateway.sim help`
# and after a command the household did not understand.
HELP = """\
  press sos | press fob | smoke on|off | gas on|off | door open|close | motion
  press remote KEY [double|long] (the 4-key service remote, KEY 1-4; by default
    1 SOS, 2 repair, 3 meal, 4 call me back) | press repair | press meal | press call_back
  battery PERCENT [DEVICE] (0-100) | silent DEVICE | wake DEVICE
  valve open|close | jam valve | unjam valve
  tamper DEVICE on|off | garbage DEVICE | leave DEVICE | rejoin DEVICE
  measure bp 165/100 [pulse 92] [irregular] [kpa] | measure spo2 91 pulse 88
  measure glucose 11.2 [mg/dl] | measure temp 38.6 [f] | measure hr 130|off
  measure weight 62.5 [lb]
  ble drop DEVICE AFTER | ble garbage DEVICE | ble short DEVICE
    (Bluetooth DEVICE: bp oximeter glucose thermometer hr scale)
"""
BATTERY_RANGE = range(101)


class CommandError(ValueError):
    """A command the household does not understand, with what would have been right."""


def _switch(word: str, on: str = "on", off: str = "off") -> bool:
    if word not in (on, off):
        raise CommandError(f"expected {on} or {off}, got {word!r}")
    return word == on


def _zone(household: VirtualHousehold, name: str) -> IasZoneDevice:
    device = _device(household, name)
    if not isinstance(device, IasZoneDevice):
        raise CommandError(f"{name} is not an IAS zone device")
    return device


def _device(household: VirtualHousehold, name: str) -> VirtualDevice:
    try:
        return household.device(name)
    except KeyError as err:
        raise CommandError(str(err.args[0])) from None


def _battery(household: VirtualHousehold, args: list[str]) -> str:
    try:
        percent = int(args[0])
    except (IndexError, ValueError):
        raise CommandError("battery takes a percentage, e.g. `battery 10 smoke`") from None
    if percent not in BATTERY_RANGE:
        raise CommandError(
            f"battery takes a percentage from 0 to 100, got {percent} (e.g. `battery 10 smoke`)"
        )
    names = args[1:] or [
        n for n, d in household.devices.items() if isinstance(d, BatteryMixin) and d.has_battery
    ]
    for name in names:
        device = _device(household, name)
        if not isinstance(device, BatteryMixin) or not device.has_battery:
            raise CommandError(f"{name} is mains powered")
        device.set_battery(percent)
    return f"battery {percent}% on {', '.join(names)}"


def _set_silent(household: VirtualHousehold, name: str, silent: bool) -> str:
    _device(household, name).silent = silent
    return f"{name} is {'silent' if silent else 'back on the air'}"


def run_command(household: VirtualHousehold, text: str) -> str:
    """Carry out one command; returns what happened, or raises CommandError."""
    words = text.lower().split()
    if not words:
        raise CommandError("empty command; commands:\n" + HELP)
    verb, args = words[0], words[1:]
    one = args[0] if args else ""
    actions: dict[str, Callable[[], str]] = {
        "press": lambda: _press(household, args),
        "smoke": lambda: _alarm(household.smoke, _switch(one), "smoke on", "smoke off"),
        "gas": lambda: _alarm(household.gas, _switch(one), "gas on", "gas off"),
        "door": lambda: _alarm(
            household.door, _switch(one, "open", "close"), "door open", "door closed"
        ),
        "motion": lambda: _motion(household),
        "battery": lambda: _battery(household, args),
        "silent": lambda: _set_silent(household, one, True),
        "wake": lambda: _set_silent(household, one, False),
        "valve": lambda: _valve_by_hand(household, one),
        "jam": lambda: _jam(household, one, True),
        "unjam": lambda: _jam(household, one, False),
        "tamper": lambda: _tamper(household, args),
        "garbage": lambda: _garbage(household, one),
        "leave": lambda: _leave(household, one),
        "rejoin": lambda: _rejoin(household, one),
        "measure": lambda: _bluetooth(ble_commands.measure, household, args),
        "ble": lambda: _bluetooth(ble_commands.misbehave, household, args),
    }
    action = actions.get(verb)
    if action is None:
        raise CommandError(f"unknown command {verb!r}; commands:\n" + HELP)
    return action()


def _bluetooth(
    command: Callable[[VirtualBleHousehold, list[str]], str],
    household: VirtualHousehold,
    args: list[str],
) -> str:
    try:
        return command(household.ble, args)
    except ble_commands.BleCommandError as err:
        raise CommandError(str(err)) from None


def _motion(household: VirtualHousehold) -> str:
    household.motion.detect()
    return "motion detected"


def _leave(household: VirtualHousehold, name: str) -> str:
    _device(household, name).leave()
    return f"{name} left the network"


_PRESS_USAGE = (
    "press sos | press fob | press remote 1-4 [double|long] | press repair | press meal"
    " | press call_back"
)
_HOW = ("single", "double", "long")


def _press(household: VirtualHousehold, args: list[str]) -> str:
    which = args[0] if args else ""
    if which == "sos":
        household.sos.press()
    elif which == "fob":
        household.sos_fob.press_sos()
    elif which == "remote":
        return _press_remote(household, args[1:])
    elif (key := _service_key(which)) is not None:
        household.remote.press(key)
        return f"remote key {key} ({which}) pressed"
    else:
        raise CommandError(_PRESS_USAGE)
    return f"{which} pressed"


def _service_key(word: str) -> int | None:
    """The remote's key for a service on its default mapping: `press repair` is key 2."""
    try:
        return default_key_for(ServiceType(word.replace("callback", "call_back")))
    except ValueError:
        return None


def _press_remote(household: VirtualHousehold, args: list[str]) -> str:
    keys = household.remote.KEYS
    try:
        key = int(args[0])
    except (IndexError, ValueError):
        raise CommandError(f"press remote takes a key from 1 to {keys}") from None
    how = args[1] if len(args) > 1 else "single"
    if key not in range(1, keys + 1) or how not in _HOW:
        raise CommandError(f"press remote 1-{keys} [double|long], got {' '.join(args)!r}")
    household.remote.press(key, how)
    return f"remote key {key} pressed" + ("" if how == "single" else f" ({how})")


def _alarm(device: IasZoneDevice, active: bool, said_on: str, said_off: str) -> str:
    device.set_alarm(active)
    return said_on if active else said_off


def _valve_by_hand(household: VirtualHousehold, position: str) -> str:
    """Someone turns the valve's knob: it moves and reports, like a command would make it."""
    household.valve.turn_by_hand(open_=_switch(position, "open", "close"))
    return f"valve turned {position} by hand"


def _jam(household: VirtualHousehold, which: str, jammed: bool) -> str:
    if which != "valve":
        raise CommandError("jam valve | unjam valve")
    household.valve.jammed = jammed
    return "valve jammed" if jammed else "valve free"


def _tamper(household: VirtualHousehold, args: list[str]) -> str:
    if len(args) != 2:
        raise CommandError("tamper DEVICE on|off")
    _zone(household, args[0]).set_tamper(_switch(args[1]))
    return f"tamper {args[1]} on {args[0]}"


def _garbage(household: VirtualHousehold, name: str) -> str:
    device = _device(household, name)
    # A truncated ZCL header, an unknown global command and a cut-off ZDO announce.
    device.send_raw(1, 0x0500, b"\x19", profile_id=0x0104)
    device.send_raw(1, 0x0500, b"\x18\x07\x7f\x01\x02", profile_id=0x0104)
    device.send_raw(0, 0x0013, b"\x01\x34", profile_id=0x0000)
    return f"{name} sent malformed frames"


def _rejoin(household: VirtualHousehold, name: str) -> str:
    try:
        _device(household, name).join()
    except PermissionError as err:
        raise CommandError(f"{err}: permit joins in ZHA first") from None
    return f"{name} rejoined"
