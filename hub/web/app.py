"""Wire the web layer into the hub's aiohttp app (hub/app.py calls `setup`)."""

from __future__ import annotations

from aiohttp import web

from . import static
from .access import access_control, security_headers


def setup(app: web.Application) -> None:
    """Every request passes the access check (and every answer gets the security headers);
    the hub's own files and front door."""
    app.middlewares.extend([security_headers, access_control])
    static.add_routes(app)
