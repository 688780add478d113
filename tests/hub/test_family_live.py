"""The family page's live feed on a real hub: a family member's socket gets a snapshot of
their own household, then every change of its alarms (family fields only) the moment staff
or the home make it, and nothing of any other household. Only family members may open it,
only from the hub's own pages; the dispatch screens' feed is unchanged beside it."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from gateway.alarms import AlarmKind
from gateway.link import HubLink, enroll
from gateway.link.outbox import Outbox
from hub.core.desk_model import ESCALATE_AFTER, StaffStep
from hub.core.live import LiveFeed
from hub.core.storage import Gateway
from hub.desk.screen import DISPATCH_LIVE_PATH
from hub.desk.timers import check_desk
from hub.policy import Role
from hub.web import screen_socket as dispatch

from ..conftest import RunningHub, cookie_session
from .seed import enrolled_gateway, raise_alarm

FAMILY_LIVE_PATH = "/api/v1/family/live"  # docs/hub-api.md
# What a family member may learn of an alarm (docs/hub-api.md, family section).
FAMILY_ALARM_FIELDS = {
    "id",
    "kind",
    "severity",
    "status",
    "occurred_at",
    "received_at",
    "happened_at",
    "late_by_seconds",
    "source_name",
    "count",
    "cleared_at",
    "acknowledged_at",
    "dispatched_at",
    "responder",
    "eta_minutes",
    "on_site_at",
    "resolved_at",
    "outcome",
}


async def _family_socket(
    hub: RunningHub, session: aiohttp.ClientSession, gateway: Gateway
) -> tuple[aiohttp.ClientWebSocketResponse, dict[str, Any]]:
    await hub.sign_in(session, Role.FAMILY, household_id=gateway.household_id)
    socket = await session.ws_connect(hub.url + FAMILY_LIVE_PATH)
    snapshot = await socket.receive_json(timeout=5)
    assert snapshot["type"] == "snapshot"
    return socket, snapshot


async def _next_alarm(socket: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    """The next alarm message (keep-alive and home messages in between are skipped)."""
    while True:
        message = await socket.receive_json(timeout=5)
        if message["type"] == "alarm":
            assert set(message) == {"type", "alarm"}
            return dict(message["alarm"])
        assert message["type"] in {"keepalive", "home"}, message


async def test_each_family_gets_its_own_household_live_and_nothing_else(
    hub_server: RunningHub,
) -> None:
    ours = await enrolled_gateway(hub_server, "Zhou household", "Peony Lane 12")
    theirs = await enrolled_gateway(hub_server, "Wu household", "Orchid Lane 4")
    earlier = await raise_alarm(hub_server, ours, AlarmKind.DOOR)
    hidden = await raise_alarm(hub_server, theirs, AlarmKind.GAS)
    async with cookie_session() as zhou, cookie_session() as wu:
        zhou_socket, snapshot = await _family_socket(hub_server, zhou, ours)
        wu_socket, wu_snapshot = await _family_socket(hub_server, wu, theirs)
        assert snapshot["household"] == {"name": "Zhou household", "address": "Peony Lane 12"}
        assert [a["id"] for a in snapshot["alarms"]] == [earlier.id]
        assert set(snapshot["alarms"][0]) == FAMILY_ALARM_FIELDS
        assert snapshot["online"] is False
        assert [a["id"] for a in wu_snapshot["alarms"]] == [hidden.id]

        # The other household's alarm changes first; ours must be the first thing we hear.
        await hub_server.staff_step(
            hidden.id, StaffStep.DISPATCHED, responder="Nurse Sun", eta_minutes=3, note="wu note"
        )
        fall = await raise_alarm(hub_server, ours, AlarmKind.FALL)
        hub_server.context.live.publish({"type": "alarm", "alarm": fall.as_dict()})
        raised = await _next_alarm(zhou_socket)
        assert (raised["id"], raised["kind"], raised["status"]) == (fall.id, "fall", "new")
        assert set(raised) == FAMILY_ALARM_FIELDS

        # Each staff step reaches the family at once, without the staff's note.
        await hub_server.staff_step(fall.id, StaffStep.ACKNOWLEDGED, note="gate code 1234")
        await hub_server.staff_step(
            fall.id, StaffStep.DISPATCHED, responder="社区护士 刘芳", eta_minutes=8
        )
        await hub_server.staff_step(fall.id, StaffStep.ON_SITE)
        steps = [await _next_alarm(zhou_socket) for _ in range(3)]
        assert [(s["status"], s["responder"], s["eta_minutes"]) for s in steps] == [
            ("acknowledged", None, None),
            ("dispatched", "社区护士 刘芳", 8),
            ("on_site", "社区护士 刘芳", 8),
        ]
        assert all(s["id"] == fall.id for s in steps)

        # And the Wu family heard only of their own alarm.
        wu_alarm = await _next_alarm(wu_socket)
        assert (wu_alarm["id"], wu_alarm["responder"]) == (hidden.id, "Nurse Sun")
        await hub_server.staff_step(earlier.id, StaffStep.ACKNOWLEDGED)
        assert (await _next_alarm(zhou_socket))["id"] == earlier.id
        await hub_server.staff_step(hidden.id, StaffStep.ON_SITE)
        assert (await _next_alarm(wu_socket))["id"] == hidden.id
        await zhou_socket.close()
        await wu_socket.close()
    received_by_zhou = json.dumps([snapshot, raised, *steps], ensure_ascii=False)
    received_by_wu = json.dumps([wu_snapshot, wu_alarm], ensure_ascii=False)
    # No other household, no staff notes, no dispatcher's name (it stays at the care center).
    for secret in ("Wu household", "Orchid", hidden.id, "Nurse Sun", "note", "gate code"):
        assert secret not in received_by_zhou
    for secret in ("Zhou household", "Peony", fall.id, earlier.id, "刘芳", "wu note"):
        assert secret not in received_by_wu
    assert "Zhao Lei" not in received_by_zhou + received_by_wu


async def test_an_escalation_reaches_the_family_as_an_alarm_update(
    hub_server: RunningHub,
) -> None:
    ours = await enrolled_gateway(hub_server, "Zhou household")
    sos = await raise_alarm(hub_server, ours, AlarmKind.SOS)
    async with cookie_session() as session:
        socket, _ = await _family_socket(hub_server, session, ours)
        real_clock = hub_server.context.clock
        hub_server.context.clock = lambda: real_clock() + ESCALATE_AFTER
        try:
            escalated, _ = await check_desk(hub_server.context)
        finally:
            hub_server.context.clock = real_clock
        assert [a.id for a in escalated] == [sos.id]
        update = await _next_alarm(socket)
        assert (update["id"], update["status"]) == (sos.id, "new")
        assert set(update) == FAMILY_ALARM_FIELDS
        await socket.close()


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN])
async def test_only_family_members_may_open_the_family_feed(
    hub_server: RunningHub, role: Role
) -> None:
    async with cookie_session() as session:
        await hub_server.sign_in(session, role)
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(hub_server.url + FAMILY_LIVE_PATH)
        assert refused.value.status == 403


async def test_the_family_feed_refuses_strangers_other_sites_and_the_staff_feed(
    hub_server: RunningHub,
) -> None:
    ours = await enrolled_gateway(hub_server, "Zhou household")
    async with cookie_session() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as anonymous:
            await session.ws_connect(hub_server.url + FAMILY_LIVE_PATH)
        assert anonymous.value.status == 401
        await hub_server.sign_in(session, Role.FAMILY, household_id=ours.household_id)
        # Cross-site WebSocket hijacking: a page elsewhere opening the family's feed.
        with pytest.raises(aiohttp.WSServerHandshakeError) as foreign:
            await session.ws_connect(
                hub_server.url + FAMILY_LIVE_PATH, origin="http://evil.example"
            )
        assert foreign.value.status == 403
        with pytest.raises(aiohttp.WSServerHandshakeError) as staff_feed:
            await session.ws_connect(hub_server.url + DISPATCH_LIVE_PATH)
        assert staff_feed.value.status == 403
        socket = await session.ws_connect(hub_server.url + FAMILY_LIVE_PATH, origin=hub_server.url)
        assert (await socket.receive_json(timeout=5))["type"] == "snapshot"
        await socket.close()


async def test_dispatch_screens_still_get_every_household_beside_family_pages(
    hub_server: RunningHub,
) -> None:
    ours = await enrolled_gateway(hub_server, "Zhou household")
    theirs = await enrolled_gateway(hub_server, "Wu household")
    async with cookie_session() as family, cookie_session() as staff:
        family_socket, _ = await _family_socket(hub_server, family, ours)
        await hub_server.sign_in(staff)
        screen = await staff.ws_connect(hub_server.url + DISPATCH_LIVE_PATH)
        assert (await screen.receive_json(timeout=5))["type"] == "snapshot"
        for gateway in (theirs, ours):
            alarm = await raise_alarm(hub_server, gateway, AlarmKind.SOS)
            await hub_server.staff_step(alarm.id, StaffStep.ACKNOWLEDGED, note="on it")
        updates = [await screen.receive_json(timeout=5) for _ in range(2)]
        assert [u["alarm"]["household_name"] for u in updates] == ["Wu household", "Zhou household"]
        assert updates[0]["alarm"]["acknowledged_by"] == "Zhao Lei"  # staff see it all
        assert (await _next_alarm(family_socket))["status"] == "acknowledged"
        await screen.close()
        await family_socket.close()


async def test_the_family_hears_at_once_when_the_home_gateway_comes_and_goes(
    hub_server: RunningHub,
) -> None:
    async with aiohttp.ClientSession() as gateway_session, cookie_session() as session:
        household = await hub_server.add_household("Li household", "Block 7")
        code = await hub_server.enrollment_code(household.id)
        credentials = await enroll(gateway_session, hub_server.url, code, "gw")
        outbox = Outbox(hub_server.data_dir.parent / "outbox.sqlite3")
        link = HubLink(gateway_session, credentials, outbox, heartbeat_interval=0.2)
        await hub_server.sign_in(session, Role.FAMILY, household_id=household.id)
        socket = await session.ws_connect(hub_server.url + FAMILY_LIVE_PATH)
        snapshot = await socket.receive_json(timeout=5)
        assert (snapshot["online"], snapshot["gateway_last_seen"]) == (False, None)
        link.start()
        try:
            home = await _next_home(socket)
            assert home["online"] is True
            assert set(home) == {
                "type", "at", "household", "online", "gateway_last_seen", "residents",
                "vitals", "devices",
            }  # fmt: skip
        finally:
            await link.stop()
        assert (await _next_home(socket))["online"] is False
        await socket.close()


async def _next_home(socket: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    while True:
        message = await socket.receive_json(timeout=5)
        if message["type"] == "home":
            return dict(message)
        assert message["type"] == "keepalive", message


async def test_a_quiet_family_feed_says_it_is_alive(
    hub_server: RunningHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page takes a feed silent for 25 s as cut (a half-open connection looks open to a
    browser): the hub speaks when there was nothing to say (every 10 s; here sooner)."""
    monkeypatch.setattr(dispatch, "KEEPALIVE_AFTER", 0.1)
    ours = await enrolled_gateway(hub_server, "Zhou household")
    async with cookie_session() as session:
        socket, _ = await _family_socket(hub_server, session, ours)
        assert (await socket.receive_json(timeout=5))["type"] == "keepalive"
        await socket.close()


def test_a_change_is_encoded_once_for_all_screens_and_once_for_a_household() -> None:
    feed = LiveFeed()
    screens = [feed.subscribe() for _ in range(3)]
    ours = [feed.subscribe_household("h1") for _ in range(2)]
    theirs = feed.subscribe_household("h2")
    alarm = {"id": "a1", "household_id": "h1", "household_name": "Zhou", "kind": "sos"}
    feed.publish({"type": "alarm", "alarm": alarm})
    screen_texts = [s.queue.get_nowait() for s in screens]
    assert all(text is screen_texts[0] for text in screen_texts)
    family_texts = [s.queue.get_nowait() for s in ours]
    assert family_texts[0] is family_texts[1]
    assert json.loads(family_texts[0])["alarm"]["id"] == "a1"
    assert "household_name" not in json.loads(family_texts[0])["alarm"]
    assert theirs.queue.empty()
    # A message that is not an alarm of a household goes to the screens only.
    feed.publish({"type": "overview", "alarms": [alarm]})
    assert all(s.queue.qsize() == 1 for s in screens)
    assert all(s.queue.empty() for s in [*ours, theirs])
    feed.unsubscribe(ours[0])
    feed.publish({"type": "alarm", "alarm": alarm})
    assert ours[0].queue.empty()
    assert ours[1].queue.qsize() == 1
