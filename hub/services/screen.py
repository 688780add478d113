"""The work-order page: a static page plus a WebSocket that pushes service requests live, on
a channel of their own (hub/core/live.py): never the alarm queue's, never on a dispatch screen.

As the dispatch screen (hub/desk/screen.py): subscribe, then a snapshot on every (re)connect
(the open work orders, oldest first, and the most recent closed ones), then each request as it
is made or moves on (`{"type": "service", "request": ...}`); a page that fell behind is
closed (1013) to reconnect for a fresh snapshot, one whose session ended is closed (4401).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..core.context import HUB_CONTEXT, HubContext
from ..policy import STAFF, allow
from ..web.screen_socket import serve_screen
from ..web.static import page

SERVICES_LIVE_PATH = "/api/v1/services/live"
SNAPSHOT_LIMIT = 1000  # open work orders first, then closed ones up to this many in all
CLOSED_SHOWN = 50  # the closed ones a snapshot carries (the page's "closed" view)


@allow(*STAFF)
async def services_page(request: web.Request) -> web.FileResponse:
    return page("services.html")


@allow(*STAFF)
async def services_live(request: web.Request) -> web.WebSocketResponse:
    hub = request.app[HUB_CONTEXT]
    return await serve_screen(request, hub.live.subscribe_services, lambda: snapshot(hub))


async def snapshot(hub: HubContext) -> dict[str, Any]:
    orders = await hub.db(
        lambda: hub.store.services.work_orders(include_closed=True, limit=SNAPSHOT_LIMIT)
    )
    opened = [order.as_dict() for order in orders if order.open]
    closed = [order.as_dict() for order in orders if not order.open][:CLOSED_SHOWN]
    return {"type": "snapshot", "open": opened, "closed": closed}


def add_routes(app: web.Application) -> None:
    app.router.add_get("/services", services_page)
    app.router.add_get(SERVICES_LIVE_PATH, services_live)
