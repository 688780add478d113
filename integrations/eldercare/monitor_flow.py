"""Adding a health monitor: found by HA Bluetooth (or picked from what it hears), confirmed,
and assigned to a resident, so its readings are judged by that resident's thresholds and
filed in that resident's record at the care center."""

from __future__ import annotations

from typing import Any

import voluptuous as vol
from homeassistant.components import bluetooth
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.core import HomeAssistant
from homeassistant.helpers import selector

from gateway.health.profiles import MonitorProfile, profile_of

from .const import CONF_MONITOR_ADDRESS, CONF_MONITOR_NAME, CONF_MONITOR_PROFILE, OPTION_RESIDENT
from .entries import household_entries, household_runtime, monitor_entries

UNASSIGNED = "unassigned"
CONF_ADDRESS = "address"


def resident_schema(hass: HomeAssistant, current: str | None = None) -> vol.Schema:
    """The residents the care center registered for this household, by name."""
    options = [selector.SelectOptionDict(value=UNASSIGNED, label=UNASSIGNED)]
    runtime = household_runtime(hass)
    if runtime is not None:
        options += [
            selector.SelectOptionDict(value=resident.id, label=resident.name)
            for resident in runtime.safety.care_center.residents()
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


def resident_option(user_input: dict[str, Any]) -> dict[str, str]:
    chosen = str(user_input.get(OPTION_RESIDENT, UNASSIGNED))
    return {OPTION_RESIDENT: "" if chosen == UNASSIGNED else chosen}


def unconfigured_monitors(hass: HomeAssistant) -> dict[str, tuple[str, MonitorProfile]]:
    """address -> (name, profile) of health monitors heard now and not yet added."""
    configured = {str(e.data[CONF_MONITOR_ADDRESS]).upper() for e in monitor_entries(hass)}
    found: dict[str, tuple[str, MonitorProfile]] = {}
    for info in bluetooth.async_discovered_service_info(hass, connectable=True):
        profile = profile_of(info.service_uuids)
        if profile is not None and info.address.upper() not in configured:
            found[info.address.upper()] = (info.name or info.address, profile)
    return found


class MonitorFlowMixin(ConfigFlow):
    """The monitor steps of the eldercare config flow."""

    _monitor: tuple[str, str, MonitorProfile] | None = None  # address, name, profile

    async def async_step_bluetooth(
        self, discovery_info: bluetooth.BluetoothServiceInfoBleak
    ) -> ConfigFlowResult:
        profile = profile_of(discovery_info.service_uuids)
        if profile is None:
            return self.async_abort(reason="not_supported")
        address = discovery_info.address.upper()
        await self.async_set_unique_id(address)
        self._abort_if_unique_id_configured()
        if not household_entries(self.hass):
            return self.async_abort(reason="household_first")
        name = discovery_info.name or address
        self._monitor = (address, name, profile)
        self.context["title_placeholders"] = {"name": name}
        return await self.async_step_bluetooth_confirm()

    async def async_step_bluetooth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        assert self._monitor is not None
        address, name, _profile = self._monitor
        if user_input is not None:
            return self._create_monitor(user_input)
        return self.async_show_form(
            step_id="bluetooth_confirm",
            data_schema=resident_schema(self.hass),
            description_placeholders={"name": name, "address": address},
        )

    async def async_step_pick_monitor(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """From "Add integration" once the household is set up: the monitors HA hears."""
        found = unconfigured_monitors(self.hass)
        if user_input is not None:
            address = user_input[CONF_ADDRESS]
            name, profile = found[address]
            await self.async_set_unique_id(address, raise_on_progress=False)
            self._abort_if_unique_id_configured()
            self._monitor = (address, name, profile)
            return self._create_monitor(user_input)
        if not found:
            return self.async_abort(reason="no_monitors_found")
        choices = {address: f"{name} ({address})" for address, (name, _) in found.items()}
        return self.async_show_form(
            step_id="pick_monitor",
            data_schema=vol.Schema({vol.Required(CONF_ADDRESS): vol.In(choices)}).extend(
                resident_schema(self.hass).schema
            ),
        )

    def _create_monitor(self, user_input: dict[str, Any]) -> ConfigFlowResult:
        assert self._monitor is not None
        address, name, profile = self._monitor
        return self.async_create_entry(
            title=name,
            data={
                CONF_MONITOR_ADDRESS: address,
                CONF_MONITOR_NAME: name,
                CONF_MONITOR_PROFILE: profile.value,
            },
            options=resident_option(user_input),
        )


class MonitorOptionsFlow(OptionsFlow):
    """Give the monitor to another resident (a cuff moves between a couple)."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        return await self.async_step_resident()

    async def async_step_resident(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        if user_input is not None:
            return self.async_create_entry(data=resident_option(user_input))
        current = str(self.config_entry.options.get(OPTION_RESIDENT) or "") or None
        return self.async_show_form(
            step_id="resident", data_schema=resident_schema(self.hass, current)
        )
