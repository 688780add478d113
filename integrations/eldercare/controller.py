"""The safety engine at work inside Home Assistant: state changes in, actions out, timers on
HA's clock, and the alarm book saved so it survives a restart."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_point_in_utc_time, async_track_time_interval
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from gateway.alarms import AlarmKind
from gateway.link import HubLink
from gateway.link.client import HubCommand
from gateway.protocol import HubConfig
from gateway.safety.book import Alarm, UnknownAlarm
from gateway.safety.effects import AlarmChanged, Effect
from gateway.safety.engine import SafetyEngine
from gateway.safety.family_alerts import parse_on_my_way
from gateway.safety.hub_commands import observation_for
from gateway.safety.observations import DeviceHeard, FamilyAnswered, Observation
from gateway.safety.remotes import PressDebouncer, is_press
from gateway.safety.roles import Role
from gateway.safety.settings import SafetySettings
from gateway.services.observations import ServicePressed

from . import zigbee
from .actions import ActionRunner
from .care_center import CareCenterThresholds
from .const import DOMAIN, OPTION_REMOTES, OPTION_ROLES, signal_alarms_changed
from .household import (
    Inventory,
    KeyedRemote,
    MappedEntity,
    battery_observation,
    build_inventory,
    key_press,
    last_state_write,
    observations_for,
    remote_press,
)
from .identity import Household
from .remote_keys import OPTION_REMOTE_KEYS

_LOGGER = logging.getLogger(__name__)
STORAGE_VERSION = 1
LIVENESS_INTERVAL = timedelta(seconds=30)
NOTIFICATION_ACTION_EVENT = "mobile_app_notification_action"
ZHA_EVENT = "zha_event"  # a Zigbee remote's command, relayed by ZHA


@dataclass(frozen=True, slots=True)
class ValveState:
    """The valves the engine is closing now, and those it saw closed after a hazard."""

    closing: list[str]
    confirmed_closed: list[str]


class SafetyController:
    """Owns the household's safety engine; the rest of the integration reads alarms,
    settings and valves through the methods at the end, never through the engine."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, link: HubLink, household: Household
    ) -> None:
        self._hass = hass
        self._entry = entry
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}.safety", atomic_writes=True
        )
        self._actions = ActionRunner(
            hass, entry, link, household=household, safety=self, observe=self.observe
        )
        self._effect_listeners: list[Callable[[Effect], None]] = []
        self._engine: SafetyEngine
        self.inventory = Inventory({}, {})
        self._unsubs: list[CALLBACK_TYPE] = []
        self._deadline_unsub: CALLBACK_TYPE | None = None
        self._heard: dict[str, datetime] = {}
        self._heartbeat_configured: set[str] = set()
        self._rebuild_pending = False
        self._stopped = False
        self._presses = PressDebouncer()
        self.care_center = CareCenterThresholds(hass, entry.entry_id)
        self._inventory_listeners: list[Callable[[], None]] = []
        self._service_key_listeners: list[Callable[[ServicePressed], None]] = []

    @property
    def entry_id(self) -> str:
        return self._entry.entry_id

    def _wanted_settings(self) -> SafetySettings:
        """The household's options under the care center's thresholds."""
        local = SafetySettings.from_options(
            dict(self._entry.options), dt_util.get_default_time_zone()
        )
        return local.with_center_ranges(
            self.care_center.ranges(), self.care_center.resident_ranges()
        )

    async def async_start(self) -> None:
        # The care center's thresholds first: the engine must start with them, hub or not.
        await self.care_center.async_load()
        saved = await self._store.async_load()
        self._engine = SafetyEngine(self._wanted_settings(), dt_util.utcnow(), saved)
        hass = self._hass
        self._unsubs += [
            hass.bus.async_listen(EVENT_STATE_CHANGED, self._state_changed),
            hass.bus.async_listen(NOTIFICATION_ACTION_EVENT, self._notification_action),
            hass.bus.async_listen(ZHA_EVENT, self._remote_command),
            # A device renamed "SOS button" (or joined) may now have a role.
            hass.bus.async_listen(dr.EVENT_DEVICE_REGISTRY_UPDATED, self._devices_changed),
            # An entity renamed by the household: the care center shows its new name.
            hass.bus.async_listen(
                er.EVENT_ENTITY_REGISTRY_UPDATED,
                self._entity_renamed,
                event_filter=_is_rename,
            ),
            async_track_time_interval(hass, self._check_liveness, LIVENESS_INTERVAL),
        ]
        if not hass.is_running:
            # Integrations set up after us add their entities later; map them once all are up.
            self._unsubs.append(async_at_started(hass, self._started))
        self.rebuild(initial=True)
        # Timers of restored alarms (family escalation) resume; overdue ones act now.
        self._apply(self._engine.tick(dt_util.utcnow()))

    async def async_stop(self) -> None:
        self._stopped = True
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        if self._deadline_unsub is not None:
            self._deadline_unsub()
            self._deadline_unsub = None
        await self._store.async_save(self._engine.snapshot())
        await self.care_center.async_flush()

    # The household's entities

    @callback
    def _started(self, _hass: HomeAssistant) -> None:
        self.rebuild()

    @callback
    def rebuild(self, initial: bool = False) -> None:
        """Map roles again (devices joined, roles changed) and tell the engine what is new."""
        self._rebuild_pending = False
        before = self.inventory
        overrides = dict(self._entry.options.get(OPTION_ROLES, {}))
        remote_overrides = dict(self._entry.options.get(OPTION_REMOTES, {}))
        key_overrides = dict(self._entry.options.get(OPTION_REMOTE_KEYS, {}))
        self.inventory = build_inventory(self._hass, overrides, remote_overrides, key_overrides)
        self._engine.update_settings(self._wanted_settings())
        self._engine.set_valves(self.inventory.valves(), self.inventory.valve_names())
        self._engine.supervise(self.inventory.supervised_devices(), dt_util.utcnow())
        self._actions.sirens = [m.entity_id for m in self.inventory.with_role(Role.SIREN)]
        for entity_id, mapped in self.inventory.entities.items():
            if entity_id in before.entities and not initial:
                continue
            # A newly mapped entity's current state is its first reading (a gas detector
            # already on at start-up must still close the valve).
            state = self._hass.states.get(entity_id)
            for observation in observations_for(mapped, None, state, initial=True):
                self.observe(observation)
        self._configure_heartbeats()
        self._publish()
        for listener in list(self._inventory_listeners):
            listener()

    def add_effect_listener(self, listener: Callable[[Effect], None]) -> CALLBACK_TYPE:
        """Called with each effect after it was carried out (the ARC hears them this way)."""
        self._effect_listeners.append(listener)
        return lambda: self._effect_listeners.remove(listener)

    def add_inventory_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Called after each mapping of the household's devices (joined, left, renamed)."""
        self._inventory_listeners.append(listener)
        return lambda: self._inventory_listeners.remove(listener)

    def add_service_key_listener(self, listener: Callable[[ServicePressed], None]) -> CALLBACK_TYPE:
        """Called with each press of a remote's service key (the service desk takes it)."""
        self._service_key_listeners.append(listener)
        return lambda: self._service_key_listeners.remove(listener)

    @callback
    def _state_changed(self, event: Event[EventStateChangedData]) -> None:
        entity_id = event.data["entity_id"]
        mapped = self.inventory.entities.get(entity_id)
        if mapped is not None:
            old, new = event.data["old_state"], event.data["new_state"]
            for observation in observations_for(mapped, old, new):
                self.observe(observation)
            self._rearm_triggered_panel(mapped, old, new)
            return
        device = self.inventory.batteries.get(entity_id)
        if device is not None:
            name = next(
                (m.device_name for m in self.inventory.entities.values() if m.device == device),
                device,
            )
            battery = battery_observation(device, name, event.data["new_state"])
            if battery is not None:
                self.observe(battery)
            return
        if event.data["old_state"] is None:
            self._rebuild_soon()  # a new entity: a device just joined

    @callback
    def _devices_changed(self, _event: Event[dr.EventDeviceRegistryUpdatedData]) -> None:
        self._rebuild_soon()

    @callback
    def _entity_renamed(self, _event: Event[er.EventEntityRegistryUpdatedData]) -> None:
        self._rebuild_soon()

    @callback
    def _rebuild_soon(self) -> None:
        """Map roles again on the next loop turn, once for a burst of changes."""
        if not self._rebuild_pending:
            self._rebuild_pending = True
            self._hass.loop.call_soon(self.rebuild)

    @callback
    def _remote_command(self, event: Event[dict[str, Any]]) -> None:
        device = event.data.get("device_id", "")
        if not is_press(event.data.get("command"), event.data.get("cluster_id")):
            return
        keyed = self.inventory.keyed_remotes.get(device)
        if keyed is not None:
            self._key_pressed(keyed, event.data.get("endpoint_id"))
            return
        remote = self.inventory.remotes.get(device)
        if remote is not None and self._presses.new_press(remote.device, dt_util.utcnow()):
            self.observe(remote_press(remote))

    @callback
    def _key_pressed(self, remote: KeyedRemote, endpoint: object) -> None:
        """One key of a service remote: SOS stays on the emergency path; a service key is a
        request for the service desk, never an alarm."""
        found = remote.job_at(endpoint)
        if found is None:
            return  # a key with no job
        key, job = found
        if not self._presses.new_press(f"{remote.device}:{key}", dt_util.utcnow()):
            return
        press = key_press(remote, key, job)
        if isinstance(press, ServicePressed):
            for listener in list(self._service_key_listeners):
                listener(press)
        else:
            self.observe(press)

    @callback
    def _rearm_triggered_panel(
        self, mapped: MappedEntity, old: State | None, new: State | None
    ) -> None:
        """A Zigbee fob's panel stays "triggered" after its SOS key, so the next press would
        change nothing; once the press is recorded, put the panel back as it was."""
        if mapped.role is not Role.SOS or new is None or new.state != "triggered":
            return
        entry = er.async_get(self._hass).async_get(mapped.entity_id)
        if entry is None or entry.platform != "zha":
            return  # another system's alarm panel is not ours to disarm
        before = old.state if old is not None else None
        # Not eagerly: we are inside ZHA's own state report, which must finish first or ZHA
        # remembers "triggered" as its last state and hides the next trigger.
        self._entry.async_create_background_task(
            self._hass,
            zigbee.rearm_panel(self._hass, mapped.entity_id, before),
            f"eldercare rearm {mapped.entity_id}",
            eager_start=False,
        )

    @callback
    def _notification_action(self, event: Event[dict[str, Any]]) -> None:
        answer = parse_on_my_way(event.data.get("action"))
        if answer is not None:
            alarm_id, member = answer
            self.observe(FamilyAnswered(alarm_id, member))

    @callback
    def hub_command(self, command: HubCommand) -> None:
        """A verified staff step or test request from the care center."""
        observation = observation_for(command.type, command.body, self._engine.book.knows)
        if observation is not None:
            self.observe(observation)

    @callback
    def hub_config(self, config: HubConfig) -> None:
        """The care center's config: its thresholds apply from the next reading on."""
        changed = config.thresholds is not None and self.care_center.update(config.thresholds)
        if config.residents is not None and self.care_center.update_residents(config.residents):
            changed = True
        if changed:
            self._engine.update_settings(self._wanted_settings())

    # Engine in, actions out

    @callback
    def speak(self, message: str, text: str) -> None:
        """Say a text in the home through the safety announcement path (life services)."""
        self._actions.speak(message, text)

    @callback
    def observe(self, observation: Observation) -> list[Effect]:
        if self._stopped:
            # A hub receipt may still arrive while the entry unloads: the next controller owns
            # the alarms now, and a timer re-armed here would alert the family a second time.
            return []
        # Only the kind and the entity: readings can be health data.
        _LOGGER.debug("%s %s", type(observation).__name__, getattr(observation, "entity_id", ""))
        effects = self._engine.handle(observation, dt_util.utcnow())
        self._apply(effects)
        return effects

    @callback
    def cancel(self, source: str) -> None:
        """The resident's cancel; raises NothingToCancel when there is nothing to cancel."""
        self._apply(self._engine.cancel(source, dt_util.utcnow()))

    @callback
    def _apply(self, effects: list[Effect]) -> None:
        for effect in effects:
            self._actions.run(effect)
            # Beside the care center, never instead: the ARC hears alarms, restores, tests.
            for listener in list(self._effect_listeners):
                listener(effect)
        if any(isinstance(effect, AlarmChanged) for effect in effects):
            # Alarms change rarely and matter a lot: save at once, not on HA's batch timer.
            self._store.async_delay_save(self._engine.snapshot, 0)
            self._publish()
        self._schedule_deadline()

    @callback
    def _publish(self) -> None:
        async_dispatcher_send(self._hass, signal_alarms_changed(self._entry.entry_id))

    @callback
    def _schedule_deadline(self) -> None:
        if self._deadline_unsub is not None:
            self._deadline_unsub()
            self._deadline_unsub = None
        deadline = self._engine.next_deadline()
        if deadline is not None:
            self._deadline_unsub = async_track_point_in_utc_time(
                self._hass, self._deadline_reached, deadline
            )

    @callback
    def _deadline_reached(self, now: datetime) -> None:
        self._deadline_unsub = None
        # Look at the devices' last-seen times first: a supervision deadline must not fire
        # for a device heard since the last poll.
        self._check_liveness()
        self._apply(self._engine.tick(dt_util.utcnow()))

    # Supervision: when was each safety device last heard?

    @callback
    def _check_liveness(self, _now: datetime | None = None) -> None:
        registry = dr.async_get(self._hass)
        for device_key, name in self.inventory.supervised_devices().items():
            device = registry.async_get(device_key)
            heard = zigbee.last_heard(self._hass, device) if device is not None else None
            if heard is None:
                entity_ids = [
                    m.entity_id for m in self.inventory.entities.values() if m.device == device_key
                ]
                heard = last_state_write(self._hass, entity_ids)
            previous = self._heard.get(device_key)
            if heard is not None and (previous is None or heard > previous):
                self._heard[device_key] = heard
                self.observe(DeviceHeard(device_key, name, heard))

    @callback
    def _configure_heartbeats(self) -> None:
        """Ask supervised Zigbee devices to report within half the supervision window."""
        seconds = max(60, int(self._engine.settings.supervision_window.total_seconds() / 2))
        registry = dr.async_get(self._hass)
        for device_key in self.inventory.supervised_devices():
            device = registry.async_get(device_key)
            if device is None or device_key in self._heartbeat_configured:
                continue
            self._heartbeat_configured.add(device_key)
            self._entry.async_create_background_task(
                self._hass, self._configure(device, seconds), "eldercare heartbeat reporting"
            )

    async def _configure(self, device: dr.DeviceEntry, seconds: int) -> None:
        if not await zigbee.configure_heartbeat(self._hass, device, seconds):
            self._heartbeat_configured.discard(device.id)

    # For entities, services and diagnostics: what they may read of the engine

    def open_alarms(self) -> list[Alarm]:
        return self._engine.book.open_alarms()

    def open_alarm(self, kind: AlarmKind) -> Alarm | None:
        """The open alarm of this kind, if any."""
        return self._engine.book.open_of_kind(kind)

    def alarm(self, alarm_id: str) -> Alarm | None:
        """One alarm, open or closed; None when the book does not know it (any more)."""
        try:
            return self._engine.book.get(alarm_id)
        except UnknownAlarm:
            return None

    def latest_alarm(self, kind: AlarmKind) -> Alarm:
        """The alarm of this kind seen last, open or not (what a press raised or cancelled);
        ValueError when there has been none."""
        alarms = (a for a in self._engine.book.all_alarms() if a.kind is kind)
        return max(alarms, key=lambda a: a.last_seen)

    @property
    def raised_total(self) -> int:
        return self._engine.book.raised_total

    @property
    def settings(self) -> SafetySettings:
        """The settings the engine works with now."""
        return self._engine.settings

    def valve_state(self) -> ValveState:
        hazards = self._engine.hazards
        return ValveState(hazards.closing_valves(), hazards.confirmed_valves())

    def next_deadline(self) -> datetime | None:
        return self._engine.next_deadline()

    def alarms_as_dict(self) -> dict[str, Any]:
        """The alarm book as it is saved (for diagnostics, redacted there)."""
        return self._engine.book.to_dict()

    def last_heard(self, device: str) -> datetime | None:
        """When a supervised device was last heard, as the liveness check last saw it."""
        return self._heard.get(device)


@callback
def _is_rename(data: er.EventEntityRegistryUpdatedData) -> bool:
    return data["action"] == "update" and "name" in data["changes"]
