"""The dispatch screen: a static page plus a WebSocket that pushes the alarm queue live.

A screen gets a full snapshot on every (re)connect, then each change as it happens, so a
screen that was away (hub restart, network blip) shows everything it missed without a reload.
"""

from __future__ import annotations

import asyncio
import importlib.util
from datetime import timedelta
from pathlib import Path

from aiohttp import WSMsgType, web

from .auth import SESSION_COOKIE, STAFF, allow, public
from .context import HUB_CONTEXT
from .live import Subscription

STATIC_DIR = Path(__file__).parent / "static"
# The vitals chart's library, served from the installed Python package (no npm step).


def _plotly_js() -> Path:
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the plotly package is missing: install requirements/app.txt")
    return Path(spec.submodule_search_locations[0]) / "package_data" / "plotly.min.js"


PLOTLY_JS = _plotly_js()
DISPATCH_LIVE_PATH = "/api/v1/dispatch/live"
SESSION_CHECK = timedelta(minutes=1)  # well inside the idle timeout
SESSION_ENDED = 4401  # WebSocket close code (application range): sign in again
# Said when nothing else was for this long, so a screen can tell a quiet feed from a dead one
# (a half-open connection looks open to the browser): it drops a feed silent for 25 s.
KEEPALIVE_AFTER = 10.0  # s
KEEPALIVE = '{"type":"keepalive"}'


@public
async def home(request: web.Request) -> web.Response:
    raise web.HTTPFound("/dispatch")


@public
async def plotly_js(request: web.Request) -> web.FileResponse:
    """A pinned library file: cacheable for a day (its URL changes only with a new pin)."""
    return web.FileResponse(PLOTLY_JS, headers={"Cache-Control": "public, max-age=86400"})


@allow(*STAFF)
async def dispatch_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "dispatch.html", headers={"Cache-Control": "no-store"})


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
        sender = asyncio.create_task(_send_updates(ws, subscription))
        keeper = asyncio.create_task(_keep_session(request, ws))
        try:
            await _drain_incoming(ws)  # returns when the screen goes away
        finally:
            sender.cancel()
            keeper.cancel()
    finally:
        hub.live.unsubscribe(subscription)
    return ws


async def _send_updates(ws: web.WebSocketResponse, subscription: Subscription) -> None:
    """Each change as it is published (texts encoded once for every screen), a keepalive
    when there was none for a while. A screen that fell too far behind is closed; its page
    reconnects and gets a fresh snapshot."""
    try:
        while True:
            try:
                text = await asyncio.wait_for(subscription.queue.get(), KEEPALIVE_AFTER)
            except TimeoutError:
                text = KEEPALIVE
            if subscription.overflowed:
                await ws.close(code=1013, message=b"behind; reconnect for a snapshot")
                return
            await ws.send_str(text)
    except ConnectionResetError:  # the screen went away mid-send: its reader sees it too
        return


async def _keep_session(request: web.Request, ws: web.WebSocketResponse) -> None:
    """An open screen is activity: it keeps its session from idling out during a shift. A
    session that ended meanwhile (signed out elsewhere, account disabled, shift length
    reached) closes the screen, whose page then asks to sign in again."""
    hub = request.app[HUB_CONTEXT]
    token = request.cookies.get(SESSION_COOKIE, "")
    while not ws.closed:
        await asyncio.sleep(SESSION_CHECK.total_seconds())
        if await hub.db(hub.store.accounts.session, token, hub.clock()) is None:
            await ws.close(code=SESSION_ENDED, message=b"session ended")
            return


async def _drain_incoming(ws: web.WebSocketResponse) -> None:
    """Screens send nothing yet; reading lets aiohttp see the close frame and pings."""
    async for message in ws:
        if message.type == WSMsgType.ERROR:
            break


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", home)
    app.router.add_get("/dispatch", dispatch_page)
    app.router.add_get(DISPATCH_LIVE_PATH, dispatch_live)
    app.router.add_get("/vendor/plotly.min.js", plotly_js)
    app.router.add_static("/static", STATIC_DIR)
