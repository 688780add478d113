"""The service channel of the live feed on a real hub (issue 20): a request taken or made at
home and each staff step reach every open work-order page at once, and the household's family
pages in the family's fields; never a dispatch screen. A page too far behind is closed to
reconnect for a fresh snapshot, like the dispatch screen's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import WSMsgType

from gateway.protocol import acked_ids
from gateway.services.catalogue import ServiceType
from gateway.ulid import new_ulid
from hub.desk.screen import DISPATCH_LIVE_PATH
from hub.family.live import FAMILY_LIVE_PATH
from hub.policy import Role
from hub.services.screen import SERVICES_LIVE_PATH
from hub.web.access import CSRF_HEADER

from ..conftest import RunningHub, cookie_session
from .test_gateway_ws import _credentials, _reply
from .test_service_ingest import _request


async def _next(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    """The next message that is not a keepalive."""
    while True:
        message: dict[str, Any] = await ws.receive_json(timeout=5)
        if message["type"] != "keepalive":
            return message


async def test_service_changes_reach_work_order_and_family_pages_never_dispatch(
    hub_server: RunningHub,
) -> None:
    context = hub_server.context
    household = await hub_server.add_household("王奶奶家", "幸福社区 3 栋")
    provider = await context.db(
        lambda: context.store.services.add_provider(
            context.clock(), organisation="平安水电", services=["repair"]
        )
    )
    async with cookie_session() as staff, cookie_session() as family, cookie_session() as desk:
        csrf = await hub_server.sign_in(staff, Role.DISPATCHER)
        await hub_server.sign_in(desk, Role.DISPATCHER)
        await hub_server.sign_in(family, Role.FAMILY, household_id=household.id)
        page = await staff.ws_connect(hub_server.url + SERVICES_LIVE_PATH)
        snapshot = await _next(page)
        assert snapshot == {"type": "snapshot", "open": [], "closed": []}
        dispatch = await desk.ws_connect(hub_server.url + DISPATCH_LIVE_PATH)
        assert (await _next(dispatch))["type"] == "snapshot"
        home = await family.ws_connect(hub_server.url + FAMILY_LIVE_PATH)
        assert (await _next(home))["type"] == "snapshot"

        # Staff take a request by phone, then accept and assign it.
        headers = {CSRF_HEADER: csrf}
        call = {"household_id": household.id, "service": "repair", "note": "水龙头漏水"}
        async with staff.post(
            hub_server.url + "/api/v1/services/requests", json=call, headers=headers
        ) as response:
            assert response.status == 201
            request_id = (await response.json())["request"]["id"]
        steps: list[dict[str, Any]] = [
            {"step": "accepted"},
            {
                "step": "assigned",
                "provider_id": provider.id,
                "window_start": "2026-12-05T09:00:00+00:00",
                "window_end": "2026-12-05T10:00:00+00:00",
            },
        ]
        for step in steps:
            async with staff.post(
                f"{hub_server.url}/api/v1/services/requests/{request_id}/steps",
                json=step,
                headers=headers,
            ) as response:
                assert response.status == 200, await response.text()

        seen = [await _next(page) for _ in range(3)]
        assert [(m["type"], m["request"]["status"]) for m in seen] == [
            ("service", "requested"),
            ("service", "accepted"),
            ("service", "assigned"),
        ]
        assert seen[-1]["request"]["household_name"] == "王奶奶家"
        assert seen[-1]["request"]["provider_name"] == "平安水电"
        family_seen = [await _next(home) for _ in range(3)]
        assert [m["request"]["status"] for m in family_seen] == [
            "requested",
            "accepted",
            "assigned",
        ]
        stored = await context.db(context.store.services.request, request_id)
        assert stored is not None
        assert family_seen[-1] == {"type": "service", "request": stored.for_family()}
        assert "accepted_by" not in family_seen[-1]["request"]

        # The dispatch screen got none of it: the next thing it hears is an alarm.
        context.live.publish({"type": "alarm", "alarm": {"id": "after"}})
        assert await _next(dispatch) == {"type": "alarm", "alarm": {"id": "after"}}

        # A page that connects now gets the open work order in its snapshot.
        again = await staff.ws_connect(hub_server.url + SERVICES_LIVE_PATH)
        snapshot = await _next(again)
        assert [o["id"] for o in snapshot["open"]] == [request_id]
        for ws in (page, again, dispatch, home):
            await ws.close()


async def test_a_gateway_request_is_pushed_once_and_a_resend_not_again(
    hub_server: RunningHub,
) -> None:
    async with aiohttp.ClientSession() as session, cookie_session() as staff:
        credentials = await _credentials(hub_server, session)
        await hub_server.sign_in(staff, Role.DISPATCHER)
        page = await staff.ws_connect(hub_server.url + SERVICES_LIVE_PATH)
        assert (await _next(page))["type"] == "snapshot"
        request_id = new_ulid()
        first = _request(credentials, 1, request_id, ServiceType.DRAIN)
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            for message in (first, first):  # a lost ack: stored once, pushed once
                await ws.send_str(message.to_json())
                reply = await _reply(ws, credentials.hub_key())
                assert acked_ids(reply.body) == [message.id]
            repeat = _request(credentials, 2, new_ulid(), ServiceType.DRAIN)
            await ws.send_str(repeat.to_json())
            await _reply(ws, credentials.hub_key())
        pushed = await _next(page)
        assert (pushed["request"]["id"], pushed["request"]["count"]) == (request_id, 1)
        counted = await _next(page)  # the second press counts on the same request
        assert (counted["request"]["id"], counted["request"]["count"]) == (request_id, 2)
        assert await hub_server.open_alarms() == []
        await page.close()


async def test_a_work_order_page_too_far_behind_reconnects_for_a_snapshot(
    hub_server: RunningHub,
) -> None:
    household = await hub_server.add_household()
    context = hub_server.context
    recorded = await context.db(
        context.store.services.record_requested,
        household.id,
        new_ulid(),
        "meal",
        datetime.now(UTC),
    )
    async with cookie_session() as session:
        await hub_server.sign_in(session, Role.SUPERVISOR)
        page = await session.ws_connect(hub_server.url + SERVICES_LIVE_PATH)
        assert (await _next(page))["type"] == "snapshot"
        for _ in range(1500):
            context.live.publish_service(recorded.request)
        message = await page.receive(timeout=5)
        while message.type == WSMsgType.TEXT:
            message = await page.receive(timeout=5)
        assert message.type == WSMsgType.CLOSE
        assert message.data == 1013
        again = await session.ws_connect(hub_server.url + SERVICES_LIVE_PATH)
        snapshot = await _next(again)
        assert [o["id"] for o in snapshot["open"]] == [recorded.request.id]
        await again.close()
        await page.close()


async def test_the_page_and_its_feed_are_for_staff_only(hub_server: RunningHub) -> None:
    household = await hub_server.add_household()
    async with cookie_session() as family:
        await hub_server.sign_in(family, Role.FAMILY, household_id=household.id)
        for path in ("/services", SERVICES_LIVE_PATH):
            async with family.get(hub_server.url + path) as response:
                assert response.status == 403
