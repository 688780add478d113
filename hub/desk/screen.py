"""The dispatch screen: a static page plus a WebSocket that pushes the alarm queue live.
A screen gets a full snapshot on every (re)connect, then each change as it happens, so a
screen that was away (hub restart, network blip) shows everything it missed without a reload.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..core.context import HUB_CONTEXT
from ..policy import STAFF, allow
from ..web.screen_socket import serve_screen
from ..web.static import page

DISPATCH_LIVE_PATH = "/api/v1/dispatch/live"


@allow(*STAFF)
async def dispatch_page(request: web.Request) -> web.FileResponse:
    return page("dispatch.html")


@allow(*STAFF)
async def dispatch_live(request: web.Request) -> web.WebSocketResponse:
    hub = request.app[HUB_CONTEXT]

    async def snapshot() -> dict[str, Any]:
        alarms = await hub.db(hub.store.open_alarms)
        return {"type": "snapshot", "alarms": [alarm.as_dict() for alarm in alarms]}

    return await serve_screen(request, hub.live.subscribe, snapshot)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/dispatch", dispatch_page)
    app.router.add_get(DISPATCH_LIVE_PATH, dispatch_live)
