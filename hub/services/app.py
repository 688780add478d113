"""Wire life services into the hub's aiohttp app (hub/app.py calls `setup`)."""

from __future__ import annotations

from aiohttp import web

from . import api, directory, family, screen


def setup(app: web.Application) -> None:
    """Routes only: the slice keeps no state of its own (the store and the gateway links
    are the core's)."""
    api.add_routes(app)
    directory.add_routes(app)
    family.add_routes(app)
    screen.add_routes(app)
