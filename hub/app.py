"""Build the hub's aiohttp application from a data directory: the core state first, then
each slice's `setup`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from aiohttp import web

from .core import app as core_app
from .core.context import HubContext
from .core.storage import HubStore
from .desk import app as desk_app
from .family import app as family_app
from .gateways import app as gateways_app
from .gateways.supervision import DEFAULT_HEARTBEAT
from .households import app as households_app
from .infra.keys import load_or_create_hub_key, load_or_create_metrics_token
from .panels import app as panels_app
from .people import app as people_app
from .reports import app as reports_app
from .services import app as services_app
from .web import app as web_app

DATABASE_FILE = "hub.sqlite3"


def open_store(data_dir: Path) -> HubStore:
    return HubStore(data_dir / DATABASE_FILE)


def create_app(
    data_dir: Path,
    *,
    heartbeat_interval: timedelta = DEFAULT_HEARTBEAT,
    ca_pem: bytes | None = None,
    dc09_host: str = "127.0.0.1",
    dc09_port: int | None = None,
) -> web.Application:
    """`heartbeat_interval` is the default given to gateways; `ca_pem` the community CA
    certificate served to enrolling gateways (a TLS hub), None for a plain loopback hub;
    `dc09_port` the TCP and UDP port alarm panels report to (hub/panels), None for none."""
    app = web.Application(client_max_size=256 * 1024)
    hub = HubContext(
        store=open_store(data_dir),
        hub_key=load_or_create_hub_key(data_dir),
        ca_pem=ca_pem,
        metrics_token=load_or_create_metrics_token(data_dir),
    )
    # The core first: its cleanup context (the database's end) then runs after every
    # slice's, which stop their tasks in the reverse order of these calls.
    core_app.setup(app, hub)
    web_app.setup(app)
    people_app.setup(app)
    gateways_app.setup(app, heartbeat_interval=heartbeat_interval)
    desk_app.setup(app)
    households_app.setup(app)
    reports_app.setup(app)
    family_app.setup(app)
    panels_app.setup(app, host=dc09_host, port=dc09_port)
    services_app.setup(app)
    return app
