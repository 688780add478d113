"""The alarm desk of the household: raises, records and clears alarms in the book, and says
who must hear about it (the care center, the family, the entities) as effects."""

from __future__ import annotations

from datetime import datetime

from ..alarms import (
    AlarmAction,
    AlarmClearedBody,
    AlarmEventBody,
    AlarmKind,
    AlarmMoment,
    Severity,
)
from ..protocol import MessageType
from .book import Alarm, AlarmBook
from .effects import AlarmChanged, CloseValve, Effect, NotifyFamily, SendToHub, SirensOn
from .settings import SafetySettings

# Alarms the family hears about on their phones; the rest are the care center's work items.
FAMILY_SEVERITIES = frozenset({Severity.CRITICAL, Severity.HIGH, Severity.NORMAL})
CENTER_ONLY_KINDS = frozenset({AlarmKind.DEVICE_OFFLINE, AlarmKind.TEST})
# Changes the family is told about on the alert they already have.
# Once someone answers (family, or care-center staff), the family escalation stops.
_SOMEONE_RESPONDS = frozenset(
    {AlarmAction.FAMILY_ACK, AlarmAction.ACKNOWLEDGED, AlarmAction.DISPATCHED, AlarmAction.ON_SITE}
)
_FAMILY_UPDATES = frozenset(
    {
        AlarmAction.FAMILY_ACK,
        AlarmAction.CANCELLED,
        AlarmAction.RESOLVED,
        AlarmAction.DISPATCHED,
        AlarmAction.VALVE_CLOSED,
    }
)


_PROTECTIVE = (CloseValve, SirensOn)


class AlarmDesk:
    def __init__(self, book: AlarmBook, settings: SafetySettings) -> None:
        self.book = book
        self.settings = settings
        self.effects: list[Effect] = []

    def emit(self, effect: Effect) -> None:
        self.effects.append(effect)

    def take_effects(self) -> list[Effect]:
        """Effects in order, except that protecting the home goes first: a host that carries
        them out one by one closes the valve before it writes to the hub or a phone."""
        effects, self.effects = self.effects, []
        return sorted(effects, key=lambda effect: not isinstance(effect, _PROTECTIVE))

    def raise_alarm(
        self, kind: AlarmKind, source: str, now: datetime, source_name: str = ""
    ) -> Alarm:
        """`source_name`: what the household calls the device or button, for people."""
        alarm, new = self.book.raise_alarm(kind, source, now, source_name)
        # A repeat goes to the hub as the same alarm id: the hub counts it, it never duplicates.
        self.emit(SendToHub(MessageType.ALARM_RAISED, alarm.raised().to_body(), alarm.id))
        self.emit(AlarmChanged(alarm, AlarmMoment.RAISED if new else AlarmAction.REPEATED, source))
        if new and self.family_hears_of(alarm):
            self._notify_next_member(alarm, now)
        return alarm

    def record(
        self,
        alarm: Alarm,
        action: AlarmAction,
        actor: str,
        now: datetime,
        detail: str = "",
        *,
        to_hub: bool = True,
    ) -> None:
        self.book.record(alarm.id, action, actor, now, detail)
        if to_hub:
            body = AlarmEventBody(alarm.id, action, now, actor, detail).to_body()
            self.emit(SendToHub(MessageType.ALARM_EVENT, body, alarm.id))
        self.emit(AlarmChanged(alarm, action, detail))
        if action in _FAMILY_UPDATES:
            for member in alarm.family.notified:
                self.emit(NotifyFamily(member, alarm, update=action.value))
        if not alarm.open or action in _SOMEONE_RESPONDS:
            alarm.family.next_at = None  # no need to wake the next family member

    def clear(self, alarm: Alarm, reason: str, now: datetime, *, resolve: bool = False) -> None:
        """The condition behind the alarm has gone; only self-healing kinds resolve by it."""
        self.book.mark_cleared(alarm.id, now)
        body = AlarmClearedBody(alarm.id, now, reason).to_body()
        self.emit(SendToHub(MessageType.ALARM_CLEARED, body, alarm.id))
        if resolve:
            self.record(alarm, AlarmAction.RESOLVED, "household", now, reason, to_hub=False)
        else:
            self.emit(AlarmChanged(alarm, AlarmMoment.CLEARED, reason))

    # Family escalation: one member at a time, in the configured order.

    def family_hears_of(self, alarm: Alarm) -> bool:
        return alarm.severity in FAMILY_SEVERITIES and alarm.kind not in CENTER_ONLY_KINDS

    def _notify_next_member(self, alarm: Alarm, now: datetime) -> None:
        family = self.settings.family
        member = len(alarm.family.notified)
        if member >= len(family):
            alarm.family.next_at = None
            return
        alarm.family.notified.append(member)
        alarm.family.next_at = now + self.settings.family_answer_window
        self.emit(NotifyFamily(member, alarm))
        body = AlarmEventBody(
            alarm.id, AlarmAction.FAMILY_NOTIFIED, now, "household", family[member].name
        ).to_body()
        self.book.record(
            alarm.id, AlarmAction.FAMILY_NOTIFIED, "household", now, family[member].name
        )
        self.emit(SendToHub(MessageType.ALARM_EVENT, body, alarm.id))

    def family_answered(self, alarm: Alarm, member: int, now: datetime) -> None:
        if not alarm.open or alarm.family.acked_by is not None:
            return
        name = self._member_name(member)
        alarm.family.acked_by = name
        self.record(alarm, AlarmAction.FAMILY_ACK, f"family:{name}", now, name)

    def escalate_family(self, now: datetime) -> None:
        for alarm in self.book.open_alarms():
            due = alarm.family.next_at
            if due is None or due > now:
                continue
            silent = self._member_name(alarm.family.notified[-1])
            # The care center learns of every unanswered member, so it knows to phone.
            self.record(alarm, AlarmAction.FAMILY_UNANSWERED, "household", now, silent, to_hub=True)
            self._notify_next_member(alarm, now)

    def next_family_deadline(self) -> datetime | None:
        dues = [a.family.next_at for a in self.book.open_alarms() if a.family.next_at]
        return min(dues, default=None)

    def _member_name(self, member: int) -> str:
        family = self.settings.family
        return family[member].name if 0 <= member < len(family) else f"member {member + 1}"
