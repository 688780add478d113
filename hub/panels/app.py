"""Wire the panels into the hub's aiohttp app (hub/app.py calls `setup`)."""

from __future__ import annotations

from aiohttp import web

from ..context import HubContext
from . import api
from .service import DEFAULT_DC09_HOST, PANELS, PanelService


def setup(
    app: web.Application,
    hub: HubContext,
    *,
    host: str = DEFAULT_DC09_HOST,
    port: int | None = None,
) -> PanelService:
    """The panel routes, and the listener on `port` (TCP and UDP; None: none). Call after
    the hub's own cleanup context is appended: the listener then starts after the hub's
    start-up and stops before the database thread ends."""
    service = PanelService(hub, host=host, port=port)
    app[PANELS] = service
    api.add_routes(app)
    app.cleanup_ctx.append(service.run)
    return service
