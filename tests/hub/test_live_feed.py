"""The dispatch screens' live feed on a real hub: every change reaches every open screen, in
order, and a screen that falls too far behind is told to reconnect rather than silently
skipping changes."""

from __future__ import annotations

from aiohttp import WSMsgType

from hub.desk.screen import DISPATCH_LIVE_PATH

from ..conftest import RunningHub, cookie_session


async def test_changes_reach_every_screen_in_order(hub_server: RunningHub) -> None:
    async with cookie_session() as first, cookie_session() as second:
        screens = []
        for session in (first, second):
            await hub_server.sign_in(session)
            screen = await session.ws_connect(hub_server.url + DISPATCH_LIVE_PATH)
            assert (await screen.receive_json(timeout=5))["type"] == "snapshot"
            screens.append(screen)
        for number in range(50):
            hub_server.context.live.publish({"type": "alarm", "alarm": {"id": str(number)}})
        for screen in screens:
            got = [(await screen.receive_json(timeout=5))["alarm"]["id"] for _ in range(50)]
            assert got == [str(n) for n in range(50)]
            await screen.close()


async def test_a_screen_too_far_behind_is_closed_to_reconnect_for_a_snapshot(
    hub_server: RunningHub,
) -> None:
    async with cookie_session() as session:
        await hub_server.sign_in(session)
        screen = await session.ws_connect(hub_server.url + DISPATCH_LIVE_PATH)
        assert (await screen.receive_json(timeout=5))["type"] == "snapshot"
        # More changes at once than a screen may owe: nothing is skipped without a word.
        for number in range(1500):
            hub_server.context.live.publish({"type": "alarm", "alarm": {"id": str(number)}})
        message = await screen.receive(timeout=5)
        while message.type == WSMsgType.TEXT:
            message = await screen.receive(timeout=5)
        assert message.type == WSMsgType.CLOSE
        assert message.data == 1013
        again = await session.ws_connect(hub_server.url + DISPATCH_LIVE_PATH)
        assert (await again.receive_json(timeout=5))["type"] == "snapshot"
        await again.close()
        await screen.close()
