"""Config flow: enroll this gateway with the care-center hub using a one-time code."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.core import callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from gateway.link import (
    CaFingerprintInvalid,
    EnrollmentCodeExpired,
    EnrollmentCodeMalformed,
    EnrollmentCodeUnknown,
    EnrollmentCodeUsed,
    EnrollmentError,
    GatewayCredentials,
    GatewayUnknown,
    HubError,
    HubUnreachable,
    InsecureHubUrl,
    enroll,
    relocate,
)
from gateway.link.tls import PinMismatch
from provisioning.qr import QrPayloadError, parse_enrollment_payload

from .const import (
    CONF_CA_FINGERPRINT,
    CONF_ENROLLMENT_CODE,
    CONF_HUB_URL,
    CONF_IDENTITY,
    DOMAIN,
    SUBENTRY_MONITOR,
)
from .migration import MINOR_VERSION, VERSION
from .monitor_flow import MonitorDiscoveryMixin, MonitorSubentryFlow, household_entry
from .options_flow import EldercareOptionsFlow

_LOGGER = logging.getLogger(__name__)

# The example address the forms show: a placeholder, so no translation carries a URL.
EXAMPLE_HUB_URL = "https://care.example.org"

# The code field also takes the care center's whole QR text (`eldercare:1?hub=…&ca=…&code=…`),
# which carries the address and the CA fingerprint too.
USER_SCHEMA = vol.Schema(
    {
        vol.Optional(CONF_HUB_URL, default=""): str,
        vol.Required(CONF_ENROLLMENT_CODE): str,
        vol.Optional(CONF_CA_FINGERPRINT, default=""): str,
    }
)

# Which form field each enrollment failure belongs to, and its translated error key.
_ERRORS: tuple[tuple[type[Exception], str, str], ...] = (
    (EnrollmentCodeMalformed, CONF_ENROLLMENT_CODE, "code_malformed"),
    (EnrollmentCodeUnknown, CONF_ENROLLMENT_CODE, "code_unknown"),
    (EnrollmentCodeUsed, CONF_ENROLLMENT_CODE, "code_used"),
    (EnrollmentCodeExpired, CONF_ENROLLMENT_CODE, "code_expired"),
    (HubUnreachable, "base", "cannot_connect"),
    (PinMismatch, "base", "ca_mismatch"),
    (EnrollmentError, "base", "enrollment_refused"),
    (HubError, "base", "cannot_connect"),
)


# A new hub address for the same enrollment; an empty fingerprint keeps the pinned CA.
RECONFIGURE_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_HUB_URL): str,
        vol.Optional(CONF_CA_FINGERPRINT, default=""): str,
    }
)

# Which form field each reconfigure failure belongs to; the first match wins (subclasses first).
_RECONFIGURE_ERRORS: tuple[tuple[type[Exception], str, str], ...] = (
    (InsecureHubUrl, CONF_HUB_URL, "insecure_url"),
    (CaFingerprintInvalid, CONF_CA_FINGERPRINT, "fingerprint_invalid"),
    (GatewayUnknown, "base", "unknown_gateway"),
    (PinMismatch, "base", "ca_mismatch"),
    (HubError, "base", "cannot_connect"),
)


def _enrollment_target(user_input: dict[str, Any]) -> tuple[str, str, str | None]:
    """Hub URL, code and CA fingerprint, from the QR text or from the three fields."""
    text = str(user_input[CONF_ENROLLMENT_CODE]).strip()
    if text.lower().startswith("eldercare:"):
        payload = parse_enrollment_payload(text)
        return payload.hub_url, payload.code, payload.ca_fingerprint
    fingerprint = str(user_input.get(CONF_CA_FINGERPRINT, "")).strip()
    return str(user_input.get(CONF_HUB_URL, "")).strip(), text, fingerprint or None


class EldercareConfigFlow(MonitorDiscoveryMixin, domain=DOMAIN):
    # 1.2: ARC report format stored as its option key; 1.3: monitors are subentries.
    VERSION = VERSION
    MINOR_VERSION = MINOR_VERSION

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        return EldercareOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        return {SUBENTRY_MONITOR: MonitorSubentryFlow}

    async def _enroll(
        self, hub_url: str, code: str, ca_fingerprint: str | None = None
    ) -> GatewayCredentials:
        if not hub_url.startswith(("http://", "https://")):
            raise HubUnreachable("the hub URL must start with http:// or https://")
        return await enroll(
            async_get_clientsession(self.hass),
            hub_url.strip(),
            code,
            self.hass.config.location_name,
            ca_fingerprint=ca_fingerprint,
        )

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        # One household per gateway; once it is enrolled, "add" means a health monitor.
        if household_entry(self.hass) is not None:
            return await self.async_step_pick_monitor()
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                credentials = await self._enroll(*_enrollment_target(user_input))
            except QrPayloadError:
                errors[CONF_ENROLLMENT_CODE] = "qr_invalid"
            except (EnrollmentError, HubError) as err:
                field, key = next((f, k) for kind, f, k in _ERRORS if isinstance(err, kind))
                errors[field] = key
            else:
                return await self._create_entry(credentials)
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(USER_SCHEMA, user_input),
            description_placeholders={"example_url": EXAMPLE_HUB_URL},
            errors=errors,
        )

    async def async_step_import(self, import_data: dict[str, Any]) -> ConfigFlowResult:
        """Provisioning from configuration.yaml: the same enrollment, without a form."""
        try:
            credentials = await self._enroll(
                import_data[CONF_HUB_URL], import_data[CONF_ENROLLMENT_CODE]
            )
        except (EnrollmentError, HubUnreachable) as err:
            _, key = next((f, k) for kind, f, k in _ERRORS if isinstance(err, kind))
            return self.async_abort(reason=key)
        return await self._create_entry(credentials)

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The care center refused this gateway (revoked, or its key unknown there)."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Enroll again with a new one-time code, for the same household."""
        entry = self._get_reauth_entry()
        old = GatewayCredentials.from_dict(dict(entry.data))
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                credentials = await self._enroll(
                    old.hub_url,
                    user_input[CONF_ENROLLMENT_CODE],
                    old.ca_fingerprint or None,
                )
            except (EnrollmentError, HubError) as err:
                field, key = next((f, k) for kind, f, k in _ERRORS if isinstance(err, kind))
                errors[field] = key
            else:
                if credentials.household_id != old.household_id:
                    return self.async_abort(reason="wrong_household")
                # Same entry, entities and device; only the credential is new.
                identity = entry.data.get(CONF_IDENTITY, old.gateway_id)
                return self.async_update_reload_and_abort(
                    entry, data={**credentials.as_dict(), CONF_IDENTITY: identity}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_ENROLLMENT_CODE): str}),
            description_placeholders={"household": old.household_name},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The care center moved its hub: the same enrollment at a new address."""
        entry = self._get_reconfigure_entry()
        current = GatewayCredentials.from_dict(dict(entry.data))
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                moved = await relocate(
                    async_get_clientsession(self.hass),
                    current,
                    str(user_input[CONF_HUB_URL]),
                    str(user_input.get(CONF_CA_FINGERPRINT, "")).strip() or None,
                )
            except HubError as err:
                _LOGGER.info("Hub at %s not accepted: %s", user_input[CONF_HUB_URL], err)
                field, key = next(
                    (f, k) for kind, f, k in _RECONFIGURE_ERRORS if isinstance(err, kind)
                )
                errors[field] = key
            else:
                # Only the address and the pinned CA change; the identity key (entities,
                # device) is not part of the credentials, and the outbox is keyed by entry.
                return self.async_update_reload_and_abort(entry, data_updates=moved.as_dict())
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                RECONFIGURE_SCHEMA, user_input or {CONF_HUB_URL: current.hub_url}
            ),
            description_placeholders={
                "household": current.household_name,
                "example_url": EXAMPLE_HUB_URL,
            },
            errors=errors,
        )

    async def _create_entry(self, credentials: GatewayCredentials) -> ConfigFlowResult:
        await self.async_set_unique_id(credentials.gateway_id)
        self._abort_if_unique_id_configured()
        return self.async_create_entry(title=credentials.household_name, data=credentials.as_dict())
