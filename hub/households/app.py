"""Wire the household registry into the hub's aiohttp app (hub/app.py calls `setup`)."""

from __future__ import annotations

from aiohttp import web

from . import api


def setup(app: web.Application) -> None:
    api.add_routes(app)
