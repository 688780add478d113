"""What the safety engine asks the host to do. The host carries each one out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..alarms import AlarmChange
from ..protocol import MessageType
from .book import Alarm


@dataclass(frozen=True, slots=True)
class CloseValve:
    entity_id: str
    attempt: int


@dataclass(frozen=True, slots=True)
class RefreshValve:
    """Read the valve's real position from the device; answer with `ValveRead`."""

    entity_id: str


@dataclass(frozen=True, slots=True)
class SirensOn:
    reason: str


@dataclass(frozen=True, slots=True)
class SirensOff:
    reason: str


@dataclass(frozen=True, slots=True)
class Announce:
    """Say something in the home (TTS on the configured speaker); `message` is a text key."""

    message: str
    alarm_id: str | None = None


@dataclass(frozen=True, slots=True)
class SendToHub:
    type: MessageType
    body: dict[str, Any]
    alarm_id: str


@dataclass(frozen=True, slots=True)
class AlarmChanged:
    """An alarm was raised or changed: what happened to it (a moment or an action)."""

    alarm: Alarm
    what: AlarmChange
    detail: str = ""


@dataclass(frozen=True, slots=True)
class NotifyFamily:
    """Alert one family member about an alarm (`update` False), or tell them what changed."""

    member: int
    alarm: Alarm
    update: str | None = None  # None: the first critical alert; else the AlarmAction value


@dataclass(frozen=True, slots=True)
class RepairOpened:
    device: str
    name: str
    problem: str  # "device_offline" or "battery_low"
    placeholders: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RepairClosed:
    device: str
    problem: str


type Effect = (
    CloseValve
    | RefreshValve
    | SirensOn
    | SirensOff
    | Announce
    | SendToHub
    | AlarmChanged
    | NotifyFamily
    | RepairOpened
    | RepairClosed
)
