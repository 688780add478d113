"""What a loaded eldercare config entry holds while it runs."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from gateway.alarms import AlarmKind
from gateway.link import GatewayCredentials, HubLink
from gateway.safety.book import Alarm
from gateway.safety.observations import Pressed, TestRequested

from .arc import ArcChannel
from .controller import SafetyController
from .monitors import MonitorSet
from .service_desk import ServiceController


@dataclass
class EldercareRuntime:
    hass: HomeAssistant
    credentials: GatewayCredentials
    link: HubLink
    safety: SafetyController
    # What entities and the device are keyed on: the first gateway id of this household's
    # entry, kept when a new enrollment (reauth) gives the gateway a new id.
    identity: str
    arc: ArcChannel  # reporting to an alarm receiving centre, idle unless configured
    monitors: MonitorSet  # the health monitors of the entry's subentries
    services: ServiceController  # life services: the household's requests and their steps

    def raise_alarm(self, kind: AlarmKind, source: str, source_name: str) -> Alarm:
        """An emergency press from a button or an action; the open alarm it raised or repeated.
        `source_name`: what the household calls the button or action, for the care center."""
        self.safety.observe(Pressed(source, kind, source_name))
        # Usually the open alarm; a second press inside the cancel window cancelled it.
        return self._latest(kind)

    def send_test(self, source: str, source_name: str) -> Alarm:
        self.safety.observe(TestRequested(source, source_name))
        return self._latest(AlarmKind.TEST)

    def _latest(self, kind: AlarmKind) -> Alarm:
        return self.safety.latest_alarm(kind)


type EldercareConfigEntry = ConfigEntry[EldercareRuntime]
