"""The household as the safety engine sees it: which entity has which role, and what each
state change means. Works with any integration's entities, not only ZHA."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from gateway.alarms import AlarmKind
from gateway.remote_keys import KeyJob
from gateway.safety.observations import (
    BatteryLevel,
    DetectorChanged,
    Observation,
    Pressed,
    ValveChanged,
    VitalReading,
)
from gateway.safety.roles import (
    SUPERVISED_ROLES,
    VALVE_ROLES,
    EntityFacts,
    Role,
    infer_remote_role,
    infer_role,
    infer_vital_sign,
)
from gateway.services.observations import ServicePressed
from gateway.vital_signs import VitalSign

from .const import DOMAIN
from .remote_keys import jobs_of, key_endpoints

NO_ROLE = "none"
_REMOTE_ROLES = (Role.SOS, Role.FALL)
_INVALID = (STATE_UNAVAILABLE, STATE_UNKNOWN)
# Entities whose state is the time of their last press or event.
_PRESS_DOMAINS = ("event", "button")
_DETECTOR_ROLES = frozenset(
    {Role.SMOKE, Role.GAS, Role.CO, Role.WATER_LEAK, Role.DOOR, Role.MOTION, Role.SOS, Role.FALL}
)


@dataclass(frozen=True, slots=True)
class MappedEntity:
    entity_id: str
    role: Role
    name: str
    device: str  # the HA device id, or the entity id for entities without a device
    device_name: str
    automatic: bool  # inferred, not chosen by the installer
    vital: VitalSign | None = None


@dataclass(frozen=True, slots=True)
class MappedRemote:
    """A Zigbee remote whose presses arrive only as events (no entity of its own)."""

    device: str
    role: Role
    name: str
    automatic: bool


@dataclass(frozen=True, slots=True)
class KeyedRemote:
    """A multi-key remote whose keys each have a job: SOS, a life service, or none."""

    device: str
    name: str
    keys: dict[int, int]  # the endpoint its zha_event comes from -> key number
    jobs: dict[int, KeyJob]  # key number -> job; keys with no job are left out
    automatic: bool

    def job_at(self, endpoint: object) -> tuple[int, KeyJob] | None:
        """The key pressed and its job, from the event's endpoint."""
        key = self.keys.get(endpoint) if isinstance(endpoint, int) else None
        job = self.jobs.get(key) if key is not None else None
        return None if key is None or job is None else (key, job)

    @property
    def has_sos(self) -> bool:
        return AlarmKind.SOS in self.jobs.values()


@dataclass(frozen=True, slots=True)
class Inventory:
    entities: dict[str, MappedEntity]
    batteries: dict[str, str]  # battery sensor entity -> device of a mapped entity
    remotes: dict[str, MappedRemote] = field(default_factory=dict)
    keyed_remotes: dict[str, KeyedRemote] = field(default_factory=dict)

    def with_role(self, *roles: Role) -> list[MappedEntity]:
        return [m for m in self.entities.values() if m.role in roles]

    def valves(self) -> dict[str, Role]:
        return {m.entity_id: m.role for m in self.with_role(*VALVE_ROLES)}

    def valve_names(self) -> dict[str, str]:
        return {m.entity_id: m.device_name for m in self.with_role(*VALVE_ROLES)}

    def supervised_devices(self) -> dict[str, str]:
        devices = {m.device: m.device_name for m in self.with_role(*SUPERVISED_ROLES)}
        # A remote with an SOS key is a safety device; one with only service keys is not.
        keyed = {r.device: r.name for r in self.keyed_remotes.values() if r.has_sos}
        return devices | {r.device: r.name for r in self.remotes.values()} | keyed

    def watched(self) -> list[str]:
        return [*self.entities, *self.batteries]


def build_inventory(
    hass: HomeAssistant,
    overrides: dict[str, str],
    remote_overrides: dict[str, str] | None = None,
    key_overrides: dict[str, dict[str, str]] | None = None,
) -> Inventory:
    """Every entity with a safety role: the installer's choice first, else inferred."""
    entity_registry = er.async_get(hass)
    device_registry = dr.async_get(hass)
    entities: dict[str, MappedEntity] = {}
    battery_candidates: dict[str, str] = {}
    for state in hass.states.async_all():
        entry = entity_registry.async_get(state.entity_id)
        if entry is not None and (entry.platform == DOMAIN or entry.disabled):
            continue
        device = device_registry.async_get(entry.device_id) if entry and entry.device_id else None
        facts = _facts(state, entry, device)
        device_key = device.id if device else state.entity_id
        if facts.domain == "sensor" and facts.device_class == "battery":
            battery_candidates[state.entity_id] = device_key
        chosen = overrides.get(state.entity_id)
        if chosen == NO_ROLE:
            continue
        role = Role(chosen) if chosen else infer_role(facts)
        if role is None:
            continue
        entities[state.entity_id] = MappedEntity(
            entity_id=state.entity_id,
            role=role,
            name=state.name,
            device=device_key,
            device_name=household_name(state, entry, device),
            automatic=chosen is None,
            vital=infer_vital_sign(facts) if role is Role.HEALTH_MONITOR else None,
        )
    keyed = _keyed_remotes(hass, device_registry, key_overrides or {})
    remotes = _remotes(device_registry, entities, remote_overrides or {}, set(keyed))
    mapped_devices = {m.device for m in entities.values()} | set(remotes) | set(keyed)
    batteries = {e: d for e, d in battery_candidates.items() if d in mapped_devices}
    return Inventory(entities, batteries, remotes, keyed)


def household_name(
    state: State, entry: er.RegistryEntry | None, device: dr.DeviceEntry | None
) -> str:
    """What the household calls the device behind an entity, as it shows in Home Assistant:
    the name it gave the device, else the name it gave the entity, else the device's own
    name, else the entity's. The care center shows this, never the Zigbee ids behind it."""
    if device is not None and device.name_by_user:
        return device.name_by_user
    if entry is not None and entry.name:
        return entry.name
    if device is not None and device.name:
        return device.name
    return state.name


def _keyed_remotes(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    overrides: dict[str, dict[str, str]],
) -> dict[str, KeyedRemote]:
    """Multi-key remotes whose keys the installer mapped (or whose name says they are service
    remotes: then the default keys)."""
    keyed: dict[str, KeyedRemote] = {}
    for device in device_registry.devices.values():
        if not any(kind == dr.CONNECTION_ZIGBEE for kind, _ in device.connections):
            continue
        keys = key_endpoints(hass, device)
        found = jobs_of(device, keys, overrides.get(device.id))
        if found is None or not found[0]:
            continue
        jobs, automatic = found
        # Until ZHA has the remote again (after a restart), key n is on endpoint n.
        keys = keys or {key: key for key in jobs}
        name = device.name_by_user or device.name or device.id
        keyed[device.id] = KeyedRemote(device.id, name, keys, jobs, automatic)
    return keyed


def _remotes(
    device_registry: dr.DeviceRegistry,
    entities: dict[str, MappedEntity],
    overrides: dict[str, str],
    keyed: set[str],
) -> dict[str, MappedRemote]:
    """Zigbee remotes that are SOS or fall buttons: the installer's choice, else their names.
    A device with an SOS entity (an IAS zone, a fob's panel) is left to that entity, and a
    remote whose keys are mapped to their keys, so one press is never counted twice."""
    by_entity = {m.device for m in entities.values() if m.role in _REMOTE_ROLES}
    remotes: dict[str, MappedRemote] = {}
    for device in device_registry.devices.values():
        if device.id in keyed:
            continue
        if not any(kind == dr.CONNECTION_ZIGBEE for kind, _ in device.connections):
            continue
        chosen = overrides.get(device.id)
        if chosen == NO_ROLE or (chosen is None and device.id in by_entity):
            continue
        labels = (device.name_by_user or "", device.name or "", device.model or "")
        role = Role(chosen) if chosen else infer_remote_role(labels)
        if role in _REMOTE_ROLES:
            name = device.name_by_user or device.name or device.id
            remotes[device.id] = MappedRemote(device.id, role, name, automatic=chosen is None)
    return remotes


def _facts(
    state: State, entry: er.RegistryEntry | None, device: dr.DeviceEntry | None
) -> EntityFacts:
    labels = [state.name, state.entity_id]
    if entry is not None:
        labels += [entry.original_name or "", entry.name or ""]
    if device is not None:
        labels += [device.name or "", device.model or "", device.manufacturer or ""]
    device_class = state.attributes.get("device_class")
    if entry is not None:
        device_class = entry.device_class or entry.original_device_class or device_class
    return EntityFacts(
        entity_id=state.entity_id,
        domain=state.domain,
        device_class=device_class,
        unit=state.attributes.get("unit_of_measurement"),
        labels=tuple(label for label in labels if label),
    )


def observations_for(
    mapped: MappedEntity, old: State | None, new: State | None, *, initial: bool = False
) -> list[Observation]:
    """What a state change of a mapped entity means to the safety engine."""
    if new is None:
        return []
    if mapped.role in VALVE_ROLES:
        return [ValveChanged(mapped.entity_id, valve_closed(new))]
    if new.domain in _PRESS_DOMAINS:
        return _press(mapped, old, new) if not initial else []
    if mapped.role in _DETECTOR_ROLES:
        return [
            DetectorChanged(
                mapped.entity_id, mapped.role, _active(new), mapped.name, mapped.device_name
            )
        ]
    if mapped.role is Role.HEALTH_MONITOR and not initial:
        return _reading(mapped, old, new)
    return []


def remote_press(remote: MappedRemote) -> Pressed:
    kind = AlarmKind.FALL if remote.role is Role.FALL else AlarmKind.SOS
    return Pressed(remote.name, kind, remote.name)


def key_press(remote: KeyedRemote, key: int, job: KeyJob) -> Pressed | ServicePressed:
    """A key of a service remote: its emergency, or its request for a service. The source is
    the key; the name says which remote and which key, for the care center."""
    source = f"{remote.device}:key_{key}"
    source_name = f"{remote.name} #{key}"
    if job is AlarmKind.SOS:
        return Pressed(source, AlarmKind.SOS, source_name)
    return ServicePressed(source, job, source_name)


def _press(mapped: MappedEntity, old: State | None, new: State) -> list[Observation]:
    """A press is a new timestamp after a real one; a restore after a restart is not."""
    if old is None or old.state == STATE_UNAVAILABLE or new.state in _INVALID:
        return []
    if old.state == new.state:
        return []
    kind = AlarmKind.FALL if mapped.role is Role.FALL else AlarmKind.SOS
    return [Pressed(mapped.name, kind, mapped.device_name)]


def _reading(mapped: MappedEntity, old: State | None, new: State) -> list[Observation]:
    """A new vital-sign value; a restored or returning value is not a new reading."""
    value = _number(new.state)
    if mapped.vital is None or old is None or old.state in _INVALID or value is None:
        return []
    unit = new.attributes.get("unit_of_measurement") or ""
    return [
        VitalReading(mapped.entity_id, mapped.vital, value, unit, source_name=mapped.device_name)
    ]


def battery_observation(device: str, device_name: str, new: State | None) -> BatteryLevel | None:
    if new is None:
        return None
    percent = _number(new.state)
    return None if percent is None else BatteryLevel(device, device_name, percent)


def _active(state: State) -> bool | None:
    if state.state in _INVALID:
        return None
    if state.domain == "alarm_control_panel":
        return state.state == "triggered"
    return state.state == "on"


def valve_closed(state: State) -> bool | None:
    if state.state in _INVALID:
        return None
    if state.domain == "valve":
        return state.state == "closed"
    return state.state == "off"


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def last_state_write(hass: HomeAssistant, entity_ids: list[str]) -> datetime | None:
    """When any of these entities' state was last written (changed or re-reported)."""
    moments = [
        state.last_reported
        for entity_id in entity_ids
        if (state := hass.states.get(entity_id)) is not None and state.state != STATE_UNAVAILABLE
    ]
    return max(moments, default=None)
