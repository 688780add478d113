"""The dispatch screen: a static page plus a WebSocket that pushes the alarm queue live.
A screen gets a full snapshot on every (re)connect, then each change as it happens, so a
screen that was away (hub restart, network blip) shows everything it missed without a reload.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from ..core.context import HUB_CONTEXT
from ..policy import STAFF, allow
from ..web.screen_socket import drain_incoming, keep_session, send_updates
from ..web.static import page

DISPATCH_LIVE_PATH = "/api/v1/dispatch/live"


@allow(*STAFF)
async def dispatch_page(request: web.Request) -> web.FileResponse:
    return page("dispatch.html")


@allow(*STAFF)
async def dispatch_live(request: web.Request) -> web.WebSocketResponse:
    hub = request.app[HUB_CONTEXT]
    ws = web.WebSocketResponse(heartbeat=15)
    await ws.prepare(request)
    hub.sockets.add(ws)
    # Subscribe before reading the snapshot so no change falls between the two.
    subscription = hub.live.subscribe()
    try:
        alarms = await hub.db(hub.store.open_alarms)
        await ws.send_json({"type": "snapshot", "alarms": [alarm.as_dict() for alarm in alarms]})
        sender = asyncio.create_task(send_updates(ws, subscription))
        keeper = asyncio.create_task(keep_session(request, ws))
        try:
            await drain_incoming(ws)  # returns when the screen goes away
        finally:
            sender.cancel()
            keeper.cancel()
    finally:
        hub.live.unsubscribe(subscription)
    return ws


def add_routes(app: web.Application) -> None:
    app.router.add_get("/dispatch", dispatch_page)
    app.router.add_get(DISPATCH_LIVE_PATH, dispatch_live)
