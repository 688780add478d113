"""The household's devices as the care center sees them (`device.status`).

A dispatcher deciding whom to send asks "is the gas valve closed? is the smoke detector
offline?". The hub can only answer from what the gateway reports, so the gateway sends its
whole inventory after each connect, and again when a battery, an availability or a valve
changes: at most once per REPORT_INTERVAL, and only if something the hub shows changed.
Reports while the link is down are not queued; the next connect sends a fresh one.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    callback,
)
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from gateway.link import HubLink, LinkState
from gateway.protocol import (
    MAX_DEVICE_NAME,
    MAX_DEVICES,
    MAX_MESSAGE_BYTES,
    DeviceReport,
    DeviceStatusBody,
    MessageType,
)
from gateway.safety.roles import SUPERVISED_ROLES, VALVE_ROLES, Role

from .household import Inventory, MappedEntity, last_state_write, valve_closed

if TYPE_CHECKING:
    from .controller import SafetyController

REPORT_INTERVAL = timedelta(seconds=10)
CONNECTED_SETTLE = timedelta(seconds=1)
# Room left in a frame for the envelope around the body (ids, signature, times).
_BODY_BUDGET = MAX_MESSAGE_BYTES - 1024
# Roles whose on/off the dispatcher needs ("still smoke?", "siren sounding?"). Doors and
# motion stay out: they would tell the hub when the resident moves, and change all day.
_ON_OFF_ROLES = frozenset({Role.SMOKE, Role.GAS, Role.CO, Role.WATER_LEAK, Role.SIREN})
_VALVE_STATES = frozenset({"open", "opening", "closed", "closing"})


class DeviceReporter:
    def __init__(self, hass: HomeAssistant, link: HubLink, safety: SafetyController) -> None:
        self._hass = hass
        self._link = link
        self._safety = safety
        self._sent: tuple[object, ...] | None = None  # what the hub last got, minus times
        self._last_sent: datetime | None = None
        self._pending: CALLBACK_TYPE | None = None

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Start reporting; returns the function that stops it."""
        unsubs = [
            self._link.add_state_listener(self._link_state),
            self._safety.add_inventory_listener(self._changed),
            self._hass.bus.async_listen(
                EVENT_STATE_CHANGED, self._state_changed, event_filter=self._watched
            ),
        ]

        @callback
        def stop() -> None:
            for unsub in unsubs:
                unsub()
            if self._pending is not None:
                self._pending()
                self._pending = None

        return stop

    @callback
    def _link_state(self, state: LinkState) -> None:
        if state is not LinkState.CONNECTED:
            return
        # The hub may have missed anything while we were apart: a full report, once the
        # link has held for a moment (what queued meanwhile, alarms first, leaves first, and
        # a link that drops at once does not pile up reports in the outbox).
        if self._pending is not None:
            self._pending()
        self._pending = async_call_later(
            self._hass, CONNECTED_SETTLE.total_seconds(), self._connected_due
        )

    @callback
    def _connected_due(self, _now: datetime) -> None:
        self._pending = None
        if self._link.state is LinkState.CONNECTED:
            self._send()

    @callback
    def _watched(self, data: EventStateChangedData) -> bool:
        inventory = self._safety.inventory
        entity_id = data["entity_id"]
        return entity_id in inventory.entities or entity_id in inventory.batteries

    @callback
    def _state_changed(self, _event: Event[EventStateChangedData]) -> None:
        self._changed()

    @callback
    def _changed(self) -> None:
        if self._pending is not None or self._link.state is not LinkState.CONNECTED:
            return
        delay = 0.0
        if self._last_sent is not None:
            delay = (self._last_sent + REPORT_INTERVAL - dt_util.utcnow()).total_seconds()
        self._pending = async_call_later(self._hass, max(0.0, delay), self._due)

    @callback
    def _due(self, _now: datetime) -> None:
        self._pending = None
        if self._link.state is LinkState.CONNECTED:
            self._send(only_if_changed=True)

    @callback
    def _send(self, *, only_if_changed: bool = False) -> None:
        safety = self._safety
        devices = device_reports(self._hass, safety.inventory, safety.last_heard)
        shown = tuple((d.id, d.name, d.kind, d.battery, d.state) for d in devices)
        if only_if_changed and shown == self._sent:
            return
        self._sent = shown
        self._last_sent = dt_util.utcnow()
        self._link.send(MessageType.DEVICE_STATUS, fitted_body(devices))


def fitted_body(devices: list[DeviceReport]) -> dict[str, object]:
    """The full inventory in one frame. A household too big for one (never seen: it takes
    about 200 devices with long names) sends the first devices that fit, safety devices
    first, as a partial report, so the hub forgets none of the others."""
    full = len(devices) <= MAX_DEVICES
    devices = devices[:MAX_DEVICES]
    while True:
        body = DeviceStatusBody(tuple(devices), full).to_body()
        if len(json.dumps(body, ensure_ascii=False).encode()) <= _BODY_BUDGET:
            return body
        full = False
        devices = devices[: len(devices) * 9 // 10]


def device_reports(
    hass: HomeAssistant, inventory: Inventory, heard: Callable[[str], datetime | None]
) -> list[DeviceReport]:
    """One report per device with a safety role (its entities grouped), valves and
    supervised devices first. `heard`: when supervision last heard a device."""
    by_device: dict[str, list[MappedEntity]] = {}
    for mapped in inventory.entities.values():
        by_device.setdefault(mapped.device, []).append(mapped)
    batteries = {device: entity_id for entity_id, device in inventory.batteries.items()}
    reports: list[tuple[int, DeviceReport]] = []
    for device, members in by_device.items():
        main = min(members, key=_rank)
        seen = heard(device) or last_state_write(hass, [m.entity_id for m in members])
        report = DeviceReport(
            id=device,
            name=main.device_name[:MAX_DEVICE_NAME],
            kind=main.role.value,
            battery=_battery(hass, batteries.get(device)),
            last_seen=seen,
            state=_state(hass, main),
        )
        reports.append((_rank(main), report))
    for remote in inventory.remotes.values():
        if remote.device in by_device:
            continue
        report = DeviceReport(
            id=remote.device,
            name=remote.name[:MAX_DEVICE_NAME],
            kind=remote.role.value,
            battery=_battery(hass, batteries.get(remote.device)),
            last_seen=heard(remote.device),
        )
        reports.append((1, report))
    reports.sort(key=lambda ranked: (ranked[0], ranked[1].name, ranked[1].id))
    return [report for _, report in reports]


def _rank(mapped: MappedEntity) -> int:
    """Which entity speaks for a device with several: a valve's state is what matters."""
    if mapped.role in VALVE_ROLES:
        return 0
    return 1 if mapped.role in SUPERVISED_ROLES else 2


def _state(hass: HomeAssistant, mapped: MappedEntity) -> str | None:
    state = hass.states.get(mapped.entity_id)
    if state is None or state.state == STATE_UNKNOWN:
        return None
    if state.state == STATE_UNAVAILABLE:
        return "unavailable"
    if mapped.role in VALVE_ROLES:
        if state.domain == "valve" and state.state in _VALVE_STATES:
            return state.state  # "closing" tells the dispatcher more than "open"
        return "closed" if valve_closed(state) else "open"
    if mapped.role in _ON_OFF_ROLES and state.state in ("on", "off"):
        return state.state
    return None


def _battery(hass: HomeAssistant, entity_id: str | None) -> int | None:
    state = hass.states.get(entity_id) if entity_id else None
    if state is None:
        return None
    try:
        percent = float(state.state)
    except ValueError:
        return None
    return round(min(100.0, max(0.0, percent))) if math.isfinite(percent) else None
