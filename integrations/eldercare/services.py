"""Actions of the eldercare integration, registered once for the domain."""

from __future__ import annotations

import voluptuous as vol
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv

from gateway.alarms import AlarmAction, AlarmKind
from gateway.safety.book import Alarm
from gateway.safety.observations import AlarmUpdate

from .const import (
    ATTR_ALARM_ID,
    ATTR_CONFIG_ENTRY_ID,
    ATTR_NOTE,
    ATTR_SOURCE,
    DOMAIN,
    SERVICE_ACKNOWLEDGE,
    SERVICE_RESOLVE,
    SERVICE_TEST,
    SERVICE_TRIGGER_EMERGENCY,
)
from .loaded_entry import loaded_entry
from .runtime import EldercareConfigEntry
from .service_actions import async_setup_service_actions

_ENTRY = {vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string}
DEFAULT_SOURCE = "action"
TRIGGER_EMERGENCY_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Optional(ATTR_SOURCE, default=DEFAULT_SOURCE): vol.All(cv.string, vol.Length(max=100)),
    }
)
ALARM_STEP_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Optional(ATTR_ALARM_ID): cv.string,
        vol.Optional(ATTR_NOTE, default=""): vol.All(cv.string, vol.Length(max=500)),
    }
)
TEST_SCHEMA = vol.Schema(_ENTRY)


def _target_alarm(entry: EldercareConfigEntry, call: ServiceCall) -> Alarm:
    """The alarm named in the call, or the most urgent open one."""
    safety = entry.runtime_data.safety
    alarm_id = call.data.get(ATTR_ALARM_ID)
    if alarm_id is None:
        open_alarms = safety.open_alarms()
        if not open_alarms:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_open_alarm")
        return open_alarms[0]
    alarm = safety.alarm(alarm_id)
    if alarm is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unknown_alarm",
            translation_placeholders={"alarm_id": alarm_id},
        )
    if not alarm.open:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="alarm_closed",
            translation_placeholders={"alarm_id": alarm_id},
        )
    return alarm


async def _actor(call: ServiceCall) -> str:
    if call.context.user_id is None:
        return "automation"
    user = await call.hass.auth.async_get_user(call.context.user_id)
    return user.name if user is not None and user.name else "user"


async def _trigger_emergency(call: ServiceCall) -> ServiceResponse:
    entry = loaded_entry(call.hass, call)
    source = call.data[ATTR_SOURCE]
    # The caller's name for it ("kitchen tablet"); none given: the gateway names itself.
    name = "" if source == DEFAULT_SOURCE else source
    alarm = entry.runtime_data.raise_alarm(AlarmKind.SOS, f"action:{source}", name)
    return {"alarm_id": alarm.id}


async def _step(call: ServiceCall, action: AlarmAction) -> ServiceResponse:
    entry = loaded_entry(call.hass, call)
    alarm = _target_alarm(entry, call)
    actor = await _actor(call)
    detail = call.data[ATTR_NOTE] or actor
    entry.runtime_data.safety.observe(AlarmUpdate(alarm.id, action, f"family:{actor}", detail))
    return {"alarm_id": alarm.id}


async def _acknowledge(call: ServiceCall) -> ServiceResponse:
    return await _step(call, AlarmAction.FAMILY_ACK)


async def _resolve(call: ServiceCall) -> ServiceResponse:
    return await _step(call, AlarmAction.RESOLVED)


async def _test(call: ServiceCall) -> ServiceResponse:
    entry = loaded_entry(call.hass, call)
    return {"alarm_id": entry.runtime_data.send_test("action", "").id}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    for name, handler, schema in (
        (SERVICE_TRIGGER_EMERGENCY, _trigger_emergency, TRIGGER_EMERGENCY_SCHEMA),
        (SERVICE_ACKNOWLEDGE, _acknowledge, ALARM_STEP_SCHEMA),
        (SERVICE_RESOLVE, _resolve, ALARM_STEP_SCHEMA),
        (SERVICE_TEST, _test, TEST_SCHEMA),
    ):
        hass.services.async_register(
            DOMAIN, name, handler, schema=schema, supports_response=SupportsResponse.OPTIONAL
        )
    async_setup_service_actions(hass)  # life services
