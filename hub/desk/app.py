"""Wire the alarm desk into the hub's aiohttp app (hub/app.py calls `setup`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from ..core.context import HUB_CONTEXT
from . import api, screen
from .timers import watch_desk


def setup(app: web.Application) -> None:
    """The dispatch screen, the alarm card's API, and the desk's timers (stopped before the
    database thread ends: call after the core's setup)."""
    hub = app[HUB_CONTEXT]
    screen.add_routes(app)
    api.add_routes(app)

    async def timers(app: web.Application) -> AsyncIterator[None]:
        watcher = asyncio.create_task(watch_desk(hub), name="hub desk timers")
        yield
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher

    app.cleanup_ctx.append(timers)
