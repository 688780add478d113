"""Build the hub's aiohttp application from a data directory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import WSCloseCode, web

from . import dispatch, enrollment_api, gateway_ws
from .context import HUB_CONTEXT, HubContext
from .keys import load_or_create_hub_key
from .storage import HubStore

DATABASE_FILE = "hub.sqlite3"


def open_store(data_dir: Path) -> HubStore:
    return HubStore(data_dir / DATABASE_FILE)


def create_app(data_dir: Path) -> web.Application:
    app = web.Application(client_max_size=256 * 1024)
    context = HubContext(store=open_store(data_dir), hub_key=load_or_create_hub_key(data_dir))
    app[HUB_CONTEXT] = context
    enrollment_api.add_routes(app)
    gateway_ws.add_routes(app)
    dispatch.add_routes(app)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        yield
        context.executor.shutdown(wait=True)
        context.store.close()

    async def close_sockets(app: web.Application) -> None:
        for ws in list(context.sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"hub shutting down")

    app.on_shutdown.append(close_sockets)
    app.cleanup_ctx.append(lifecycle)
    return app
