"""The shared alarm vocabulary (docs/alarm-model.md) and a raised alarm."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from .ulid import new_ulid


class AlarmKind(StrEnum):
    SOS = "sos"
    FALL = "fall"
    FIRE = "fire"
    GAS = "gas"
    WATER_LEAK = "water_leak"
    VITALS = "vitals"
    INACTIVITY = "inactivity"
    DOOR = "door"
    DEVICE_OFFLINE = "device_offline"
    BATTERY_LOW = "battery_low"
    VALVE_FAILED = "valve_failed"
    LINK_LOST = "link_lost"
    TEST = "test"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


SEVERITY_OF: dict[AlarmKind, Severity] = {
    AlarmKind.SOS: Severity.CRITICAL,
    AlarmKind.FALL: Severity.CRITICAL,
    AlarmKind.FIRE: Severity.CRITICAL,
    AlarmKind.GAS: Severity.CRITICAL,
    AlarmKind.WATER_LEAK: Severity.HIGH,
    AlarmKind.VITALS: Severity.HIGH,
    AlarmKind.INACTIVITY: Severity.HIGH,
    AlarmKind.DOOR: Severity.NORMAL,
    AlarmKind.DEVICE_OFFLINE: Severity.NORMAL,
    AlarmKind.BATTERY_LOW: Severity.LOW,
    AlarmKind.VALVE_FAILED: Severity.CRITICAL,
    AlarmKind.LINK_LOST: Severity.HIGH,
    AlarmKind.TEST: Severity.LOW,
}


class AlarmAction(StrEnum):
    """What can happen to an alarm after it was raised: the `action` of an `alarm.event`."""

    REPEATED = "repeated"  # the same kind triggered again while the alarm was open
    SIRENS_ON = "sirens_on"
    VALVE_CLOSED = "valve_closed"  # a valve's closure was confirmed by the valve itself
    VALVE_RETRY = "valve_retry"
    FAMILY_NOTIFIED = "family_notified"
    FAMILY_ACK = "family_ack"  # "I'm on my way" from a family member's phone
    FAMILY_UNANSWERED = "family_unanswered"  # a family member did not answer in time
    PREWARNING = "prewarning"  # the home asked the resident whether all is well
    CANCELLED = "cancelled"  # cancelled by the resident within the cancel window
    ACKNOWLEDGED = "acknowledged"
    DISPATCHED = "dispatched"
    ON_SITE = "on_site"
    RESOLVED = "resolved"


class AlarmMoment(StrEnum):
    """What happened to an alarm besides an AlarmAction: it was raised, the hub acked it, or
    its condition went away. With AlarmAction, the `what` of the engine's AlarmChanged."""

    RAISED = "raised"
    REPORTED = "reported"
    CLEARED = "cleared"


type AlarmChange = AlarmMoment | AlarmAction


class AlarmStatus(StrEnum):
    """Where an alarm stands, in lifecycle order (docs/alarm-model.md, Lifecycle).

    The household's book and the hub's desk share one lifecycle. Each side names the stage
    before any staff step itself, in values both store and show (the book in Home Assistant's
    storage, the hub in SQLite and on its screens), so neither changes: at home an alarm is
    `raised`, then `reported` once the hub acked it; at the hub that same stage is `new`.
    """

    RAISED = "raised"  # at home: not yet acked by the hub
    REPORTED = "reported"  # at home: the hub has it, no staff step yet
    NEW = "new"  # at the hub: the same stage as REPORTED
    ACKNOWLEDGED = "acknowledged"
    DISPATCHED = "dispatched"
    ON_SITE = "on_site"
    RESOLVED = "resolved"


# Each side's statuses in order; REPORTED and NEW are one stage, so they share a rank.
HOUSEHOLD_LIFECYCLE = (
    AlarmStatus.RAISED,
    AlarmStatus.REPORTED,
    AlarmStatus.ACKNOWLEDGED,
    AlarmStatus.DISPATCHED,
    AlarmStatus.ON_SITE,
    AlarmStatus.RESOLVED,
)
HUB_LIFECYCLE = (AlarmStatus.NEW, *HOUSEHOLD_LIFECYCLE[2:])
_RANK: dict[AlarmStatus, int] = {
    **{status: rank for rank, status in enumerate(HOUSEHOLD_LIFECYCLE)},
    AlarmStatus.NEW: HOUSEHOLD_LIFECYCLE.index(AlarmStatus.REPORTED),
}

_FIRST_STEPS = frozenset({AlarmStatus.ACKNOWLEDGED, AlarmStatus.DISPATCHED, AlarmStatus.RESOLVED})
# The forward moves a step may make. It may skip ahead (dispatching acknowledges; a false
# alarm is resolved without a dispatch), but on site needs a dispatch first.
NEXT_STATUSES: dict[AlarmStatus, frozenset[AlarmStatus]] = {
    AlarmStatus.RAISED: frozenset({AlarmStatus.REPORTED, *_FIRST_STEPS}),
    AlarmStatus.REPORTED: _FIRST_STEPS,
    AlarmStatus.NEW: _FIRST_STEPS,
    AlarmStatus.ACKNOWLEDGED: frozenset({AlarmStatus.DISPATCHED, AlarmStatus.RESOLVED}),
    AlarmStatus.DISPATCHED: frozenset({AlarmStatus.ON_SITE, AlarmStatus.RESOLVED}),
    AlarmStatus.ON_SITE: frozenset({AlarmStatus.RESOLVED}),
    AlarmStatus.RESOLVED: frozenset(),
}


def is_after(status: AlarmStatus, other: AlarmStatus) -> bool:
    """Whether `status` is a later stage than `other` (never back, never sideways)."""
    return _RANK[status] > _RANK[other]


def can_step(status: AlarmStatus, to: AlarmStatus) -> bool:
    """Whether an alarm may move from `status` to `to` in one step."""
    return to in NEXT_STATUSES[status]


class StaffStep(StrEnum):
    """What care-center staff do to an alarm. The value is also the status it moves the
    alarm to and the `action` its log entry and the household's history record."""

    ACKNOWLEDGED = "acknowledged"
    DISPATCHED = "dispatched"
    ON_SITE = "on_site"
    RESOLVED = "resolved"

    @property
    def status(self) -> AlarmStatus:
        return AlarmStatus(self.value)

    @property
    def action(self) -> AlarmAction:
        return AlarmAction(self.value)


def utc_iso(moment: datetime) -> str:
    """UTC ISO-8601 with milliseconds and a Z, the wire contract's time format."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class RaisedAlarm:
    """An alarm as the household raised it: the body of an `alarm.raised` message."""

    alarm_id: str
    kind: AlarmKind
    severity: Severity
    occurred_at: datetime
    source: str  # stable: which sensor or action (an entity id, a panel zone)
    # What the household calls the source ("厨房燃气报警器"), for people; "" when unnamed.
    source_name: str = ""

    @classmethod
    def new(
        cls,
        kind: AlarmKind,
        source: str,
        occurred_at: datetime | None = None,
        source_name: str = "",
    ) -> RaisedAlarm:
        return cls(
            alarm_id=new_ulid(),
            kind=kind,
            severity=SEVERITY_OF[kind],
            occurred_at=occurred_at or datetime.now(UTC),
            source=source,
            source_name=source_name,
        )

    def to_body(self) -> dict[str, Any]:
        body = {
            "alarm_id": self.alarm_id,
            "kind": self.kind.value,
            "severity": self.severity.value,
            "occurred_at": utc_iso(self.occurred_at),
            "source": self.source,
        }
        if self.source_name:  # optional: a hub that predates it reads the rest as before
            body["source_name"] = self.source_name
        return body


@dataclass(frozen=True, slots=True)
class AlarmEventBody:
    """The body of an `alarm.event` message: one entry of an alarm's history."""

    alarm_id: str
    action: AlarmAction
    occurred_at: datetime
    actor: str
    detail: str = ""

    def to_body(self) -> dict[str, Any]:
        return {
            "alarm_id": self.alarm_id,
            "action": self.action.value,
            "occurred_at": utc_iso(self.occurred_at),
            "actor": self.actor,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class AlarmClearedBody:
    """The body of `alarm.cleared`: the condition behind an alarm is gone (a restore)."""

    alarm_id: str
    occurred_at: datetime
    reason: str

    def to_body(self) -> dict[str, Any]:
        return {
            "alarm_id": self.alarm_id,
            "occurred_at": utc_iso(self.occurred_at),
            "reason": self.reason,
        }
