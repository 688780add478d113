"""Shared test set-up: the integration as `custom_components.eldercare`, and a real hub."""

from __future__ import annotations

import sys
import types
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent

# HA imports `custom_components` and walks its __path__: point it at integrations/ so the
# tests load integrations/eldercare exactly as HA loads /config/custom_components/eldercare.
_custom_components = types.ModuleType("custom_components")
_custom_components.__path__ = [str(ROOT / "integrations")]
sys.modules["custom_components"] = _custom_components

from hub.app import create_app  # noqa: E402
from hub.context import HUB_CONTEXT, HubContext  # noqa: E402
from hub.storage import AlarmRow, Household  # noqa: E402


@dataclass
class RunningHub:
    """A real hub server on 127.0.0.1, with helpers that go through its database thread."""

    url: str
    context: HubContext
    data_dir: Path

    async def add_household(self, name: str = "Test household", address: str = "1 Test Road") -> Household:
        return await self.context.db(self.context.store.create_household, name, address)

    async def enrollment_code(self, household_id: str, now: datetime | None = None) -> str:
        return await self.context.db(self.context.store.mint_enrollment_code, household_id, now)

    async def open_alarms(self) -> list[AlarmRow]:
        return await self.context.db(self.context.store.open_alarms)


@pytest.fixture
async def hub_server(tmp_path: Path, socket_enabled: None) -> AsyncIterator[RunningHub]:
    # pytest-socket (HA's harness) blocks creating sockets; connections stay limited to 127.0.0.1.
    app = create_app(tmp_path / "hub-data")
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    port = server.sockets[0].getsockname()[1]
    try:
        yield RunningHub(f"http://127.0.0.1:{port}", app[HUB_CONTEXT], tmp_path / "hub-data")
    finally:
        await runner.cleanup()
