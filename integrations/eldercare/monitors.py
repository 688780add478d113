"""The household's health monitors: one per monitor subentry of its config entry, started
with the household and as subentries are added, stopped as they are removed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import suppress

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.const import EVENT_COMPONENT_LOADED
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.data_entry_flow import UnknownFlow
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import EventComponentLoaded

from gateway.health.readings import HealthReading

from .const import DOMAIN, SUBENTRY_MONITOR
from .health_monitor import HealthMonitor, monitor_store

NO_BLUETOOTH = "no_bluetooth"

type Deliver = Callable[[HealthMonitor, HealthReading], bool]
type EntityAdder = Callable[[HealthMonitor], None]


def monitor_subentries(entry: ConfigEntry) -> Iterator[ConfigSubentry]:
    return (s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_MONITOR)


class MonitorSet:
    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, deliver: Deliver) -> None:
        self._hass = hass
        self._entry = entry  # the household's
        self._deliver = deliver
        self._running: dict[str, tuple[HealthMonitor, CALLBACK_TYPE]] = {}
        self._add_entities: EntityAdder | None = None
        self._wait_for_bluetooth: CALLBACK_TYPE | None = None

    def __iter__(self) -> Iterator[HealthMonitor]:
        return (monitor for monitor, _ in self._running.values())

    def get(self, subentry_id: str) -> HealthMonitor | None:
        running = self._running.get(subentry_id)
        return running[0] if running else None

    @callback
    def set_entity_adder(self, add: EntityAdder) -> None:
        """The sensor platform's: each monitor's entities, under its subentry."""
        self._add_entities = add
        for monitor in self:
            add(monitor)

    async def async_sync(self) -> None:
        """Start the monitors of new subentries, stop (and forget) those of removed ones."""
        wanted = {s.subentry_id: s for s in monitor_subentries(self._entry)}
        for subentry_id in [s for s in self._running if s not in wanted]:
            await self._async_stop(subentry_id)
            await monitor_store(self._hass, subentry_id).async_remove()
        if "bluetooth" not in self._hass.config.components:
            # The household protects itself without Bluetooth; its monitors wait for it.
            if wanted and self._wait_for_bluetooth is None:
                ir.async_create_issue(
                    self._hass,
                    DOMAIN,
                    NO_BLUETOOTH,
                    is_fixable=False,
                    severity=ir.IssueSeverity.WARNING,
                    translation_key=NO_BLUETOOTH,
                )
                self._wait_for_bluetooth = self._hass.bus.async_listen(
                    EVENT_COMPONENT_LOADED, self._component_loaded
                )
            return
        for subentry_id, subentry in wanted.items():
            if subentry_id not in self._running:
                await self._async_start(subentry)

    async def async_stop(self) -> None:
        if self._wait_for_bluetooth is not None:
            self._wait_for_bluetooth()
            self._wait_for_bluetooth = None
        for subentry_id in list(self._running):
            await self._async_stop(subentry_id)

    async def _async_start(self, subentry: ConfigSubentry) -> None:
        self._dismiss_discovery(subentry.unique_id)
        monitor = HealthMonitor(self._hass, self._entry, subentry, self._deliver)
        cancel = await monitor.async_start()
        self._running[subentry.subentry_id] = (monitor, cancel)
        if self._add_entities is not None:
            self._add_entities(monitor)
        monitor.flush_pending()  # readings an older release kept for a reloading household

    @callback
    def _dismiss_discovery(self, address: str | None) -> None:
        """A discovery card for a monitor added another way has nothing left to offer (HA
        dismisses it itself only for config entries)."""
        flows = self._hass.config_entries.flow
        for flow in flows.async_progress_by_handler(DOMAIN, match_context={"unique_id": address}):
            with suppress(UnknownFlow):
                flows.async_abort(flow["flow_id"])

    async def _async_stop(self, subentry_id: str) -> None:
        monitor, cancel = self._running.pop(subentry_id)
        cancel()
        await monitor.async_stop()

    @callback
    def _component_loaded(self, event: Event[EventComponentLoaded]) -> None:
        if event.data["component"] != "bluetooth":
            return
        if self._wait_for_bluetooth is not None:
            self._wait_for_bluetooth()
            self._wait_for_bluetooth = None
        ir.async_delete_issue(self._hass, DOMAIN, NO_BLUETOOTH)
        self._entry.async_create_background_task(
            self._hass, self.async_sync(), "eldercare health monitors"
        )
