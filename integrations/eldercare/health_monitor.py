"""One Bluetooth health monitor: connect when it advertises, take its readings, hand them on.

Cuffs, oximeters and meters advertise after a measurement and hold it until a central
takes it. HA's Bluetooth picks the adapter or proxy that hears the monitor best; we
connect through it with bleak-retry-connector, run the profile's session, and hang up at
once. What the monitor gave is kept on disk (which readings we have, the glucose meter's
last record number, readings not yet handed to the household) so a restart neither loses
a reading nor counts one twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import bleak_retry_connector
from bleak.backends.device import BLEDevice
from homeassistant.components import bluetooth
from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from gateway.health.profiles import MonitorProfile
from gateway.health.readings import HealthReading
from gateway.health.seen import SeenReadings
from gateway.health.session import MonitorSession, SessionResult, SessionTimeouts

from .const import (
    CONF_MONITOR_ADDRESS,
    CONF_MONITOR_NAME,
    CONF_MONITOR_PROFILE,
    DOMAIN,
    OPTION_RESIDENT,
)

_LOGGER = logging.getLogger(__name__)
STORAGE_VERSION = 1

# After a session, leave the monitor alone this long (seconds); a new measurement changes
# its advertisement and brings us back. A strap streams all day: we come back on our own,
# every few minutes, which is what a care record wants and spares the proxy's few slots.
QUIET_AFTER_SESSION = 2.0
QUIET_AFTER_STREAM = 300.0
RETRY_AFTER_FAILURE = 3.0
MAX_RETRIES = 3  # then wait for its next advertisement


@dataclass(frozen=True, slots=True)
class MonitorIdentity:
    address: str
    profile: MonitorProfile
    name: str


class HealthMonitor:
    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        subentry: ConfigSubentry,
        deliver: Callable[[HealthMonitor, HealthReading], bool],
        timeouts: SessionTimeouts | None = None,
    ) -> None:
        self.hass = hass
        self.entry = entry  # the household's: the monitor's tasks end with it
        # HA updates a subentry in place: the resident is read from it each time.
        self.subentry = subentry
        self.identity = MonitorIdentity(
            address=str(subentry.data[CONF_MONITOR_ADDRESS]).upper(),
            profile=MonitorProfile(subentry.data[CONF_MONITOR_PROFILE]),
            name=str(subentry.data.get(CONF_MONITOR_NAME) or subentry.title),
        )
        self._deliver = deliver  # False: the household is not running; keep it for later
        self._timeouts = timeouts
        self._store = monitor_store(hass, subentry.subentry_id)
        self._seen = SeenReadings()
        self._pending: list[HealthReading] = []
        self.last_sequence: int | None = None
        self.info: dict[str, str] = {}
        self.battery: int | None = None
        self.device_id: str | None = None  # set by the entities' device, for `vital.device`
        self.counts = {"sessions": 0, "readings": 0, "duplicates": 0, "rejected": 0, "drops": 0}
        self._listeners: list[Callable[[list[HealthReading]], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._timer: Callable[[], None] | None = None
        self._quiet_until = 0.0
        self._wanted = False  # the monitor advertised something we have not fetched yet
        self._retries = 0

    @property
    def resident(self) -> str | None:
        return str(self.subentry.data.get(OPTION_RESIDENT) or "") or None

    def add_listener(self, listener: Callable[[list[HealthReading]], None]) -> Callable[[], None]:
        """`listener` gets each session's new readings (oldest first) and battery changes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def async_start(self) -> Callable[[], None]:
        await self._load()
        cancel = bluetooth.async_register_callback(
            self.hass,
            self._advertised,
            bluetooth.BluetoothCallbackMatcher(address=self.identity.address, connectable=True),
            bluetooth.BluetoothScanningMode.ACTIVE,
        )
        # Already advertising (it was measured before HA started): go and get it.
        info = bluetooth.async_last_service_info(self.hass, self.identity.address, True)
        if info is not None:
            self._advertised(info, bluetooth.BluetoothChange.ADVERTISEMENT)
        return cancel

    async def async_stop(self) -> None:
        self._cancel_timer()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._store.async_save(self._data())

    def flush_pending(self) -> None:
        """The household is (back) up: hand over what waited for it."""
        waiting, self._pending = self._pending, []
        for reading in waiting:
            if not self._deliver(self, reading):
                self._pending.append(reading)
        if waiting:
            self._save()

    @callback
    def _advertised(
        self, service_info: bluetooth.BluetoothServiceInfoBleak, change: bluetooth.BluetoothChange
    ) -> None:
        # HA passes on an advertisement only when it changed (a monitor's new measurement
        # changes it), so one is never ignored: it is remembered until a visit can be made.
        self._wanted = True
        self._retries = 0
        self._visit_when_free()

    @callback
    def _visit_when_free(self, _now: object = None) -> None:
        self._cancel_timer()
        if self._task is not None or not self._wanted:
            return
        wait = self._quiet_until - self.hass.loop.time()
        if wait > 0:
            self._timer = async_call_later(self.hass, wait, self._visit_when_free)
            return
        device = bluetooth.async_ble_device_from_address(self.hass, self.identity.address, True)
        if device is None:
            self._wanted = False  # out of range now; its next advertisement brings it back
            return
        self._wanted = False
        self._task = self.entry.async_create_background_task(
            self.hass, self._visit(device), f"eldercare monitor {self.identity.name}"
        )

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer()
            self._timer = None

    async def _visit(self, device: BLEDevice) -> None:
        result: SessionResult | None = None
        try:
            result = await self._session(device)
        except Exception as err:
            _LOGGER.info("Could not reach %s: %s", self.identity.name, err)
        finally:
            self._task = None
        if result is not None:
            self._take(result, dt_util.utcnow())
        if result is None or not result.complete:
            # Dropped mid-transfer or unreachable: it still holds what we did not get.
            self._quiet_until = self.hass.loop.time() + RETRY_AFTER_FAILURE
            if self._retries < MAX_RETRIES:
                self._retries += 1
                self._wanted = True
        self._visit_when_free()

    async def _session(self, device: BLEDevice) -> SessionResult:
        session = MonitorSession(
            self.identity.profile,
            local_now=lambda: dt_util.now().replace(tzinfo=None),
            after_sequence=self.last_sequence,
            read_info=not self.info,
            timeouts=self._timeouts,
        )
        address = self.identity.address
        client = await bleak_retry_connector.establish_connection(
            # Looked up now: HA's Bluetooth puts its own class (which can reach a proxy's
            # device) into bleak-retry-connector when it starts, after this module loaded.
            bleak_retry_connector.BleakClientWithServiceCache,
            device,
            self.identity.name,
            disconnected_callback=lambda _client: session.link_lost(),
            max_attempts=3,
            ble_device_callback=lambda: (
                bluetooth.async_ble_device_from_address(self.hass, address, True) or device
            ),
        )
        try:
            return await session.run(client)
        finally:
            # Hang up at once: the proxy's few slots are shared by every monitor in range.
            await client.disconnect()

    def _take(self, result: SessionResult, received_at: datetime) -> None:
        self.counts["sessions"] += 1
        self.counts["rejected"] += len(result.rejected)
        if not result.complete:
            self.counts["drops"] += 1
        # A strap is a streaming monitor even on a visit when it sent nothing (taken off).
        streamed = self.identity.profile is MonitorProfile.HEART_RATE or result.streamed
        self._quiet_until = self.hass.loop.time() + (
            QUIET_AFTER_STREAM if streamed else QUIET_AFTER_SESSION
        )
        if streamed:
            self._wanted = True
        if result.info:
            self.info = result.info
        battery_changed = result.battery is not None and result.battery != self.battery
        if result.battery is not None:
            self.battery = result.battery
        fresh = self._new_readings(result, received_at)
        if self.identity.profile is MonitorProfile.GLUCOSE and result.last_sequence is not None:
            self.last_sequence = max(self.last_sequence or 0, result.last_sequence)
        for reading in fresh:
            if not self._deliver(self, reading):
                self._pending.append(reading)
        self._save()
        if fresh or battery_changed or result.info:
            for listener in list(self._listeners):
                listener(fresh)

    def _new_readings(self, result: SessionResult, received_at: datetime) -> list[HealthReading]:
        """The session's readings not seen before, oldest first."""
        fresh: list[HealthReading] = []
        for reading in result.readings(received_at, dt_util.get_default_time_zone()):
            key = reading.key
            if key is not None and not self._seen.add(key):
                self.counts["duplicates"] += 1
                continue
            fresh.append(reading)
        self.counts["readings"] += len(fresh)
        return sorted(fresh, key=lambda r: r.measured_at)

    async def _load(self) -> None:
        saved = await self._store.async_load() or {}
        self._seen = SeenReadings(saved.get("seen", []))
        sequence = saved.get("last_sequence")
        self.last_sequence = sequence if isinstance(sequence, int) else None
        self.info = dict(saved.get("info", {}))
        battery = saved.get("battery")
        self.battery = battery if isinstance(battery, int) else None
        self._pending = [r for r in map(_saved_reading, saved.get("pending", [])) if r]

    def _save(self) -> None:
        self._store.async_delay_save(self._data, 1.0)

    def _data(self) -> dict[str, Any]:
        return {
            "seen": self._seen.keys(),
            "last_sequence": self.last_sequence,
            "info": self.info,
            "battery": self.battery,
            "pending": [r.to_json() for r in self._pending],
        }


def monitor_store(hass: HomeAssistant, subentry_id: str) -> Store[dict[str, Any]]:
    """What a monitor keeps across restarts. A monitor added before subentries kept it under
    its own config entry's id, which its subentry took over (migration.py)."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{subentry_id}.monitor", atomic_writes=True)


def _saved_reading(data: dict[str, Any]) -> HealthReading | None:
    try:
        return HealthReading.from_json(data)
    except ValueError:
        _LOGGER.warning("Dropping an unreadable saved reading of a health monitor")
        return None
