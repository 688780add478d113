"""Our alarm kinds ↔ Contact ID event codes and SIA codes (docs/dc09.md, "Kinds and codes").

Sending maps one kind to one code. Reading a panel's code at the hub is coarser: a panel's
"medical" is most often a pendant press, so it reads as `sos`, not `fall`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from gateway.alarms import AlarmKind


@dataclass(frozen=True, slots=True)
class ReportCode:
    contact_id: int  # e.g. 101
    sia_alarm: str  # e.g. "QA"
    sia_restore: str  # e.g. "QH"


# Tests and cancels have no restore; their "restore" code is the same code.
PERIODIC_TEST = ReportCode(602, "RP", "RP")
MANUAL_TEST = ReportCode(601, "RX", "RX")
CANCEL = ReportCode(406, "OC", "OC")  # the resident cancelled in time

_MEDICAL = ReportCode(100, "MA", "MH")
_GAS = ReportCode(151, "GA", "GH")

REPORT_CODES: Mapping[AlarmKind, ReportCode] = MappingProxyType(
    {
        AlarmKind.SOS: ReportCode(101, "QA", "QH"),
        AlarmKind.FALL: _MEDICAL,
        AlarmKind.FIRE: ReportCode(111, "FA", "FH"),
        AlarmKind.GAS: _GAS,
        AlarmKind.WATER_LEAK: ReportCode(154, "WA", "WH"),
        AlarmKind.VITALS: _MEDICAL,
        AlarmKind.INACTIVITY: ReportCode(654, "NA", "NS"),
        AlarmKind.DOOR: ReportCode(134, "BA", "BH"),
        AlarmKind.DEVICE_OFFLINE: ReportCode(381, "UY", "UJ"),
        AlarmKind.BATTERY_LOW: ReportCode(384, "XT", "XR"),
        AlarmKind.VALVE_FAILED: _GAS,
        AlarmKind.LINK_LOST: ReportCode(350, "YC", "YK"),
        AlarmKind.TEST: MANUAL_TEST,
    }
)

# Exact codes first; they win over the ranges below.
_CONTACT_ID_EXACT: Mapping[int, AlarmKind | None] = {
    102: AlarmKind.INACTIVITY,  # fail to report in
    147: AlarmKind.DEVICE_OFFLINE,  # sensor supervision failure
    151: AlarmKind.GAS,
    154: AlarmKind.WATER_LEAK,
    162: AlarmKind.GAS,  # carbon monoxide
    302: AlarmKind.BATTERY_LOW,  # system low battery
    309: AlarmKind.BATTERY_LOW,  # battery test failure
    384: AlarmKind.BATTERY_LOW,  # RF low battery
    654: AlarmKind.INACTIVITY,  # system inactivity
}

_CONTACT_ID_RANGES: tuple[tuple[range, AlarmKind], ...] = (
    (range(100, 110), AlarmKind.SOS),  # medical
    (range(110, 120), AlarmKind.FIRE),
    (range(120, 130), AlarmKind.SOS),  # panic, duress, silent
    (range(130, 140), AlarmKind.DOOR),  # burglary
    (range(350, 360), AlarmKind.LINK_LOST),  # communication trouble
    (range(380, 390), AlarmKind.DEVICE_OFFLINE),  # sensor trouble
)

# SIA letters read the same way as their Contact ID counterparts: (kind, is_restore).
_SIA_KINDS: Mapping[str, tuple[AlarmKind, bool]] = {
    "MA": (AlarmKind.SOS, False),  # medical, as Contact ID 100-109
    "MH": (AlarmKind.SOS, True),
    "QA": (AlarmKind.SOS, False),  # emergency
    "QH": (AlarmKind.SOS, True),
    "PA": (AlarmKind.SOS, False),  # panic, as Contact ID 120
    "PH": (AlarmKind.SOS, True),
    "FA": (AlarmKind.FIRE, False),
    "FH": (AlarmKind.FIRE, True),
    "GA": (AlarmKind.GAS, False),
    "GH": (AlarmKind.GAS, True),
    "WA": (AlarmKind.WATER_LEAK, False),
    "WH": (AlarmKind.WATER_LEAK, True),
    "NA": (AlarmKind.INACTIVITY, False),
    "NS": (AlarmKind.INACTIVITY, True),
    "BA": (AlarmKind.DOOR, False),
    "BH": (AlarmKind.DOOR, True),
    "UY": (AlarmKind.DEVICE_OFFLINE, False),
    "UJ": (AlarmKind.DEVICE_OFFLINE, True),
    "XT": (AlarmKind.BATTERY_LOW, False),
    "XR": (AlarmKind.BATTERY_LOW, True),
    "YT": (AlarmKind.BATTERY_LOW, False),  # system battery, as Contact ID 302
    "YR": (AlarmKind.BATTERY_LOW, True),
    "YC": (AlarmKind.LINK_LOST, False),
    "YK": (AlarmKind.LINK_LOST, True),
}


def kind_of_contact_id(code: int) -> AlarmKind | None:
    """What a panel's Contact ID event code means to us; None: logged, not an alarm.

    Openings/closings (4xx), bypasses (5xx) and tests (6xx, but 654) are not alarms; other
    system troubles (301, 303-308: AC loss, …) have no kind of ours either.
    """
    if code in _CONTACT_ID_EXACT:
        return _CONTACT_ID_EXACT[code]
    for codes, kind in _CONTACT_ID_RANGES:
        if code in codes:
            return kind
    return None


def kind_of_sia(code: str) -> tuple[AlarmKind | None, bool]:
    """(kind, is_restore) of a panel's SIA code; (None, False) when it is not an alarm of ours."""
    return _SIA_KINDS.get(code.upper(), (None, False))
