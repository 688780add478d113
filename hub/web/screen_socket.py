"""What every live screen's WebSocket does besides its snapshot (the dispatch screen,
hub/desk/screen.py; the family page, hub/family/live.py): send each published change, say
something when nothing was said for a while, and close when the session ended."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiohttp import WSMsgType, web

from ..core.context import HUB_CONTEXT
from ..core.live import Subscription
from .access import SESSION_COOKIE

SESSION_CHECK = timedelta(minutes=1)  # well inside the idle timeout
SESSION_ENDED = 4401  # WebSocket close code (application range): sign in again
# Said when nothing else was for this long, so a screen can tell a quiet feed from a dead one
# (a half-open connection looks open to the browser): it drops a feed silent for 25 s.
KEEPALIVE_AFTER = 10.0  # s
KEEPALIVE = '{"type":"keepalive"}'


async def send_updates(ws: web.WebSocketResponse, subscription: Subscription) -> None:
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


async def keep_session(request: web.Request, ws: web.WebSocketResponse) -> None:
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


async def drain_incoming(ws: web.WebSocketResponse) -> None:
    """Screens send nothing yet; reading lets aiohttp see the close frame and pings."""
    async for message in ws:
        if message.type == WSMsgType.ERROR:
            break


async def serve_screen(
    request: web.Request,
    subscribe: Callable[[], Subscription],
    snapshot: Callable[[], Awaitable[dict[str, Any]]],
) -> web.WebSocketResponse:
    """A staff page's live socket: its snapshot, then every change until the page goes away
    or its session ends."""
    hub = request.app[HUB_CONTEXT]
    ws = web.WebSocketResponse(heartbeat=15)
    await ws.prepare(request)
    hub.sockets.add(ws)
    # Subscribe before reading the snapshot so no change falls between the two.
    subscription = subscribe()
    try:
        await ws.send_json(await snapshot())
        sender = asyncio.create_task(send_updates(ws, subscription))
        keeper = asyncio.create_task(keep_session(request, ws))
        try:
            await drain_incoming(ws)  # returns when the page goes away
        finally:
            sender.cancel()
            keeper.cancel()
    finally:
        hub.live.unsubscribe(subscription)
    return ws
