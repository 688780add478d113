"""A dispatcher's step on an alarm, from the screen to the household: stored, shown on every
screen, and pushed to the home's gateway (or kept for it until it is back)."""

from __future__ import annotations

from .context import HubContext
from .gateway_ws import push_to_gateway
from .storage import AlarmRow, StaffStep


async def take_staff_step(
    hub: HubContext,
    alarm_id: str,
    step: StaffStep,
    staff: str,
    *,
    note: str = "",
    eta_minutes: int | None = None,
) -> AlarmRow:
    """KeyError for an unknown alarm."""
    alarm, queued = await hub.db(
        lambda: hub.store.record_staff_step(
            alarm_id, step, staff, note, now=hub.clock(), eta_minutes=eta_minutes
        )
    )
    hub.live.publish({"type": "alarm", "alarm": alarm.as_dict()})
    for message in queued:
        await push_to_gateway(hub, message)
    return alarm
