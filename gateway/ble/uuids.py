"""GATT service and characteristic UUIDs (Bluetooth SIG Assigned Numbers), as the full
128-bit lower-case strings bleak and Home Assistant use.
"""

from __future__ import annotations

from enum import StrEnum

_BASE_SUFFIX = "-0000-1000-8000-00805f9b34fb"


def uuid16(short: int) -> str:
    """Expand a 16-bit SIG assigned number: ``uuid16(0x1810)`` -> ``"00001810-0000-1000-..."``."""
    if not 0 <= short <= 0xFFFF:
        raise ValueError(f"{short:#x} is not a 16-bit UUID")
    return f"0000{short:04x}{_BASE_SUFFIX}"


def normalize_uuid(uuid: str) -> str:
    """Full lower-case 128-bit form of ``uuid``; accepts "2A35", "0x2a35" or the full form."""
    text = uuid.strip().lower()
    if text.startswith("0x"):
        text = text[2:]
    if len(text) == 4:
        try:
            return uuid16(int(text, 16))
        except ValueError:
            return text
    return text


class Service(StrEnum):
    GENERIC_ACCESS = uuid16(0x1800)
    CURRENT_TIME = uuid16(0x1805)
    GLUCOSE = uuid16(0x1808)
    HEALTH_THERMOMETER = uuid16(0x1809)
    DEVICE_INFORMATION = uuid16(0x180A)
    HEART_RATE = uuid16(0x180D)
    BATTERY = uuid16(0x180F)
    BLOOD_PRESSURE = uuid16(0x1810)
    BODY_COMPOSITION = uuid16(0x181B)
    USER_DATA = uuid16(0x181C)
    WEIGHT_SCALE = uuid16(0x181D)
    PULSE_OXIMETER = uuid16(0x1822)


class Characteristic(StrEnum):
    DATE_TIME = uuid16(0x2A08)
    GLUCOSE_MEASUREMENT = uuid16(0x2A18)
    BATTERY_LEVEL = uuid16(0x2A19)
    TEMPERATURE_MEASUREMENT = uuid16(0x2A1C)
    TEMPERATURE_TYPE = uuid16(0x2A1D)
    INTERMEDIATE_TEMPERATURE = uuid16(0x2A1E)
    MEASUREMENT_INTERVAL = uuid16(0x2A21)
    MODEL_NUMBER = uuid16(0x2A24)
    SERIAL_NUMBER = uuid16(0x2A25)
    FIRMWARE_REVISION = uuid16(0x2A26)
    HARDWARE_REVISION = uuid16(0x2A27)
    SOFTWARE_REVISION = uuid16(0x2A28)
    MANUFACTURER_NAME = uuid16(0x2A29)
    CURRENT_TIME = uuid16(0x2A2B)
    GLUCOSE_MEASUREMENT_CONTEXT = uuid16(0x2A34)
    BLOOD_PRESSURE_MEASUREMENT = uuid16(0x2A35)
    INTERMEDIATE_CUFF_PRESSURE = uuid16(0x2A36)
    HEART_RATE_MEASUREMENT = uuid16(0x2A37)
    BODY_SENSOR_LOCATION = uuid16(0x2A38)
    HEART_RATE_CONTROL_POINT = uuid16(0x2A39)
    BLOOD_PRESSURE_FEATURE = uuid16(0x2A49)
    GLUCOSE_FEATURE = uuid16(0x2A51)
    RECORD_ACCESS_CONTROL_POINT = uuid16(0x2A52)
    PLX_SPOT_CHECK_MEASUREMENT = uuid16(0x2A5E)
    PLX_CONTINUOUS_MEASUREMENT = uuid16(0x2A5F)
    PLX_FEATURES = uuid16(0x2A60)
    WEIGHT_SCALE_FEATURE = uuid16(0x2A9E)
    WEIGHT_MEASUREMENT = uuid16(0x2A9D)
