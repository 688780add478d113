"""Say once in the log that the care center cannot be reached, and once that it is back.

The link retries on its own with a back-off; in between, the home keeps protecting itself and
alarms wait in the outbox. An installer reading the log needs the two moments, not every retry
(HA quality-scale rule log-when-unavailable).
"""

from __future__ import annotations

import logging

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant, callback

from gateway.link import LinkState

_LOGGER = logging.getLogger(__name__)
_UNAVAILABLE = frozenset({LinkState.DISCONNECTED, LinkState.REFUSED})


class LinkAvailabilityLog:
    """A link state listener for one household entry."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, hub_url: str) -> None:
        self._hass = hass
        self._entry = entry
        self._hub_url = hub_url
        self._unavailable = False

    @callback
    def __call__(self, state: LinkState) -> None:
        if self._hass.is_stopping or self._entry.state is ConfigEntryState.UNLOAD_IN_PROGRESS:
            return  # the link is being stopped on purpose
        if state is LinkState.CONNECTED:
            if self._unavailable:
                _LOGGER.info("The care center at %s is reachable again", self._hub_url)
            self._unavailable = False
        elif state in _UNAVAILABLE and not self._unavailable:
            self._unavailable = True
            _LOGGER.info(
                "The care center at %s cannot be reached; the home's own rules keep running "
                "and its messages wait on this gateway until the care center answers",
                self._hub_url,
            )
