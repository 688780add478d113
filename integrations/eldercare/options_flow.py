"""Options: which device does what, the rules' timings, the family, the home speaker, and
reporting to a commercial alarm receiving centre (SIA DC-09)."""

from __future__ import annotations

from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import selector

from gateway.arc.options import KEY_HEX, KEY_TEXT, ArcOptionsError
from gateway.arc.settings import Transport
from gateway.remote_keys import JOB_CHOICES, NO_JOB, BadKeyJob, default_jobs, job_value, parse_job
from gateway.safety.roles import Role
from gateway.safety.settings import SafetySettings, SettingsError

from .arc import FORMAT_OPTIONS, arc_options, stored_arc_options
from .const import (
    OPTION_ARC,
    OPTION_MEDIA_PLAYER,
    OPTION_REMOTES,
    OPTION_ROLES,
    OPTION_TTS_ENTITY,
)
from .household import NO_ROLE, Inventory, build_inventory
from .remote_keys import OPTION_REMOTE_KEYS, key_endpoints

MAX_FAMILY = 3
# Remotes whose presses are only Zigbee events: picked as devices, not entities.
_REMOTE_FIELDS = {"sos_remotes": Role.SOS, "fall_remotes": Role.FALL}
# Multi-key remotes whose keys each get a job (SOS, a life service): a step per remote follows.
SERVICE_REMOTES = "service_remotes"
_KEY_JOB = "remote_key_job"  # the translation key of a key's choices
_MINUTES = selector.NumberSelector(
    selector.NumberSelectorConfig(min=1, max=1440, step=1, unit_of_measurement="min")
)
_SECONDS = selector.NumberSelector(
    selector.NumberSelectorConfig(min=0, max=3600, step=1, unit_of_measurement="s")
)
_HOURS = selector.NumberSelector(
    selector.NumberSelectorConfig(min=0.5, max=48, step=0.5, unit_of_measurement="h")
)
_PERCENT = selector.NumberSelector(
    selector.NumberSelectorConfig(min=1, max=50, step=1, unit_of_measurement="%")
)
# option -> (selector, how the settings object holds it)
_RULE_FIELDS: dict[str, selector.Selector[Any]] = {
    "valve_window": _SECONDS,
    "valve_attempts": selector.NumberSelector(selector.NumberSelectorConfig(min=1, max=5)),
    "supervision_window": _MINUTES,
    "battery_low_percent": _PERCENT,
    "sos_cancel_window": _SECONDS,
    "quiet_hours": selector.TextSelector(),
    "door_open_limit": _MINUTES,
    "inactivity_limit": _HOURS,
    "day_window": selector.TextSelector(),
    "prewarning_period": _MINUTES,
    "family_answer_window": _SECONDS,
    "call_number": selector.TextSelector(
        selector.TextSelectorConfig(type=selector.TextSelectorType.TEL)
    ),
}
_MAY_BE_EMPTY = frozenset({"quiet_hours", "call_number"})


def _choice(options: list[str], key: str) -> selector.SelectSelector:
    return selector.SelectSelector(
        selector.SelectSelectorConfig(
            options=options, translation_key=key, mode=selector.SelectSelectorMode.DROPDOWN
        )
    )


_TRANSPORTS = [t.value for t in Transport]
_TEXT = selector.TextSelector()
_ARC_SCHEMA = vol.Schema(
    {
        vol.Required("enabled"): selector.BooleanSelector(),
        vol.Required("format"): _choice(list(FORMAT_OPTIONS), "arc_format"),
        vol.Required("account"): _TEXT,
        vol.Required("receiver_number"): _TEXT,
        vol.Required("line_number"): _TEXT,
        vol.Required("primary"): _TEXT,
        vol.Required("primary_transport"): _choice(_TRANSPORTS, "arc_transport"),
        vol.Optional("backup"): _TEXT,
        vol.Required("backup_transport"): _choice(_TRANSPORTS, "arc_transport"),
        vol.Optional("key"): selector.TextSelector(
            selector.TextSelectorConfig(type=selector.TextSelectorType.PASSWORD)
        ),
        vol.Required("key_format"): _choice([KEY_HEX, KEY_TEXT], "arc_key_format"),
        vol.Required("supervision_interval"): _SECONDS,
        vol.Required("test_interval"): selector.NumberSelector(
            selector.NumberSelectorConfig(min=0, max=744, step=1, unit_of_measurement="h")
        ),
    }
)


class EldercareOptionsFlow(OptionsFlow):
    # The roles step's changes, saved once every picked service remote's keys are mapped.
    _changes: dict[str, Any]
    _remotes_to_map: list[str]

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        return self.async_show_menu(
            step_id="init", menu_options=["roles", "rules", "family", "arc"]
        )

    async def async_step_roles(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """One entity picker per role, pre-filled with what was inferred or chosen, and the
        remotes (devices) whose presses are SOS or fall."""
        overrides: dict[str, str] = dict(self.config_entry.options.get(OPTION_ROLES, {}))
        remote_overrides: dict[str, str] = dict(self.config_entry.options.get(OPTION_REMOTES, {}))
        key_overrides = self._key_overrides()
        inventory = build_inventory(self.hass, overrides, remote_overrides, key_overrides)
        errors: dict[str, str] = {}
        if user_input is not None:
            keyed = list(dict.fromkeys(user_input.get(SERVICE_REMOTES, [])))
            if any(not self._keys_of(device) for device in keyed):
                errors[SERVICE_REMOTES] = "not_a_keyed_remote"
            else:
                self._changes = {
                    OPTION_ROLES: _chosen(
                        {r.value: r for r in Role}, user_input, inventory.entities, overrides
                    ),
                    OPTION_REMOTES: _chosen(
                        _REMOTE_FIELDS, user_input, inventory.remotes, remote_overrides
                    ),
                    # Taken out of the list: not a service remote any more (even by its name).
                    OPTION_REMOTE_KEYS: key_overrides
                    | {d: {} for d in inventory.keyed_remotes if d not in keyed},
                }
                self._remotes_to_map = keyed
                return await self.async_step_remote_keys()
        current: dict[str, list[str]] = {role.value: [] for role in Role}
        for mapped in inventory.entities.values():
            current[mapped.role.value].append(mapped.entity_id)
        fields: dict[vol.Marker, Any] = {
            vol.Optional(role.value, default=current[role.value]): selector.EntitySelector(
                selector.EntitySelectorConfig(multiple=True)
            )
            for role in Role
        }
        for field, role in _REMOTE_FIELDS.items():
            fields[vol.Optional(field, default=_remotes_of(inventory, role))] = (
                selector.DeviceSelector(
                    selector.DeviceSelectorConfig(integration="zha", multiple=True)
                )
            )
        fields[vol.Optional(SERVICE_REMOTES, default=list(inventory.keyed_remotes))] = (
            selector.DeviceSelector(selector.DeviceSelectorConfig(integration="zha", multiple=True))
        )
        return self.async_show_form(step_id="roles", data_schema=vol.Schema(fields), errors=errors)

    async def async_step_remote_keys(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """One service remote at a time: each key SOS, a life service, or nothing."""
        errors: dict[str, str] = {}
        if user_input is not None:
            device = self._remotes_to_map[0]
            try:
                jobs = {
                    key.removeprefix("key_"): parse_job(value) for key, value in user_input.items()
                }
            except BadKeyJob:
                errors["base"] = "invalid_key_job"
            else:
                if all(job is None for job in jobs.values()):
                    errors["base"] = "no_key_job"
                else:
                    self._changes[OPTION_REMOTE_KEYS] = self._changes[OPTION_REMOTE_KEYS] | {
                        device: {key: job_value(job) for key, job in jobs.items()}
                    }
                    self._remotes_to_map = self._remotes_to_map[1:]  # on to the next one
        if not self._remotes_to_map:
            return self._save(self._changes)
        device = self._remotes_to_map[0]
        keys = sorted(set(self._keys_of(device).values()))
        stored = self._changes[OPTION_REMOTE_KEYS].get(device) or {}
        shown = {str(key): job_value(job) for key, job in default_jobs(keys).items()}
        if stored:
            shown = {str(key): stored.get(str(key), NO_JOB) for key in keys}
        choice = _choice(list(JOB_CHOICES), _KEY_JOB)
        fields = {
            vol.Required(f"key_{key}", default=shown.get(str(key), NO_JOB)): choice for key in keys
        }
        entry = dr.async_get(self.hass).async_get(device)
        name = (entry.name_by_user or entry.name or device) if entry else device
        return self.async_show_form(
            step_id="remote_keys",
            data_schema=vol.Schema(fields),
            errors=errors,
            description_placeholders={"remote": name},
        )

    def _key_overrides(self) -> dict[str, dict[str, str]]:
        return dict(self.config_entry.options.get(OPTION_REMOTE_KEYS, {}))

    def _keys_of(self, device_id: str) -> dict[int, int]:
        device = dr.async_get(self.hass).async_get(device_id)
        return key_endpoints(self.hass, device) if device is not None else {}

    async def async_step_rules(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        current = self._settings().to_options()
        if user_input is not None:
            # A cleared optional field means "none", not "keep the old value".
            user_input = {**dict.fromkeys(_MAY_BE_EMPTY, ""), **user_input}
            try:
                SafetySettings.from_options({**current, **user_input})
            except SettingsError:
                errors["base"] = "invalid_rules"
            else:
                return self._save(user_input)
        speaker: dict[vol.Marker, Any] = {
            vol.Optional(OPTION_TTS_ENTITY): selector.EntitySelector(
                selector.EntitySelectorConfig(domain="tts")
            ),
            vol.Optional(OPTION_MEDIA_PLAYER): selector.EntitySelector(
                selector.EntitySelectorConfig(domain="media_player")
            ),
        }
        fields: dict[vol.Marker, Any] = {
            (vol.Optional(name) if name in _MAY_BE_EMPTY else vol.Required(name)): field
            for name, field in _RULE_FIELDS.items()
        }
        schema = vol.Schema({**fields, **speaker})
        suggested = {**current, **self.config_entry.options, **(user_input or {})}
        return self.async_show_form(
            step_id="rules",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
        )

    async def async_step_family(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Up to three family members, alerted in this order."""
        if user_input is not None:
            family = [
                {
                    "name": user_input[f"name_{n}"],
                    "notify_service": user_input[f"notify_{n}"].removeprefix("notify."),
                    "phone": user_input.get(f"phone_{n}", ""),
                }
                for n in range(1, MAX_FAMILY + 1)
                if user_input.get(f"name_{n}") and user_input.get(f"notify_{n}")
            ]
            return self._save({"family": family})
        services = sorted(
            f"notify.{name}"
            for name in self.hass.services.async_services_for_domain("notify")
            if name.startswith("mobile_app_")
        )
        fields: dict[vol.Marker, Any] = {}
        suggested: dict[str, str] = {}
        for n, member in enumerate(self._settings().family, start=1):
            suggested |= {
                f"name_{n}": member.name,
                f"notify_{n}": f"notify.{member.notify_service}",
                f"phone_{n}": member.phone,
            }
        for n in range(1, MAX_FAMILY + 1):
            fields[vol.Optional(f"name_{n}")] = selector.TextSelector()
            fields[vol.Optional(f"notify_{n}")] = selector.SelectSelector(
                selector.SelectSelectorConfig(options=services, custom_value=True)
            )
            fields[vol.Optional(f"phone_{n}")] = selector.TextSelector(
                selector.TextSelectorConfig(type=selector.TextSelectorType.TEL)
            )
        return self.async_show_form(
            step_id="family",
            data_schema=self.add_suggested_values_to_schema(vol.Schema(fields), suggested),
        )

    async def async_step_arc(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Report alarms, restores and tests to an alarm receiving centre too (SIA DC-09)."""
        errors: dict[str, str] = {}
        current = arc_options(self.config_entry.options.get(OPTION_ARC, {}))
        if user_input is not None:
            # A cleared optional field means "none", not "keep the old value".
            chosen = arc_options({"backup": "", "key": "", **user_input})
            try:
                chosen.settings()
            except ArcOptionsError as err:
                errors[err.field] = err.error
            else:
                return self._save({OPTION_ARC: stored_arc_options(chosen)})
        suggested = {**stored_arc_options(current), **(user_input or {})}
        return self.async_show_form(
            step_id="arc",
            data_schema=self.add_suggested_values_to_schema(_ARC_SCHEMA, suggested),
            errors=errors,
        )

    def _settings(self) -> SafetySettings:
        return SafetySettings.from_options(dict(self.config_entry.options))

    def _save(self, changes: dict[str, Any]) -> ConfigFlowResult:
        return self.async_create_entry(data={**self.config_entry.options, **changes})


def _chosen(
    fields: dict[str, Role],
    user_input: dict[str, Any],
    mapped_now: Any,
    earlier: dict[str, str],
) -> dict[str, str]:
    """Role per picked item; anything that had a role and was taken out of every list has none
    now; choices about items not shown (unplugged devices) are kept."""
    chosen: dict[str, str] = {}
    for field, role in fields.items():
        for item in user_input.get(field, []):
            chosen[item] = role.value
    for item in mapped_now:
        chosen.setdefault(item, NO_ROLE)
    for item, role_value in earlier.items():
        chosen.setdefault(item, role_value)
    return chosen


def _remotes_of(inventory: Inventory, role: Role) -> list[str]:
    return [r.device for r in inventory.remotes.values() if r.role is role]
