"""The family's phones hear of each step of a service request: the same family members and
notify actions the alarms use (the options' family list), all of them at once, at normal
priority. An alarm alerts them one at a time until someone answers; a plumber's arrival needs
no answer."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError

from gateway.safety.settings import SafetySettings
from gateway.services.effects import Announce
from gateway.services.family_notice import family_notification

_LOGGER = logging.getLogger(__name__)


class ServiceFamilyNotifier:
    """`settings`: the household's safety settings now (its family list); `spawn`: a task of
    the entry, so a phone that is slow to answer never holds up the desk."""

    def __init__(
        self,
        hass: HomeAssistant,
        home: str,
        settings: Callable[[], SafetySettings],
        spawn: Callable[[Coroutine[Any, Any, None], str], object],
    ) -> None:
        self._hass = hass
        self._home = home
        self._settings = settings
        self._spawn = spawn

    @callback
    def __call__(self, announce: Announce) -> None:
        payload = family_notification(announce, self._home, self._hass.config.language)
        if payload is None:
            return
        for member in self._settings().family:
            service = member.notify_service.removeprefix("notify.")
            self._spawn(self._notify(service, payload), f"notify {service}")

    async def _notify(self, service: str, payload: dict[str, Any]) -> None:
        try:
            await self._hass.services.async_call("notify", service, payload, blocking=True)
        except (HomeAssistantError, TimeoutError) as err:
            _LOGGER.warning("notify.%s failed for a service request: %s", service, err)
