"""The alarm desk's vocabulary: an alarm as staff see it, the steps they take, the lanes.

An alarm moves new -> acknowledged -> dispatched -> on_site -> resolved, never back: the
shared lifecycle of gateway/alarms.py (`AlarmStatus`, `StaffStep`, `can_step`). A step may
skip ahead (dispatching an unacknowledged alarm acknowledges it; a false alarm is resolved
without dispatch), but `on_site` needs a dispatch first and `resolved` needs an outcome code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from gateway import alarms
from gateway.alarms import AlarmStatus, can_step, is_after
from gateway.protocol import STEP_MESSAGE_TYPES

from .alarm_words import about

# The telecare yardstick (UK TSA): 97.5 % of alarm calls answered within 60 s.
ESCALATE_AFTER = timedelta(seconds=60)
# Closed loop: somebody must be on site within 30 min of a dispatch, or the screen re-alerts.
ON_SITE_WITHIN = timedelta(minutes=30)
# An alarm that reached the hub this long after it happened at home was held on the way (the
# hub or the household's link was down): the screens say so, and by how much.
LATE_AFTER = timedelta(seconds=10)

# The shared steps and the wire message of each (the wire contract's), under the names the
# desk's modules import from here.
StaffStep = alarms.StaffStep
STAFF_MESSAGE_TYPES = STEP_MESSAGE_TYPES


class Outcome(StrEnum):
    """How an alarm ended, for the record and the reports."""

    FALSE_ALARM = "false_alarm"
    ADVICE_BY_PHONE = "advice_by_phone"
    FAMILY_HANDLED = "family_handled"
    ASSISTED_ON_SITE = "assisted_on_site"
    AMBULANCE = "ambulance"
    FIRE_SERVICE = "fire_service"
    POLICE = "police"
    TEST = "test"
    TECHNICAL = "technical"  # a work item fixed: battery changed, gateway back online
    OTHER = "other"


class StepRefused(ValueError):
    """A step that does not fit the alarm's state; str() says why (shown to staff)."""


def check_step(status: AlarmStatus, step: StaffStep, outcome: Outcome | None) -> None:
    if status is AlarmStatus.RESOLVED:
        raise StepRefused("this alarm is resolved already")
    if not is_after(step.status, status):
        raise StepRefused(f"this alarm is {status} already")
    if not can_step(status, step.status):  # forward, but on site before a dispatch
        raise StepRefused("dispatch someone before marking them on site")
    if step is StaffStep.RESOLVED and outcome is None:
        raise StepRefused("choose an outcome to resolve the alarm")


class Lane(StrEnum):
    """Emergencies and work items never share a queue: a flat battery must not push a fall
    down the screen.

    The lane follows the kind, not the severity. Work items are technical (a device or a
    gateway to look after) and carry no 60 s promise. Every other alarm may have a person in
    danger behind it and is answered within 60 s, whatever its severity: a door opened at
    night (`normal`, docs/alarm-model.md) can be a resident with dementia leaving the
    home, so it sounds, waits and escalates like the rest. The screens call this lane
    "alarms, answer within 60 s"; severity orders alarms within it."""

    EMERGENCY = "emergency"
    WORK = "work"


WORK_ITEM_KINDS = frozenset({"link_lost", "device_offline", "battery_low"})
SEVERITY_RANK = {"critical": 0, "high": 1, "normal": 2, "low": 3}


def lane_of(kind: str) -> Lane:
    return Lane.WORK if kind in WORK_ITEM_KINDS else Lane.EMERGENCY


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A hub -> gateway message waiting for the gateway's ack."""

    id: str
    gateway_id: str
    type: str
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AlarmRow:
    id: str
    household_id: str
    household_name: str
    address: str
    kind: str
    severity: str
    status: AlarmStatus
    occurred_at: str
    received_at: str
    count: int
    # When the household reported the condition gone (its clock); None while still active.
    cleared_at: str | None
    # The newest event of the alarm's log ("raised", "family_ack", "cleared", ...).
    last_action: str
    last_seen: str = ""  # the newest repeat of the trigger
    acknowledged_at: str | None = None
    acknowledged_by: str | None = None
    dispatched_at: str | None = None
    responder: str | None = None
    eta_minutes: int | None = None
    on_site_at: str | None = None
    resolved_at: str | None = None
    outcome: str | None = None
    escalated_at: str | None = None  # unacknowledged for 60 s: the screen got louder
    realerted_at: str | None = None  # nobody on site 30 min after dispatch
    # When it happened at home, on the hub's clock (received_at less the time the household
    # held it); "" only for a row built without one.
    happened_at: str = ""
    source_name: str = ""  # what the household calls the device that raised it
    source: str = ""  # which device or rule raised it, as the household said (ids included)
    acknowledged_by_name: str | None = None  # the display name of `acknowledged_by`

    @property
    def late_by_seconds(self) -> int | None:
        """Whole seconds between happening at home and reaching the hub, when that is
        LATE_AFTER or more; None for an alarm delivered on time."""
        if not self.happened_at:
            return None
        held = datetime.fromisoformat(self.received_at) - datetime.fromisoformat(self.happened_at)
        return int(held.total_seconds()) if held >= LATE_AFTER else None

    @property
    def open(self) -> bool:
        return self.status is not AlarmStatus.RESOLVED

    @property
    def lane(self) -> Lane:
        return lane_of(self.kind)

    def queue_key(self) -> tuple[int, int, str]:
        """Severity first, then the longest waiting; emergencies before work items."""
        lane = 0 if self.lane == Lane.EMERGENCY else 1
        return (lane, SEVERITY_RANK.get(self.severity, 9), self.received_at)

    def as_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict: it deep-copies, and this runs for every alarm update.
        fields = {name: getattr(self, name) for name in self.__slots__}
        return {
            **fields,
            "lane": self.lane.value,
            "late_by_seconds": self.late_by_seconds,
            # What the source says, for people: the screens never show `source` itself.
            "about": about(self.source, self.source_name),
        }
