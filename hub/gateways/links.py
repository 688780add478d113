"""The gateways slice's state in the hub app: each gateway's open connection (to push staff
steps and config at once), the hello ids seen lately, and link supervision. The other slices
reach it through the core's `GatewayLinks` port (`HubContext.gateways`), never by import."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from aiohttp import web

from gateway.protocol import MAX_AGE_SECONDS, MAX_AHEAD_SECONDS

from ..core.context import HubContext
from ..core.desk_model import OutboundMessage
from ..core.storage import Gateway
from .config import HouseholdConfig, household_config
from .supervision import LinkSupervisor

_LOGGER = logging.getLogger(__name__)
_HELLO_WINDOW = timedelta(seconds=MAX_AGE_SECONDS + MAX_AHEAD_SECONDS)
_HELLO_MEMORY = 10_000  # pruned beyond this many


class Link(Protocol):
    """An open gateway connection as the links see it (hub/gateways/connection.py)."""

    @property
    def gateway(self) -> Gateway | None: ...

    @property
    def remote(self) -> str | None: ...

    async def push(self, message: OutboundMessage) -> None: ...

    async def send_config(self, config: HouseholdConfig) -> None: ...


@dataclass(eq=False)
class Links:
    hub: HubContext
    supervisor: LinkSupervisor = field(default_factory=LinkSupervisor)
    # The open connection of each gateway that said hello, to push staff steps at once.
    connections: dict[str, Link] = field(default_factory=dict)
    # Hello ids seen within the freshness window: a replayed hello is only a duplicate.
    _hellos: dict[str, datetime] = field(default_factory=dict)

    def first_hello(self, message_id: str) -> bool:
        """True the first time a hello id is seen (ids older than the window are forgotten:
        the freshness check refuses those anyway)."""
        now = self.hub.clock()
        if len(self._hellos) > _HELLO_MEMORY:
            horizon = now - _HELLO_WINDOW
            self._hellos = {i: t for i, t in self._hellos.items() if t > horizon}
        if message_id in self._hellos:
            return False
        self._hellos[message_id] = now
        return True

    def is_connected(self, gateway_id: str) -> bool:
        return gateway_id in self.connections

    def connected_count(self) -> int:
        return len(self.connections)

    async def push(self, message: OutboundMessage) -> None:
        """Send a stored hub -> gateway message now if its gateway is connected; otherwise it
        goes out after the gateway's next hello."""
        connection = self.connections.get(message.gateway_id)
        if connection is None:
            return
        try:
            await connection.push(message)
        except (ConnectionResetError, RuntimeError) as err:  # closing under us: next hello
            _LOGGER.info("Gateway %s went away before a push: %s", message.gateway_id, err)

    async def push_config(self, household_id: str) -> None:
        """Send a fresh config to every connected gateway of the household (after staff
        changed a resident's thresholds); one not connected gets it after its next hello."""
        connections = [
            connection
            for connection in list(self.connections.values())
            if connection.gateway is not None and connection.gateway.household_id == household_id
        ]
        if not connections:
            return
        config = await household_config(self.hub, household_id)
        for connection in connections:
            try:
                await connection.send_config(config)
            except (ConnectionResetError, RuntimeError) as err:  # closing under us: next hello
                _LOGGER.info("Gateway %s went away before its config: %s", connection.remote, err)


async def push_config(hub: HubContext, household_id: str) -> None:
    """`Links.push_config` for a caller that holds the core state only."""
    await hub.gateways.push_config(household_id)


GATEWAYS = web.AppKey("gateways", Links)
