"""The care center's vital thresholds and residents for this household, kept on disk.

They arrive in the hub's `config` after each connect. The home must keep judging readings by
them when the care center is unreachable, also after Home Assistant restarts, so they are
saved the moment they change and loaded before the safety engine starts.

Thresholds: the household's set (its residents' widest), for readings of no known resident.
Residents: each with the hub's id, a short name (for the installer's picker: whose monitor is
this?) and their own thresholds, for the readings of monitors assigned to them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store

from gateway.protocol import ResidentConfig, VitalBounds, parse_residents, parse_thresholds
from gateway.safety.settings import VitalRange
from gateway.safety.vital_units import VITAL_CODES, vital_ranges
from gateway.vital_signs import VitalSign

from .const import DOMAIN

_LOGGER = logging.getLogger(__name__)
STORAGE_VERSION = 1


@dataclass(frozen=True, slots=True)
class ResidentRef:
    """A resident as a monitor can be assigned to them: the hub's id and a name to show."""

    id: str
    name: str


class CareCenterThresholds:
    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.care_center", atomic_writes=True
        )
        self.thresholds: dict[str, VitalBounds] = {}
        self._residents: tuple[ResidentConfig, ...] = ()
        self._unsaved = False

    async def async_load(self) -> None:
        saved = await self._store.async_load() or {}
        thresholds, problems = parse_thresholds(saved.get("thresholds", {}))
        # Saved before residents came in the config: none yet, until the hub says.
        residents, problems_of_residents = parse_residents(saved.get("residents", []))
        for problem in problems + problems_of_residents:
            _LOGGER.warning("Ignoring a saved care-center threshold: %s", problem)
        self.thresholds = thresholds or {}
        self._residents = residents or ()

    @callback
    def update(self, thresholds: dict[str, VitalBounds]) -> bool:
        """Take the hub's latest thresholds; True when they differ from what was kept."""
        if thresholds == self.thresholds:
            return False
        self.thresholds = dict(thresholds)
        unknown = sorted(code for code in thresholds if code not in VITAL_CODES)
        if unknown:
            _LOGGER.info("No household sensor measures LOINC %s; not applied", ", ".join(unknown))
        self._changed()
        return True

    @callback
    def update_residents(self, residents: tuple[ResidentConfig, ...]) -> bool:
        """Take the hub's latest residents; True when they differ from what was kept."""
        if residents == self._residents:
            return False
        self._residents = residents
        self._changed()
        return True

    def ranges(self) -> dict[VitalSign, VitalRange]:
        return vital_ranges(self.thresholds)

    def residents(self) -> list[ResidentRef]:
        """Whom a monitor can be assigned to, in the hub's order."""
        return [ResidentRef(resident.id, resident.name) for resident in self._residents]

    def resident_ranges(self) -> dict[str, dict[VitalSign, VitalRange]]:
        """Each resident's own ranges (by the hub's resident id), in the engine's units."""
        return {resident.id: vital_ranges(resident.thresholds) for resident in self._residents}

    async def async_flush(self) -> None:
        """Write now (unload): a delayed save must not be lost with the entry."""
        if self._unsaved:
            await self._store.async_save(self._data())

    async def async_remove(self) -> None:
        await self._store.async_remove()

    def _changed(self) -> None:
        self._unsaved = True
        self._store.async_delay_save(self._data, 0)

    def _data(self) -> dict[str, Any]:
        self._unsaved = False
        return {
            "thresholds": {code: b.to_body() for code, b in sorted(self.thresholds.items())},
            "residents": [resident.to_body() for resident in self._residents],
        }
