"""The append-only audit trail: every staff action and every view of a resident's medical
details, with who and when. The database refuses updates and deletes (triggers in schema)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlite_utils

from gateway.alarms import utc_iso


class AuditAction(StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    LOGIN_UNLOCKED = "login_unlocked"  # a supervisor or the shell cleared sign-in delays
    LOGIN_GUARDED = "login_guarded"  # the hub itself: many failures for one name, many places
    ALARM_STEP = "alarm_step"  # acknowledged / dispatched / on_site / resolved / note
    SERVICE_STEP = "service_step"  # a work order: taken by phone, a step, a rating
    VIEW_MEDICAL = "view_medical"
    REGISTRY_CHANGE = "registry_change"
    USER_CHANGE = "user_change"
    ESCALATED = "escalated"  # the hub itself: an alarm unacknowledged for 60 s
    REALERTED = "realerted"  # the hub itself: nobody on site 30 min after dispatch
    EXPORT = "export"  # a report or FHIR export was downloaded
    RESTORE = "restore"  # `python -m hub restore`: also the running hub's cue (hub/core/backup.py)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: str
    actor: str
    action: str
    subject: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "detail": self.detail,
        }


class AuditLog:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def append(
        self, actor: str, action: AuditAction, subject: str, now: datetime, detail: str = ""
    ) -> None:
        self.db.execute(
            "INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
            [utc_iso(now), actor, action.value, subject, detail[:500]],
        )

    def registry_change(
        self, actor: str, subject: str, now: datetime, what: str, fields: Iterable[str]
    ) -> None:
        """A change to the registry or the directory: which fields, never their values (they
        can be personal data)."""
        self.append(
            actor, AuditAction.REGISTRY_CHANGE, subject, now, f"{what}: {', '.join(sorted(fields))}"
        )

    def entries(self, subject: str | None = None, limit: int = 500) -> list[AuditEntry]:
        """Newest first; only one subject's (an alarm, a resident, a user) when given."""
        where, params = ("WHERE subject = ?", [subject]) if subject else ("", [])
        rows = self.db.query(
            f"SELECT id, at, actor, action, subject, detail FROM audit {where}"  # noqa: S608
            " ORDER BY id DESC LIMIT ?",
            [*params, limit],
        )
        return [AuditEntry(**row) for row in rows]
