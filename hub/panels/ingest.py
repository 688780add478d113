"""A panel's accepted message as its household's alarms (docs/dc09.md, "Panel -> hub").

A new event of a kind we know (gateway.dc09.codes) raises an alarm of the panel's household
exactly as a gateway's alarm.raised does: same merge rule, same card, pushed live to the
dispatch screens. A restore (Contact ID qualifier 3, an SIA restore code) clears that
household's open alarm of the kind, as alarm.cleared does. Everything else (openings and
closings, tests, bypasses, status reports) is logged for the panel, not an alarm.

The fingerprint is claimed in the same commit as the alarm, so a retransmission after a hub
restart (the receiver's memory is gone) is still stored once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.alarms import AlarmKind
from gateway.dc09.codes import kind_of_contact_id, kind_of_sia
from gateway.dc09.contact_id import Qualifier
from gateway.dc09.errors import TimestampError
from gateway.dc09.frame import Frame, parse_timestamp
from gateway.dc09.receiver import PanelMessage

from ..core.context import HubContext
from ..core.desk_model import AlarmRow
from ..core.storage import HubStore
from ..infra.sql import Transaction

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PanelEffect:
    """What one event of a panel's message means to us."""

    kind: AlarmKind | None  # None: not an alarm of ours (logged only)
    restore: bool
    zone: int | None
    code: str  # as the panel said it, e.g. "Contact ID 1101", "SIA QA"

    def source(self, account: str) -> str:
        """The alarm's source text on the card, e.g. `panel 1234 zone 015 (Contact ID 1101)`."""
        zone = f" zone {self.zone:03d}" if self.zone is not None else ""
        return f"panel {account}{zone} ({self.code})"

    @property
    def summary(self) -> str:
        if self.kind is None:
            return f"{self.code}: not an alarm"
        return f"{self.kind.value} {'restore' if self.restore else 'new'}"


def effects_of(message: PanelMessage) -> tuple[PanelEffect, ...]:
    event = message.contact_id
    if event is not None:
        code = f"Contact ID {event.qualifier.value}{event.code:03d}"
        # A status report (qualifier 6) repeats something known: neither new nor a restore.
        known = event.qualifier in (Qualifier.NEW, Qualifier.RESTORE)
        kind = kind_of_contact_id(event.code) if known else None
        return (PanelEffect(kind, event.qualifier == Qualifier.RESTORE, event.zone, code),)
    effects = []
    for sia in message.sia:
        kind, restore = kind_of_sia(sia.code)
        effects.append(PanelEffect(kind, restore, sia.zone, f"SIA {sia.code}"))
    return tuple(effects)


def held_by_panel(frame: Frame) -> timedelta:
    """How long the panel held the event before this frame: its timestamp less the time of
    occurrence (x-data H), both on the panel's clock; zero when it gives either one not."""
    stamp = next((x[1:] for x in frame.extended if x.startswith("H")), None)
    if stamp is None or frame.timestamp is None:
        return timedelta(0)
    try:
        return max(frame.timestamp - parse_timestamp(stamp), timedelta(0))
    except TimestampError:
        return timedelta(0)


def store_panel_message(
    store: HubStore, message: PanelMessage, now: datetime, fresh_since: datetime
) -> list[AlarmRow] | None:
    """On the database thread, one commit: claim the fingerprint, apply the effects, log.
    The alarms raised or changed; None when the message was stored at or after
    `fresh_since` already (a duplicate: the caller acks it and publishes nothing)."""
    frame, account = message.frame, message.account.account
    household_id = message.account.owner
    occurred = frame.timestamp or now
    held_for = held_by_panel(frame)
    with Transaction(store.db.conn):
        store.panels.touch(account, now)
        if store.panels.seen(message.fingerprint, fresh_since):
            return None
        effects = effects_of(message)
        alarms: list[AlarmRow] = []
        for effect in effects:
            if effect.kind is None:
                continue
            source = effect.source(account)
            if effect.restore:
                row = store.record_panel_restore(
                    household_id, account, effect.kind, detail=source, occurred_at=occurred, now=now
                )
            else:
                row = store.record_panel_alarm(
                    household_id,
                    account,
                    effect.kind,
                    source=source,
                    occurred_at=occurred,
                    now=now,
                    held_for=held_for,
                )
            if row is not None:
                alarms.append(row)
        store.panels.log(
            message.fingerprint,
            account,
            message=frame.id.value,
            sequence=frame.sequence,
            data=frame.data,
            now=now,
            effect="; ".join(effect.summary for effect in effects),
            alarm_id=alarms[0].id if alarms else None,
        )
    return alarms


async def ingest(hub: HubContext, message: PanelMessage, keep: timedelta) -> bool:
    """Store a message the receiver accepted, then push its alarms to the dispatch screens.
    False for a duplicate found in the database. Raises when storing failed: then nothing
    may be acked (the panel sends again)."""
    now = hub.clock()
    alarms = await hub.db(store_panel_message, hub.store, message, now, now - keep)
    if alarms is None:
        return False
    for alarm in alarms:
        hub.live.publish({"type": "alarm", "alarm": alarm.as_dict()})
        _LOGGER.info(
            "Panel %s: alarm %s %s (%s)",
            message.account.account,
            alarm.id,
            alarm.kind,
            alarm.last_action,
            extra={"event": "panel_alarm", "kind": alarm.kind},
        )
    return True
