"""What staff and family see of a household, as JSON: one place decides which fields leave
the hub for whom (the family view has no medical details and no staff notes)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from .desk_model import AlarmRow
from .registry import Resident
from .storage import HubStore

VITALS_WINDOW = timedelta(days=7)
VITALS_LIMIT = 500
HISTORY_LIMIT = 20

# What a family member sees of an alarm: who is coming and when, never staff notes.
_FAMILY_ALARM_FIELDS = (
    "id",
    "kind",
    "severity",
    "status",
    "occurred_at",
    "received_at",
    "happened_at",
    "late_by_seconds",
    "source_name",
    "count",
    "cleared_at",
    "acknowledged_at",
    "dispatched_at",
    "responder",
    "eta_minutes",
    "on_site_at",
    "resolved_at",
    "outcome",
)


# Messages of the live feed that carry one alarm's new state.
_ALARM_MESSAGES = frozenset({"alarm", "escalation"})


def resident_for_staff(resident: Resident, now: datetime) -> dict[str, Any]:
    return {
        "id": resident.id,
        "name": resident.name,
        "birth_year": resident.birth_year,
        "age": resident.age(now),
        **resident.medical(),
        "thresholds": resident.thresholds_body(),
    }


def household_for_staff(store: HubStore, household_id: str, now: datetime) -> dict[str, Any]:
    """Household, residents with medical details, contacts and devices. KeyError if unknown.
    The caller audits the medical view."""
    household = store.registry.household(household_id)
    if household is None:
        raise KeyError(f"no household {household_id}")
    return {
        "household": asdict(household),
        "residents": [resident_for_staff(r, now) for r in store.registry.residents(household_id)],
        "contacts": [asdict(c) for c in store.registry.contacts(household_id)],
        "devices": [asdict(d) for d in store.registry.devices(household_id)],
    }


def recent_vitals(store: HubStore, household_id: str, now: datetime) -> list[dict[str, Any]]:
    rows = store.vitals(household_id, since=now - VITALS_WINDOW, limit=VITALS_LIMIT)
    return [
        {
            "code": row["code"],
            "value": row["value"],
            "unit": row["unit"],
            "measured_at": row["measured_at"],
            "device": row["device"],
            # The resident's id (the `residents` of the same answer name them), or None when
            # the monitor is not assigned to anyone; the monitor's flags ("irregular_pulse").
            "resident": row["resident_id"],
            "flags": json.loads(row["flags"]),
            "reading": row["reading_id"],
        }
        for row in rows
    ]


def alarm_history(alarms: list[AlarmRow]) -> list[dict[str, Any]]:
    return [
        {
            "id": a.id,
            "kind": a.kind,
            "severity": a.severity,
            "status": a.status,
            "received_at": a.received_at,
            "resolved_at": a.resolved_at,
            "outcome": a.outcome,
        }
        for a in alarms
    ]


def alarm_for_family(alarm: AlarmRow) -> dict[str, Any]:
    return {name: getattr(alarm, name) for name in _FAMILY_ALARM_FIELDS}


def family_update(message: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """What the family pages of one household get of a message to the dispatch screens:
    (household id, message) for a change of one of its alarms, with the family fields only
    (an escalation is just the alarm's new state to them); None for anything else."""
    alarm = message.get("alarm")
    if message.get("type") not in _ALARM_MESSAGES or not isinstance(alarm, dict):
        return None
    household_id = alarm.get("household_id")
    if not isinstance(household_id, str):
        return None
    family = {name: alarm.get(name) for name in _FAMILY_ALARM_FIELDS}
    return household_id, {"type": "alarm", "alarm": family}
