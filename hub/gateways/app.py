"""Wire the gateways into the hub's aiohttp app (hub/app.py calls `setup`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

from aiohttp import web

from ..core.context import HUB_CONTEXT
from . import connection, enrollment
from .link_watch import load_supervision, watch_links
from .links import GATEWAYS, Links
from .restore_watch import watch_restores
from .supervision import DEFAULT_HEARTBEAT, LinkSupervisor


def setup(app: web.Application, *, heartbeat_interval: timedelta = DEFAULT_HEARTBEAT) -> Links:
    """Enrollment, the gateways' WebSocket, and link supervision; `heartbeat_interval` is the
    default given to gateways. Call after the core's setup: supervision stops (and flushes
    the last-heard times) before the database thread ends."""
    hub = app[HUB_CONTEXT]
    links = Links(hub, LinkSupervisor(default_interval=heartbeat_interval))
    app[GATEWAYS] = links
    hub.gateways = links
    enrollment.add_routes(app)
    connection.add_routes(app)

    async def supervision(app: web.Application) -> AsyncIterator[None]:
        await load_supervision(links)  # before the hub accepts connections
        watchers = [
            asyncio.create_task(watch_links(links), name="hub link supervision"),
            asyncio.create_task(watch_restores(links), name="hub restore watch"),
        ]
        yield
        for watcher in watchers:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        heard = links.supervisor.take_unflushed()
        if heard:
            await hub.db(hub.store.touch_gateways, heard)

    app.cleanup_ctx.append(supervision)
    return links
