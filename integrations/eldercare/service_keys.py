"""A remote's service key into the household's service desk: the request is made (or a repeat
counted, by the desk's rule); a refused one is said at home so the senior knows."""

from __future__ import annotations

import logging

from homeassistant.core import HomeAssistant, callback

from gateway.services.desk import ServiceRefused
from gateway.services.observations import ServicePressed
from gateway.services.refusals import refusal_text

from .service_desk import ServiceController, Speaker

_LOGGER = logging.getLogger(__name__)
REFUSED_MESSAGE = "service_refused"  # the announcement's key, beside the desk's phrases


class ServiceKeys:
    def __init__(self, hass: HomeAssistant, services: ServiceController, speak: Speaker) -> None:
        self._hass = hass
        self._services = services
        self._speak = speak

    @callback
    def pressed(self, press: ServicePressed) -> None:
        try:
            self._services.observe(press)
        except ServiceRefused as err:
            _LOGGER.info("%s: %s", press.source_name, err)
            self._speak(REFUSED_MESSAGE, refusal_text(err, self._hass.config.language))
