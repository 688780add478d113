"""What each household device is for, inferred from what the home automation knows about it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..vital_signs import VitalSign


class Role(StrEnum):
    SMOKE = "smoke"
    GAS = "gas"
    CO = "co"
    WATER_LEAK = "water_leak"
    DOOR = "door"
    MOTION = "motion"
    SOS = "sos"
    FALL = "fall"
    GAS_VALVE = "gas_valve"
    WATER_VALVE = "water_valve"
    SIREN = "siren"
    HEALTH_MONITOR = "health_monitor"


# Devices whose silence is itself an emergency: supervised within the supervision window.
SUPERVISED_ROLES = frozenset(
    {Role.SOS, Role.FALL, Role.SMOKE, Role.GAS, Role.CO, Role.GAS_VALVE, Role.WATER_VALVE}
)
VALVE_ROLES = frozenset({Role.GAS_VALVE, Role.WATER_VALVE})


@dataclass(frozen=True, slots=True)
class EntityFacts:
    """What the host knows about one entity, in host-neutral terms."""

    entity_id: str
    domain: str
    device_class: str | None = None
    unit: str | None = None
    # Entity name, device name, model and manufacturer: the words an installer would read.
    labels: tuple[str, ...] = ()
    zone_type: str | None = None  # an IAS zone's type when the host exposes it

    def mentions(self, *words: str) -> bool:
        text = " ".join(self.labels).casefold()
        return any(word in text for word in words)


_BINARY_SENSOR_ROLES: dict[str, Role] = {
    "smoke": Role.SMOKE,
    "gas": Role.GAS,
    "carbon_monoxide": Role.CO,
    "moisture": Role.WATER_LEAK,
    "door": Role.DOOR,
    "garage_door": Role.DOOR,
    "opening": Role.DOOR,
    "motion": Role.MOTION,
    "occupancy": Role.MOTION,
    "presence": Role.MOTION,
}
_NOT_VITAL_CLASSES = frozenset({"battery", "humidity", "moisture", "signal_strength"})
# An SOS device's own "Identify" or "Restart" button shares its name but is not a press.
_DEVICE_UPKEEP_BUTTONS = frozenset({"identify", "restart", "update"})
_SOS_WORDS = ("sos", "panic", "emergency", "help", "紧急", "呼叫", "求助")
_FALL_WORDS = ("fall", "跌倒")


def infer_role(facts: EntityFacts) -> Role | None:  # noqa: PLR0911 (a decision table)
    """The role an installer would give this entity, or None when it has no safety job."""
    if facts.domain == "binary_sensor":
        if facts.device_class in _BINARY_SENSOR_ROLES:
            return _BINARY_SENSOR_ROLES[facts.device_class]
        if facts.zone_type in ("Personal_Emergency", "Remote_Control") or (
            facts.device_class in (None, "safety", "problem") and facts.mentions(*_SOS_WORDS)
        ):
            return Role.SOS
        if facts.mentions(*_FALL_WORDS):
            return Role.FALL
        return None
    if facts.domain == "alarm_control_panel":
        # A panic fob is a panel to the CIE; its "triggered" is the emergency command.
        return Role.SOS
    if (
        facts.domain in ("event", "button")
        and facts.device_class not in _DEVICE_UPKEEP_BUTTONS
        and facts.mentions(*_SOS_WORDS)
    ):
        return Role.SOS
    if facts.domain == "valve":
        if facts.device_class in ("water", "gas"):
            return Role.WATER_VALVE if facts.device_class == "water" else Role.GAS_VALVE
        # A valve without a class is named by the installer: "Main water valve".
        return Role.WATER_VALVE if facts.mentions("water", "水") else Role.GAS_VALVE
    if facts.domain == "switch" and facts.mentions("valve", "阀"):
        return Role.WATER_VALVE if facts.mentions("water", "水") else Role.GAS_VALVE
    if facts.domain == "siren":
        return Role.SIREN
    if facts.domain == "sensor" and infer_vital_sign(facts) is not None:
        return Role.HEALTH_MONITOR
    return None


def infer_remote_role(labels: tuple[str, ...]) -> Role | None:
    """A remote with no entity of its own (its presses are only events) is an SOS or fall
    button when its names say so: "SOS button", "紧急呼叫"."""
    facts = EntityFacts(entity_id="", domain="remote", labels=labels)
    if facts.mentions(*_SOS_WORDS):
        return Role.SOS
    if facts.mentions(*_FALL_WORDS):
        return Role.FALL
    return None


def infer_vital_sign(facts: EntityFacts) -> VitalSign | None:  # noqa: PLR0911
    """Which vital sign a sensor measures, from its unit and name."""
    if facts.device_class in _NOT_VITAL_CLASSES:
        return None  # an oximeter's battery is "%" and shares the device's name
    unit = (facts.unit or "").casefold()
    if unit in ("bpm", "beats/min", "/min") and facts.mentions("heart", "pulse", "心率", "脉"):
        return VitalSign.HEART_RATE
    if unit == "%" and facts.mentions("spo2", "oxygen", "血氧"):
        return VitalSign.SPO2
    if unit in ("mmhg", "kpa"):
        if facts.mentions("diastolic", "舒张"):
            return VitalSign.DIASTOLIC
        if facts.mentions("systolic", "收缩"):
            return VitalSign.SYSTOLIC
    if unit in ("mg/dl", "mmol/l"):
        return VitalSign.GLUCOSE
    if unit in ("°c", "°f") and facts.mentions("body", "体温"):
        return VitalSign.TEMPERATURE
    return None
