"""A dispatcher's step on an alarm, from the screen to the household: stored with the audit
entry in one commit, shown on every screen, and pushed to the home's gateway (or kept for it
until it is back)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..core.audit import AuditAction
from ..core.context import HubContext
from ..core.desk_model import AlarmRow, OutboundMessage, Outcome, StaffStep


@dataclass(frozen=True, slots=True)
class StepDetails:
    note: str = ""
    responder: str | None = None  # dispatched: who goes
    eta_minutes: int | None = None  # dispatched: when they will be there
    outcome: Outcome | None = None  # resolved: how it ended (required)


async def take_staff_step(
    hub: HubContext,
    alarm_id: str,
    step: StaffStep,
    staff: str,
    details: StepDetails = StepDetails(),
    *,
    staff_name: str = "",
) -> AlarmRow:
    """KeyError for an unknown alarm, StepRefused for a step its state does not allow.
    `staff` is the user name; `staff_name` the display name the home is told."""

    def record() -> tuple[AlarmRow, list[OutboundMessage]]:
        now = hub.clock()
        result = hub.store.record_staff_step(
            alarm_id,
            step,
            staff,
            details.note,
            now=now,
            eta_minutes=details.eta_minutes,
            responder=details.responder,
            outcome=details.outcome,
            staff_name=staff_name,
        )
        _audit(hub, staff, alarm_id, now, step.value)
        return result

    alarm, queued = await hub.db(record)
    hub.live.publish({"type": "alarm", "alarm": alarm.as_dict()})
    for message in queued:
        await hub.gateways.push(message)
    return alarm


async def add_staff_note(hub: HubContext, alarm_id: str, staff: str, note: str) -> AlarmRow:
    def record() -> AlarmRow:
        now = hub.clock()
        alarm = hub.store.add_note(alarm_id, staff, note, now)
        _audit(hub, staff, alarm_id, now, "note")
        return alarm

    alarm = await hub.db(record)
    hub.live.publish({"type": "alarm", "alarm": alarm.as_dict()})
    return alarm


def _audit(hub: HubContext, staff: str, alarm_id: str, now: datetime, what: str) -> None:
    """On the database thread, inside the step's own commit."""
    hub.store.audit.append(f"staff:{staff}", AuditAction.ALARM_STEP, f"alarm:{alarm_id}", now, what)
