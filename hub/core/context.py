"""What every slice of the hub shares, kept in the aiohttp app under one key: the store and
its database thread, the clock, the live feed, the hub's keys, and the gateways' links as
the other slices may use them (a port: hub/gateways fills it in)."""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..infra.db_thread import DatabaseThread
from .desk_model import OutboundMessage
from .live import LiveFeed
from .storage import HubStore


class GatewayLinks(Protocol):
    """The open gateway links, as the desk, the registry, the family page and the metrics
    use them. Implemented by hub/gateways/links.py; the slices here never import it."""

    async def push(self, message: OutboundMessage) -> None:
        """Send a stored hub -> gateway message now if its gateway is connected; otherwise
        it goes out after the gateway's next hello."""

    async def push_config(self, household_id: str) -> None:
        """A fresh config to every connected gateway of the household."""

    def is_connected(self, gateway_id: str) -> bool: ...

    def connected_count(self) -> int: ...


class NoGatewayLinks:
    """Before the gateways slice is set up: nothing connected, so every push waits for the
    gateway's next hello (which sends what is pending anyway)."""

    async def push(self, message: OutboundMessage) -> None:
        return None

    async def push_config(self, household_id: str) -> None:
        return None

    def is_connected(self, gateway_id: str) -> bool:
        return False

    def connected_count(self) -> int:
        return 0


@dataclass
class HubContext:
    store: HubStore
    hub_key: Ed25519PrivateKey
    live: LiveFeed = field(default_factory=LiveFeed)
    # One thread owns SQLite: writes are serialized, grouped into shared commits, and the
    # event loop never blocks on disk.
    database: DatabaseThread = field(init=False)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # Refused gateway frames and enrollments by reason (GET /metrics): the first thing to
    # look at when a home goes quiet.
    rejections: Counter[str] = field(default_factory=Counter)
    # Open WebSockets (gateways and screens), closed on shutdown so they reconnect promptly.
    sockets: weakref.WeakSet[web.WebSocketResponse] = field(default_factory=weakref.WeakSet)
    gateways: GatewayLinks = field(default_factory=NoGatewayLinks)
    # The community CA certificate (PEM) gateways pin at enrollment; None on a plain-HTTP hub.
    ca_pem: bytes | None = None
    # What a metrics scraper presents as a bearer token (hub/infra/keys.py).
    metrics_token: str = ""

    def __post_init__(self) -> None:
        self.database = DatabaseThread(self.store.db.conn, watch=self.store.notice_other_writers)

    async def db[T](self, function: Callable[..., T], *args: Any) -> T:
        """Run a store call on the database thread; its writes are committed when it returns."""
        return await self.database.run(function, *args)


HUB_CONTEXT = web.AppKey("hub_context", HubContext)
