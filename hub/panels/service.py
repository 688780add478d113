"""The panels' state in the hub app: the account directory, the receiver, and the listener's
start and stop with the app (hub/panels/app.py wires it in)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp import web

from gateway.dc09.receiver import DEFAULT_KEEP, Dc09Receiver

from ..core.context import HubContext
from ..core.panel_store import PanelAccount
from .directory import PanelDirectory
from .listener import PanelHandler, PanelListener

_LOGGER = logging.getLogger(__name__)
DEFAULT_DC09_HOST = "127.0.0.1"
WATCH_PERIOD = 2.0  # s: how late an account added from the shell is known to the listener


@dataclass(eq=False)
class PanelService:
    hub: HubContext
    host: str = DEFAULT_DC09_HOST
    port: int | None = None  # None: no listener
    directory: PanelDirectory = field(default_factory=PanelDirectory)
    receiver: Dc09Receiver = field(init=False)
    listener: PanelListener | None = None
    _version: int | None = None

    def __post_init__(self) -> None:
        hub = self.hub

        def clock() -> datetime:
            return hub.clock()  # looked up at each call: tests swap the hub's clock

        self.receiver = Dc09Receiver(self.directory.lookup, clock=clock, keep=DEFAULT_KEEP)

    async def reload(self) -> None:
        """The accounts from the database into the directory."""
        version, accounts = await self.hub.db(_read_accounts, self.hub)
        self.directory.load(accounts)
        self._version = version

    async def run(self, app: web.Application) -> AsyncIterator[None]:
        """An aiohttp cleanup context."""
        await self.reload()
        if self.port is None:  # no listener: nobody reads the directory, so no polling
            yield
            return
        watcher = asyncio.create_task(self._watch(), name="hub panel accounts")
        handler = PanelHandler(self.hub, self.receiver, DEFAULT_KEEP)
        self.listener = PanelListener(handler, self.host, self.port)
        try:
            await self.listener.start()
            yield
        finally:
            await self.listener.close()
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    async def _watch(self) -> None:
        """Reload when another process wrote the database (PRAGMA data_version ignores this
        connection's own commits; the API reloads after those itself)."""
        while True:
            await asyncio.sleep(WATCH_PERIOD)
            try:
                version = await self.hub.db(self.hub.store.panels.data_version)
                if version != self._version:
                    await self.reload()
            except Exception:  # a locked database (a long restore): look again next time
                _LOGGER.warning("Could not reload the panel accounts", exc_info=True)


def _read_accounts(hub: HubContext) -> tuple[int, list[PanelAccount]]:
    panels = hub.store.panels
    return panels.data_version(), panels.accounts()


PANELS = web.AppKey("panels", PanelService)
