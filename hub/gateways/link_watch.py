"""The hub's background loop for link supervision: raise `link_lost` for silent gateways and
flush last-heard times to the database."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from .context import HubContext

_LOGGER = logging.getLogger(__name__)
FLUSH_EVERY = timedelta(seconds=30)
CHECK_PERIOD = 0.25  # s


async def load_supervision(hub: HubContext) -> None:
    """Before the hub accepts connections: who to watch, and who is lost already."""
    gateways = await hub.db(hub.store.gateways)
    lost = set(await hub.db(hub.store.open_link_lost))
    hub.supervisor.load(gateways, lost, hub.clock())


async def watch_links(hub: HubContext) -> None:
    """Run until cancelled. Checks often enough that detection lags the third missed
    heartbeat by a tenth of an interval at most, and never by more than CHECK_PERIOD (a scan
    of 5,000 gateways costs about a millisecond)."""
    period = min(CHECK_PERIOD, hub.supervisor.default_interval.total_seconds() / 10)
    last_flush = hub.clock()
    while True:
        await asyncio.sleep(period)
        now = hub.clock()
        for gateway_id in hub.supervisor.newly_silent(now):
            await _raise_link_lost(hub, gateway_id)
        if now - last_flush >= FLUSH_EVERY:
            last_flush = now
            heard = hub.supervisor.take_unflushed()
            if heard:
                await hub.db(hub.store.touch_gateways, heard)


async def _raise_link_lost(hub: HubContext, gateway_id: str) -> None:
    gateway = await hub.db(hub.store.gateway, gateway_id)
    if gateway is None or gateway.revoked:
        hub.supervisor.forget(gateway_id)
        return
    silence = hub.supervisor.silence(gateway_id, hub.clock()).total_seconds()
    detail = f"no message from the gateway for {silence:.0f} s"
    alarm = await hub.db(hub.store.raise_link_lost, gateway, detail, hub.clock())
    _LOGGER.warning(
        "Link lost: gateway %s (household %s), %s", gateway_id, gateway.household_id, detail
    )
    hub.live.publish({"type": "alarm", "alarm": alarm.as_dict()})
