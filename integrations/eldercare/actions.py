"""Carrying out what the safety engine asks for, with Home Assistant's services.

Every action that talks to a device runs in a task of the config entry, so the engine's
call never waits for a radio; results come back to the engine as observations.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir

from gateway.alarms import AlarmAction, AlarmMoment
from gateway.link import HubLink
from gateway.protocol import MAX_SOURCE_NAME, MessageType
from gateway.safety.book import Alarm
from gateway.safety.effects import (
    AlarmChanged,
    Announce,
    CloseValve,
    Effect,
    NotifyFamily,
    RefreshValve,
    RepairClosed,
    RepairOpened,
    SendToHub,
    SirensOff,
    SirensOn,
)
from gateway.safety.family_alerts import notification
from gateway.safety.observations import (
    HubReceived,
    Observation,
    ValveCommandDone,
    ValveRead,
)
from gateway.safety.settings import SafetySettings

from .announcements import announcement_text
from .const import (
    DOMAIN,
    EVENT_ALARM_RAISED,
    EVENT_ALARM_UPDATED,
    EVENT_ANNOUNCEMENT,
    OPTION_MEDIA_PLAYER,
    OPTION_TTS_ENTITY,
)
from .household import valve_closed
from .identity import Household

_LOGGER = logging.getLogger(__name__)
_DELIVERY_WAIT = 3600.0  # re-armed until the hub acks; the link resends meanwhile
# Steps of the care center's that say who is coming: their events carry the response.
_STAFF_STEPS = frozenset(
    {AlarmAction.ACKNOWLEDGED.value, AlarmAction.DISPATCHED.value, AlarmAction.ON_SITE.value}
)


def response_data(alarm: Alarm, what: str) -> dict[str, Any]:
    """The care center's response as event data (automations, the event entities, the
    logbook): who took the step, who goes, in how many minutes, arriving when."""
    response = alarm.response
    if what not in _STAFF_STEPS or response is None:
        return {}
    arrives_at = response.arrives_at
    return {
        "staff": response.staff,
        "responder": response.responder,
        "eta_minutes": response.eta_minutes,
        "arrives_at": arrives_at.isoformat() if arrives_at is not None else None,
    }


class SafetyReads(Protocol):
    """What carrying out an effect reads of the household's safety state."""

    @property
    def settings(self) -> SafetySettings: ...

    def alarm(self, alarm_id: str) -> Alarm | None: ...


class ActionRunner:
    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        link: HubLink,
        *,
        household: Household,
        safety: SafetyReads,
        observe: Callable[[Observation], object],
    ) -> None:
        self._hass = hass
        self._entry = entry  # its options (the speaker) and its tasks
        self._link = link
        self._household = household
        self._safety = safety
        self._observe = observe
        self.sirens: list[str] = []

    def run(self, effect: Effect) -> None:  # noqa: PLR0912 (one case per effect)
        match effect:
            case CloseValve(entity_id, _):
                self._task(self._close_valve(entity_id), f"close {entity_id}")
            case RefreshValve(entity_id):
                self._task(self._refresh_valve(entity_id), f"read {entity_id}")
            case SirensOn() | SirensOff() if self.sirens:
                service = "turn_on" if isinstance(effect, SirensOn) else "turn_off"
                self._task(self._call("siren", service, {ATTR_ENTITY_ID: self.sirens}), "sirens")
            case Announce(message, alarm_id):
                self._announce(message, alarm_id)
            case SendToHub(type_, body, alarm_id):
                if type_ is MessageType.ALARM_RAISED and not body.get("source_name"):
                    # Raised by the home itself (inactivity, a test): the gateway is the source.
                    body = {**body, "source_name": self._gateway_name()[:MAX_SOURCE_NAME]}
                message_id = self._link.send(type_, body)
                if type_ is MessageType.ALARM_RAISED:
                    self._entry.async_create_background_task(
                        self._hass, self._await_receipt(message_id, alarm_id), "eldercare receipt"
                    )
            case AlarmChanged(alarm, what, detail):
                data = {
                    "alarm_id": alarm.id,
                    "kind": alarm.kind.value,
                    "severity": alarm.severity.value,
                    "state": alarm.state.value,
                    "count": alarm.count,
                }
                if what is AlarmMoment.RAISED:
                    source = {"source": alarm.source, "source_name": alarm.source_name}
                    self._hass.bus.async_fire(EVENT_ALARM_RAISED, {**data, **source})
                else:
                    self._hass.bus.async_fire(
                        EVENT_ALARM_UPDATED,
                        {**data, "change": what, "detail": detail, **response_data(alarm, what)},
                    )
            case NotifyFamily(member, alarm, update):
                settings = self._safety.settings
                if member < len(settings.family):
                    payload = notification(
                        alarm,
                        member,
                        settings,
                        self._household.name,
                        self._hass.config.language,
                        update=update,
                    )
                    service = settings.family[member].notify_service.removeprefix("notify.")
                    self._task(self._call("notify", service, payload), f"notify {service}")
            case RepairOpened(device, name, problem, placeholders):
                ir.async_create_issue(
                    self._hass,
                    DOMAIN,
                    f"{problem}_{device}",
                    is_fixable=False,
                    is_persistent=True,
                    severity=ir.IssueSeverity.ERROR
                    if problem == "device_offline"
                    else ir.IssueSeverity.WARNING,
                    translation_key=problem,
                    translation_placeholders={"name": name, **placeholders},
                )
            case RepairClosed(device, problem):
                ir.async_delete_issue(self._hass, DOMAIN, f"{problem}_{device}")
            case _:
                pass

    def _gateway_name(self) -> str:
        """The household's gateway device as the household calls it in Home Assistant."""
        key = {(DOMAIN, self._household.identity)}
        device = dr.async_get(self._hass).async_get_device(identifiers=key)
        if device is not None and (name := device.name_by_user or device.name):
            return name
        return self._household.name

    def _task(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        self._entry.async_create_task(self._hass, coro, f"eldercare {name}", eager_start=True)

    async def _call(self, domain: str, service: str, data: dict[str, Any]) -> None:
        try:
            await self._hass.services.async_call(domain, service, data, blocking=True)
        except (HomeAssistantError, TimeoutError) as err:
            _LOGGER.warning("%s.%s failed: %s", domain, service, err)

    async def _close_valve(self, entity_id: str) -> None:
        domain = entity_id.split(".", 1)[0]
        service = "close_valve" if domain == "valve" else "turn_off"
        ok = True
        try:
            async with asyncio.timeout(self._safety.settings.valve_window.total_seconds()):
                await self._hass.services.async_call(
                    domain, service, {ATTR_ENTITY_ID: entity_id}, blocking=True
                )
        except (HomeAssistantError, TimeoutError) as err:
            _LOGGER.error("Closing %s failed: %s; will retry", entity_id, err)
            ok = False
        self._observe(ValveCommandDone(entity_id, ok))

    async def _refresh_valve(self, entity_id: str) -> None:
        closed: bool | None = None
        try:
            await self._hass.services.async_call(
                "homeassistant", "update_entity", {ATTR_ENTITY_ID: entity_id}, blocking=True
            )
            state = self._hass.states.get(entity_id)
            if state is not None:
                closed = valve_closed(state)
        except (HomeAssistantError, TimeoutError) as err:
            _LOGGER.warning("Reading %s failed: %s", entity_id, err)
        self._observe(ValveRead(entity_id, closed))

    async def _await_receipt(self, message_id: str, alarm_id: str) -> None:
        while True:
            try:
                await self._link.wait_delivered(message_id, _DELIVERY_WAIT)
            except TimeoutError:
                continue
            self._observe(HubReceived(alarm_id))
            return

    def _announce(self, message: str, alarm_id: str | None) -> None:
        alarm = self._safety.alarm(alarm_id) if alarm_id else None
        response = alarm.response if alarm is not None else None
        self.speak(
            message, announcement_text(message, self._hass.config.language, response), alarm_id
        )

    def speak(self, message: str, text: str, alarm_id: str | None = None) -> None:
        """The home's one announcement path (an HA event, then TTS on the configured
        speaker); life services speak through it too."""
        self._hass.bus.async_fire(
            EVENT_ANNOUNCEMENT, {"message": message, "text": text, "alarm_id": alarm_id}
        )
        tts_entity = self._entry.options.get(OPTION_TTS_ENTITY)
        media_player = self._entry.options.get(OPTION_MEDIA_PLAYER)
        if tts_entity and media_player:
            data = {
                ATTR_ENTITY_ID: tts_entity,
                "media_player_entity_id": media_player,
                "message": text,
            }
            self._task(self._call("tts", "speak", data), "announce")
