"""Build the hub's aiohttp application from a data directory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from aiohttp import WSCloseCode, web

from . import (
    auth,
    desk_api,
    dispatch,
    enrollment_api,
    family_api,
    family_live,
    gateway_ws,
    login_api,
    metrics,
    people_api,
    registry_api,
    reports_api,
)
from .context import HUB_CONTEXT, HubContext
from .desk import watch_desk
from .keys import load_or_create_hub_key, load_or_create_metrics_token
from .link_watch import load_supervision, watch_links
from .panels import app as panels_app
from .restore_watch import watch_restores
from .storage import HubStore
from .supervision import DEFAULT_HEARTBEAT, LinkSupervisor

DATABASE_FILE = "hub.sqlite3"


def open_store(data_dir: Path) -> HubStore:
    return HubStore(data_dir / DATABASE_FILE)


def create_app(
    data_dir: Path,
    *,
    heartbeat_interval: timedelta = DEFAULT_HEARTBEAT,
    ca_pem: bytes | None = None,
    dc09_host: str = "127.0.0.1",
    dc09_port: int | None = None,
) -> web.Application:
    """`heartbeat_interval` is the default given to gateways; `ca_pem` the community CA
    certificate served to enrolling gateways (a TLS hub), None for a plain loopback hub;
    `dc09_port` the TCP and UDP port alarm panels report to (hub/panels), None for none."""
    app = web.Application(
        client_max_size=256 * 1024, middlewares=[auth.security_headers, auth.access_control]
    )
    context = HubContext(
        store=open_store(data_dir),
        hub_key=load_or_create_hub_key(data_dir),
        supervisor=LinkSupervisor(default_interval=heartbeat_interval),
        ca_pem=ca_pem,
        metrics_token=load_or_create_metrics_token(data_dir),
    )
    app[HUB_CONTEXT] = context
    auth.add_routes(app)
    login_api.add_routes(app)
    enrollment_api.add_routes(app)
    gateway_ws.add_routes(app)
    dispatch.add_routes(app)
    desk_api.add_routes(app)
    registry_api.add_routes(app)
    people_api.add_routes(app)
    reports_api.add_routes(app)
    family_api.add_routes(app)
    family_live.add_routes(app)
    metrics.add_routes(app)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await load_supervision(context)
        watchers = [
            asyncio.create_task(watch_links(context), name="hub link supervision"),
            asyncio.create_task(watch_desk(context), name="hub desk timers"),
            asyncio.create_task(watch_restores(context), name="hub restore watch"),
        ]
        yield
        for watcher in watchers:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        heard = context.supervisor.take_unflushed()
        if heard:
            await context.db(context.store.touch_gateways, heard)
        context.database.shutdown()
        context.store.close()

    async def close_sockets(app: web.Application) -> None:
        for ws in list(context.sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"hub shutting down")

    app.on_shutdown.append(close_sockets)
    app.cleanup_ctx.append(lifecycle)
    # After `lifecycle`: the panel listener starts after it and stops before the database.
    panels_app.setup(app, context, host=dc09_host, port=dc09_port)
    return app
