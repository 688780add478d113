"""The care center's vital thresholds for this household, kept on disk.

They arrive in the hub's `config` after each connect. The home must keep judging readings by
them when the care center is unreachable, also after Home Assistant restarts, so they are
saved the moment they change and loaded before the safety engine starts.
"""

from __future__ import annotations

import logging
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store

from gateway.protocol import VitalBounds, parse_thresholds
from gateway.safety.roles import VitalSign
from gateway.safety.settings import VitalRange
from gateway.vital_codes import VITAL_CODES, vital_ranges

from .const import DOMAIN

_LOGGER = logging.getLogger(__name__)
STORAGE_VERSION = 1


class CareCenterThresholds:
    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.care_center", atomic_writes=True
        )
        self.thresholds: dict[str, VitalBounds] = {}
        self._unsaved = False

    async def async_load(self) -> None:
        saved = await self._store.async_load() or {}
        thresholds, problems = parse_thresholds(saved.get("thresholds", {}))
        for problem in problems:
            _LOGGER.warning("Ignoring a saved care-center threshold: %s", problem)
        self.thresholds = thresholds or {}

    @callback
    def update(self, thresholds: dict[str, VitalBounds]) -> bool:
        """Take the hub's latest thresholds; True when they differ from what was kept."""
        if thresholds == self.thresholds:
            return False
        self.thresholds = dict(thresholds)
        unknown = sorted(code for code in thresholds if code not in VITAL_CODES)
        if unknown:
            _LOGGER.info("No household sensor measures LOINC %s; not applied", ", ".join(unknown))
        self._unsaved = True
        self._store.async_delay_save(self._data, 0)
        return True

    def ranges(self) -> dict[VitalSign, VitalRange]:
        return vital_ranges(self.thresholds)

    async def async_flush(self) -> None:
        """Write now (unload): a delayed save must not be lost with the entry."""
        if self._unsaved:
            await self._store.async_save(self._data())

    async def async_remove(self) -> None:
        await self._store.async_remove()

    def _data(self) -> dict[str, Any]:
        self._unsaved = False
        return {"thresholds": {code: b.to_body() for code, b in sorted(self.thresholds.items())}}
