"""Which Bluetooth SIG health profile a monitor speaks, told by its advertised service."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from ..ble.uuids import uuid16


class MonitorProfile(StrEnum):
    BLOOD_PRESSURE = "blood_pressure"
    PULSE_OXIMETER = "pulse_oximeter"
    GLUCOSE = "glucose"
    THERMOMETER = "thermometer"
    HEART_RATE = "heart_rate"
    SCALE = "scale"

    @property
    def service_uuid(self) -> str:
        return _SERVICE_OF[self]


_SERVICE_OF: dict[MonitorProfile, str] = {
    MonitorProfile.BLOOD_PRESSURE: uuid16(0x1810),
    MonitorProfile.PULSE_OXIMETER: uuid16(0x1822),
    MonitorProfile.GLUCOSE: uuid16(0x1808),
    MonitorProfile.THERMOMETER: uuid16(0x1809),
    MonitorProfile.HEART_RATE: uuid16(0x180D),
    MonitorProfile.SCALE: uuid16(0x181D),
}
_PROFILE_OF = {uuid: profile for profile, uuid in _SERVICE_OF.items()}


def profile_of(service_uuids: Iterable[str]) -> MonitorProfile | None:
    """The health profile among the advertised services; the first one listed wins for a
    device that offers two (a cuff with a heart-rate service is a cuff)."""
    for uuid in service_uuids:
        profile = _PROFILE_OF.get(uuid.lower())
        if profile is not None:
            return profile
    return None
