"""Adding a health monitor to the household: found by HA Bluetooth (or picked from what it
hears), confirmed, and assigned to a resident, so its readings are judged by that resident's
thresholds and filed in that resident's record at the care center.

A monitor is a subentry of the household's config entry. It is added from the household's
"Add health monitor" (a subentry flow), from "Add integration" once the household is set up,
or from the Bluetooth discovery card; the last two add the subentry themselves, since HA
starts subentry flows only from the household's own page.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import voluptuous as vol
from homeassistant.components import bluetooth
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentry,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import selector

from gateway.health.profiles import MonitorProfile, profile_of

from .const import (
    CONF_MONITOR_ADDRESS,
    CONF_MONITOR_NAME,
    CONF_MONITOR_PROFILE,
    DOMAIN,
    OPTION_RESIDENT,
    SUBENTRY_MONITOR,
)
from .migration import is_old_monitor
from .monitors import monitor_subentries
from .runtime import EldercareConfigEntry

UNASSIGNED = "unassigned"
CONF_ADDRESS = "address"


def household_entry(hass: HomeAssistant) -> EldercareConfigEntry | None:
    """The household's config entry: the only kind this integration has."""
    entries: list[EldercareConfigEntry] = hass.config_entries.async_entries(DOMAIN)
    # An older release's monitor entry is one only until its migration removed it.
    return next((e for e in entries if not is_old_monitor(e)), None)


def resident_schema(
    household: EldercareConfigEntry | None, current: str | None = None
) -> vol.Schema:
    """The residents the care center registered for this household, by name."""
    options = [selector.SelectOptionDict(value=UNASSIGNED, label=UNASSIGNED)]
    if household is not None and household.state is ConfigEntryState.LOADED:
        options += [
            selector.SelectOptionDict(value=resident.id, label=resident.name)
            for resident in household.runtime_data.safety.care_center.residents()
        ]
    default = current or (options[1]["value"] if len(options) == 2 else UNASSIGNED)
    return vol.Schema(
        {
            vol.Required(OPTION_RESIDENT, default=default): selector.SelectSelector(
                selector.SelectSelectorConfig(
                    options=options,
                    translation_key="resident",
                    mode=selector.SelectSelectorMode.LIST,
                )
            )
        }
    )


def resident_option(user_input: Mapping[str, Any]) -> dict[str, str]:
    chosen = str(user_input.get(OPTION_RESIDENT, UNASSIGNED))
    return {OPTION_RESIDENT: "" if chosen == UNASSIGNED else chosen}


def monitor_data(
    address: str, name: str, profile: MonitorProfile, user_input: Mapping[str, Any]
) -> dict[str, str]:
    """A monitor subentry's data: which device it is, and whose readings it takes."""
    return {
        CONF_MONITOR_ADDRESS: address,
        CONF_MONITOR_NAME: name,
        CONF_MONITOR_PROFILE: profile.value,
        **resident_option(user_input),
    }


def is_added(household: ConfigEntry, address: str) -> bool:
    return any(s.unique_id == address for s in monitor_subentries(household))


def unconfigured_monitors(
    hass: HomeAssistant, household: ConfigEntry
) -> dict[str, tuple[str, MonitorProfile]]:
    """address -> (name, profile) of health monitors heard now and not yet added."""
    found: dict[str, tuple[str, MonitorProfile]] = {}
    for info in bluetooth.async_discovered_service_info(hass, connectable=True):
        profile = profile_of(info.service_uuids)
        address = info.address.upper()
        if profile is not None and not is_added(household, address):
            found[address] = (info.name or info.address, profile)
    return found


def pick_schema(
    found: Mapping[str, tuple[str, MonitorProfile]], household: EldercareConfigEntry
) -> vol.Schema:
    choices = {address: f"{name} ({address})" for address, (name, _) in found.items()}
    return vol.Schema({vol.Required(CONF_ADDRESS): vol.In(choices)}).extend(
        resident_schema(household).schema
    )


class MonitorDiscoveryMixin(ConfigFlow):
    """The monitor steps of the eldercare config flow: the discovery card, and "Add
    integration" once the household is set up. Both end by adding the household a subentry."""

    _monitor: tuple[str, str, MonitorProfile] | None = None  # address, name, profile

    async def async_step_bluetooth(
        self, discovery_info: bluetooth.BluetoothServiceInfoBleak
    ) -> ConfigFlowResult:
        profile = profile_of(discovery_info.service_uuids)
        if profile is None:
            return self.async_abort(reason="not_supported")
        address = discovery_info.address.upper()
        await self.async_set_unique_id(address)
        household = household_entry(self.hass)
        if household is None:
            return self.async_abort(reason="household_first")
        if is_added(household, address):
            return self.async_abort(reason="already_configured")
        name = discovery_info.name or address
        self._monitor = (address, name, profile)
        self.context["title_placeholders"] = {"name": name}
        return await self.async_step_bluetooth_confirm()

    async def async_step_bluetooth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        assert self._monitor is not None
        address, name, _profile = self._monitor
        household = household_entry(self.hass)
        if household is None:
            return self.async_abort(reason="household_first")
        if user_input is not None:
            return self._add_monitor(household, user_input)
        return self.async_show_form(
            step_id="bluetooth_confirm",
            data_schema=resident_schema(household),
            description_placeholders={"name": name, "address": address},
        )

    async def async_step_pick_monitor(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """From "Add integration" once the household is set up: the monitors HA hears."""
        household = household_entry(self.hass)
        assert household is not None
        found = unconfigured_monitors(self.hass, household)
        if user_input is not None:
            address = user_input[CONF_ADDRESS]
            name, profile = found[address]
            self._monitor = (address, name, profile)
            return self._add_monitor(household, user_input)
        if not found:
            return self.async_abort(reason="no_monitors_found")
        return self.async_show_form(
            step_id="pick_monitor", data_schema=pick_schema(found, household)
        )

    def _add_monitor(self, household: ConfigEntry, user_input: dict[str, Any]) -> ConfigFlowResult:
        assert self._monitor is not None
        address, name, profile = self._monitor
        if is_added(household, address):
            return self.async_abort(reason="already_configured")
        subentry = ConfigSubentry(
            data=MappingProxyType(monitor_data(address, name, profile, user_input)),
            subentry_type=SUBENTRY_MONITOR,
            title=name,
            unique_id=address,
        )
        # The household's update listener starts the monitor.
        self.hass.config_entries.async_add_subentry(household, subentry)
        return self.async_abort(reason="monitor_added", description_placeholders={"name": name})


class MonitorSubentryFlow(ConfigSubentryFlow):
    """The household's "Add health monitor", and giving a monitor to another resident (a cuff
    moves between a couple)."""

    def _household(self) -> EldercareConfigEntry:
        entry: EldercareConfigEntry = self._get_entry()
        return entry

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        household = self._household()
        found = unconfigured_monitors(self.hass, household)
        if user_input is not None and user_input.get(CONF_ADDRESS) in found:
            address = user_input[CONF_ADDRESS]
            name, profile = found[address]
            return self.async_create_entry(
                title=name, data=monitor_data(address, name, profile, user_input), unique_id=address
            )
        if not found:
            return self.async_abort(reason="no_monitors_found")
        return self.async_show_form(step_id="user", data_schema=pick_schema(found, household))

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        household = self._household()
        subentry = self._get_reconfigure_subentry()
        if user_input is not None:
            return self.async_update_and_abort(
                household, subentry, data_updates=resident_option(user_input)
            )
        current = str(subentry.data.get(OPTION_RESIDENT) or "") or None
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=resident_schema(household, current),
            description_placeholders={"name": subentry.title},
        )
