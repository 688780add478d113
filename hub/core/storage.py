"""All hub state in one SQLite file through sqlite-utils: gateways, messages, alarms, vitals.

SQL lives in the store modules only (this one, `registry`, `accounts`, `audit`; the schema in
`schema`). Keeping storage behind them lets a server database replace SQLite for city-scale
deployments. Calls are synchronous and short; the web app runs them on one worker thread
(see `hub.app`), which is also what makes SQLite's single-writer rule hold.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from gateway.alarms import (
    SEVERITY_OF,
    AlarmAction,
    AlarmClearedBody,
    AlarmEventBody,
    AlarmKind,
    AlarmStatus,
    RaisedAlarm,
    utc_iso,
)
from gateway.protocol import VitalBody
from gateway.ulid import new_ulid
from provisioning import codes

from ..infra.sql import Transaction, one
from .accounts import AccountStore
from .alarm_words import name_from_devices
from .audit import AuditLog
from .desk_model import (
    STAFF_MESSAGE_TYPES,
    WORK_ITEM_KINDS,
    AlarmRow,
    OutboundMessage,
    Outcome,
    StaffStep,
    check_step,
)
from .messages import ReceivedMessage, claim_message
from .panel_store import PanelStore
from .registry import RegistryStore
from .schema import migrate, schema_version
from .service_store import ServiceStore
from .sla import AnsweredAlarm

_LOGGER = logging.getLogger(__name__)
ENROLLMENT_CODE_LIFETIME = timedelta(hours=24)
# Kinds whose clearing ends the alarm: nothing is left for staff to do once the device is
# back or its battery was changed. Every other kind stays open until staff resolve it.
RESOLVED_BY_CLEAR = WORK_ITEM_KINDS
# Actor of the events the hub itself appends (automatic resolution).
HUB_ACTOR = "hub"


class EnrollmentRejected(Exception):
    """An enrollment code that cannot be redeemed; `reason` is a protocol EnrollError value."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class AlarmRejected(Exception):
    """A gateway message about an alarm the hub refuses to store; str() says why.

    An alarm of another household reads exactly like an unknown one, so a gateway learns
    nothing about alarm ids outside its own household.
    """


@dataclass(frozen=True, slots=True)
class Household:
    id: str
    name: str
    address: str


@dataclass(frozen=True, slots=True)
class Gateway:
    id: str
    household_id: str
    name: str
    public_key: str
    revoked: bool
    heartbeat_seconds: int | None = None  # None: the hub's default


class HubStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # One worker thread owns the connection after start-up, hence check_same_thread off.
        connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db = sqlite_utils.Database(connection)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # an acked alarm must survive power loss
        self.db.execute("PRAGMA foreign_keys=ON")
        self._migrate()
        self.registry = RegistryStore(self.db)
        self.accounts = AccountStore(self.db)
        self.audit = AuditLog(self.db)
        self.panels = PanelStore(self.db)
        self.services = ServiceStore(self.db)
        # Gateways by id, read on every message: kept in memory, dropped when this store
        # changes one, and all dropped when another process (the CLI's `revoke`) wrote the file.
        self._gateway_cache: dict[str, Gateway] = {}
        self._data_version = self._read_data_version()

    def cached_gateway(self, gateway_id: str) -> Gateway | None:
        """The gateway if it is in memory, without touching the database (any thread)."""
        return self._gateway_cache.get(gateway_id)

    def notice_other_writers(self) -> bool:
        """Drop cached gateways when another connection committed since the last call
        (SQLite's data_version ignores this connection's own commits). True if it had."""
        version = self._read_data_version()
        if version == self._data_version:
            return False
        self._data_version = version
        self._gateway_cache.clear()
        return True

    def _read_data_version(self) -> int:
        return int(self.db.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        self.db.conn.close()

    @property
    def schema_version(self) -> int:
        return schema_version(self.db.conn)

    def _migrate(self) -> None:
        migrate(self.db.conn)

    # Households and enrollment

    def create_household(self, name: str, address: str, now: datetime | None = None) -> Household:
        household = Household(id=new_ulid(), name=name, address=address)
        self.db.table("households").insert(
            {
                "id": household.id,
                "name": name,
                "address": address,
                "created_at": utc_iso(now or datetime.now(UTC)),
            }
        )
        return household

    def household(self, household_id: str) -> Household | None:
        row = self._one("SELECT id, name, address FROM households WHERE id = ?", household_id)
        return Household(**row) if row else None

    def mint_enrollment_code(self, household_id: str, now: datetime | None = None) -> str:
        if self.household(household_id) is None:
            raise KeyError(f"no household {household_id}")
        moment = now or datetime.now(UTC)
        code = codes.new_enrollment_code()
        self.db.table("enrollment_codes").insert(
            {
                "digest": codes.code_digest(code),
                "household_id": household_id,
                "created_at": utc_iso(moment),
                "expires_at": utc_iso(moment + ENROLLMENT_CODE_LIFETIME),
                "used_at": None,
                "gateway_id": None,
            }
        )
        return code

    def redeem_enrollment_code(
        self, code: str, public_key: str, name: str, now: datetime | None = None
    ) -> Gateway:
        """Single use: the check and the redemption are one transaction."""
        moment = now or datetime.now(UTC)
        try:
            digest = codes.code_digest(code)
        except codes.MalformedCode as err:
            raise EnrollmentRejected("bad_request", str(err)) from err
        with self._transaction():
            row = self._one("SELECT * FROM enrollment_codes WHERE digest = ?", digest)
            if row is None:
                raise EnrollmentRejected("code_unknown", "This enrollment code is not known here.")
            if row["used_at"] is not None:
                raise EnrollmentRejected(
                    "code_used", "This enrollment code was used already; ask for a new one."
                )
            if datetime.fromisoformat(row["expires_at"]) <= moment:
                raise EnrollmentRejected(
                    "code_expired", "This enrollment code has expired; ask for a new one."
                )
            gateway = Gateway(new_ulid(), row["household_id"], name, public_key, revoked=False)
            self.db.table("gateways").insert(
                {
                    "id": gateway.id,
                    "household_id": gateway.household_id,
                    "name": name,
                    "public_key": public_key,
                    "enrolled_at": utc_iso(moment),
                    "revoked_at": None,
                    "last_seen": None,
                }
            )
            self.db.execute(
                "UPDATE enrollment_codes SET used_at = ?, gateway_id = ? WHERE digest = ?",
                [utc_iso(moment), gateway.id, digest],
            )
        return gateway

    def gateway(self, gateway_id: str) -> Gateway | None:
        if (cached := self._gateway_cache.get(gateway_id)) is not None:
            return cached
        rows = self._gateway_rows("WHERE id = ?", [gateway_id])
        if not rows:
            return None
        self._gateway_cache[gateway_id] = rows[0]
        return rows[0]

    def gateways(self) -> list[Gateway]:
        """Every enrolled gateway, revoked ones included."""
        return self._gateway_rows("ORDER BY enrolled_at", [])

    def household_gateways(self, household_id: str) -> list[Gateway]:
        """A household's gateways that are not revoked."""
        return self._gateway_rows("WHERE household_id = ? AND revoked_at IS NULL", [household_id])

    def gateway_last_seen(self, household_id: str) -> str | None:
        """When the hub last heard one of the household's gateways, as last flushed to the
        database (link supervision writes it every 30 s); None if never."""
        row = self._one(
            "SELECT MAX(last_seen) AS seen FROM gateways"
            " WHERE household_id = ? AND revoked_at IS NULL",
            household_id,
        )
        return row["seen"] if row and row["seen"] else None

    def _gateway_rows(self, where: str, params: list[Any]) -> list[Gateway]:
        sql = (
            "SELECT id, household_id, name, public_key, revoked_at, heartbeat_seconds"  # noqa: S608
            f" FROM gateways {where}"
        )
        gateways = []
        for row in self.db.query(sql, params):
            revoked = row.pop("revoked_at") is not None
            gateways.append(Gateway(**row, revoked=revoked))
        return gateways

    def revoke_gateway(self, gateway_id: str, now: datetime | None = None) -> Gateway:
        """From now on every message of this gateway is refused. KeyError if unknown."""
        moment = utc_iso(now or datetime.now(UTC))
        self._gateway_cache.pop(gateway_id, None)
        cursor = self.db.execute(
            "UPDATE gateways SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
            [moment, gateway_id],
        )
        if cursor.rowcount == 0:
            raise KeyError(f"no gateway {gateway_id}")
        gateway = self.gateway(gateway_id)
        assert gateway is not None
        return gateway

    def set_heartbeat_interval(self, gateway_id: str, seconds: int | None) -> None:
        """None returns the gateway to the hub's default."""
        self._gateway_cache.pop(gateway_id, None)
        cursor = self.db.execute(
            "UPDATE gateways SET heartbeat_seconds = ? WHERE id = ?", [seconds, gateway_id]
        )
        if cursor.rowcount == 0:
            raise KeyError(f"no gateway {gateway_id}")

    def touch_gateways(self, heard: dict[str, datetime]) -> None:
        """Many last-heard times in one transaction (link supervision flushes in batches)."""
        with self._transaction():
            self.db.conn.executemany(
                "UPDATE gateways SET last_seen = ? WHERE id = ?",
                [(utc_iso(moment), gateway_id) for gateway_id, moment in heard.items()],
            )

    # Messages and alarms

    def already_received(self, message_id: str, gateway_id: str | None = None) -> bool:
        """Whether a message with this id was stored (from this gateway, when given)."""
        if gateway_id is None:
            return self._one("SELECT id FROM messages WHERE id = ?", message_id) is not None
        row = self._one(
            "SELECT id FROM messages WHERE gateway_id = ? AND id = ?", gateway_id, message_id
        )
        return row is not None

    def record_alarm_raised(
        self,
        gateway: Gateway,
        message_id: str,
        alarm: RaisedAlarm,
        now: datetime,
        *,
        held_for: timedelta = timedelta(0),
    ) -> AlarmRow | None:
        """Store an alarm; None when this message id was stored before (a harmless duplicate).

        A repeat of the same kind in the same household while one is open updates that alarm
        (count, last_seen) instead of making a second card on the dispatch screen; the
        condition is back, so a clear reported earlier no longer holds.
        An alarm id another household's alarm has at the hub already is stored under a fresh
        hub id (the household's id stays an alias), so no gateway can block another's alarm.
        `held_for`: how long the gateway held the alarm before sending it (its own clock);
        the alarm happened that long before `now`, on the hub's clock.
        """
        received = utc_iso(now)
        with self._transaction():
            if not claim_message(
                self.db, ReceivedMessage(gateway.id, message_id, "alarm.raised"), now
            ):
                return None
            known = self._find_alarm(gateway.household_id, alarm.alarm_id)
            target = known or self._one(
                "SELECT id FROM alarms WHERE household_id = ? AND kind = ? AND status != ?"
                " ORDER BY received_at LIMIT 1",
                gateway.household_id,
                alarm.kind.value,
                AlarmStatus.RESOLVED,
            )
            if target is not None:
                alarm_id = target["id"]
                if known is None:
                    self._alias(gateway.household_id, alarm.alarm_id, alarm_id)
                self.db.execute(
                    "UPDATE alarms SET count = count + 1, last_seen = ?, cleared_at = NULL"
                    " WHERE id = ?",
                    [received, alarm_id],
                )
                action = "repeated"
            else:
                alarm_id = alarm.alarm_id
                # Taken by another household: never theirs to count on, never refused.
                taken = self._one("SELECT id FROM alarms WHERE id = ?", alarm_id) is not None
                if taken:
                    alarm_id = new_ulid()
                self.db.table("alarms").insert(
                    {
                        "id": alarm_id,
                        "household_id": gateway.household_id,
                        "gateway_id": gateway.id,
                        "kind": alarm.kind.value,
                        "severity": alarm.severity.value,
                        "status": AlarmStatus.NEW,
                        "source": alarm.source,
                        "occurred_at": utc_iso(alarm.occurred_at),
                        "received_at": received,
                        "happened_at": utc_iso(now - max(held_for, timedelta(0))),
                        "last_seen": received,
                        "count": 1,
                        # Unnamed in the message: the name its device report gives it.
                        "source_name": alarm.source_name
                        or name_from_devices(
                            alarm.kind.value,
                            alarm.source,
                            self.registry.devices(gateway.household_id),
                        ),
                    }
                )
                if taken:
                    self._alias(gateway.household_id, alarm.alarm_id, alarm_id)
                action = "raised"
            self._append_event(
                alarm_id,
                received,
                f"gateway:{gateway.id}",
                action,
                alarm.source,
                occurred_at=utc_iso(alarm.occurred_at),
            )
        return self._stored_alarm(alarm_id)

    def record_alarm_event(
        self, gateway: Gateway, message_id: str, event: AlarmEventBody, now: datetime
    ) -> AlarmRow | None:
        """Append what the household reports about one of its alarms; None for a duplicate.

        `resolved` (settled at home, e.g. the family found all well) closes the alarm. Every
        other action is only recorded, a resident's `cancelled` included: the alarm stays
        open and staff decide. Raises AlarmRejected for an alarm outside the gateway's
        household or unknown here.
        """
        received = utc_iso(now)
        with self._transaction():
            if not claim_message(
                self.db, ReceivedMessage(gateway.id, message_id, "alarm.event"), now
            ):
                return None
            alarm_id = self._household_alarm(gateway, event.alarm_id)["id"]
            self._append_event(
                alarm_id,
                received,
                f"gateway:{gateway.id}",
                event.action.value,
                event.detail,
                occurred_at=utc_iso(event.occurred_at),
                reported_actor=event.actor or None,
            )
            if event.action == AlarmAction.RESOLVED:
                self._resolve(alarm_id, received, Outcome.FAMILY_HANDLED)
        return self._stored_alarm(alarm_id)

    def record_alarm_cleared(
        self, gateway: Gateway, message_id: str, cleared: AlarmClearedBody, now: datetime
    ) -> AlarmRow | None:
        """Mark an alarm's condition as gone; None for a duplicate message.

        The alarm stays open for staff (smoke that cleared still needs a look), except the
        kinds in RESOLVED_BY_CLEAR, which the hub resolves itself with an event saying so.
        Raises AlarmRejected like `record_alarm_event`.
        """
        received = utc_iso(now)
        occurred = utc_iso(cleared.occurred_at)
        with self._transaction():
            if not claim_message(
                self.db, ReceivedMessage(gateway.id, message_id, "alarm.cleared"), now
            ):
                return None
            target = self._household_alarm(gateway, cleared.alarm_id)
            alarm_id = target["id"]
            self._append_event(
                alarm_id,
                received,
                f"gateway:{gateway.id}",
                "cleared",
                cleared.reason,
                occurred_at=occurred,
            )
            self.db.execute("UPDATE alarms SET cleared_at = ? WHERE id = ?", [occurred, alarm_id])
            if (
                target["kind"] in RESOLVED_BY_CLEAR
                and AlarmStatus(target["status"]) is not AlarmStatus.RESOLVED
            ):
                self._resolve(alarm_id, received, Outcome.TECHNICAL)
                self._append_event(
                    alarm_id,
                    received,
                    HUB_ACTOR,
                    "resolved",
                    f"{target['kind']} resolves on its own when cleared",
                    occurred_at=occurred,
                )
        return self._stored_alarm(alarm_id)

    # Link supervision: alarms the hub raises itself

    def open_link_lost(self) -> dict[str, str]:
        """Gateway id -> its open link_lost alarm id."""
        rows = self.db.query(
            "SELECT gateway_id, id FROM alarms WHERE kind = 'link_lost' AND status != ?"
            " AND panel_account IS NULL",  # a panel's communication trouble is no gateway's
            [AlarmStatus.RESOLVED],
        )
        return {row["gateway_id"]: row["id"] for row in rows}

    def raise_link_lost(self, gateway: Gateway, detail: str, now: datetime) -> AlarmRow:
        """The hub stopped hearing this gateway: a work item for the household (one at a time)."""
        received = utc_iso(now)
        with self._transaction():
            open_id = self.open_link_lost().get(gateway.id)
            if open_id is not None:
                return self._stored_alarm(open_id)
            alarm_id = new_ulid()
            self.db.table("alarms").insert(
                {
                    "id": alarm_id,
                    "household_id": gateway.household_id,
                    "gateway_id": gateway.id,
                    "kind": "link_lost",
                    "severity": "high",
                    "status": AlarmStatus.NEW,
                    "source": detail,
                    "occurred_at": received,
                    "happened_at": received,
                    "received_at": received,
                    "last_seen": received,
                    "count": 1,
                }
            )
            self._append_event(alarm_id, received, HUB_ACTOR, "raised", detail)
        return self._stored_alarm(alarm_id)

    def clear_link_lost(self, gateway_id: str, now: datetime) -> AlarmRow | None:
        """The gateway is heard again: its link_lost alarm is cleared and resolves itself."""
        received = utc_iso(now)
        with self._transaction():
            alarm_id = self.open_link_lost().get(gateway_id)
            if alarm_id is None:
                return None
            self.db.execute("UPDATE alarms SET cleared_at = ? WHERE id = ?", [received, alarm_id])
            self._resolve(alarm_id, received, Outcome.TECHNICAL)
            self._append_event(alarm_id, received, HUB_ACTOR, "cleared", "gateway heard again")
            self._append_event(
                alarm_id, received, HUB_ACTOR, "resolved", "link_lost resolves when cleared"
            )
        return self._stored_alarm(alarm_id)

    # Alarm panels (hub/panels): a household's alarms that no gateway raised

    def record_panel_alarm(
        self,
        household_id: str,
        panel_account: str,
        kind: AlarmKind,
        *,
        source: str,
        occurred_at: datetime,
        now: datetime,
        held_for: timedelta = timedelta(0),
    ) -> AlarmRow:
        """A panel's new event, merged like `record_alarm_raised`: a repeat of a kind open in
        the household updates that alarm (count, last_seen), no second card. The alarm has no
        gateway (gateway_id ''); panel_account names the panel."""
        received = utc_iso(now)
        with self._transaction():
            target = self._open_alarm_of_kind(household_id, kind.value, panel_account)
            if target is not None:
                alarm_id = target["id"]
                self.db.execute(
                    "UPDATE alarms SET count = count + 1, last_seen = ?, cleared_at = NULL"
                    " WHERE id = ?",
                    [received, alarm_id],
                )
                action = "repeated"
            else:
                alarm_id = new_ulid()
                self.db.table("alarms").insert(
                    {
                        "id": alarm_id,
                        "household_id": household_id,
                        "gateway_id": "",
                        "panel_account": panel_account,
                        "kind": kind.value,
                        "severity": SEVERITY_OF[kind].value,
                        "status": AlarmStatus.NEW,
                        "source": source,
                        "occurred_at": utc_iso(occurred_at),
                        "received_at": received,
                        "happened_at": utc_iso(now - max(held_for, timedelta(0))),
                        "last_seen": received,
                        "count": 1,
                    }
                )
                action = "raised"
            self._append_event(
                alarm_id,
                received,
                f"panel:{panel_account}",
                action,
                source,
                occurred_at=utc_iso(occurred_at),
            )
        return self._stored_alarm(alarm_id)

    def record_panel_restore(
        self,
        household_id: str,
        panel_account: str,
        kind: AlarmKind,
        *,
        detail: str,
        occurred_at: datetime,
        now: datetime,
    ) -> AlarmRow | None:
        """A panel's restore clears the household's open alarm of that kind, as alarm.cleared
        does (the kinds in RESOLVED_BY_CLEAR resolve); None when none is open."""
        received = utc_iso(now)
        occurred = utc_iso(occurred_at)
        with self._transaction():
            target = self._open_alarm_of_kind(household_id, kind.value, panel_account)
            if target is None:
                return None
            alarm_id = target["id"]
            actor = f"panel:{panel_account}"
            self._append_event(alarm_id, received, actor, "cleared", detail, occurred_at=occurred)
            self.db.execute("UPDATE alarms SET cleared_at = ? WHERE id = ?", [occurred, alarm_id])
            if kind.value in RESOLVED_BY_CLEAR:
                self._resolve(alarm_id, received, Outcome.TECHNICAL)
                self._append_event(
                    alarm_id,
                    received,
                    HUB_ACTOR,
                    "resolved",
                    f"{kind.value} resolves on its own when cleared",
                    occurred_at=occurred,
                )
        return self._stored_alarm(alarm_id)

    def _open_alarm_of_kind(
        self, household_id: str, kind: str, panel_account: str
    ) -> dict[str, Any] | None:
        """The card a panel's event belongs to: the household's oldest open alarm of the kind,
        this panel's first. Never a gateway's link_lost (link supervision owns those)."""
        return self._one(
            "SELECT id FROM alarms WHERE household_id = ? AND kind = ? AND status != ?"
            " AND NOT (kind = 'link_lost' AND panel_account IS NULL)"
            " ORDER BY panel_account IS NOT ?, received_at LIMIT 1",
            household_id,
            kind,
            AlarmStatus.RESOLVED,
            panel_account,
        )

    # Staff steps

    def record_staff_step(
        self,
        alarm_id: str,
        step: StaffStep,
        staff: str,
        note: str,
        *,
        now: datetime,
        eta_minutes: int | None = None,
        responder: str | None = None,
        outcome: Outcome | None = None,
        staff_name: str = "",
    ) -> tuple[AlarmRow, list[OutboundMessage]]:
        """A dispatcher moved an alarm on. The step is logged with its time and who took it,
        the status follows, and every active gateway of the household is sent the step (kept
        until it acks), so the home and the family see who is coming. KeyError for an
        unknown alarm; StepRefused for a step that does not fit its state. `staff` is the
        user name (the record's), `staff_name` the display name people read at home."""
        received = utc_iso(now)
        with self._transaction():
            row = self._one(
                "SELECT id, household_id, status, acknowledged_at FROM alarms WHERE id = ?",
                alarm_id,
            )
            if row is None:
                raise KeyError(f"no alarm {alarm_id}")
            check_step(AlarmStatus(row["status"]), step, outcome)
            alarm_id = row["id"]
            detail = _step_detail(note, responder, eta_minutes, outcome)
            self._append_event(alarm_id, received, f"staff:{staff}", step.value, detail)
            self._set_step_columns(alarm_id, step, staff, received, row["acknowledged_at"])
            if step == StaffStep.DISPATCHED:
                self.db.execute(
                    "UPDATE alarms SET responder = ?, eta_minutes = ? WHERE id = ?",
                    [responder or None, eta_minutes, alarm_id],
                )
            if step == StaffStep.RESOLVED:
                assert outcome is not None  # check_step
                self.db.execute(
                    "UPDATE alarms SET outcome = ? WHERE id = ?", [outcome.value, alarm_id]
                )
            body = self._step_body(alarm_id, staff, note, received)
            body["staff_name"] = staff_name or staff
            if eta_minutes is not None:
                body["eta_minutes"] = eta_minutes
            if responder:
                body["responder"] = responder
            if outcome is not None:
                body["outcome"] = outcome.value
            queued = [
                OutboundMessage(
                    self.queue_outbound(gateway.id, STAFF_MESSAGE_TYPES[step], body, now),
                    gateway.id,
                    STAFF_MESSAGE_TYPES[step],
                    body,
                )
                for gateway in self.household_gateways(row["household_id"])
            ]
        return self._stored_alarm(alarm_id), queued

    def add_note(self, alarm_id: str, staff: str, note: str, now: datetime) -> AlarmRow:
        """A dispatcher's note on the alarm's log; the status stays. KeyError if unknown."""
        if self._one("SELECT id FROM alarms WHERE id = ?", alarm_id) is None:
            raise KeyError(f"no alarm {alarm_id}")
        self._append_event(alarm_id, utc_iso(now), f"staff:{staff}", "note", note[:500])
        return self._stored_alarm(alarm_id)

    def _set_step_columns(
        self, alarm_id: str, step: StaffStep, staff: str, at: str, acknowledged_at: str | None
    ) -> None:
        """Status and the step's time; a step past `acknowledged` acknowledges too, so the
        SLA clock stops at the first thing a dispatcher did."""
        column = {
            StaffStep.ACKNOWLEDGED: "acknowledged_at",
            StaffStep.DISPATCHED: "dispatched_at",
            StaffStep.ON_SITE: "on_site_at",
            StaffStep.RESOLVED: "resolved_at",
        }[step]
        self.db.execute(
            f"UPDATE alarms SET status = ?, {column} = ? WHERE id = ?",  # noqa: S608 (fixed names)
            [step.status, at, alarm_id],
        )
        if acknowledged_at is None:
            self.db.execute(
                "UPDATE alarms SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ?",
                [at, staff, alarm_id],
            )

    def _step_body(self, alarm_id: str, staff: str, note: str, at: str) -> dict[str, Any]:
        aliases = [
            r["id"]
            for r in self.db.query(
                "SELECT id FROM alarm_aliases WHERE alarm_id = ? ORDER BY id", [alarm_id]
            )
        ]
        return {"alarm_id": alarm_id, "aliases": aliases, "staff": staff, "note": note, "at": at}

    # Desk timers

    def unacknowledged_since(self, before: datetime) -> list[AlarmRow]:
        """Open emergencies nobody acknowledged that arrived before `before`, not escalated yet."""
        return self._alarm_rows(
            "WHERE a.status = ? AND a.escalated_at IS NULL AND a.received_at <= ?"
            f" AND a.kind NOT IN ({', '.join('?' * len(WORK_ITEM_KINDS))})",
            [AlarmStatus.NEW, utc_iso(before), *sorted(WORK_ITEM_KINDS)],
        )

    def dispatched_since(self, before: datetime) -> list[AlarmRow]:
        """Alarms dispatched before `before` with nobody on site yet, not re-alerted yet."""
        return self._alarm_rows(
            "WHERE a.status = ? AND a.realerted_at IS NULL AND a.dispatched_at <= ?",
            [AlarmStatus.DISPATCHED, utc_iso(before)],
        )

    def mark_escalated(self, alarm_id: str, now: datetime) -> AlarmRow:
        received = utc_iso(now)
        self.db.execute(
            "UPDATE alarms SET escalated_at = ? WHERE id = ? AND escalated_at IS NULL",
            [received, alarm_id],
        )
        self._append_event(alarm_id, received, HUB_ACTOR, "escalated", "unacknowledged for 60 s")
        return self._stored_alarm(alarm_id)

    def mark_realerted(self, alarm_id: str, now: datetime) -> AlarmRow:
        received = utc_iso(now)
        self.db.execute(
            "UPDATE alarms SET realerted_at = ? WHERE id = ? AND realerted_at IS NULL",
            [received, alarm_id],
        )
        self._append_event(
            alarm_id, received, HUB_ACTOR, "realerted", "nobody on site 30 min after dispatch"
        )
        return self._stored_alarm(alarm_id)

    # Hub -> gateway messages

    def queue_outbound(
        self, gateway_id: str, type_: str, body: dict[str, Any], now: datetime
    ) -> str:
        message_id = new_ulid()
        self.db.table("outbound").insert(
            {
                "id": message_id,
                "gateway_id": gateway_id,
                "type": type_,
                "body": json.dumps(body, ensure_ascii=False),
                "created_at": utc_iso(now),
                "acked_at": None,
            }
        )
        return message_id

    def pending_outbound(self, gateway_id: str) -> list[OutboundMessage]:
        rows = self.db.query(
            "SELECT id, gateway_id, type, body FROM outbound"
            " WHERE gateway_id = ? AND acked_at IS NULL ORDER BY id",
            [gateway_id],
        )
        return [
            OutboundMessage(row["id"], row["gateway_id"], row["type"], json.loads(row["body"]))
            for row in rows
        ]

    def ack_outbound(self, gateway_id: str, message_id: str, now: datetime) -> bool:
        cursor = self.db.execute(
            "UPDATE outbound SET acked_at = ? WHERE id = ? AND gateway_id = ? AND acked_at IS NULL",
            [utc_iso(now), message_id, gateway_id],
        )
        return cursor.rowcount > 0

    def record_vital(
        self, gateway: Gateway, message_id: str, vital: VitalBody, now: datetime
    ) -> bool:
        """Store one observation; False for a duplicate: a message stored already, or the
        same reading (household, device, code, measured_at, value) under a new message id,
        as a monitor re-sends its stored records. Either way the caller acks it.

        A reading is attributed to the resident the gateway names only if they live in the
        gateway's household: a gateway is never trusted with another household's records.
        Otherwise it is kept unattributed (a measurement is not thrown away)."""
        resident_id = vital.resident
        if resident_id is not None and not self._lives_in(resident_id, gateway.household_id):
            resident_id = None
        # OR IGNORE covers both keys in the one statement, so two copies arriving at once
        # (two connections) still make one row.
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO vitals (id, household_id, gateway_id, code, value, unit,"
            " measured_at, device, received_at, resident_id, flags, reading_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                message_id,
                gateway.household_id,
                gateway.id,
                vital.code,
                vital.value,
                vital.unit,
                utc_iso(vital.measured_at),
                vital.device,
                utc_iso(now),
                resident_id,
                json.dumps(list(vital.flags)),
                vital.reading,
            ],
        )
        stored = cursor.rowcount > 0
        if stored and resident_id != vital.resident:
            # Ids only: who the resident is, and the value, are nobody's business in a log.
            _LOGGER.warning(
                "Vital %s of gateway %s names a resident not of its household: stored unattributed",
                message_id,
                gateway.id,
                extra={"event": "vital_unattributed"},
            )
        return stored

    def _lives_in(self, resident_id: str, household_id: str) -> bool:
        row = one(self.db, "SELECT household_id FROM residents WHERE id = ?", resident_id)
        return row is not None and row["household_id"] == household_id

    def vitals(
        self,
        household_id: str,
        since: datetime | None = None,
        limit: int = 10_000,
        *,
        resident_id: str | None = None,
        unattributed: bool = True,
    ) -> list[dict[str, Any]]:
        """A household's observations (whole rows), oldest measurement first; the newest
        `limit` of those measured at or after `since`. With `resident_id`: only that
        resident's, plus the unattributed ones if `unattributed`."""
        rows = self.db.query(
            "SELECT * FROM (SELECT id, household_id, gateway_id, code, value, unit, measured_at,"
            " device, received_at, resident_id, flags, reading_id FROM vitals"
            " WHERE household_id = ? AND measured_at >= ?"
            " AND (? IS NULL OR resident_id = ? OR (? AND resident_id IS NULL))"
            " ORDER BY measured_at DESC, id DESC LIMIT ?) ORDER BY measured_at, id",
            [
                household_id,
                utc_iso(since) if since else "",
                resident_id,
                resident_id,
                unattributed,
                limit,
            ],
        )
        return list(rows)

    def alarm(self, alarm_id: str) -> AlarmRow | None:
        rows = self._alarm_rows("WHERE a.id = ?", [alarm_id])
        return rows[0] if rows else None

    def open_alarms(self) -> list[AlarmRow]:
        """Alarms on the dispatch screen, in queue order (emergencies before work items, then
        severity, then the longest waiting): everything not resolved, cleared ones included."""
        rows = self._alarm_rows("WHERE a.status != ?", [AlarmStatus.RESOLVED])
        return sorted(rows, key=AlarmRow.queue_key)

    def household_alarms(self, household_id: str, limit: int = 50) -> list[AlarmRow]:
        """A household's alarms, open and resolved, newest first."""
        return self._alarm_rows(
            "WHERE a.household_id = ? ORDER BY a.received_at DESC, a.id DESC LIMIT ?",
            [household_id, limit],
        )

    def open_household_alarms(self, household_id: str) -> list[AlarmRow]:
        """A household's alarms not yet resolved, oldest first."""
        return self._alarm_rows(
            "WHERE a.household_id = ? AND a.status != ? ORDER BY a.received_at, a.id",
            [household_id, AlarmStatus.RESOLVED],
        )

    def alarms_changed_since(self, since: datetime, limit: int = 500) -> list[AlarmRow]:
        """Alarms with anything logged at or after `since`, resolved ones included, newest
        first: what a screen missed while it was disconnected."""
        return self._alarm_rows(
            "WHERE a.id IN (SELECT alarm_id FROM alarm_events WHERE at >= ?)"
            " ORDER BY a.received_at DESC, a.id DESC LIMIT ?",
            [utc_iso(since), limit],
        )

    def answered_alarms(self, start: datetime, end: datetime) -> list[AnsweredAlarm]:
        """Alarms the hub committed in [start, end) with their first acknowledgement, for
        the SLA report (hub/core/sla.py)."""
        rows = self.db.query(
            "SELECT id, kind, severity, received_at, acknowledged_at, acknowledged_by FROM alarms"
            " WHERE received_at >= ? AND received_at < ?",
            [utc_iso(start), utc_iso(end)],
        )
        return [
            AnsweredAlarm(
                id=row["id"],
                kind=row["kind"],
                severity=row["severity"],
                raised_at=datetime.fromisoformat(row["received_at"]),
                acknowledged_at=(
                    datetime.fromisoformat(row["acknowledged_at"])
                    if row["acknowledged_at"]
                    else None
                ),
                acknowledged_by=row["acknowledged_by"] if row["acknowledged_at"] else None,
            )
            for row in rows
        ]

    def _resolve(self, alarm_id: str, at: str, outcome: Outcome) -> None:
        """Resolved without a dispatcher (the home settled it, or a work item cleared)."""
        self.db.execute(
            "UPDATE alarms SET status = ?, resolved_at = ?, outcome = ? WHERE id = ?",
            [AlarmStatus.RESOLVED, at, outcome.value, alarm_id],
        )

    def alarm_events(self, alarm_id: str) -> list[dict[str, Any]]:
        """An alarm's log, oldest first."""
        return list(
            self.db.query(
                "SELECT at, occurred_at, actor, reported_actor, action, detail"
                " FROM alarm_events WHERE alarm_id = ? ORDER BY id",
                [alarm_id],
            )
        )

    def _alias(self, household_id: str, gateway_alarm_id: str, alarm_id: str) -> None:
        self.db.execute(
            "INSERT INTO alarm_aliases (household_id, id, alarm_id) VALUES (?, ?, ?)",
            [household_id, gateway_alarm_id, alarm_id],
        )

    def _find_alarm(self, household_id: str, alarm_id: str) -> dict[str, Any] | None:
        """The household's alarm an id names: its own, or the one it was merged or moved into."""
        return self._one(
            "SELECT id, household_id, kind, status FROM alarms WHERE household_id = ? AND id = ?"
            " UNION ALL SELECT a.id, a.household_id, a.kind, a.status FROM alarm_aliases x"
            " JOIN alarms a ON a.id = x.alarm_id WHERE x.household_id = ? AND x.id = ?"
            " LIMIT 1",
            household_id,
            alarm_id,
            household_id,
            alarm_id,
        )

    def _household_alarm(self, gateway: Gateway, alarm_id: str) -> dict[str, Any]:
        row = self._find_alarm(gateway.household_id, alarm_id)
        if row is None:
            # One answer for both cases: a gateway cannot probe other households' alarm ids.
            raise AlarmRejected(
                f"alarm {alarm_id} is not an alarm of this gateway's household"
                f" ({gateway.household_id}); was its alarm.raised accepted?"
            )
        return row

    def _append_event(
        self,
        alarm_id: str,
        at: str,
        actor: str,
        action: str,
        detail: str,
        *,
        occurred_at: str | None = None,
        reported_actor: str | None = None,
    ) -> None:
        self.db.table("alarm_events").insert(
            {
                "alarm_id": alarm_id,
                "at": at,
                "occurred_at": occurred_at,
                "actor": actor,
                "reported_actor": reported_actor,
                "action": action,
                "detail": detail,
            }
        )

    def _stored_alarm(self, alarm_id: str) -> AlarmRow:
        row = self.alarm(alarm_id)
        assert row is not None
        return row

    def _alarm_rows(self, where: str, params: list[Any]) -> list[AlarmRow]:
        sql = (
            "SELECT a.id, a.household_id, h.name AS household_name, h.address, a.kind,"  # noqa: S608
            " a.severity, a.status, a.occurred_at, a.received_at, a.count, a.cleared_at,"
            " COALESCE((SELECT e.action FROM alarm_events e WHERE e.alarm_id = a.id"
            " ORDER BY e.id DESC LIMIT 1), 'raised') AS last_action, a.last_seen,"
            " a.acknowledged_at, a.acknowledged_by, a.dispatched_at, a.responder, a.eta_minutes,"
            " a.on_site_at, a.resolved_at, a.outcome, a.escalated_at, a.realerted_at,"
            " a.happened_at, a.source_name, a.source,"
            " (SELECT u.display_name FROM users u WHERE u.username = a.acknowledged_by)"
            " AS acknowledged_by_name"
            f" FROM alarms a JOIN households h ON h.id = a.household_id {where}"
        )
        return [
            AlarmRow(**{**row, "status": AlarmStatus(row["status"])})
            for row in self.db.query(sql, params)
        ]

    def _one(self, sql: str, *params: Any) -> dict[str, Any] | None:
        return one(self.db, sql, *params)

    def _transaction(self) -> Transaction:
        return Transaction(self.db.conn)


def _step_detail(
    note: str, responder: str | None, eta_minutes: int | None, outcome: Outcome | None
) -> str:
    """The log line of a step: the note, and what else the dispatcher gave."""
    parts = [note.strip()] if note.strip() else []
    if responder:
        parts.append(f"responder {responder}")
    if eta_minutes is not None:
        parts.append(f"ETA {eta_minutes} min")
    if outcome is not None:
        parts.append(f"outcome {outcome.value}")
    return "; ".join(parts)
