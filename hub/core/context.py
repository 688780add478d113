"""What every request handler of the hub shares, kept in the aiohttp app under one key."""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.protocol import MAX_AGE_SECONDS, MAX_AHEAD_SECONDS

from .db_thread import DatabaseThread
from .live import LiveFeed
from .storage import HubStore
from .supervision import LinkSupervisor

if TYPE_CHECKING:
    from .gateway_ws import GatewayConnection


_HELLO_WINDOW = timedelta(seconds=MAX_AGE_SECONDS + MAX_AHEAD_SECONDS)
_HELLO_MEMORY = 10_000  # pruned beyond this many


@dataclass
class HubContext:
    store: HubStore
    hub_key: Ed25519PrivateKey
    live: LiveFeed = field(default_factory=LiveFeed)
    # One thread owns SQLite: writes are serialized, grouped into shared commits, and the
    # event loop never blocks on disk.
    database: DatabaseThread = field(init=False)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # Rejected gateway messages by reason: the first thing to look at when a home goes quiet.
    rejections: Counter[str] = field(default_factory=Counter)
    # Open WebSockets (gateways and screens), closed on shutdown so they reconnect promptly.
    sockets: weakref.WeakSet[web.WebSocketResponse] = field(default_factory=weakref.WeakSet)
    supervisor: LinkSupervisor = field(default_factory=LinkSupervisor)
    # The open connection of each gateway, to push staff steps at once.
    connections: dict[str, GatewayConnection] = field(default_factory=dict)
    # Hello ids seen within the freshness window: a replayed hello is only a duplicate.
    _hellos: dict[str, datetime] = field(default_factory=dict)
    # The community CA certificate (PEM) gateways pin at enrollment; None on a plain-HTTP hub.
    ca_pem: bytes | None = None
    # What a metrics scraper presents as a bearer token (hub/keys.py).
    metrics_token: str = ""

    def __post_init__(self) -> None:
        self.database = DatabaseThread(self.store.db.conn, watch=self.store.notice_other_writers)

    def first_hello(self, message_id: str) -> bool:
        """True the first time a hello id is seen (ids older than the window are forgotten:
        the freshness check refuses those anyway)."""
        now = self.clock()
        if len(self._hellos) > _HELLO_MEMORY:
            horizon = now - _HELLO_WINDOW
            self._hellos = {i: t for i, t in self._hellos.items() if t > horizon}
        if message_id in self._hellos:
            return False
        self._hellos[message_id] = now
        return True

    async def db[T](self, function: Callable[..., T], *args: Any) -> T:
        """Run a store call on the database thread; its writes are committed when it returns."""
        return await self.database.run(function, *args)


HUB_CONTEXT = web.AppKey("hub_context", HubContext)
