"""What a loaded eldercare config entry holds while it runs."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from gateway.alarms import AlarmKind, RaisedAlarm
from gateway.link import GatewayCredentials, HubLink
from gateway.protocol import MessageType

from .const import EVENT_ALARM_RAISED


@dataclass
class EldercareRuntime:
    hass: HomeAssistant
    credentials: GatewayCredentials
    link: HubLink

    def raise_alarm(self, kind: AlarmKind, source: str) -> RaisedAlarm:
        """Raise an alarm in this household and queue it for the care center."""
        alarm = RaisedAlarm.new(kind, source)
        self.link.send(MessageType.ALARM_RAISED, alarm.to_body())
        self.hass.bus.async_fire(
            EVENT_ALARM_RAISED,
            {
                "alarm_id": alarm.alarm_id,
                "kind": alarm.kind.value,
                "severity": alarm.severity.value,
                "source": source,
            },
        )
        return alarm


type EldercareConfigEntry = ConfigEntry[EldercareRuntime]
