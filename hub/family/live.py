"""The family page's live feed: one WebSocket per open family page, scoped by the session to
the family member's own household.

The dispatch screens' mechanism (hub/desk/screen.py, hub/core/live.py): subscribe, then a full
snapshot (on every connect, so a page that was away catches up), then each change of the
household's alarms as it is published, in the family fields only; a page that fell behind
is closed (1013) to reconnect for a fresh snapshot, one whose session ended is closed
(4401), and a quiet feed says "keepalive" every 10 s, so the page can tell a quiet feed from
a dead one and say so. Beside the alarms, the page learns at once when the home's gateway
comes or goes, and gets the home's vitals and devices afresh every 30 s, and within a second
of a change of an alarm that speaks for its devices (a valve's confirmed closure).
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import WSCloseCode, web

from gateway.alarms import utc_iso

from ..core.context import HUB_CONTEXT, HubContext
from ..core.live import Subscription
from ..policy import Role, allow
from ..web.screen_socket import drain_incoming, keep_session, send_updates
from .api import family_household_id, family_view, home_view, online

FAMILY_LIVE_PATH = "/api/v1/family/live"
HOME_EVERY = 30.0  # s: vitals, devices, the gateway's last contact
CHECK_EVERY = 1.0  # s: at most this late, the page shows the gateway came or went


@allow(Role.FAMILY)
async def family_live(request: web.Request) -> web.WebSocketResponse:
    hub = request.app[HUB_CONTEXT]
    household_id = family_household_id(request)
    ws = web.WebSocketResponse(heartbeat=15)
    await ws.prepare(request)
    hub.sockets.add(ws)
    # Subscribe before reading the snapshot so no change falls between the two.
    subscription = hub.live.subscribe_household(household_id)
    try:
        view = await family_view(hub, household_id)
        if view is None:
            await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"no such household")
            return ws
        gateway_ids = view.pop("gateway_ids")
        await ws.send_json(_stamped(hub, "snapshot", view))
        tasks = [
            asyncio.create_task(send_updates(ws, subscription)),
            asyncio.create_task(keep_session(request, ws)),
            asyncio.create_task(
                _watch_home(hub, household_id, subscription, gateway_ids, view["online"])
            ),
        ]
        try:
            await drain_incoming(ws)  # returns when the page goes away
        finally:
            for task in tasks:
                task.cancel()
    finally:
        hub.live.unsubscribe(subscription)
    return ws


async def _watch_home(
    hub: HubContext,
    household_id: str,
    subscription: Subscription,
    gateway_ids: list[str],
    was_online: bool,
) -> None:
    """The home's gateway (at once when it comes or goes) and readings (every 30 s), queued
    into the page's own subscription, so they go out in order with its alarms."""
    clock = asyncio.get_running_loop().time
    last_home = clock()
    while True:
        await asyncio.sleep(CHECK_EVERY)
        now = clock()
        if (
            online(hub, gateway_ids) != was_online
            or subscription.home_stale
            or now - last_home >= HOME_EVERY
        ):
            subscription.home_stale = False
            home = await home_view(hub, household_id)
            if home is None:
                return
            gateway_ids, was_online = home.pop("gateway_ids"), home["online"]
            hub.live.send(subscription, _stamped(hub, "home", home))
            last_home = now


def _stamped(hub: HubContext, type_: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"type": type_, "at": utc_iso(hub.clock()), **body}


def add_routes(app: web.Application) -> None:
    app.router.add_get(FAMILY_LIVE_PATH, family_live)
