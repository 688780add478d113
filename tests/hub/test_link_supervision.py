"""Link supervision on a real hub: silent gateways raise link_lost, returning ones clear it,
a revoked gateway is refused and the screen says so. Heartbeats are shortened to 0.3 s."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from gateway.link import HubLink, LinkState, enroll
from gateway.link.outbox import Outbox
from hub.core.desk_model import AlarmRow

from ..conftest import RunningHub, until

HEARTBEAT = timedelta(seconds=0.3)


@pytest.fixture
async def fast_hub(tmp_path: Path, socket_enabled: None) -> AsyncIterator[RunningHub]:
    hub = RunningHub(tmp_path / "hub-data", heartbeat=HEARTBEAT)
    await hub.start()
    try:
        yield hub
    finally:
        await hub.stop()


async def _link(hub: RunningHub, session: aiohttp.ClientSession) -> HubLink:
    household = await hub.add_household("Zhou household", "Block 3")
    code = await hub.enrollment_code(household.id)
    credentials = await enroll(session, hub.url, code, "gw")
    outbox = Outbox(hub.data_dir.parent / f"outbox-{credentials.gateway_id}.sqlite3")
    # The link starts with the 60 s default: the hub's `config` must shorten it.
    return HubLink(session, credentials, outbox)


async def _wait_for(hub: RunningHub, predicate: object, timeout: float = 5.0) -> list[AlarmRow]:
    assert callable(predicate)
    async with asyncio.timeout(timeout):
        while not predicate(alarms := await hub.open_alarms()):  # noqa: ASYNC110 (polls the db)
            await asyncio.sleep(0.05)
    return alarms


async def test_silent_gateway_raises_link_lost_and_its_return_clears_it(
    fast_hub: RunningHub,
) -> None:
    async with aiohttp.ClientSession() as session:
        link = await _link(fast_hub, session)
        link.start()
        try:
            await until(lambda: link.heartbeat_interval == HEARTBEAT.total_seconds())
            await asyncio.sleep(1.5)  # five intervals of heartbeats: no false link_lost
            assert await fast_hub.open_alarms() == []
        finally:
            await link.stop()  # the home goes quiet
        loop = asyncio.get_running_loop()
        quiet_since = loop.time()
        (lost,) = await _wait_for(fast_hub, lambda alarms: len(alarms) == 1)
        detected_after = loop.time() - quiet_since
        assert (lost.kind, lost.severity, lost.household_name) == (
            "link_lost",
            "high",
            "Zhou household",
        )
        assert 2 * HEARTBEAT.total_seconds() < detected_after < 3 * HEARTBEAT.total_seconds() + 1.5

        link.start()  # back
        try:
            await _wait_for(fast_hub, lambda alarms: alarms == [])
        finally:
            await link.stop()
    assert (await fast_hub.alarm_actions(lost.id))[-2:] == ["cleared", "resolved"]


async def test_hub_restart_gives_every_gateway_fresh_intervals(fast_hub: RunningHub) -> None:
    async with aiohttp.ClientSession() as session:
        link = await _link(fast_hub, session)
        link.start()
        try:
            await until(lambda: link.state is LinkState.CONNECTED)
            await fast_hub.stop()
            await asyncio.sleep(0.5)
            await fast_hub.start()
            await until(lambda: link.state is LinkState.CONNECTED, timeout=10)
            await until(lambda: link.heartbeat_interval == HEARTBEAT.total_seconds())
            await asyncio.sleep(1.2)
            assert await fast_hub.open_alarms() == []
        finally:
            await link.stop()


async def test_revoked_gateway_is_refused_and_the_screen_says_so(fast_hub: RunningHub) -> None:
    async with aiohttp.ClientSession() as session:
        link = await _link(fast_hub, session)
        link.start()
        try:
            await until(lambda: link.state is LinkState.CONNECTED)
            gateway_id = link._credentials.gateway_id
            await fast_hub.context.db(fast_hub.context.store.revoke_gateway, gateway_id)
            await until(lambda: link.state is LinkState.REFUSED, timeout=3)
            assert link.refusal == "revoked"
        finally:
            await link.stop()
    (card,) = await fast_hub.open_alarms()
    assert card.kind == "link_lost"
    events = await fast_hub.context.db(fast_hub.context.store.alarm_events, card.id)
    assert "revoked" in events[0]["detail"]
    await asyncio.sleep(1.2)  # a revoked gateway is no longer supervised: no second card
    assert len(await fast_hub.open_alarms()) == 1
    assert fast_hub.context.rejections["revoked"] >= 1
