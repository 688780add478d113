"""The hub's database schema as an append-only list of migrations.

A deployed hub runs, at start, every step it has not run yet, in order, each in its own
transaction; `PRAGMA user_version` records how far it got. Never edit a step that shipped:
add a new one.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: list[str] = [
    """
    CREATE TABLE households (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, address TEXT NOT NULL, created_at TEXT NOT NULL
    );
    CREATE TABLE enrollment_codes (
        digest TEXT PRIMARY KEY, household_id TEXT NOT NULL REFERENCES households(id),
        created_at TEXT NOT NULL, expires_at TEXT NOT NULL, used_at TEXT, gateway_id TEXT
    );
    CREATE TABLE gateways (
        id TEXT PRIMARY KEY, household_id TEXT NOT NULL REFERENCES households(id),
        name TEXT NOT NULL, public_key TEXT NOT NULL, enrolled_at TEXT NOT NULL,
        revoked_at TEXT, last_seen TEXT
    );
    CREATE TABLE messages (
        id TEXT PRIMARY KEY, gateway_id TEXT NOT NULL, type TEXT NOT NULL, received_at TEXT NOT NULL
    );
    CREATE TABLE alarms (
        id TEXT PRIMARY KEY, household_id TEXT NOT NULL REFERENCES households(id),
        gateway_id TEXT NOT NULL, kind TEXT NOT NULL, severity TEXT NOT NULL,
        status TEXT NOT NULL, source TEXT NOT NULL, occurred_at TEXT NOT NULL,
        received_at TEXT NOT NULL, last_seen TEXT NOT NULL, count INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX alarms_by_status ON alarms(status, received_at);
    CREATE TABLE alarm_events (
        id INTEGER PRIMARY KEY, alarm_id TEXT NOT NULL REFERENCES alarms(id),
        at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL
    );
    """,
    # alarm.event / alarm.cleared. alarm_events.at stays the hub's receive time; occurred_at is
    # the household's time of the event (may be old: buffered while offline). actor is who the
    # hub heard it from (`gateway:<id>`, or `hub`); reported_actor is who acted according to the
    # gateway ("family:<name>", "resident", ...), as sent and not verified by the hub.
    # alarm_aliases: a raised alarm merged into an open one of its kind keeps its gateway-side
    # id reachable, so later events and clears about it find the alarm row.
    """
    ALTER TABLE alarm_events ADD COLUMN occurred_at TEXT;
    ALTER TABLE alarm_events ADD COLUMN reported_actor TEXT;
    ALTER TABLE alarms ADD COLUMN cleared_at TEXT;
    CREATE TABLE alarm_aliases (
        id TEXT PRIMARY KEY, alarm_id TEXT NOT NULL REFERENCES alarms(id)
    );
    CREATE INDEX alarm_events_by_alarm ON alarm_events(alarm_id, id);
    """,
    # Link supervision and the hub's own messages to gateways. heartbeat_seconds NULL means the
    # hub's default. outbound: staff steps and config for a gateway, kept until it acks them
    # (it may be offline when staff act). alarms.gateway_id of a hub-raised link_lost alarm
    # names the silent gateway.
    """
    ALTER TABLE gateways ADD COLUMN heartbeat_seconds INTEGER;
    CREATE TABLE outbound (
        id TEXT PRIMARY KEY, gateway_id TEXT NOT NULL REFERENCES gateways(id),
        type TEXT NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL, acked_at TEXT
    );
    CREATE INDEX outbound_pending ON outbound(gateway_id, acked_at, id);
    CREATE INDEX alarms_by_gateway_kind ON alarms(gateway_id, kind, status);
    """,
    # Vital-sign observations as the household measured them; id is the message id, so a
    # resent message is stored once.
    """
    CREATE TABLE vitals (
        id TEXT PRIMARY KEY, household_id TEXT NOT NULL REFERENCES households(id),
        gateway_id TEXT NOT NULL, code TEXT NOT NULL, value REAL NOT NULL, unit TEXT NOT NULL,
        measured_at TEXT NOT NULL, device TEXT NOT NULL, received_at TEXT NOT NULL
    );
    CREATE INDEX vitals_by_household ON vitals(household_id, code, measured_at);
    """,
    # Ids are the gateways' own ULIDs, so the hub scopes them: a message id is unique per
    # gateway, and an alarm id per household (a gateway that learned another's ids must not
    # make the other's alarm look like a duplicate). When a household's alarm id is taken at
    # the hub already, its alarm is stored under a fresh hub id with an alias.
    """
    CREATE TABLE gateway_messages (
        gateway_id TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL, received_at TEXT NOT NULL,
        PRIMARY KEY (gateway_id, id)
    ) WITHOUT ROWID;
    INSERT INTO gateway_messages SELECT gateway_id, id, type, received_at FROM messages;
    DROP TABLE messages;
    ALTER TABLE gateway_messages RENAME TO messages;
    CREATE TABLE household_aliases (
        household_id TEXT NOT NULL, id TEXT NOT NULL, alarm_id TEXT NOT NULL REFERENCES alarms(id),
        PRIMARY KEY (household_id, id)
    ) WITHOUT ROWID;
    INSERT INTO household_aliases
        SELECT a.household_id, x.id, x.alarm_id
        FROM alarm_aliases x JOIN alarms a ON a.id = x.alarm_id;
    DROP TABLE alarm_aliases;
    ALTER TABLE household_aliases RENAME TO alarm_aliases;
    CREATE INDEX alarm_aliases_by_alarm ON alarm_aliases(alarm_id);
    """,
    # The care center's registry and desk (issue 6).
    # - households: where exactly (building, unit, grid area 网格) and free notes for staff.
    # - residents: medical details are JSON lists of short texts; thresholds is the JSON the
    #   gateway gets in `config` ({"<LOINC>": {"low": x, "high": y}}).
    # - contacts: in calling order (position 1 first).
    # - devices: what the gateway last reported of each device (device.status).
    # - users: staff (dispatcher / supervisor / admin) and family members, who belong to one
    #   household; sessions hold only a digest of the cookie's token.
    # - audit: append-only, enforced by triggers; alarm_events likewise.
    # - alarms: each desk step's time and who took it, for the SLA report and the timers.
    # - vitals: keyed by (gateway, message id) like messages, so one gateway's ids cannot
    #   shadow another's readings.
    """
    ALTER TABLE households ADD COLUMN building TEXT NOT NULL DEFAULT '';
    ALTER TABLE households ADD COLUMN unit TEXT NOT NULL DEFAULT '';
    ALTER TABLE households ADD COLUMN grid_area TEXT NOT NULL DEFAULT '';
    ALTER TABLE households ADD COLUMN notes TEXT NOT NULL DEFAULT '';
    CREATE TABLE residents (
        id TEXT PRIMARY KEY, household_id TEXT NOT NULL REFERENCES households(id),
        name TEXT NOT NULL, birth_year INTEGER, conditions TEXT NOT NULL DEFAULT '[]',
        medications TEXT NOT NULL DEFAULT '[]', allergies TEXT NOT NULL DEFAULT '[]',
        mobility TEXT NOT NULL DEFAULT '', thresholds TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL
    );
    CREATE INDEX residents_by_household ON residents(household_id);
    CREATE TABLE contacts (
        id TEXT PRIMARY KEY, household_id TEXT NOT NULL REFERENCES households(id),
        position INTEGER NOT NULL, name TEXT NOT NULL, relation TEXT NOT NULL DEFAULT '',
        phone TEXT NOT NULL
    );
    CREATE INDEX contacts_by_household ON contacts(household_id, position);
    CREATE TABLE devices (
        household_id TEXT NOT NULL REFERENCES households(id), id TEXT NOT NULL,
        name TEXT NOT NULL, kind TEXT NOT NULL, battery INTEGER, last_seen TEXT, state TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (household_id, id)
    ) WITHOUT ROWID;
    CREATE TABLE users (
        id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('dispatcher', 'supervisor', 'admin', 'family')),
        household_id TEXT REFERENCES households(id), password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL, disabled_at TEXT,
        CHECK ((role = 'family') = (household_id IS NOT NULL))
    );
    CREATE TABLE sessions (
        token_digest TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
        csrf_token TEXT NOT NULL, created_at TEXT NOT NULL, last_seen_at TEXT NOT NULL,
        ended_at TEXT
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
        subject TEXT NOT NULL, detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX audit_by_subject ON audit(subject, id);
    CREATE TRIGGER audit_is_append_only_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
    CREATE TRIGGER audit_is_append_only_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
    CREATE TRIGGER alarm_events_are_append_only_update BEFORE UPDATE ON alarm_events
        BEGIN SELECT RAISE(ABORT, 'an alarm log is append-only'); END;
    CREATE TRIGGER alarm_events_are_append_only_delete BEFORE DELETE ON alarm_events
        BEGIN SELECT RAISE(ABORT, 'an alarm log is append-only'); END;
    ALTER TABLE alarms ADD COLUMN acknowledged_at TEXT;
    ALTER TABLE alarms ADD COLUMN acknowledged_by TEXT;
    ALTER TABLE alarms ADD COLUMN dispatched_at TEXT;
    ALTER TABLE alarms ADD COLUMN responder TEXT;
    ALTER TABLE alarms ADD COLUMN eta_minutes INTEGER;
    ALTER TABLE alarms ADD COLUMN on_site_at TEXT;
    ALTER TABLE alarms ADD COLUMN resolved_at TEXT;
    ALTER TABLE alarms ADD COLUMN outcome TEXT;
    ALTER TABLE alarms ADD COLUMN escalated_at TEXT;
    ALTER TABLE alarms ADD COLUMN realerted_at TEXT;
    UPDATE alarms SET
        acknowledged_at = (SELECT min(at) FROM alarm_events e
                           WHERE e.alarm_id = alarms.id AND e.action = 'acknowledged'),
        dispatched_at = (SELECT min(at) FROM alarm_events e
                         WHERE e.alarm_id = alarms.id AND e.action = 'dispatched'),
        on_site_at = (SELECT min(at) FROM alarm_events e
                      WHERE e.alarm_id = alarms.id AND e.action = 'on_site'),
        resolved_at = (SELECT max(at) FROM alarm_events e
                       WHERE e.alarm_id = alarms.id AND e.action = 'resolved');
    CREATE TABLE gateway_vitals (
        id TEXT NOT NULL, household_id TEXT NOT NULL REFERENCES households(id),
        gateway_id TEXT NOT NULL, code TEXT NOT NULL, value REAL NOT NULL, unit TEXT NOT NULL,
        measured_at TEXT NOT NULL, device TEXT NOT NULL, received_at TEXT NOT NULL,
        PRIMARY KEY (gateway_id, id)
    ) WITHOUT ROWID;
    INSERT INTO gateway_vitals SELECT id, household_id, gateway_id, code, value, unit,
        measured_at, device, received_at FROM vitals;
    DROP TABLE vitals;
    ALTER TABLE gateway_vitals RENAME TO vitals;
    CREATE INDEX vitals_by_household ON vitals(household_id, code, measured_at);
    UPDATE alarms SET acknowledged_by = (
        SELECT substr(actor, 7) FROM alarm_events e WHERE e.alarm_id = alarms.id
        AND e.action = 'acknowledged' AND actor LIKE 'staff:%' ORDER BY e.id LIMIT 1);
    """,
    # 7: the desk's reads: a household's history on the alarm card, and what changed while a
    # screen was disconnected.
    """
    CREATE INDEX alarms_by_household ON alarms(household_id, received_at);
    CREATE INDEX alarm_events_by_time ON alarm_events(at);
    """,
    # 8: vitals of health monitors assigned to residents (docs/wire-contract.md, `vital`).
    # - resident_id: the resident the gateway named, if they live in the gateway's household;
    #   NULL when the monitor is not assigned (or named someone the hub did not accept).
    # - flags: the monitor's status tokens as a JSON list; reading_id groups the observations
    #   of one measurement.
    # - One row per reading: a monitor that re-sends a stored record after the gateway lost
    #   its memory sends it under a new message id. Rows that repeat an earlier one exactly
    #   (household, device, code, measured_at, value) are such copies: the first received
    #   stays, the copies go, so that the unique index can hold from now on.
    """
    ALTER TABLE vitals ADD COLUMN resident_id TEXT REFERENCES residents(id);
    ALTER TABLE vitals ADD COLUMN flags TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE vitals ADD COLUMN reading_id TEXT;
    DELETE FROM vitals WHERE EXISTS (
        SELECT 1 FROM vitals AS first
        WHERE first.household_id = vitals.household_id AND first.code = vitals.code
            AND first.measured_at = vitals.measured_at AND first.device = vitals.device
            AND first.value = vitals.value
            AND (first.received_at, first.gateway_id, first.id)
                < (vitals.received_at, vitals.gateway_id, vitals.id));
    CREATE UNIQUE INDEX vitals_once_per_reading
        ON vitals(household_id, device, code, measured_at, value);
    CREATE INDEX vitals_by_resident ON vitals(resident_id, measured_at);
    """,
    # 9: alarm panels reporting over SIA DC-09 (docs/dc09.md, hub/panels).
    # - panel_accounts: a DC-09 account (upper-case hex) reports for one household; key is
    #   the AES key as hex (NULL: the panel sends in clear); last_heard is its newest message.
    # - panel_messages: each accepted event once, by its fingerprint (so a retransmission
    #   after a hub restart is not counted twice), and the panel's small event log.
    # - alarms.panel_account: the panel that raised an alarm. Such an alarm has no gateway:
    #   its gateway_id is '' (the column is NOT NULL and nothing joins it to gateways).
    """
    CREATE TABLE panel_accounts (
        account TEXT PRIMARY KEY, household_id TEXT NOT NULL REFERENCES households(id),
        key TEXT, label TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, last_heard TEXT
    ) WITHOUT ROWID;
    CREATE INDEX panel_accounts_by_household ON panel_accounts(household_id);
    CREATE TABLE panel_messages (
        fingerprint TEXT PRIMARY KEY, account TEXT NOT NULL, received_at TEXT NOT NULL,
        message TEXT NOT NULL, sequence INTEGER NOT NULL, data TEXT NOT NULL,
        effect TEXT NOT NULL DEFAULT '', alarm_id TEXT
    ) WITHOUT ROWID;
    CREATE INDEX panel_messages_by_account ON panel_messages(account, received_at);
    ALTER TABLE alarms ADD COLUMN panel_account TEXT;
    """,
    # 10: what the screens say of an alarm's origin (docs/wire-contract.md, alarm.raised).
    # - happened_at: when it happened at home, on the hub's clock: the receive time less how
    #   long the household held it (gateway: sent - occurred_at, both on its own clock). Rows
    #   from before: occurred_at, or received_at when the household's clock put it later.
    # - source_name: what the household calls the device ('' when the gateway gave no name).
    """
    ALTER TABLE alarms ADD COLUMN happened_at TEXT;
    UPDATE alarms SET happened_at = MIN(occurred_at, received_at);
    ALTER TABLE alarms ADD COLUMN source_name TEXT NOT NULL DEFAULT '';
    """,
    # 11: life services (issue 20): service requests beside alarms, never in their tables.
    # - service_providers: the community's provider directory; services is a JSON list of
    #   service types (gateway/services/catalogue.py); a provider is deactivated, never
    #   deleted (its requests and ratings keep pointing at it).
    # - service_entitlements: a household's allowed services as a JSON list; no row: all.
    # - service_requests: id is the household's own ULID (unique at the hub: an id another
    #   household holds already is refused); a repeat of an open request of the same service
    #   adds to `count` and its id is kept in service_request_aliases, so a resend of it is
    #   known. Each step's time stays in its own column for the service-level report.
    # - service_request_steps: who did what when, append-only like alarm_events.
    """
    CREATE TABLE service_providers (
        id TEXT PRIMARY KEY, organisation TEXT NOT NULL, contact_name TEXT NOT NULL DEFAULT '',
        contact_phone TEXT NOT NULL DEFAULT '', services TEXT NOT NULL DEFAULT '[]',
        service_area TEXT NOT NULL DEFAULT '', active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL
    );
    CREATE TABLE service_entitlements (
        household_id TEXT PRIMARY KEY REFERENCES households(id), services TEXT NOT NULL,
        updated_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE service_requests (
        id TEXT PRIMARY KEY, household_id TEXT NOT NULL REFERENCES households(id),
        gateway_id TEXT NOT NULL DEFAULT '', service TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '', source_name TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL, count INTEGER NOT NULL DEFAULT 1,
        requested_at TEXT NOT NULL, happened_at TEXT NOT NULL, last_seen TEXT NOT NULL,
        provider_id TEXT REFERENCES service_providers(id), window_start TEXT, window_end TEXT,
        accepted_at TEXT, accepted_by TEXT, assigned_at TEXT, assigned_by TEXT,
        arrived_at TEXT, completed_at TEXT, cancelled_at TEXT, cancelled_by TEXT,
        cancel_reason TEXT,
        rating INTEGER CHECK (rating BETWEEN 1 AND 5), rating_comment TEXT, rated_at TEXT
    );
    CREATE INDEX service_requests_by_status ON service_requests(status, requested_at);
    CREATE INDEX service_requests_by_household ON service_requests(household_id, requested_at);
    CREATE INDEX service_requests_by_provider ON service_requests(provider_id, rated_at);
    CREATE TABLE service_request_aliases (
        household_id TEXT NOT NULL, id TEXT NOT NULL,
        request_id TEXT NOT NULL REFERENCES service_requests(id),
        PRIMARY KEY (household_id, id)
    ) WITHOUT ROWID;
    CREATE TABLE service_request_steps (
        id INTEGER PRIMARY KEY, request_id TEXT NOT NULL REFERENCES service_requests(id),
        at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX service_request_steps_by_request ON service_request_steps(request_id, id);
    CREATE TRIGGER service_request_steps_are_append_only_update
        BEFORE UPDATE ON service_request_steps
        BEGIN SELECT RAISE(ABORT, 'a service request log is append-only'); END;
    CREATE TRIGGER service_request_steps_are_append_only_delete
        BEFORE DELETE ON service_request_steps
        BEGIN SELECT RAISE(ABORT, 'a service request log is append-only'); END;
    """,
]


def schema_version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def migrate(connection: sqlite3.Connection, target: int | None = None) -> None:
    """Run the missing steps up to `target` (default: all)."""
    last = len(MIGRATIONS) if target is None else target
    for version, script in enumerate(MIGRATIONS[:last], start=1):
        if schema_version(connection) < version:
            connection.executescript(f"BEGIN; {script}; PRAGMA user_version = {version}; COMMIT;")
