"""Bluetooth SIG health characteristic codecs: bytes <-> frozen dataclasses (stdlib only).

Every ``decode_*`` raises only ``BleDecodeError`` for malformed input; every ``encode_*`` is
its inverse and raises ``BleEncodeError`` for a value it cannot encode. See
docs/ble-health.md for the module map.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from gateway.ble.battery import decode_battery_level, encode_battery_level
from gateway.ble.blood_pressure import (
    BloodPressureFeature,
    BloodPressureMeasurement,
    BloodPressureStatus,
    PressureUnit,
    PulseRateRange,
    decode_blood_pressure,
    decode_blood_pressure_feature,
    decode_intermediate_cuff_pressure,
    encode_blood_pressure,
    encode_blood_pressure_feature,
    encode_intermediate_cuff_pressure,
)
from gateway.ble.date_time import (
    AdjustReason,
    CurrentTime,
    decode_current_time,
    decode_date_time,
    decode_date_time_value,
    encode_current_time,
    encode_current_time_value,
    encode_date_time,
)
from gateway.ble.device_info import decode_utf8_string, encode_utf8_string
from gateway.ble.errors import BleDecodeError, BleEncodeError
from gateway.ble.glucose import (
    Carbohydrate,
    CarbohydrateId,
    GlucoseContext,
    GlucoseHealth,
    GlucoseMeasurement,
    GlucoseSensorStatus,
    GlucoseTester,
    GlucoseType,
    GlucoseUnit,
    Meal,
    Medication,
    MedicationId,
    MedicationUnit,
    SampleLocation,
    decode_glucose_context,
    decode_glucose_measurement,
    encode_glucose_context,
    encode_glucose_measurement,
)
from gateway.ble.heart_rate import HeartRateMeasurement, decode_heart_rate, encode_heart_rate
from gateway.ble.ieee11073 import (
    SpecialValue,
    decode_float32,
    decode_sfloat,
    encode_float32,
    encode_sfloat,
    read_float32,
    read_sfloat,
)
from gateway.ble.plx import (
    PlxContinuous,
    PlxDeviceSensorStatus,
    PlxMeasurementStatus,
    PlxSpotCheck,
    SpO2PulseRate,
    decode_plx_continuous,
    decode_plx_spot_check,
    encode_plx_continuous,
    encode_plx_spot_check,
)
from gateway.ble.racp import (
    RacpFilterType,
    RacpNumberOfRecords,
    RacpOpcode,
    RacpOperator,
    RacpRequest,
    RacpResponse,
    RacpResponseCode,
    decode_racp_request,
    decode_racp_response,
    encode_abort,
    encode_racp_request,
    encode_racp_response,
    encode_report_all_records,
    encode_report_number_of_records,
    encode_report_records_from,
)
from gateway.ble.temperature import (
    TemperatureMeasurement,
    TemperatureType,
    TemperatureUnit,
    decode_temperature,
    encode_temperature,
)
from gateway.ble.uuids import Characteristic, Service, normalize_uuid, uuid16
from gateway.ble.weight import WeightMeasurement, WeightUnit, decode_weight, encode_weight

# What a collector reads or is notified/indicated on each characteristic, keyed by the full
# 128-bit UUID. The RACP entry decodes the device's indications (responses), not requests.
CHARACTERISTIC_DECODERS: dict[str, Callable[[bytes], object]] = {
    Characteristic.BLOOD_PRESSURE_MEASUREMENT: decode_blood_pressure,
    Characteristic.INTERMEDIATE_CUFF_PRESSURE: decode_intermediate_cuff_pressure,
    Characteristic.BLOOD_PRESSURE_FEATURE: decode_blood_pressure_feature,
    Characteristic.PLX_SPOT_CHECK_MEASUREMENT: decode_plx_spot_check,
    Characteristic.PLX_CONTINUOUS_MEASUREMENT: decode_plx_continuous,
    Characteristic.GLUCOSE_MEASUREMENT: decode_glucose_measurement,
    Characteristic.GLUCOSE_MEASUREMENT_CONTEXT: decode_glucose_context,
    Characteristic.RECORD_ACCESS_CONTROL_POINT: decode_racp_response,
    Characteristic.HEART_RATE_MEASUREMENT: decode_heart_rate,
    Characteristic.TEMPERATURE_MEASUREMENT: decode_temperature,
    Characteristic.WEIGHT_MEASUREMENT: decode_weight,
    Characteristic.DATE_TIME: decode_date_time_value,
    Characteristic.CURRENT_TIME: decode_current_time,
    Characteristic.BATTERY_LEVEL: decode_battery_level,
    Characteristic.MANUFACTURER_NAME: partial(
        decode_utf8_string, characteristic="Manufacturer Name String"
    ),
    Characteristic.MODEL_NUMBER: partial(decode_utf8_string, characteristic="Model Number String"),
    Characteristic.SERIAL_NUMBER: partial(
        decode_utf8_string, characteristic="Serial Number String"
    ),
    Characteristic.FIRMWARE_REVISION: partial(
        decode_utf8_string, characteristic="Firmware Revision String"
    ),
    Characteristic.HARDWARE_REVISION: partial(
        decode_utf8_string, characteristic="Hardware Revision String"
    ),
}
# Plain str keys (not the StrEnum members) so lookups and repr show the UUID text.
CHARACTERISTIC_DECODERS = {str(key): value for key, value in CHARACTERISTIC_DECODERS.items()}


def decode_characteristic(uuid: str, data: bytes | bytearray) -> object:
    """Decode ``data`` read from characteristic ``uuid`` (full or 16-bit form).

    Raises ``BleDecodeError`` for malformed data and for a UUID without a decoder.
    """
    decoder = CHARACTERISTIC_DECODERS.get(normalize_uuid(uuid))
    if decoder is None:
        raise BleDecodeError(uuid, "no decoder for this characteristic")
    return decoder(bytes(data))


__all__ = [
    "CHARACTERISTIC_DECODERS",
    "AdjustReason",
    "BleDecodeError",
    "BleEncodeError",
    "BloodPressureFeature",
    "BloodPressureMeasurement",
    "BloodPressureStatus",
    "Carbohydrate",
    "CarbohydrateId",
    "Characteristic",
    "CurrentTime",
    "GlucoseContext",
    "GlucoseHealth",
    "GlucoseMeasurement",
    "GlucoseSensorStatus",
    "GlucoseTester",
    "GlucoseType",
    "GlucoseUnit",
    "HeartRateMeasurement",
    "Meal",
    "Medication",
    "MedicationId",
    "MedicationUnit",
    "PlxContinuous",
    "PlxDeviceSensorStatus",
    "PlxMeasurementStatus",
    "PlxSpotCheck",
    "PressureUnit",
    "PulseRateRange",
    "RacpFilterType",
    "RacpNumberOfRecords",
    "RacpOpcode",
    "RacpOperator",
    "RacpRequest",
    "RacpResponse",
    "RacpResponseCode",
    "SampleLocation",
    "Service",
    "SpO2PulseRate",
    "SpecialValue",
    "TemperatureMeasurement",
    "TemperatureType",
    "TemperatureUnit",
    "WeightMeasurement",
    "WeightUnit",
    "decode_battery_level",
    "decode_blood_pressure",
    "decode_blood_pressure_feature",
    "decode_characteristic",
    "decode_current_time",
    "decode_date_time",
    "decode_date_time_value",
    "decode_float32",
    "decode_glucose_context",
    "decode_glucose_measurement",
    "decode_heart_rate",
    "decode_intermediate_cuff_pressure",
    "decode_plx_continuous",
    "decode_plx_spot_check",
    "decode_racp_request",
    "decode_racp_response",
    "decode_sfloat",
    "decode_temperature",
    "decode_utf8_string",
    "decode_weight",
    "encode_abort",
    "encode_battery_level",
    "encode_blood_pressure",
    "encode_blood_pressure_feature",
    "encode_current_time",
    "encode_current_time_value",
    "encode_date_time",
    "encode_float32",
    "encode_glucose_context",
    "encode_glucose_measurement",
    "encode_heart_rate",
    "encode_intermediate_cuff_pressure",
    "encode_plx_continuous",
    "encode_plx_spot_check",
    "encode_racp_request",
    "encode_racp_response",
    "encode_report_all_records",
    "encode_report_number_of_records",
    "encode_report_records_from",
    "encode_sfloat",
    "encode_temperature",
    "encode_utf8_string",
    "encode_weight",
    "normalize_uuid",
    "read_float32",
    "read_sfloat",
    "uuid16",
]
