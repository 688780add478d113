"""Wire the core state into the hub's aiohttp app (hub/app.py calls `setup` first)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import WSCloseCode, web

from . import metrics
from .context import HUB_CONTEXT, HubContext


def setup(app: web.Application, hub: HubContext) -> None:
    """The state under HUB_CONTEXT, GET /metrics, and the database's end. Set up before the
    slices: its cleanup context then runs last, after every slice stopped its tasks."""
    app[HUB_CONTEXT] = hub
    metrics.add_routes(app)

    async def database(app: web.Application) -> AsyncIterator[None]:
        yield
        hub.database.shutdown()
        hub.store.close()

    async def close_sockets(app: web.Application) -> None:
        for ws in list(hub.sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"hub shutting down")

    app.on_shutdown.append(close_sockets)
    app.cleanup_ctx.append(database)
