"""Roles inferred from what the host knows about an entity (ZHA-like facts)."""

from __future__ import annotations

import pytest

from gateway.safety.roles import EntityFacts, Role, infer_role, infer_vital_sign
from gateway.vital_signs import VitalSign


def facts(
    entity_id: str,
    device_class: str | None = None,
    *labels: str,
    unit: str | None = None,
    zone_type: str | None = None,
) -> EntityFacts:
    return EntityFacts(
        entity_id=entity_id,
        domain=entity_id.split(".", 1)[0],
        device_class=device_class,
        unit=unit,
        labels=labels,
        zone_type=zone_type,
    )


@pytest.mark.parametrize(
    ("entity", "expected"),
    [
        # ZHA IAS zones with a device class from their zone type
        (facts("binary_sensor.kitchen_smoke", "smoke", "Smoke", "HS1SA", "HEIMAN"), Role.SMOKE),
        (facts("binary_sensor.kitchen_gas", "gas", "Gas", "HS1CG-M", "HEIMAN"), Role.GAS),
        (facts("binary_sensor.hall_co", "carbon_monoxide", "Carbon monoxide"), Role.CO),
        (
            facts("binary_sensor.bath_leak", "moisture", "Moisture", "lumi.sensor_wleak.aq1"),
            Role.WATER_LEAK,
        ),
        (
            facts("binary_sensor.front_door", "opening", "Opening", "lumi.sensor_magnet.aq2"),
            Role.DOOR,
        ),
        (facts("binary_sensor.front_door_2", "door", "Front door"), Role.DOOR),
        (
            facts("binary_sensor.hall_motion", "motion", "Motion", "lumi.sensor_motion.aq2"),
            Role.MOTION,
        ),
        (facts("binary_sensor.bed_presence", "occupancy", "Occupancy"), Role.MOTION),
        # An IAS zone without a device class: the SOS button is recognised by its model name
        (
            facts("binary_sensor.sos_em_ias_zone", None, "IAS zone", "SOS-EM", "_TZ3000_fsiepnrh"),
            Role.SOS,
        ),
        (facts("binary_sensor.zone", None, "IAS zone", zone_type="Personal_Emergency"), Role.SOS),
        (facts("binary_sensor.pendant", "safety", "紧急呼叫按钮"), Role.SOS),
        (facts("binary_sensor.bedroom_fall", None, "Fall detected", "FP2"), Role.FALL),
        # A panic fob is an alarm panel to the CIE; its "triggered" is the emergency
        (facts("alarm_control_panel.keyfob", None, "Alarm control panel", "KF-23"), Role.SOS),
        (facts("event.sos_button", None, "SOS button"), Role.SOS),
        (facts("button.help", None, "Help"), Role.SOS),
        # Valves: Tuya gas valves are switches; HA valve entities carry their own class
        (facts("switch.kitchen", None, "Switch", "_TZ3000_gasvalve", "TS0001-GV"), Role.GAS_VALVE),
        (facts("switch.main", None, "Water valve", "TS0601"), Role.WATER_VALVE),
        (facts("switch.stove", None, "燃气阀"), Role.GAS_VALVE),
        (facts("switch.main_cn", None, "总水阀"), Role.WATER_VALVE),
        (facts("valve.main_water", "water", "Main"), Role.WATER_VALVE),
        (facts("valve.boiler", "gas", "Boiler"), Role.GAS_VALVE),
        (facts("valve.main_water_2", None, "Main water valve"), Role.WATER_VALVE),
        (facts("siren.hall", None, "Siren", "HS2WD-E"), Role.SIREN),
        # Health sensors from their unit and name
        (facts("sensor.pulse", None, "Heart rate", unit="bpm"), Role.HEALTH_MONITOR),
        (facts("sensor.bp_sys", "pressure", "Systolic", unit="mmHg"), Role.HEALTH_MONITOR),
        (facts("sensor.spo2", None, "SpO2", unit="%"), Role.HEALTH_MONITOR),
        (facts("sensor.glucose", None, "Blood glucose", unit="mmol/L"), Role.HEALTH_MONITOR),
    ],
    ids=lambda value: value.entity_id if isinstance(value, EntityFacts) else str(value),
)
def test_infer_role(entity: EntityFacts, expected: Role) -> None:
    assert infer_role(entity) is expected


@pytest.mark.parametrize(
    "entity",
    [
        facts("light.kitchen", None, "Kitchen light"),
        facts("switch.kettle", None, "Kettle", "TS011F"),
        facts("binary_sensor.vibration", "vibration", "Vibration"),
        facts("binary_sensor.sos_em_battery", "battery", "Battery", "SOS-EM"),
        facts("binary_sensor.sos_em_tamper", "tamper", "Tamper", "SOS-EM"),
        # The SOS button's own Identify button (ZHA adds one) blinks its LED; not a press
        facts("button.heiman_sos_em_identify", "identify", "Identify", "HEIMAN SOS-EM"),
        facts("binary_sensor.ias_zone", None, "IAS zone", "lumi.vibration.aq1"),
        facts("sensor.living_room", "temperature", "Living room", unit="°C"),
        facts("sensor.humidity", "humidity", "Humidity", unit="%"),
        facts("sensor.barometer", "pressure", "Air pressure", unit="mmHg"),
        facts("sensor.power", "power", "Power", unit="W"),
        # The battery of an oximeter shares the device's name but is not a reading
        facts("sensor.oximeter_battery", "battery", "Battery", "SpO2 oximeter", unit="%"),
        facts("media_player.kitchen", None, "Kitchen speaker"),
    ],
    ids=lambda value: value.entity_id,
)
def test_unrelated_entities_have_no_role(entity: EntityFacts) -> None:
    assert infer_role(entity) is None


@pytest.mark.parametrize(
    ("entity", "sign"),
    [
        (facts("sensor.hr", None, "Heart rate", unit="bpm"), VitalSign.HEART_RATE),
        (
            facts("sensor.pr", None, "Pulse rate", "Oximeter", unit="beats/min"),
            VitalSign.HEART_RATE,
        ),
        (facts("sensor.hr_cn", None, "心率", unit="/min"), VitalSign.HEART_RATE),
        (facts("sensor.spo2", None, "SpO2", unit="%"), VitalSign.SPO2),
        (facts("sensor.ox", None, "Blood oxygen", unit="%"), VitalSign.SPO2),
        (facts("sensor.sys", "pressure", "Systolic pressure", unit="mmHg"), VitalSign.SYSTOLIC),
        (facts("sensor.dia", "pressure", "Diastolic pressure", unit="mmHg"), VitalSign.DIASTOLIC),
        (facts("sensor.dia_kpa", None, "舒张压", unit="kPa"), VitalSign.DIASTOLIC),
        (facts("sensor.glu", None, "Glucose", unit="mmol/L"), VitalSign.GLUCOSE),
        (facts("sensor.glu_us", None, "Glucose", unit="mg/dL"), VitalSign.GLUCOSE),
        (facts("sensor.temp", "temperature", "Body temperature", unit="°C"), VitalSign.TEMPERATURE),
        (facts("sensor.temp_cn", "temperature", "体温", unit="°C"), VitalSign.TEMPERATURE),
    ],
    ids=lambda value: value.entity_id if isinstance(value, EntityFacts) else str(value),
)
def test_infer_vital_sign(entity: EntityFacts, sign: VitalSign) -> None:
    assert infer_vital_sign(entity) is sign
    assert infer_role(entity) is Role.HEALTH_MONITOR


@pytest.mark.parametrize(
    "entity",
    [
        facts("sensor.bpm_no_name", None, "Tempo", unit="bpm"),  # a metronome, not a pulse
        facts("sensor.humidity", "humidity", "Humidity", unit="%"),
        facts("sensor.bp", "pressure", "Blood pressure", unit="mmHg"),  # neither sys nor dia
        facts("sensor.room", "temperature", "Bedroom", unit="°C"),
        facts("sensor.no_unit", None, "SpO2"),
        facts("sensor.oximeter_battery", "battery", "Battery", "Blood oxygen monitor", unit="%"),
    ],
    ids=lambda value: value.entity_id,
)
def test_not_a_vital_sign(entity: EntityFacts) -> None:
    assert infer_vital_sign(entity) is None


def test_mentions_is_case_insensitive_and_spans_labels() -> None:
    entity = facts("switch.x", None, "Switch", "_TZ3000_GasValve")
    assert entity.mentions("gasvalve")
    assert not entity.mentions("water")
