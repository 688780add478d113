"""The hub's background loop for link supervision: raise `link_lost` for silent gateways and
flush last-heard times to the database."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from .links import Links

_LOGGER = logging.getLogger(__name__)
FLUSH_EVERY = timedelta(seconds=30)
CHECK_PERIOD = 0.25  # s


async def load_supervision(links: Links) -> None:
    """Before the hub accepts connections: who to watch, and who is lost already."""
    hub = links.hub
    gateways = await hub.db(hub.store.gateways)
    lost = set(await hub.db(hub.store.open_link_lost))
    links.supervisor.load(gateways, lost, hub.clock())


async def watch_links(links: Links) -> None:
    """Run until cancelled. Checks often enough that detection lags the third missed
    heartbeat by a tenth of an interval at most, and never by more than CHECK_PERIOD (a scan
    of 5,000 gateways costs about a millisecond)."""
    hub, supervisor = links.hub, links.supervisor
    period = min(CHECK_PERIOD, supervisor.default_interval.total_seconds() / 10)
    last_flush = hub.clock()
    while True:
        await asyncio.sleep(period)
        now = hub.clock()
        for gateway_id in supervisor.newly_silent(now):
            await _raise_link_lost(links, gateway_id)
        if now - last_flush >= FLUSH_EVERY:
            last_flush = now
            heard = supervisor.take_unflushed()
            if heard:
                await hub.db(hub.store.touch_gateways, heard)


async def _raise_link_lost(links: Links, gateway_id: str) -> None:
    hub, supervisor = links.hub, links.supervisor
    gateway = await hub.db(hub.store.gateway, gateway_id)
    if gateway is None or gateway.revoked:
        supervisor.forget(gateway_id)
        return
    silence = supervisor.silence(gateway_id, hub.clock()).total_seconds()
    detail = f"no message from the gateway for {silence:.0f} s"
    alarm = await hub.db(hub.store.raise_link_lost, gateway, detail, hub.clock())
    _LOGGER.warning(
        "Link lost: gateway %s (household %s), %s", gateway_id, gateway.household_id, detail
    )
    hub.live.publish({"type": "alarm", "alarm": alarm.as_dict()})
