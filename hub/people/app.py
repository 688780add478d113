"""Wire sign-in and accounts into the hub's aiohttp app (hub/app.py calls `setup`)."""

from __future__ import annotations

from aiohttp import web

from . import api, login, session


def setup(app: web.Application) -> None:
    session.add_routes(app)  # first: the sign-in state the others use
    login.add_routes(app)
    api.add_routes(app)
