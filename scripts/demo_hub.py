"""The demo's care center: its household, accounts and panel, made with the hub's own CLI, and
read-only looks into the hub's database beside the running hub.

Everything here blocks (subprocesses, SQLite); the demo calls it through asyncio.to_thread.
"""

from __future__ import annotations

import secrets
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from demo_settings import REPO, DemoPaths

from gateway.sim.panel import DEFAULT_PANEL_ACCOUNT
from hub.core.storage import HubStore

HOUSEHOLD_NAME = "王奶奶家 (demo)"
HOUSEHOLD_ADDRESS = "幸福社区 3 栋 2 单元 501"


class DemoError(Exception):
    """Something the user has to fix; the message says what."""


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    display: str


DEMO_ACCOUNTS = (
    DemoAccount("dispatcher", "dispatcher", "值班调度员"),
    DemoAccount("supervisor", "supervisor", "值班主管"),
    DemoAccount("family", "family", "王伟 (儿子)"),
)


@dataclass(frozen=True)
class HubAlarm:
    """One alarm row as the dispatch screen shows it."""

    id: str
    kind: str
    count: int
    status: str
    last_seen: str


# Fictional providers (organisation, contact, phone, services): never a real business.
DEMO_PROVIDERS = (
    ("幸福社区物业维修班", "李师傅", "010-5550101", ("repair", "drain")),
    ("幸福社区长者食堂", "张阿姨", "010-5550102", ("meal", "shopping")),
    (
        "幸福社区养老服务站",
        "赵社工",
        "010-5550103",
        ("cleaning", "bathing", "escort", "call_back", "other"),
    ),
)


def utc_now_iso() -> str:
    """Now, as the hub writes times (UTC, milliseconds, `Z`)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class DemoHub:
    """The hub's data directory of one demo, administered as a care center's admin would."""

    def __init__(self, paths: DemoPaths) -> None:
        self._paths = paths

    def _cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hub", "--data", str(self._paths.hub_data), *args],
            cwd=REPO,
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )

    def _cli_output(self, *args: str) -> str:
        result = self._cli(*args)
        if result.returncode != 0:
            raise DemoError(f"`python -m hub {' '.join(args)}` failed:\n{result.stderr.strip()}")
        return result.stdout.strip()

    def _register_household(self) -> str:
        household_id = self._cli_output("household", "add", HOUSEHOLD_NAME, HOUSEHOLD_ADDRESS)
        self._paths.household_id_file.write_text(household_id + "\n", encoding="utf-8")
        return household_id

    def ensure_household(self) -> str:
        """The demo household's id, registering it on the first run."""
        if self._paths.household_id_file.exists():
            return self._paths.household_id_file.read_text(encoding="utf-8").strip()
        return self._register_household()

    def mint_enrollment_code(self, household_id: str) -> tuple[str, str]:
        """A fresh one-time code, and the household id it belongs to."""
        result = self._cli("enrollment-code", household_id)
        if result.returncode == 0:
            return result.stdout.strip(), household_id
        # household_id outlived the hub database (its folder deleted by hand): register again.
        household_id = self._register_household()
        return self._cli_output("enrollment-code", household_id), household_id

    def ensure_account(self, account: DemoAccount, household_id: str) -> str:
        """The demo account's password, creating the account on the first run (again if the
        hub's data was deleted by hand). The family member belongs to the demo household."""
        password_file = self._paths.password_file(account.username)
        known = self.has_row("SELECT 1 FROM users WHERE username = ?", (account.username,))
        if known and password_file.exists():
            return password_file.read_text(encoding="utf-8").strip()
        password = secrets.token_urlsafe(9)
        argv = ["user", "add", account.username, "--role", account.role]
        argv += ["--display", account.display, "--password-stdin"]
        if account.role == "family":
            argv += ["--household", household_id]
        result = self._cli(*argv, stdin=password + "\n")
        if result.returncode != 0:
            raise DemoError(f"could not create the demo {account.role}:\n{result.stderr.strip()}")
        password_file.write_text(password + "\n", encoding="utf-8")
        password_file.chmod(0o600)
        return password

    def ensure_household_details(self, household_id: str) -> None:
        """A fictional resident and contacts for the demo household, so the alarm card has what
        a dispatcher would see (never a real person's data)."""
        store = HubStore(self._paths.hub_database)
        try:
            now = datetime.now(UTC)
            if not store.registry.residents(household_id):
                store.registry.update_household(
                    household_id, building="3", unit="2", grid_area="幸福社区第二网格"
                )
                store.registry.add_resident(
                    household_id,
                    "王秀英",
                    now,
                    birth_year=1941,
                    conditions=["高血压", "房颤"],
                    medications=["华法林 3mg", "氨氯地平 5mg"],
                    allergies=["青霉素"],
                    mobility="助行器",
                    thresholds={"8867-4": {"low": 45, "high": 120}, "8480-6": {"high": 160}},
                )
            if not store.registry.contacts(household_id):
                store.registry.set_contacts(
                    household_id,
                    [
                        {"name": "王伟", "phone": "+86 138 0000 0001", "relation": "儿子"},
                        {"name": "社区医生 孙", "phone": "010-5550001", "relation": "家庭医生"},
                    ],
                )
        finally:
            store.close()

    def ensure_providers(self) -> None:
        """Fictional service providers of the demo community, so staff can assign a work order
        (a plumber for the remote's repair key, a canteen for meals, the community's own staff
        for call-backs)."""
        store = HubStore(self._paths.hub_database)
        try:
            if store.services.providers():
                return
            now = datetime.now(UTC)
            for organisation, contact, phone, services in DEMO_PROVIDERS:
                store.services.add_provider(
                    now,
                    organisation=organisation,
                    contact_name=contact,
                    contact_phone=phone,
                    services=list(services),
                    service_area="幸福社区",
                )
        finally:
            store.close()

    def ensure_panel(self, household_id: str) -> None:
        """A (simulated) alarm panel already in the demo home, reporting to the hub over DC-09."""
        known = self.has_row(
            "SELECT 1 FROM panel_accounts WHERE account = ? AND household_id = ?",
            (DEFAULT_PANEL_ACCOUNT, household_id),
        )
        if not known:
            self._cli_output(
                "panel-add", DEFAULT_PANEL_ACCOUNT, household_id, "--label", "客厅报警主机 (模拟)"
            )

    def gateway_enrolled(self, household_id: str) -> bool:
        return self.has_row(
            "SELECT 1 FROM gateways WHERE household_id = ? LIMIT 1", (household_id,)
        )

    def alarm_since(self, household_id: str, kind: str, since: str) -> bool:
        """The hub holds an open `kind` alarm of the household, raised or repeated since
        `since`."""
        return self.has_row(
            "SELECT 1 FROM alarms WHERE household_id = ? AND kind = ? AND status != 'resolved'"
            " AND last_seen >= ? LIMIT 1",
            (household_id, kind, since),
        )

    def service_request_since(self, household_id: str, service: str, since: str) -> str | None:
        """The id of the household's open `service` request made since `since`, if any."""
        rows = self._rows(
            "SELECT id FROM service_requests WHERE household_id = ? AND service = ?"
            " AND status NOT IN ('completed', 'cancelled') AND last_seen >= ?"
            " ORDER BY requested_at DESC LIMIT 1",
            (household_id, service, since),
        )
        return str(rows[0][0]) if rows else None

    def service_rating(self, request_id: str) -> int | None:
        rows = self._rows("SELECT rating FROM service_requests WHERE id = ?", (request_id,))
        return int(rows[0][0]) if rows and rows[0][0] is not None else None

    def named_as(self, household_id: str, names: tuple[str, ...]) -> bool:
        """The household's device report, and its newest gas alarm, use these names."""
        devices = self._rows("SELECT name FROM devices WHERE household_id = ?", (household_id,))
        alarm = self._rows(
            "SELECT source_name FROM alarms WHERE household_id = ? AND kind = 'gas'"
            " ORDER BY received_at DESC LIMIT 1",
            (household_id,),
        )
        if not devices or not alarm:
            return False
        return set(names) <= {str(row[0]) for row in devices} and alarm[0][0] == names[0]

    def open_alarms(self, household_id: str) -> list[HubAlarm] | None:
        """None when the database could not be read just now."""
        rows = self._rows(
            "SELECT id, kind, count, status, last_seen FROM alarms"
            " WHERE household_id = ? AND status != 'resolved' ORDER BY received_at",
            (household_id,),
        )
        if rows is None:
            return None
        return [HubAlarm(str(r[0]), str(r[1]), int(r[2]), str(r[3]), str(r[4])) for r in rows]

    def has_row(self, sql: str, params: tuple[str, ...]) -> bool:
        return bool(self._rows(sql, params))

    def _rows(self, sql: str, params: tuple[str, ...]) -> list[tuple[Any, ...]] | None:
        """Read the hub's database (read-only) beside the running hub; None if it cannot be
        read just now."""
        if not self._paths.hub_database.exists():
            return None
        try:
            with sqlite3.connect(
                f"file:{self._paths.hub_database}?mode=ro", uri=True, timeout=5
            ) as db:
                return list(db.execute(sql, params).fetchall())
        except sqlite3.OperationalError:
            return None  # schema not created yet, or the hub holds a write lock
