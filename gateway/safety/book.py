"""The household's own record of its alarms: lifecycle, history, family progress.

Nothing is ever deleted from an alarm: acknowledgements, cancels and resolutions are history
entries. The book is plain data so the host can persist it and restore it after a restart.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..alarms import (
    SEVERITY_OF,
    AlarmAction,
    AlarmKind,
    AlarmStatus,
    RaisedAlarm,
    Severity,
    StaffStep,
    is_after,
)
from ..protocol import MAX_SOURCE_NAME
from ..ulid import new_ulid

# How many finished alarms the household keeps for its own history (the hub keeps all).
FINISHED_KEPT = 50
MAX_SOURCE = 200  # the hub's limit for an alarm's `source`

# The household's name for the shared lifecycle (gateway/alarms.py); it uses the household's
# stages (HOUSEHOLD_LIFECYCLE), never the hub's `new`.
AlarmState = AlarmStatus

# Actions that move the state: the care center's steps, and a resident's cancel, which ends
# the alarm at home (the hub keeps it open for staff).
_STATE_AFTER: dict[AlarmAction, AlarmStatus] = {
    **{step.action: step.status for step in StaffStep},
    AlarmAction.CANCELLED: AlarmStatus.RESOLVED,
}


@dataclass(slots=True)
class HistoryEntry:
    at: datetime
    action: AlarmAction
    actor: str
    detail: str = ""


@dataclass(slots=True)
class FamilyProgress:
    """Who of the family has been alerted, who answered, and when to try the next one."""

    notified: list[int] = field(default_factory=list)
    acked_by: str | None = None
    next_at: datetime | None = None


@dataclass(slots=True)
class CareResponse:
    """What the care center's staff said they do about an alarm: who took it, who goes, and
    in how many minutes (the dispatch screen's fields, as the staff steps brought them)."""

    staff: str = ""  # who at the care center took the last step
    responder: str = ""  # who goes ("社区护士 刘芳"); "" when staff named nobody
    eta_minutes: int | None = None
    dispatched_at: datetime | None = None
    on_site_at: datetime | None = None

    @property
    def arrives_at(self) -> datetime | None:
        """When the responder should be there: the dispatch plus the ETA staff gave."""
        if self.dispatched_at is None or self.eta_minutes is None:
            return None
        return self.dispatched_at + timedelta(minutes=self.eta_minutes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "staff": self.staff,
            "responder": self.responder,
            "eta_minutes": self.eta_minutes,
            "dispatched_at": _iso(self.dispatched_at),
            "on_site_at": _iso(self.on_site_at),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CareResponse:
        eta = data.get("eta_minutes")
        return cls(
            staff=str(data.get("staff", "")),
            responder=str(data.get("responder", "")),
            eta_minutes=int(eta) if eta is not None else None,
            dispatched_at=_time(data.get("dispatched_at")),
            on_site_at=_time(data.get("on_site_at")),
        )


@dataclass(slots=True)
class Alarm:
    id: str
    kind: AlarmKind
    severity: Severity
    source: str
    raised_at: datetime
    last_seen: datetime
    count: int = 1
    state: AlarmStatus = AlarmStatus.RAISED
    cleared_at: datetime | None = None
    history: list[HistoryEntry] = field(default_factory=list)
    family: FamilyProgress = field(default_factory=FamilyProgress)
    # What the household calls the device or button that raised it, for people ("" unnamed).
    source_name: str = ""
    response: CareResponse | None = None  # the care center's, once staff took a step

    @property
    def open(self) -> bool:
        return self.state is not AlarmStatus.RESOLVED

    @property
    def cancelled(self) -> bool:
        return any(entry.action is AlarmAction.CANCELLED for entry in self.history)

    def raised(self) -> RaisedAlarm:
        # Cut to what the hub accepts: a longer name or source would be refused as malformed,
        # and the alarm with it.
        return RaisedAlarm(
            self.id,
            self.kind,
            self.severity,
            self.raised_at,
            self.source[:MAX_SOURCE],
            self.source_name.strip()[:MAX_SOURCE_NAME],
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("raised_at", "last_seen", "cleared_at"):
            data[key] = _iso(data[key])
        data["family"]["next_at"] = _iso(data["family"]["next_at"])
        for entry in data["history"]:
            entry["at"] = _iso(entry["at"])
        data["response"] = self.response.to_dict() if self.response is not None else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alarm:
        family = data.get("family", {})
        return cls(
            id=data["id"],
            kind=AlarmKind(data["kind"]),
            severity=Severity(data["severity"]),
            source=data["source"],
            raised_at=datetime.fromisoformat(data["raised_at"]),
            last_seen=datetime.fromisoformat(data["last_seen"]),
            count=int(data["count"]),
            state=AlarmStatus(data["state"]),
            cleared_at=_time(data.get("cleared_at")),
            history=[
                HistoryEntry(
                    datetime.fromisoformat(e["at"]),
                    AlarmAction(e["action"]),
                    e["actor"],
                    e["detail"],
                )
                for e in data.get("history", [])
            ],
            family=FamilyProgress(
                notified=[int(i) for i in family.get("notified", [])],
                acked_by=family.get("acked_by"),
                next_at=_time(family.get("next_at")),
            ),
            # Both absent from alarms saved by an older release.
            source_name=str(data.get("source_name", "")),
            response=CareResponse.from_dict(response)
            if isinstance(response := data.get("response"), dict)
            else None,
        )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


class UnknownAlarm(KeyError):
    """No alarm with this id in the household's book."""


class AlarmBook:
    def __init__(self, alarms: list[Alarm] | None = None, raised_total: int = 0) -> None:
        self._alarms: dict[str, Alarm] = {alarm.id: alarm for alarm in alarms or []}
        self.raised_total = raised_total

    def get(self, alarm_id: str) -> Alarm:
        try:
            return self._alarms[alarm_id]
        except KeyError:
            raise UnknownAlarm(alarm_id) from None

    def knows(self, alarm_id: str) -> bool:
        return alarm_id in self._alarms

    def open_alarms(self) -> list[Alarm]:
        """Open alarms, most severe first, then oldest first."""
        severities = list(Severity)
        return sorted(
            (alarm for alarm in self._alarms.values() if alarm.open),
            key=lambda a: (severities.index(a.severity), a.raised_at),
        )

    def all_alarms(self) -> list[Alarm]:
        return sorted(self._alarms.values(), key=lambda a: a.raised_at)

    def open_of_kind(self, kind: AlarmKind) -> Alarm | None:
        return next((a for a in self.open_alarms() if a.kind is kind), None)

    def raise_alarm(
        self, kind: AlarmKind, source: str, now: datetime, source_name: str = ""
    ) -> tuple[Alarm, bool]:
        """The open alarm of this kind, repeated, or a new one; True when it is new."""
        alarm = self.open_of_kind(kind)
        if alarm is not None:
            alarm.count += 1
            alarm.last_seen = now
            alarm.cleared_at = None  # the condition is back (the hub resets it too)
            alarm.history.append(HistoryEntry(now, AlarmAction.REPEATED, "household", source))
            return alarm, False
        alarm = Alarm(new_ulid(), kind, SEVERITY_OF[kind], source, now, now)
        alarm.source_name = source_name
        self._alarms[alarm.id] = alarm
        self.raised_total += 1
        self._forget_old()
        return alarm, True

    def record(
        self, alarm_id: str, action: AlarmAction, actor: str, now: datetime, detail: str = ""
    ) -> Alarm:
        """Add a history entry; lifecycle actions move the state forward, never back."""
        alarm = self.get(alarm_id)
        alarm.history.append(HistoryEntry(now, action, actor, detail))
        target = _STATE_AFTER.get(action)
        if target is not None and is_after(target, alarm.state):
            alarm.state = target
        return alarm

    def mark_reported(self, alarm_id: str) -> Alarm:
        alarm = self.get(alarm_id)
        if alarm.state is AlarmStatus.RAISED:
            alarm.state = AlarmStatus.REPORTED
        return alarm

    def mark_cleared(self, alarm_id: str, now: datetime) -> Alarm:
        alarm = self.get(alarm_id)
        alarm.cleared_at = now
        return alarm

    def _forget_old(self) -> None:
        finished = [a for a in self.all_alarms() if not a.open]
        for alarm in finished[: max(0, len(finished) - FINISHED_KEPT)]:
            del self._alarms[alarm.id]

    def to_dict(self) -> dict[str, Any]:
        return {
            "alarms": [alarm.to_dict() for alarm in self.all_alarms()],
            "raised_total": self.raised_total,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AlarmBook:
        return cls(
            [Alarm.from_dict(item) for item in data.get("alarms", [])],
            int(data.get("raised_total", 0)),
        )
