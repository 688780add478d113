"""Wire the family portal into the hub's aiohttp app (hub/app.py calls `setup`)."""

from __future__ import annotations

from aiohttp import web

from . import api, live


def setup(app: web.Application) -> None:
    api.add_routes(app)
    live.add_routes(app)
