"""Shared test set-up: the integration as `custom_components.eldercare`, and a real hub."""

from __future__ import annotations

import asyncio
import secrets
import ssl
import sys
import types
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent

# HA imports `custom_components` and walks its __path__: point it at integrations/ so the
# tests load integrations/eldercare exactly as HA loads /config/custom_components/eldercare.
_custom_components = types.ModuleType("custom_components")
_custom_components.__path__ = [str(ROOT / "integrations")]
sys.modules["custom_components"] = _custom_components

from hub.app import create_app  # noqa: E402
from hub.core.context import HUB_CONTEXT, HubContext  # noqa: E402
from hub.core.desk_model import AlarmRow, StaffStep  # noqa: E402
from hub.core.storage import Household  # noqa: E402
from hub.desk.staff import StepDetails, take_staff_step  # noqa: E402
from hub.gateways.supervision import DEFAULT_HEARTBEAT  # noqa: E402
from hub.infra.passwords import hash_password  # noqa: E402
from hub.policy import Role  # noqa: E402


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until `condition` holds (states, link and engine changes have no single event)."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


class RunningHub:
    """A real hub server on 127.0.0.1, with helpers that go through its database thread."""

    def __init__(
        self,
        data_dir: Path,
        heartbeat: timedelta = DEFAULT_HEARTBEAT,
        tls: tuple[ssl.SSLContext, bytes] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.heartbeat = heartbeat  # the interval the hub gives its gateways
        self.tls = tls  # (server context, community CA PEM) for an https hub
        self.port = 0
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def context(self) -> HubContext:
        assert self._runner is not None, "hub is stopped"
        return self._runner.app[HUB_CONTEXT]

    async def start(self, port: int | None = None) -> None:
        """Start (again) on the same port and data directory, like a restarted hub process;
        a `port` (0: any free one) moves it, like a care center giving its hub a new address."""
        if port is not None:
            self.port = port
        ca_pem = self.tls[1] if self.tls else None
        app = create_app(self.data_dir, heartbeat_interval=self.heartbeat, ca_pem=ca_pem)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        ssl_context = self.tls[0] if self.tls else None
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, ssl_context=ssl_context)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def add_household(
        self, name: str = "Test household", address: str = "1 Test Road"
    ) -> Household:
        return await self.context.db(self.context.store.create_household, name, address)

    async def enrollment_code(self, household_id: str, now: datetime | None = None) -> str:
        return await self.context.db(self.context.store.mint_enrollment_code, household_id, now)

    async def open_alarms(self) -> list[AlarmRow]:
        return await self.context.db(self.context.store.open_alarms)

    async def wait_for_open_alarms(self, count: int, timeout: float = 5.0) -> list[AlarmRow]:
        """At least `count` open alarms, once they have arrived (polls the database)."""
        for _ in range(int(timeout / 0.05)):
            if len(alarms := await self.open_alarms()) >= count:
                return alarms
            await asyncio.sleep(0.05)
        raise AssertionError(f"hub has {len(await self.open_alarms())} alarms, expected {count}")

    async def staff_step(
        self, alarm_id: str, step: StaffStep, staff: str = "Zhao Lei", **details: object
    ) -> AlarmRow:
        """What a dispatcher's button does: store the step and push it to the household."""
        return await take_staff_step(self.context, alarm_id, step, staff, StepDetails(**details))  # type: ignore[arg-type]

    async def alarm_actions(self, alarm_id: str) -> list[str]:
        """The alarm's event log at the hub, oldest first."""

        def actions() -> list[str]:
            rows = self.context.store.db.execute(
                "SELECT action FROM alarm_events WHERE alarm_id = ? ORDER BY id", [alarm_id]
            )
            return [row[0] for row in rows.fetchall()]

        return await self.context.db(actions)

    async def add_user(
        self, role: Role = Role.DISPATCHER, *, household_id: str | None = None
    ) -> tuple[str, str]:
        """A user of the role straight into the store: (user name, password)."""
        username = f"{role.value}-{secrets.token_hex(4)}"
        stored = hash_password(TEST_PASSWORD, n=TEST_SCRYPT_N)  # cheap: the text carries N
        store = self.context.store

        def create() -> None:
            store.accounts.create_user(
                username,
                username,
                role,
                stored,
                now=self.context.clock(),
                household_id=household_id,
            )

        await self.context.db(create)
        return username, TEST_PASSWORD

    async def sign_in(
        self,
        session: aiohttp.ClientSession,
        role: Role = Role.DISPATCHER,
        *,
        household_id: str | None = None,
    ) -> str:
        """A new user of `role` signed in on `session` (its cookie jar keeps the session);
        returns the CSRF token its state-changing requests carry."""
        username, password = await self.add_user(role, household_id=household_id)
        async with session.post(
            self.url + "/api/v1/login", json={"username": username, "password": password}
        ) as response:
            assert response.status == 200, await response.text()
            return str((await response.json())["csrf_token"])

    def metrics_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.context.metrics_token}"}


TEST_PASSWORD = "a long test password"
TEST_SCRYPT_N = 2**10


def cookie_session() -> aiohttp.ClientSession:
    """A client that keeps cookies for 127.0.0.1 as a browser does (aiohttp's default jar
    ignores cookies of IP addresses)."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


@pytest.fixture
async def hub_server(tmp_path: Path, socket_enabled: None) -> AsyncIterator[RunningHub]:
    # pytest-socket (HA's harness) blocks creating sockets; connections stay limited to 127.0.0.1.
    hub = RunningHub(tmp_path / "hub-data")
    await hub.start()
    try:
        yield hub
    finally:
        await hub.stop()
