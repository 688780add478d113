"""The hub's gateway socket against hostile input: reject clearly, never crash, lose nothing."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import aiohttp
import pytest

from gateway.alarms import (
    AlarmAction,
    AlarmClearedBody,
    AlarmEventBody,
    AlarmKind,
    RaisedAlarm,
    utc_iso,
)
from gateway.link import GatewayCredentials, HubLink, LinkState, enroll
from gateway.link.outbox import Outbox
from gateway.protocol import (
    Envelope,
    HubConfig,
    MessageType,
    VitalBounds,
    acked_ids,
    parse_config,
    vital_body,
)
from gateway.ulid import new_ulid
from hub.core.registry import Resident
from hub.gateways.links import push_config
from provisioning import keys

from ..conftest import RunningHub, cookie_session, until


async def _credentials(hub: RunningHub, session: aiohttp.ClientSession) -> GatewayCredentials:
    household = await hub.add_household()
    return await enroll(session, hub.url, await hub.enrollment_code(household.id), "gw")


def _alarm(credentials: GatewayCredentials, seq: int, key=None) -> Envelope:
    return Envelope.new(
        credentials.gateway_id,
        seq,
        MessageType.ALARM_RAISED,
        RaisedAlarm.new(AlarmKind.SOS, "t").to_body(),
        datetime.now(UTC),
    ).signed(key or credentials.signing_key())


async def _reply(ws: aiohttp.ClientWebSocketResponse, hub_key) -> Envelope:
    envelope = Envelope.from_json((await ws.receive(timeout=5)).data)
    envelope.verify(hub_key)  # every hub reply is signed by the hub
    return envelope


async def test_garbage_frames_get_naks_and_the_connection_keeps_working(
    hub_server: RunningHub,
) -> None:
    async with aiohttp.ClientSession() as session:
        credentials = await _credentials(hub_server, session)
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            for frame in ("nonsense", "{}", json.dumps({"v": 1}), "[]", "\u0000"):
                await ws.send_str(frame)
                nak = await _reply(ws, credentials.hub_key())
                assert nak.type == "nak"
                assert nak.body["reason"] in {"malformed", "unsupported"}
            await ws.send_bytes(b"\x00binary")
            good = _alarm(credentials, 1)
            await ws.send_str(good.to_json())
            ack = await _reply(ws, credentials.hub_key())
            assert (ack.type, acked_ids(ack.body)) == ("ack", [good.id])
    assert len(await hub_server.open_alarms()) == 1


async def test_forged_signature_is_refused_and_stores_nothing(hub_server: RunningHub) -> None:
    async with aiohttp.ClientSession() as session:
        credentials = await _credentials(hub_server, session)
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            forged = _alarm(credentials, 1, key=keys.new_private_key())
            await ws.send_str(forged.to_json())
            nak = await _reply(ws, credentials.hub_key())
            assert (nak.type, nak.body["reason"]) == ("nak", "bad_signature")
            closing = await ws.receive(timeout=5)
            assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert await hub_server.open_alarms() == []
    assert hub_server.context.rejections["bad_signature"] == 1


async def test_unknown_gateway_and_replayed_message(hub_server: RunningHub) -> None:
    async with aiohttp.ClientSession() as session:
        credentials = await _credentials(hub_server, session)
        stranger = GatewayCredentials(
            hub_url=hub_server.url,
            gateway_id="NOPE",
            household_id="x",
            household_name="x",
            private_key=keys.private_key_to_text(keys.new_private_key()),
            hub_public_key=credentials.hub_public_key,
        )
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            await ws.send_str(_alarm(stranger, 1).to_json())
            nak = await _reply(ws, credentials.hub_key())
            assert nak.body["reason"] == "unknown_gateway"
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            message = _alarm(credentials, 1)
            for _ in range(3):  # a replay inside the window is acked again, stored once
                await ws.send_str(message.to_json())
                assert (await _reply(ws, credentials.hub_key())).type == "ack"
    alarms = await hub_server.open_alarms()
    assert [alarm.count for alarm in alarms] == [1]


async def test_message_from_the_future_is_nakd_with_server_time(hub_server: RunningHub) -> None:
    async with aiohttp.ClientSession() as session:
        credentials = await _credentials(hub_server, session)
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            envelope = Envelope(
                gw=credentials.gateway_id,
                seq=1,
                sent=utc_iso(datetime(2030, 1, 1, tzinfo=UTC)),
                id=_alarm(credentials, 1).id,
                type="heartbeat",
                body={},
            ).signed(credentials.signing_key())
            await ws.send_str(envelope.to_json())
            nak = await _reply(ws, credentials.hub_key())
            assert nak.body["reason"] == "stale"
            server_time = datetime.fromisoformat(nak.body["server_time"])
            assert abs((server_time - datetime.now(UTC)).total_seconds()) < 5


def _message(credentials: GatewayCredentials, seq: int, type_: MessageType, body: dict) -> Envelope:
    return Envelope.new(credentials.gateway_id, seq, type_, body, datetime.now(UTC)).signed(
        credentials.signing_key()
    )


def _family_ack(alarm_id: str) -> dict:
    return AlarmEventBody(
        alarm_id, AlarmAction.FAMILY_ACK, datetime.now(UTC), "family:Li", "on my way"
    ).to_body()


async def _send(ws: aiohttp.ClientWebSocketResponse, credentials, message: Envelope) -> Envelope:
    await ws.send_str(message.to_json())
    reply = await _reply(ws, credentials.hub_key())
    assert acked_ids(reply.body) == [message.id]
    return reply


async def test_alarm_events_and_clear_reach_the_dispatch_feed(hub_server: RunningHub) -> None:
    async with cookie_session() as session:
        await hub_server.sign_in(session)
        credentials = await _credentials(hub_server, session)
        async with (
            session.ws_connect(f"{hub_server.url}/api/v1/dispatch/live") as screen,
            session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws,
        ):
            assert (await screen.receive_json(timeout=5))["alarms"] == []
            sos, offline = (
                RaisedAlarm.new(AlarmKind.SOS, "button"),
                RaisedAlarm.new(AlarmKind.DEVICE_OFFLINE, "smoke detector"),
            )
            for seq, alarm in enumerate((sos, offline), start=1):
                raised = _message(credentials, seq, MessageType.ALARM_RAISED, alarm.to_body())
                assert (await _send(ws, credentials, raised)).type == "ack"
                assert (await screen.receive_json(timeout=5))["alarm"]["status"] == "new"

            ack = _message(credentials, 3, MessageType.ALARM_EVENT, _family_ack(sos.alarm_id))
            for _ in range(2):  # the duplicate is acked again but not published again
                assert (await _send(ws, credentials, ack)).type == "ack"
            update = (await screen.receive_json(timeout=5))["alarm"]
            assert (update["id"], update["status"], update["last_action"]) == (
                sos.alarm_id,
                "new",
                "family_ack",
            )

            clear_body = AlarmClearedBody(offline.alarm_id, datetime.now(UTC), "heard").to_body()
            clear = _message(credentials, 4, MessageType.ALARM_CLEARED, clear_body)
            assert (await _send(ws, credentials, clear)).type == "ack"
            update = (await screen.receive_json(timeout=5))["alarm"]
            assert (update["id"], update["status"]) == (offline.alarm_id, "resolved")
            assert update["cleared_at"] is not None

            resolve_body = AlarmEventBody(
                sos.alarm_id, AlarmAction.RESOLVED, datetime.now(UTC), "family:Li", "all well"
            ).to_body()
            resolve = _message(credentials, 5, MessageType.ALARM_EVENT, resolve_body)
            assert (await _send(ws, credentials, resolve)).type == "ack"
            update = (await screen.receive_json(timeout=5))["alarm"]
            assert (update["id"], update["status"]) == (sos.alarm_id, "resolved")
            with pytest.raises(TimeoutError):  # nothing for the duplicate family_ack
                await screen.receive_json(timeout=0.2)
        # A screen that connects now gets a snapshot without the resolved alarms.
        async with session.ws_connect(f"{hub_server.url}/api/v1/dispatch/live") as screen:
            assert (await screen.receive_json(timeout=5))["alarms"] == []
    assert await hub_server.open_alarms() == []


async def test_events_about_alarms_not_ours_get_naks_and_the_link_keeps_working(
    hub_server: RunningHub,
) -> None:
    async with aiohttp.ClientSession() as session:
        ours = await _credentials(hub_server, session)
        theirs = await _credentials(hub_server, session)
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            their_alarm = _alarm(theirs, 1)
            assert (await _send(ws, theirs, their_alarm)).type == "ack"
        their_alarm_id = their_alarm.body["alarm_id"]
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            cleared = AlarmClearedBody(their_alarm_id, datetime.now(UTC), "x").to_body()
            bad = [
                _message(ours, 1, MessageType.ALARM_EVENT, _family_ack(their_alarm_id)),
                _message(ours, 2, MessageType.ALARM_CLEARED, cleared),
                _message(ours, 3, MessageType.ALARM_EVENT, _family_ack(new_ulid())),  # unknown
                _message(ours, 4, MessageType.ALARM_EVENT, {"alarm_id": "nope"}),
                _message(
                    ours, 5, MessageType.ALARM_EVENT, {**_family_ack(new_ulid()), "action": 7}
                ),
                _message(ours, 6, MessageType.ALARM_CLEARED, {"alarm_id": their_alarm_id}),
            ]
            for message in bad:
                nak = await _send(ws, ours, message)
                assert (nak.type, nak.body["reason"]) == ("nak", "malformed")
            good = _alarm(ours, 7)
            assert (await _send(ws, ours, good)).type == "ack"
            follow_up = _message(
                ours, 8, MessageType.ALARM_EVENT, _family_ack(good.body["alarm_id"])
            )
            assert (await _send(ws, ours, follow_up)).type == "ack"
    assert hub_server.context.rejections["malformed"] == len(bad)
    alarms = {alarm.id: alarm for alarm in await hub_server.open_alarms()}
    assert alarms[their_alarm_id].last_action == "raised"
    assert alarms[their_alarm_id].cleared_at is None
    assert alarms[good.body["alarm_id"]].last_action == "family_ack"


async def test_a_pipelined_burst_is_acked_once_per_message_in_shared_acks(
    hub_server: RunningHub,
) -> None:
    """A gateway catching up sends many messages unacked; each is acked exactly once, and
    what one commit stored is acked in one envelope. Each alarm.event follows its own
    alarm.raised in the burst: were it stored first, it would be nakked as not ours."""
    async with aiohttp.ClientSession() as session:
        credentials = await _credentials(hub_server, session)
        raised = [RaisedAlarm.new(AlarmKind.SOS, f"button {n}") for n in range(60)]
        burst = []
        for alarm in raised:
            burst.append((MessageType.ALARM_RAISED, alarm.to_body()))
            burst.append((MessageType.ALARM_EVENT, _family_ack(alarm.alarm_id)))
        messages = [_message(credentials, n + 1, t, body) for n, (t, body) in enumerate(burst)]
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            for message in messages:
                await ws.send_str(message.to_json())
            acked: list[str] = []
            acks = 0
            while len(acked) < len(messages):
                reply = await _reply(ws, credentials.hub_key())
                assert reply.type == MessageType.ACK, reply.body
                acked += acked_ids(reply.body)
                acks += 1
    assert sorted(acked) == sorted(message.id for message in messages)
    assert acks < len(messages)
    store = hub_server.context.store
    for message in messages:
        assert await hub_server.context.db(store.already_received, message.id)
    (merged,) = await hub_server.open_alarms()  # repeated SOS of one household: one card
    assert merged.last_action == "family_ack"


async def _add_resident(
    hub: RunningHub, household_id: str, name: str, thresholds: dict
) -> Resident:
    registry, now = hub.context.store.registry, hub.context.clock()
    return await hub.context.db(
        lambda: registry.add_resident(household_id, name, now, thresholds=thresholds)
    )


async def test_config_after_hello_carries_the_residents_thresholds_widest(
    hub_server: RunningHub,
) -> None:
    async with aiohttp.ClientSession() as session:
        credentials = await _credentials(hub_server, session)
        household = credentials.household_id
        fang = await _add_resident(
            hub_server, household, "Wang Fang", {"8867-4": {"low": 50, "high": 100}}
        )
        jun = await _add_resident(
            hub_server,
            household,
            "Wang Jun" + "n" * 100,  # the registry allows 200 characters, the contract 80
            {"8867-4": {"low": 45, "high": 110}, "8480-6": {"high": 160}},
        )
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            hello = _message(credentials, 1, MessageType.HELLO, {})
            assert (await _send(ws, credentials, hello)).type == "ack"
            config = await _reply(ws, credentials.hub_key())
    assert config.type == MessageType.CONFIG
    assert config.body == {
        "heartbeat_interval": 60.0,
        # For readings of no known resident (older gateways, unassigned monitors).
        "thresholds": {"8480-6": {"high": 160.0}, "8867-4": {"low": 45.0, "high": 110.0}},
        # Each resident's own, for the monitors assigned to them.
        "residents": [
            {
                "id": fang.id,
                "name": "Wang Fang",
                "thresholds": {"8867-4": {"low": 50.0, "high": 100.0}},
            },
            {
                "id": jun.id,
                "name": ("Wang Jun" + "n" * 100)[:80],
                "thresholds": {"8480-6": {"high": 160.0}, "8867-4": {"low": 45.0, "high": 110.0}},
            },
        ],
    }
    parsed, problems = parse_config(config.body)
    assert problems == []
    assert parsed.residents is not None
    assert [r.id for r in parsed.residents] == [fang.id, jun.id]


async def test_push_config_reaches_the_households_connected_gateway_only(
    hub_server: RunningHub,
) -> None:
    async with aiohttp.ClientSession() as session:
        links: list[HubLink] = []
        configs: list[list[HubConfig]] = []
        households: list[str] = []
        for _ in range(2):
            credentials = await _credentials(hub_server, session)
            households.append(credentials.household_id)
            outbox = Outbox(hub_server.data_dir.parent / f"outbox-{credentials.gateway_id}.db")
            link = HubLink(session, credentials, outbox)
            received: list[HubConfig] = []
            link.add_config_listener(received.append)
            links.append(link)
            configs.append(received)
        ours = links[0]
        household = households[0]
        for link in links:
            link.start()
        try:
            await until(lambda: all(len(received) == 1 for received in configs))
            assert configs[0][0].thresholds == {}  # nobody set any yet
            await _add_resident(hub_server, household, "Wang Fang", {"8480-6": {"high": 150}})
            await push_config(hub_server.context, household)
            await until(lambda: len(configs[0]) == 2)
            assert configs[0][1].thresholds == {"8480-6": VitalBounds(None, 150.0)}
            assert configs[0][1].heartbeat_interval == 60.0
            assert len(configs[1]) == 1
            await push_config(hub_server.context, "no-such-household")  # nothing to do
            # A gateway that is away gets the thresholds after its next hello.
            await ours.stop()
            await push_config(hub_server.context, household)
            ours.start()
            await until(lambda: len(configs[0]) == 3 and ours.state is LinkState.CONNECTED)
            assert configs[0][2].thresholds == {"8480-6": VitalBounds(None, 150.0)}
        finally:
            for link in links:
                await link.stop()
                link.outbox.close()


async def _stored_vitals(hub: RunningHub, household_id: str) -> list[dict]:
    return await hub.context.db(hub.context.store.vitals, household_id)


async def test_vitals_are_attributed_to_residents_of_the_gateways_household_only(
    hub_server: RunningHub, caplog: pytest.LogCaptureFixture
) -> None:
    """A monitor assigned to a resident: the reading is theirs. A resident the gateway names
    who lives elsewhere (or nowhere): stored and acked, but nobody's, and the log says so
    without the name or the value."""
    async with aiohttp.ClientSession() as session:
        credentials = await _credentials(hub_server, session)
        household = credentials.household_id
        ours = await _add_resident(hub_server, household, "Wang Fang", {})
        elsewhere = await hub_server.add_household("Li household", "Plum Road 3")
        theirs = await _add_resident(hub_server, elsewhere.id, "Li Na", {})
        taken = datetime.now(UTC).replace(microsecond=0)
        bodies = [
            vital_body(
                "8867-4",
                61,
                "/min",
                taken,
                "cuff",
                resident=ours.id,
                flags=["irregular_pulse"],
                reading="r1",
            ),
            vital_body("8867-4", 62, "/min", taken, "cuff", resident=theirs.id),
            vital_body("8867-4", 63, "/min", taken, "cuff", resident=new_ulid()),
            vital_body("8867-4", 64, "/min", taken, "cuff"),
        ]
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            for seq, body in enumerate(bodies, start=1):
                await _send(ws, credentials, _message(credentials, seq, MessageType.VITAL, body))
    rows = sorted(await _stored_vitals(hub_server, household), key=lambda row: row["value"])
    assert [(row["value"], row["resident_id"]) for row in rows] == [
        (61.0, ours.id),
        (62.0, None),
        (63.0, None),
        (64.0, None),
    ]
    assert [json.loads(row["flags"]) for row in rows] == [["irregular_pulse"], [], [], []]
    assert rows[0]["reading_id"] == "r1"
    assert await _stored_vitals(hub_server, elsewhere.id) == []  # nothing lands over there
    warnings = [r.getMessage() for r in caplog.records if r.name == "hub.core.storage"]
    assert len(warnings) == 2
    assert all("not of its household" in warning for warning in warnings)
    for secret in ("Li Na", "Wang Fang", theirs.id):
        assert not any(secret in warning for warning in warnings)
    # The readings as numbers of their own: random ids in the message may hold "62" inside.
    assert not any(re.search(r"\b6[23](\.0)?\b", warning) for warning in warnings)


async def test_a_reading_sent_again_under_a_new_id_is_acked_and_stored_once(
    hub_server: RunningHub,
) -> None:
    """The gateway lost its memory and the monitor re-sent its stored records: same reading,
    new message id. Acked (the gateway may forget it), one row. A different value at the same
    moment, or another device, is another reading."""
    async with aiohttp.ClientSession() as session:
        credentials = await _credentials(hub_server, session)
        taken = datetime(2026, 11, 21, 7, 30, 5, 250000, tzinfo=UTC)
        first = vital_body("8480-6", 128, "mm[Hg]", taken, "cuff", reading="a")
        again = vital_body("8480-6", 128.0, "mm[Hg]", taken, "cuff", reading="b")
        other_value = vital_body("8480-6", 129, "mm[Hg]", taken, "cuff")
        other_device = vital_body("8480-6", 128, "mm[Hg]", taken, "second cuff")
        messages = [
            _message(credentials, seq, MessageType.VITAL, body)
            for seq, body in enumerate([first, again, again, other_value, other_device], 1)
        ]
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            for message in messages:
                await _send(ws, credentials, message)
            # The first message itself again (a lost ack): acked, still once.
            await _send(ws, credentials, messages[0])
    rows = await _stored_vitals(hub_server, credentials.household_id)
    assert sorted((row["id"], row["value"], row["device"]) for row in rows) == sorted(
        [
            (messages[0].id, 128.0, "cuff"),
            (messages[3].id, 129.0, "cuff"),
            (messages[4].id, 128.0, "second cuff"),
        ]
    )


async def test_a_malformed_resident_or_flag_is_a_nak_and_the_link_keeps_working(
    hub_server: RunningHub,
) -> None:
    async with aiohttp.ClientSession() as session:
        credentials = await _credentials(hub_server, session)
        good = vital_body("8867-4", 70, "/min", datetime.now(UTC), "oximeter")
        async with session.ws_connect(f"{hub_server.url}/api/v1/gateway") as ws:
            for seq, change in enumerate(
                [{"resident": "Wang Fang"}, {"flags": ["Irregular Pulse"]}, {"reading": ""}], 1
            ):
                bad = _message(credentials, seq, MessageType.VITAL, {**good, **change})
                await ws.send_str(bad.to_json())
                nak = await _reply(ws, credentials.hub_key())
                assert (nak.type, nak.body["reason"]) == ("nak", "malformed")
            await _send(ws, credentials, _message(credentials, 9, MessageType.VITAL, good))
    assert len(await _stored_vitals(hub_server, credentials.household_id)) == 1
