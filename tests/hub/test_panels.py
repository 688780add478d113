"""Alarm panels reporting over SIA DC-09 to a real hub (docs/dc09.md, "Panel -> hub"): the
listener on 127.0.0.1 TCP and UDP, fed by the independent example sender of dc09_examples,
and what a dispatcher then sees."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gateway.alarms import AlarmKind
from hub.__main__ import _parser, main
from hub.app import create_app
from hub.core.context import HUB_CONTEXT
from hub.core.storage import Household
from hub.desk.screen import DISPATCH_LIVE_PATH
from hub.panels.listener import PanelHandler, PanelListener
from hub.panels.service import PANELS, PanelService
from hub.policy import Role

from .. import conftest
from ..conftest import RunningHub, cookie_session, until
from . import dc09_examples as panel
from .seed import enrolled_gateway, raise_alarm

KEY = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
WRONG_KEY = bytes(16)


@pytest.fixture
async def panel_hub(
    tmp_path: Path, socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[RunningHub]:
    """A hub as `python -m hub --dc09-port` runs it, the listener on a free port."""
    monkeypatch.setattr(conftest, "create_app", functools.partial(create_app, dc09_port=0))
    hub = RunningHub(tmp_path / "hub-data")
    await hub.start()
    try:
        yield hub
    finally:
        await hub.stop()


def panels(hub: RunningHub) -> PanelService:
    return hub._runner.app[PANELS]  # type: ignore[union-attr]


def port(hub: RunningHub) -> int:
    listener = panels(hub).listener
    assert listener is not None
    return listener.port


async def add_panel(
    hub: RunningHub, account: str, key: bytes | None = None, name: str = "Li household"
) -> Household:
    """A household with a panel account, straight into the store (the API is tested apart)."""
    household = await hub.add_household(name, "Block 7")
    store = hub.context.store
    await hub.context.db(
        lambda: store.panels.add(account, household.id, hub.context.clock(), key=key)
    )
    await panels(hub).reload()
    return household


async def stored_messages(hub: RunningHub) -> int:
    def count() -> int:
        return int(
            hub.context.store.db.execute("SELECT count(*) FROM panel_messages").fetchone()[0]
        )

    return await hub.context.db(count)


def now() -> datetime:
    return datetime.now(UTC)


async def test_a_panel_sos_reaches_the_dispatch_screen_and_its_restore_clears_it(
    panel_hub: RunningHub,
) -> None:
    household = await add_panel(panel_hub, "1234")
    async with cookie_session() as session:
        await panel_hub.sign_in(session, Role.DISPATCHER)
        screen = await session.ws_connect(panel_hub.url + DISPATCH_LIVE_PATH)
        assert (await screen.receive_json(timeout=5))["alarms"] == []

        (answer,) = await panel.send_tcp(port(panel_hub), panel.contact_id("1234", now=now()))
        reply = panel.parse_reply(answer)
        assert (reply.id, reply.sequence, reply.account, reply.line) == ("ACK", 1, "1234", "0")
        assert reply.crc_ok
        assert reply.length_ok
        assert not reply.encrypted

        pushed = (await screen.receive_json(timeout=5))["alarm"]
        assert pushed["household_id"] == household.id
        assert pushed["household_name"] == "Li household"
        assert (pushed["kind"], pushed["severity"], pushed["status"]) == ("sos", "critical", "new")
        assert (pushed["count"], pushed["cleared_at"], pushed["lane"]) == (1, None, "emergency")

        async with session.get(f"{panel_hub.url}/api/v1/alarms/{pushed['id']}") as response:
            card = await response.json()
        assert card["household"]["id"] == household.id
        assert [(e["actor"], e["action"]) for e in card["events"]] == [("panel:1234", "raised")]
        assert card["events"][0]["detail"] == "panel 1234 zone 015 (Contact ID 1101)"

        restore = panel.contact_id("1234", "3101 01 015", sequence=2, now=now())
        (answer,) = await panel.send_tcp(port(panel_hub), restore)
        assert panel.parse_reply(answer).sequence == 2
        cleared = (await screen.receive_json(timeout=5))["alarm"]
        assert cleared["id"] == pushed["id"]
        assert cleared["cleared_at"] is not None
        # An emergency stays open for staff when its condition clears, as from a gateway.
        assert (cleared["status"], cleared["last_action"]) == ("new", "cleared")
        await screen.close()


async def test_udp_and_an_encrypted_account(panel_hub: RunningHub) -> None:
    household = await add_panel(panel_hub, "ABC123", key=KEY)
    sia = panel.sia_dcs("ABC123", "Nri1/FA3", sequence=5, now=now(), key=KEY)
    reply = panel.parse_reply(await panel.send_udp(port(panel_hub), sia), KEY)
    assert (reply.id, reply.encrypted, reply.sequence, reply.account) == ("ACK", True, 5, "ABC123")
    assert reply.crc_ok
    assert reply.length_ok
    assert reply.timestamp is not None
    assert abs(reply.timestamp - now()) < timedelta(seconds=5)
    (alarm,) = await panel_hub.open_alarms()
    assert (alarm.household_id, alarm.kind, alarm.severity) == (household.id, "fire", "critical")

    wrong = panel.sia_dcs("ABC123", "Nri1/QA1", sequence=6, now=now(), key=WRONG_KEY)
    clear = panel.sia_dcs("ABC123", "Nri1/QA1", sequence=7, now=now())
    for raw, sequence in ((wrong, 6), (clear, 7)):
        reply = panel.parse_reply(await panel.send_udp(port(panel_hub), raw))
        assert (reply.id, reply.sequence, reply.account) == ("DUH", sequence, "ABC123")
        assert not reply.encrypted
    assert len(await panel_hub.open_alarms()) == 1
    counters = panels(panel_hub).receiver.counters
    assert (counters["decrypt"], counters["plaintext_refused"]) == (1, 1)


async def test_retransmissions_and_replays_are_acked_and_stored_once(
    panel_hub: RunningHub,
) -> None:
    await add_panel(panel_hub, "ABC123", key=KEY)
    raw = panel.contact_id("ABC123", sequence=9, now=now(), key=KEY)
    first, again = await panel.send_tcp(port(panel_hub), raw, raw)  # the ACK was lost
    replay = await panel.send_udp(port(panel_hub), raw)  # someone recorded it
    for answer in (first, again, replay):
        assert (panel.parse_reply(answer, KEY).id, panel.parse_reply(answer, KEY).sequence) == (
            "ACK",
            9,
        )
    # After a restart the receiver's memory is empty: the database still knows the message.
    await panel_hub.stop()
    await panel_hub.start()
    (after_restart,) = await panel.send_tcp(port(panel_hub), raw)
    assert panel.parse_reply(after_restart, KEY).id == "ACK"
    (alarm,) = await panel_hub.open_alarms()
    assert alarm.count == 1
    assert await stored_messages(panel_hub) == 1
    assert await panel_hub.alarm_actions(alarm.id) == ["raised"]


async def test_a_repeat_merges_into_the_open_card_like_a_gateway_alarm(
    panel_hub: RunningHub,
) -> None:
    gateway = await enrolled_gateway(panel_hub, "Zhou household")
    gateway_sos = await raise_alarm(panel_hub, gateway, AlarmKind.SOS)
    store = panel_hub.context.store
    await panel_hub.context.db(
        lambda: store.panels.add("4321", gateway.household_id, panel_hub.context.clock())
    )
    await panels(panel_hub).reload()
    await panel.send_tcp(
        port(panel_hub),
        panel.contact_id("4321", "1120 01 002", sequence=1, now=now()),  # panic -> sos
        panel.contact_id("4321", "1101 01 015", sequence=2, now=now()),
    )
    (alarm,) = await panel_hub.open_alarms()
    assert (alarm.id, alarm.count) == (gateway_sos.id, 3)
    assert await panel_hub.alarm_actions(alarm.id) == ["raised", "repeated", "repeated"]


async def test_what_is_not_an_alarm_is_acked_and_logged(panel_hub: RunningHub) -> None:
    await add_panel(panel_hub, "77AA")
    answers = await panel.send_tcp(
        port(panel_hub),
        panel.contact_id("77AA", "1401 01 003", sequence=1, now=now()),  # opening by user 3
        panel.contact_id("77AA", "1602 00 000", sequence=2),  # periodic test, no timestamp
        panel.sia_dcs("77AA", "Nri1/CL2", sequence=3),  # closing
        panel.contact_id("77AA", "3154 01 004", sequence=4),  # a restore with nothing open
    )
    assert [panel.parse_reply(answer).id for answer in answers] == ["ACK"] * 4
    assert await panel_hub.open_alarms() == []
    log = await panel_hub.context.db(panel_hub.context.store.panels.log_entries, "77AA")
    assert sorted((entry["sequence"], entry["effect"], entry["alarm_id"]) for entry in log) == [
        (1, "Contact ID 1401: not an alarm", None),
        (2, "Contact ID 1602: not an alarm", None),
        (3, "SIA CL: not an alarm", None),
        (4, "water_leak restore", None),
    ]


async def test_refusals_store_nothing_and_the_listener_keeps_serving(
    panel_hub: RunningHub,
) -> None:
    await add_panel(panel_hub, "1234")
    good = panel.contact_id("1234", sequence=1, now=now())
    bad_crc = good[:1] + (b"0000" if good[1:5] != b"0000" else b"FFFF") + good[5:]
    body = good[9:-1].decode()
    wrapped = panel.wrap(body)
    wrong_length = wrapped[:6] + f"{int(wrapped[6:9], 16) + 1:03X}".encode() + wrapped[9:]
    stale = panel.contact_id("1234", sequence=2, now=now() - timedelta(minutes=2))
    unknown = panel.contact_id("9999", sequence=3, now=now())
    answers = await panel.send_tcp(
        port(panel_hub), bad_crc, wrong_length, stale, unknown, b"hello there\r", good
    )
    replies = [panel.parse_reply(answer) for answer in answers]
    assert [reply.id for reply in replies] == ["NAK", "NAK", "NAK", "DUH", "NAK", "ACK"]
    for nak in replies[:3]:
        # The hub's time, so the panel can correct its clock and resend.
        assert nak.timestamp is not None
        assert abs(nak.timestamp - now()) < timedelta(seconds=5)
        assert nak.crc_ok
    assert (replies[3].sequence, replies[3].account) == (3, "9999")
    assert replies[5].sequence == 1
    (alarm,) = await panel_hub.open_alarms()
    assert alarm.count == 1
    assert await stored_messages(panel_hub) == 1
    counters = panels(panel_hub).receiver.counters
    assert [counters[reason] for reason in ("crc", "length", "timestamp_window")] == [1, 1, 1]
    assert (counters["unknown_account"], counters["framing"], counters["ok"]) == (1, 1, 1)


async def test_an_oversized_line_is_nakked_and_its_connection_closed(
    panel_hub: RunningHub,
) -> None:
    await add_panel(panel_hub, "1234")
    reader, writer = await asyncio.open_connection("127.0.0.1", port(panel_hub))
    writer.write(b"\n" + b"A" * 10_000)  # no CR, ever
    await writer.drain()
    answer = await asyncio.wait_for(reader.readuntil(b"\r"), 5)
    assert panel.parse_reply(answer).id == "NAK"
    assert await asyncio.wait_for(reader.read(), 5) == b""  # closed by the hub
    writer.close()
    await writer.wait_closed()
    # Noise before a frame on a fresh connection: the frame after it is still read.
    (answer,) = await panel.send_tcp(
        port(panel_hub), b"\x00junk" + panel.contact_id("1234", sequence=1, now=now())
    )
    assert panel.parse_reply(answer).id == "ACK"
    assert len(await panel_hub.open_alarms()) == 1


async def test_a_null_poll_is_acked_and_the_panel_heard(panel_hub: RunningHub) -> None:
    await add_panel(panel_hub, "5678", key=KEY)
    store = panel_hub.context.store
    before = await panel_hub.context.db(store.panels.get, "5678")
    assert before is not None
    assert before.last_heard is None
    reply = panel.parse_reply(
        await panel.send_udp(port(panel_hub), panel.null("5678", 3, now=now(), key=KEY)), KEY
    )
    assert (reply.id, reply.sequence, reply.encrypted) == ("ACK", 3, True)
    after = await panel_hub.context.db(store.panels.get, "5678")
    assert after is not None
    assert after.last_heard is not None
    assert await panel_hub.open_alarms() == []
    assert await stored_messages(panel_hub) == 0


async def test_the_standard_example_is_a_fire_alarm(panel_hub: RunningHub) -> None:
    await add_panel(panel_hub, "78919")
    (answer,) = await panel.send_tcp(port(panel_hub), panel.standard_example(now()))
    reply = panel.parse_reply(answer)
    assert (reply.id, reply.sequence, reply.receiver, reply.line, reply.account) == (
        "ACK",
        2,
        "1",
        "232",
        "78919",
    )
    (alarm,) = await panel_hub.open_alarms()
    assert alarm.kind == "fire"


async def test_a_storage_failure_sends_nothing_so_the_panel_retries(
    panel_hub: RunningHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_panel(panel_hub, "1234")
    store = panel_hub.context.store

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(store, "record_panel_alarm", broken)
    raw = panel.contact_id("1234", sequence=1, now=now())
    reader, writer = await asyncio.open_connection("127.0.0.1", port(panel_hub))
    writer.write(raw)
    await writer.drain()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reader.readuntil(b"\r"), 0.5)
    writer.close()
    await writer.wait_closed()
    assert panels(panel_hub).receiver.counters["store_failed"] == 1
    assert await stored_messages(panel_hub) == 0  # rolled back with the alarm
    monkeypatch.undo()
    (answer,) = await panel.send_tcp(port(panel_hub), raw)  # the panel's retry
    assert panel.parse_reply(answer).id == "ACK"
    assert len(await panel_hub.open_alarms()) == 1


async def test_an_account_added_from_the_shell_is_served_within_seconds(
    panel_hub: RunningHub, capsys: pytest.CaptureFixture[str]
) -> None:
    household = await panel_hub.add_household("Sun household", "Block 1")
    data = str(panel_hub.data_dir)
    assert main(["--data", data, "panel-add", "beef01", household.id, "--label", "hall"]) == 0
    assert capsys.readouterr().out.strip() == (
        f"Panel BEEF01 reports for household {household.id} (in clear)."
    )
    await until(lambda: panels(panel_hub).directory.lookup("BEEF01") is not None, timeout=10)
    (answer,) = await panel.send_tcp(port(panel_hub), panel.contact_id("BEEF01", now=now()))
    assert panel.parse_reply(answer).id == "ACK"


async def test_a_deleted_account_is_refused(panel_hub: RunningHub) -> None:
    await add_panel(panel_hub, "1234")
    async with cookie_session() as session:
        csrf = await panel_hub.sign_in(session, Role.SUPERVISOR)
        async with session.delete(
            panel_hub.url + "/api/v1/panels/1234", headers={"X-CSRF-Token": csrf}
        ) as response:
            assert response.status == 200
    (answer,) = await panel.send_tcp(port(panel_hub), panel.contact_id("1234", now=now()))
    assert panel.parse_reply(answer).id == "DUH"


async def test_a_panel_alarm_in_the_other_views(panel_hub: RunningHub) -> None:
    """No gateway behind the alarm: the family view, the SLA report and link supervision
    still work, and a panel's communication trouble is no gateway's link_lost."""
    household = await add_panel(panel_hub, "1234")
    await panel.send_tcp(
        port(panel_hub),
        panel.contact_id("1234", sequence=1, now=now()),
        panel.contact_id("1234", "1350 00 000", sequence=2, now=now()),
    )
    alarms = await panel_hub.wait_for_open_alarms(2)
    assert {alarm.kind for alarm in alarms} == {"sos", "link_lost"}
    assert await panel_hub.context.db(panel_hub.context.store.open_link_lost) == {}
    async with cookie_session() as session:
        await panel_hub.sign_in(session, Role.FAMILY, household_id=household.id)
        async with session.get(panel_hub.url + "/api/v1/family/household") as response:
            assert response.status == 200
            view = await response.json()
    assert view["online"] is False  # no gateway
    assert sorted(alarm["kind"] for alarm in view["alarms"]) == ["link_lost", "sos"]
    today = now().date().isoformat()
    tomorrow = (now() + timedelta(days=1)).date().isoformat()
    async with cookie_session() as session:
        await panel_hub.sign_in(session, Role.SUPERVISOR)
        async with session.get(
            f"{panel_hub.url}/api/v1/reports/sla?start={today}&end={tomorrow}&tz=UTC"
        ) as response:
            assert response.status == 200, await response.text()
    # Link supervision reloads as after a restart, untroubled by the panel's card.
    await panel_hub.stop()
    await panel_hub.start()
    assert len(await panel_hub.open_alarms()) == 2


async def test_a_panel_event_held_40_s_is_late_by_40_s(panel_hub: RunningHub) -> None:
    """DC-09: the time of occurrence (x-data H) 40 s before the frame's timestamp."""
    await add_panel(panel_hub, "4321")
    sent = datetime.now(UTC)
    held = panel.timestamp(sent - timedelta(seconds=40)).removeprefix("_")
    frame = panel.message(
        "ADM-CID", 1, "4321", "#4321|1101 01 015", now=sent, extended=f"[H{held}]"
    )
    (answer,) = await panel.send_tcp(port(panel_hub), frame)
    assert panel.parse_reply(answer).id == "ACK"
    (row,) = await panel_hub.wait_for_open_alarms(1)
    assert row.late_by_seconds in (39, 40, 41)


async def test_the_listener_stops_with_the_hub(panel_hub: RunningHub) -> None:
    old = port(panel_hub)
    await panel_hub.stop()
    with pytest.raises(ConnectionRefusedError):
        await panel.send_tcp(old, b"")
    await panel_hub.start()
    assert port(panel_hub) > 0


async def test_idle_connections_are_closed(panel_hub: RunningHub) -> None:
    service = panels(panel_hub)
    handler = PanelHandler(panel_hub.context, service.receiver, timedelta(minutes=10))
    listener = PanelListener(handler, "127.0.0.1", 0, idle_timeout=0.3)
    await listener.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        writer.write(panel.null("1234", 1))  # unknown account: DUH, and the line stays open
        await writer.drain()
        assert panel.parse_reply(await asyncio.wait_for(reader.readuntil(b"\r"), 5)).id == "DUH"
        assert await asyncio.wait_for(reader.read(), 5) == b""  # then idle: closed
        writer.close()
        await writer.wait_closed()
    finally:
        await listener.close()


async def test_frames_after_crlf_are_read_without_noise(panel_hub: RunningHub) -> None:
    await add_panel(panel_hub, "1234")
    first = panel.contact_id("1234", "1401 01 001", sequence=1, now=now())
    second = panel.contact_id("1234", "1402 01 001", sequence=2, now=now())
    reader, writer = await asyncio.open_connection("127.0.0.1", port(panel_hub))
    writer.write(first + b"\n" + second + b"\n")  # CR LF endings, both frames in one write
    await writer.drain()
    answers = [await asyncio.wait_for(reader.readuntil(b"\r"), 5) for _ in range(2)]
    writer.close()
    await writer.wait_closed()
    assert [panel.parse_reply(answer).sequence for answer in answers] == [1, 2]
    assert panels(panel_hub).receiver.counters["noise"] == 0


def test_the_listener_is_off_unless_asked(tmp_path: Path) -> None:
    args = _parser().parse_args([])
    assert (args.dc09_port, args.dc09_host) == (None, "127.0.0.1")
    app = create_app(tmp_path)
    try:
        assert app[PANELS].port is None
    finally:
        app[HUB_CONTEXT].database.shutdown()
        app[HUB_CONTEXT].store.close()
