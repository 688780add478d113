"""The desk's timers: an emergency nobody acknowledged within 60 s escalates (the screens
get louder, supervisors are told), and a dispatch with nobody on site after 30 min re-alerts.
Each fires once per alarm; both are recorded in the alarm's log and the audit trail."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from ..core.audit import AuditAction
from ..core.context import HubContext
from ..core.desk_model import ESCALATE_AFTER, ON_SITE_WITHIN, AlarmRow

_LOGGER = logging.getLogger(__name__)
CHECK_PERIOD = 1.0  # s: an escalation comes at most this late


async def watch_desk(hub: HubContext) -> None:
    """Run until cancelled."""
    while True:
        await asyncio.sleep(CHECK_PERIOD)
        await check_desk(hub)


async def check_desk(hub: HubContext) -> tuple[list[AlarmRow], list[AlarmRow]]:
    """One pass at the hub's time: (escalated, re-alerted) alarms, each published."""
    now = hub.clock()
    escalated, realerted = await hub.db(_mark_due, hub, now)
    for alarm in escalated:
        _LOGGER.warning("Alarm %s (%s) unacknowledged for 60 s: escalated", alarm.id, alarm.kind)
        hub.live.publish(
            {"type": "escalation", "reason": "unacknowledged", "alarm": alarm.as_dict()}
        )
    for alarm in realerted:
        _LOGGER.warning("Alarm %s: nobody on site 30 min after dispatch: re-alert", alarm.id)
        hub.live.publish({"type": "escalation", "reason": "not_on_site", "alarm": alarm.as_dict()})
    return escalated, realerted


def _mark_due(hub: HubContext, now: datetime) -> tuple[list[AlarmRow], list[AlarmRow]]:
    """On the database thread: find and mark in one commit, so no alarm fires twice."""
    store = hub.store
    escalated = [
        store.mark_escalated(alarm.id, now)
        for alarm in store.unacknowledged_since(now - ESCALATE_AFTER)
    ]
    realerted = [
        store.mark_realerted(alarm.id, now)
        for alarm in store.dispatched_since(now - ON_SITE_WITHIN)
    ]
    for alarm in escalated:
        store.audit.append("hub", AuditAction.ESCALATED, f"alarm:{alarm.id}", now, alarm.kind)
    for alarm in realerted:
        store.audit.append("hub", AuditAction.REALERTED, f"alarm:{alarm.id}", now, alarm.kind)
    return escalated, realerted


def _publish(hub: HubContext, reason: str, alarm: AlarmRow) -> None:
    """Screens show the alarm changed and sound the alert; supervisors' screens show who
    must step in. The alarm itself also goes out as an update."""
    hub.live.publish({"type": "escalation", "reason": reason, "alarm": alarm.as_dict()})
