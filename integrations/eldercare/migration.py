"""Bringing config entries saved by older releases up to this one.

1.1 -> 1.2: the ARC report format is kept as its option key ("adm_cid"), no longer as the
DC-09 token ("ADM-CID"): HA's selector option keys must be lowercase.
1.2 -> 1.3: a health monitor is a subentry of the household's entry, no longer a config entry
of its own. Each old monitor entry becomes a subentry with the same id (so what the monitor
kept on disk is found under it), its device and entities move to the household's entry
under that subentry (entity ids, unique ids and so recorder history stay as they were), and
the old entry is removed.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from types import MappingProxyType

from homeassistant.config_entries import ConfigEntry, ConfigSubentry, UnknownEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from .arc import migrate_arc_options
from .const import CONF_MONITOR_ADDRESS, DOMAIN, OPTION_ARC, OPTION_RESIDENT, SUBENTRY_MONITOR

_LOGGER = logging.getLogger(__name__)
VERSION = 1
MINOR_VERSION = 3


def is_old_monitor(entry: ConfigEntry) -> bool:
    """A health monitor's config entry as releases before 1.3 saved it."""
    return CONF_MONITOR_ADDRESS in entry.data


async def async_migrate(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    if entry.version > VERSION:
        return False  # saved by a newer release: nothing here can read it
    if is_old_monitor(entry):
        # Taken in by the household (now or at its own migration); never set up again.
        household = _household(hass)
        if household is None:
            _LOGGER.error("Health monitor %s has no household to move to", entry.title)
            return False
        adopt_old_monitors(hass, household)
        return False
    if entry.minor_version < 2:
        options = dict(entry.options)
        arc = options.get(OPTION_ARC)
        if isinstance(arc, dict):
            options[OPTION_ARC] = migrate_arc_options(arc)
        hass.config_entries.async_update_entry(entry, options=options, minor_version=2)
    if entry.minor_version < 3:
        adopt_old_monitors(hass, entry)
        hass.config_entries.async_update_entry(entry, minor_version=3)
    return True


def _household(hass: HomeAssistant) -> ConfigEntry | None:
    return next(
        (e for e in hass.config_entries.async_entries(DOMAIN) if not is_old_monitor(e)), None
    )


@callback
def adopt_old_monitors(hass: HomeAssistant, household: ConfigEntry) -> None:
    """Every old monitor entry not yet taken in becomes a subentry of `household`."""
    for old in hass.config_entries.async_entries(DOMAIN):
        if is_old_monitor(old) and old.entry_id not in household.subentries:
            _adopt(hass, household, old)


@callback
def _adopt(hass: HomeAssistant, household: ConfigEntry, old: ConfigEntry) -> None:
    data = {**old.data, OPTION_RESIDENT: str(old.options.get(OPTION_RESIDENT) or "")}
    subentry = ConfigSubentry(
        data=MappingProxyType(data),
        subentry_id=old.entry_id,
        subentry_type=SUBENTRY_MONITOR,
        title=old.title,
        unique_id=old.unique_id or str(old.data[CONF_MONITOR_ADDRESS]).upper(),
    )
    hass.config_entries.async_add_subentry(household, subentry)
    # The entities first: a device that loses the old entry takes that entry's entities along.
    entities = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(entities, old.entry_id):
        entities.async_update_entity(
            entity.entity_id,
            config_entry_id=household.entry_id,
            config_subentry_id=subentry.subentry_id,
        )
    devices = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(devices, old.entry_id):
        devices.async_update_device(
            device.id,
            add_config_entry_id=household.entry_id,
            add_config_subentry_id=subentry.subentry_id,
        )
        devices.async_update_device(device.id, remove_config_entry_id=old.entry_id)
    _LOGGER.info("Health monitor %s is now part of %s", old.title, household.title)
    hass.async_create_task(_remove(hass, old.entry_id), f"eldercare adopt {old.title}")


async def _remove(hass: HomeAssistant, entry_id: str) -> None:
    with suppress(UnknownEntry):  # removed already
        await hass.config_entries.async_remove(entry_id)
