"""Wire the panels into the hub's aiohttp app (hub/app.py calls `setup`)."""

from __future__ import annotations

from aiohttp import web

from ..core.context import HUB_CONTEXT
from . import api
from .service import DEFAULT_DC09_HOST, PANELS, PanelService


def setup(
    app: web.Application,
    *,
    host: str = DEFAULT_DC09_HOST,
    port: int | None = None,
) -> PanelService:
    """The panel routes, and the listener on `port` (TCP and UDP; None: none). Call after
    the core's setup: the listener then starts after the hub's start-up and stops before
    the database thread ends."""
    service = PanelService(app[HUB_CONTEXT], host=host, port=port)
    app[PANELS] = service
    api.add_routes(app)
    app.cleanup_ctx.append(service.run)
    return service
