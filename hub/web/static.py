"""The hub's own files: the pages' JS and CSS (hub/static), the vitals chart's library, and
the front door that leads to the dispatch screen."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from aiohttp import web

from ..policy import public

STATIC_DIR = Path(__file__).parent.parent / "static"


# The vitals chart's library, served from the installed Python package (no npm step).
def _plotly_js() -> Path:
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the plotly package is missing: install requirements/app.txt")
    return Path(spec.submodule_search_locations[0]) / "package_data" / "plotly.min.js"


PLOTLY_JS = _plotly_js()


@public
async def home(request: web.Request) -> web.Response:
    raise web.HTTPFound("/dispatch")


@public
async def plotly_js(request: web.Request) -> web.FileResponse:
    """A pinned library file: cacheable for a day (its URL changes only with a new pin)."""
    return web.FileResponse(PLOTLY_JS, headers={"Cache-Control": "public, max-age=86400"})


def page(name: str) -> web.FileResponse:
    """One of the hub's HTML pages, never cached (it names the current JS)."""
    return web.FileResponse(STATIC_DIR / name, headers={"Cache-Control": "no-store"})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", home)
    app.router.add_get("/vendor/plotly.min.js", plotly_js)
    app.router.add_static("/static", STATIC_DIR)
