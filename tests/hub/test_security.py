"""Attacks on the hub, each against a real hub over real sockets on 127.0.0.1.

Every test plays one attack and checks four things: the hub's answer (a nak signed with the hub
key that the gateway pinned at enrollment, or a close), that nothing was stored, that the
rejection was counted in `HubContext.rejections`, and that an honest gateway connected at the
same time still gets its alarm acked.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import WSCloseCode, WSMsgType
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.alarms import AlarmKind, RaisedAlarm, utc_iso
from gateway.link import GatewayCredentials, enroll
from gateway.protocol import (
    ENROLL_PATH,
    GATEWAY_WS_PATH,
    MAX_MESSAGE_BYTES,
    Envelope,
    MessageType,
    NakReason,
    acked_ids,
)
from gateway.ulid import new_ulid
from hub.core.desk_model import StaffStep
from provisioning import keys

from ..conftest import RunningHub, until

# ---------------------------------------------------------------------------------------------
# Helpers: a gateway's side of the socket


def _message(
    credentials: GatewayCredentials,
    type_: MessageType,
    body: dict[str, Any],
    *,
    seq: int = 1,
    sent: datetime | None = None,
    key: Ed25519PrivateKey | None = None,
) -> Envelope:
    """A signed envelope as the gateway's link builds it (another key makes it a forgery)."""
    envelope = Envelope.new(credentials.gateway_id, seq, type_, body, sent or datetime.now(UTC))
    return envelope.signed(key or credentials.signing_key())


def _sos(credentials: GatewayCredentials, **kwargs: Any) -> Envelope:
    body = RaisedAlarm.new(AlarmKind.SOS, "pendant").to_body()
    return _message(credentials, MessageType.ALARM_RAISED, body, **kwargs)


async def _answer(
    ws: aiohttp.ClientWebSocketResponse, credentials: GatewayCredentials, message_id: str
) -> Envelope:
    """The hub's ack or nak of `message_id`, its signature checked against the pinned hub key.

    Pushes (config, staff steps) are skipped; any other ack or nak first is a failure, so a
    frame the hub should have ignored cannot hide behind a later answer.
    """
    while True:
        frame = await ws.receive(timeout=5)
        assert frame.type == WSMsgType.TEXT, f"hub did not answer {message_id!r}: {frame}"
        reply = Envelope.from_json(frame.data)
        reply.verify(credentials.hub_key())  # a nak an attacker could forge would be useless
        if reply.type in (MessageType.ACK, MessageType.NAK):
            assert acked_ids(reply.body) == [message_id], f"answer to another message: {reply.body}"
            return reply


async def _acked(
    ws: aiohttp.ClientWebSocketResponse, credentials: GatewayCredentials, message: Envelope
) -> None:
    await ws.send_str(message.to_json())
    reply = await _answer(ws, credentials, message.id)
    assert (reply.type, reply.body) == (MessageType.ACK, {"ids": [message.id]})


async def _nakd(
    ws: aiohttp.ClientWebSocketResponse,
    credentials: GatewayCredentials,
    frame: str,
    reason: NakReason,
    message_id: str = "",
) -> Envelope:
    """Send a raw frame; the hub must nak it for `reason` and say its own time."""
    await ws.send_str(frame)
    reply = await _answer(ws, credentials, message_id)
    assert reply.type == MessageType.NAK
    assert reply.body["reason"] == reason.value
    assert datetime.fromisoformat(reply.body["server_time"]).tzinfo is not None
    return reply


async def _closed_by_hub(ws: aiohttp.ClientWebSocketResponse) -> int | None:
    frame = await ws.receive(timeout=5)
    assert frame.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED), frame
    return ws.close_code


async def _next_push(
    ws: aiohttp.ClientWebSocketResponse, credentials: GatewayCredentials, timeout: float
) -> Envelope | None:
    try:
        frame = await ws.receive(timeout=timeout)
    except TimeoutError:
        return None
    assert frame.type == WSMsgType.TEXT, frame
    push = Envelope.from_json(frame.data)
    push.verify(credentials.hub_key())
    return push


async def _received(hub: RunningHub, message_id: str) -> bool:
    """Whether the hub committed a message with this id (dedupe table)."""
    return await hub.context.db(hub.context.store.already_received, message_id)


async def _enroll(hub: RunningHub, session: aiohttp.ClientSession, name: str) -> GatewayCredentials:
    household = await hub.add_household(f"{name} household", f"{name} street 1")
    return await enroll(session, hub.url, await hub.enrollment_code(household.id), name)


@dataclass
class Honest:
    """A well-behaved gateway with its socket open while an attack runs next to it."""

    credentials: GatewayCredentials
    ws: aiohttp.ClientWebSocketResponse
    hello: Envelope
    seq: int = 1
    alarm_ids: list[str] = field(default_factory=list)

    async def raise_sos(self) -> str:
        self.seq += 1
        message = _sos(self.credentials, seq=self.seq)
        await _acked(self.ws, self.credentials, message)
        self.alarm_ids.append(message.body["alarm_id"])
        return str(message.body["alarm_id"])


@asynccontextmanager
async def _honest(
    hub: RunningHub, session: aiohttp.ClientSession, name: str = "honest"
) -> AsyncIterator[Honest]:
    credentials = await _enroll(hub, session, name)
    async with session.ws_connect(hub.url + GATEWAY_WS_PATH) as ws:
        hello = _message(credentials, MessageType.HELLO, {"software": "eldercare-gateway"})
        await _acked(ws, credentials, hello)  # authenticated before the attack starts
        config = await _next_push(ws, credentials, timeout=5)  # the hub's answer to a hello
        assert config is not None
        assert config.type == MessageType.CONFIG
        yield Honest(credentials, ws, hello)


async def _rejections_settle_at(hub: RunningHub, total: int) -> bool:
    """The hub counts an oversized frame only after its close handshake: give it a moment."""
    for _ in range(100):
        if sum(hub.context.rejections.values()) >= total:
            break
        await asyncio.sleep(0.02)
    return sum(hub.context.rejections.values()) == total


async def _open_alarm_ids(hub: RunningHub) -> set[str]:
    return {alarm.id for alarm in await hub.open_alarms()}


# ---------------------------------------------------------------------------------------------
# Signatures, identities, replays


async def test_forged_signature_is_refused_and_the_real_gateway_keeps_working(
    hub_server: RunningHub,
) -> None:
    async with aiohttp.ClientSession() as session, _honest(hub_server, session) as victim:
        # The attacker knows the victim's gateway id but not its key.
        forged = _sos(victim.credentials, key=keys.new_private_key())
        async with session.ws_connect(hub_server.url + GATEWAY_WS_PATH) as attacker:
            nak = await _nakd(
                attacker,
                victim.credentials,
                forged.to_json(),
                NakReason.BAD_SIGNATURE,
                forged.id,
            )
            assert nak.gw == ""  # the attacker's connection never became the victim's
            assert await _closed_by_hub(attacker) == WSCloseCode.OK
            await victim.raise_sos()
    assert not await _received(hub_server, forged.id)
    assert await _open_alarm_ids(hub_server) == set(victim.alarm_ids)
    assert hub_server.context.rejections == {"bad_signature": 1}


async def test_replayed_envelope_is_acked_as_a_duplicate_and_stored_once(
    hub_server: RunningHub,
) -> None:
    async with (
        aiohttp.ClientSession() as session,
        _honest(hub_server, session, "victim") as victim,
        _honest(hub_server, session, "bystander") as bystander,
    ):
        captured = _sos(victim.credentials, seq=2)
        await _acked(victim.ws, victim.credentials, captured)
        await _acked(victim.ws, victim.credentials, captured)  # the gateway's own resend
        async with session.ws_connect(hub_server.url + GATEWAY_WS_PATH) as replayer:
            for _ in range(2):  # inside the freshness window a replay is only a duplicate
                await _acked(replayer, victim.credentials, captured)
            await bystander.raise_sos()
    alarms = {alarm.id: alarm for alarm in await hub_server.open_alarms()}
    alarm_id = captured.body["alarm_id"]
    assert set(alarms) == {alarm_id, *bystander.alarm_ids}
    assert alarms[alarm_id].count == 1
    assert alarms[alarm_id].household_id == victim.credentials.household_id
    assert await hub_server.alarm_actions(alarm_id) == ["raised"]
    assert sum(hub_server.context.rejections.values()) == 0  # a duplicate is not a rejection


async def test_replay_does_not_take_over_the_gateways_push_channel(
    hub_server: RunningHub,
) -> None:
    async with aiohttp.ClientSession() as session, _honest(hub_server, session) as victim:
        alarm_id = await victim.raise_sos()
        heartbeat = _message(victim.credentials, MessageType.HEARTBEAT, {}, seq=9)
        await _acked(victim.ws, victim.credentials, heartbeat)
        async with session.ws_connect(hub_server.url + GATEWAY_WS_PATH) as replayer:
            # Both captured frames are authentic and fresh, so both are acked again...
            for captured in (victim.hello, heartbeat):
                await _acked(replayer, victim.credentials, captured)
            # ...but staff steps (staff name, note: personal data) still go to the real home.
            await hub_server.staff_step(alarm_id, StaffStep.ACKNOWLEDGED, note="on our way")
            delivered = await _next_push(victim.ws, victim.credentials, timeout=5)
            leaked = await _next_push(replayer, victim.credentials, timeout=0.3)
    assert leaked is None, f"pushed to the replayer: {leaked}"
    assert delivered is not None
    assert (delivered.type, delivered.body["alarm_id"]) == (
        MessageType.ALARM_ACKNOWLEDGED,
        alarm_id,
    )
    assert sum(hub_server.context.rejections.values()) == 0


async def test_message_captured_from_one_gateway_is_refused_on_another_gateways_connection(
    hub_server: RunningHub,
) -> None:
    async with (
        aiohttp.ClientSession() as session,
        _honest(hub_server, session, "a") as gateway_a,
    ):
        # The attacker owns enrolled gateway B (its key too) and captured A's next alarm.
        b = await _enroll(hub_server, session, "b")
        captured = _sos(gateway_a.credentials, seq=2)
        async with session.ws_connect(hub_server.url + GATEWAY_WS_PATH) as ws_b:
            await _acked(ws_b, b, _message(b, MessageType.HEARTBEAT, {}))
            # Verbatim: a connection carries one gateway.
            await _nakd(ws_b, b, captured.to_json(), NakReason.UNKNOWN_GATEWAY, captured.id)
            assert await _closed_by_hub(ws_b) == WSCloseCode.OK
        async with session.ws_connect(hub_server.url + GATEWAY_WS_PATH) as ws_b:
            await _acked(ws_b, b, _message(b, MessageType.HEARTBEAT, {}))
            # Relabelled as B's: A's signature does not cover it.
            relabelled = replace(captured, gw=b.gateway_id).to_json()
            await _nakd(ws_b, b, relabelled, NakReason.BAD_SIGNATURE, captured.id)
            assert await _closed_by_hub(ws_b) == WSCloseCode.OK
        assert not await _received(hub_server, captured.id)
        # A's own delivery still goes through, and counts for A's household.
        await _acked(gateway_a.ws, gateway_a.credentials, captured)
        async with session.ws_connect(hub_server.url + GATEWAY_WS_PATH) as ws_b:
            # Re-signed with B's key: B's own message now, so at most B's own alarm.
            resigned = replace(captured, gw=b.gateway_id).signed(b.signing_key())
            await _acked(ws_b, b, resigned)
    alarm_id = captured.body["alarm_id"]
    alarms = {alarm.household_id: alarm for alarm in await hub_server.open_alarms()}
    assert set(alarms) <= {gateway_a.credentials.household_id, b.household_id}
    ours = alarms[gateway_a.credentials.household_id]
    assert (ours.id, ours.count) == (alarm_id, 1)
    assert await hub_server.alarm_actions(alarm_id) == ["raised"]  # B's copy did not touch it
    assert hub_server.context.rejections == {"unknown_gateway": 1, "bad_signature": 1}


@pytest.mark.parametrize("taken", ["message_id", "alarm_id"])
async def test_ids_taken_first_by_another_gateway_do_not_swallow_an_alarm(
    hub_server: RunningHub, taken: str
) -> None:
    async with (
        aiohttp.ClientSession() as session,
        _honest(hub_server, session, "victim") as victim,
        _honest(hub_server, session, "attacker") as attacker,
    ):
        pending = _sos(victim.credentials, seq=2)  # in the victim's outbox, not yet delivered
        squat = _sos(attacker.credentials, seq=2)
        if taken == "message_id":
            squat = replace(squat, id=pending.id).signed(attacker.credentials.signing_key())
        else:
            body = {**squat.body, "alarm_id": pending.body["alarm_id"]}
            squat = replace(squat, body=body).signed(attacker.credentials.signing_key())
        # The attacker learned the victim's ids before delivery (the strongest position).
        await _acked(attacker.ws, attacker.credentials, squat)
        await _acked(victim.ws, victim.credentials, pending)
    alarms = {alarm.household_id: alarm for alarm in await hub_server.open_alarms()}
    assert set(alarms) == {victim.credentials.household_id, attacker.credentials.household_id}
    assert alarms[victim.credentials.household_id].kind == AlarmKind.SOS.value
    assert sum(hub_server.context.rejections.values()) == 0


async def test_stale_and_future_sent_times_are_nakd_with_server_time(
    hub_server: RunningHub,
) -> None:
    # Freeze the hub's clock so the window's edges are exact, not racing the wall clock.
    now = datetime.now(UTC).replace(microsecond=0)
    hub_server.context.clock = lambda: now
    async with aiohttp.ClientSession() as session, _honest(hub_server, session) as honest:
        skewed = await _enroll(hub_server, session, "skewed")
        async with session.ws_connect(hub_server.url + GATEWAY_WS_PATH) as ws:
            refused = []
            for sent in (
                now - timedelta(seconds=41),
                now + timedelta(seconds=21),
                now - timedelta(seconds=40, milliseconds=1),
                now + timedelta(seconds=20, milliseconds=1),
                datetime(1, 1, 1, tzinfo=UTC),
                datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
            ):
                message = _sos(skewed, sent=sent)
                nak = await _nakd(ws, skewed, message.to_json(), NakReason.STALE, message.id)
                assert nak.body["server_time"] == utc_iso(now)
                refused.append(message)
            # Stale is no reason to hang up; the edges of [-40 s, +20 s] are inside.
            for sent in (now - timedelta(seconds=40), now + timedelta(seconds=20)):
                await _acked(ws, skewed, _sos(skewed, sent=sent))
            # The gateway corrects its clock from server_time and resends the same message.
            late = refused[0]
            resent = replace(late, sent=utc_iso(now)).signed(skewed.signing_key())
            await _acked(ws, skewed, resent)
            await honest.raise_sos()
    assert not any([await _received(hub_server, message.id) for message in refused[1:]])
    assert hub_server.context.rejections == {"stale": len(refused)}
    assert len(await hub_server.open_alarms()) == 2  # skewed (merged SOS, count 3) + honest
    counts = {alarm.household_id: alarm.count for alarm in await hub_server.open_alarms()}
    assert counts == {skewed.household_id: 3, honest.credentials.household_id: 1}


async def test_unknown_gateway_is_refused_without_an_echo(hub_server: RunningHub) -> None:
    async with aiohttp.ClientSession() as session, _honest(hub_server, session) as honest:
        stranger = replace(
            honest.credentials,
            gateway_id=new_ulid(),
            private_key=keys.private_key_to_text(keys.new_private_key()),
        )
        message = _sos(stranger)
        async with session.ws_connect(hub_server.url + GATEWAY_WS_PATH) as ws:
            nak = await _nakd(
                ws, stranger, message.to_json(), NakReason.UNKNOWN_GATEWAY, message.id
            )
            assert nak.gw == ""
            assert await _closed_by_hub(ws) == WSCloseCode.OK
        await honest.raise_sos()
    assert not await _received(hub_server, message.id)
    assert await _open_alarm_ids(hub_server) == set(honest.alarm_ids)
    assert hub_server.context.rejections == {"unknown_gateway": 1}


async def test_revoked_gateway_is_refused_even_on_an_open_connection(
    hub_server: RunningHub,
) -> None:
    async with aiohttp.ClientSession() as session, _honest(hub_server, session) as honest:
        stolen = await _enroll(hub_server, session, "stolen")
        async with session.ws_connect(hub_server.url + GATEWAY_WS_PATH) as ws:
            await _acked(ws, stolen, _message(stolen, MessageType.HEARTBEAT, {}))
            await hub_server.context.db(hub_server.context.store.revoke_gateway, stolen.gateway_id)
            first = _sos(stolen, seq=2)
            await _nakd(ws, stolen, first.to_json(), NakReason.REVOKED, first.id)
            assert await _closed_by_hub(ws) == WSCloseCode.OK
        async with session.ws_connect(hub_server.url + GATEWAY_WS_PATH) as ws:
            again = _sos(stolen, seq=1)
            await _nakd(ws, stolen, again.to_json(), NakReason.REVOKED, again.id)
            assert await _closed_by_hub(ws) == WSCloseCode.OK
        await honest.raise_sos()
    assert not await _received(hub_server, first.id)
    assert not await _received(hub_server, again.id)
    alarms = await hub_server.open_alarms()
    # By design the refusal shows as one link_lost for the household; its SOS is not stored.
    stolen_alarms = [alarm for alarm in alarms if alarm.household_id == stolen.household_id]
    assert [alarm.kind for alarm in stolen_alarms] == [AlarmKind.LINK_LOST.value]
    assert {alarm.id for alarm in alarms} - set(honest.alarm_ids) == {stolen_alarms[0].id}
    assert hub_server.context.rejections == {"revoked": 2}


async def test_revocation_by_the_cli_process_reaches_the_running_hub(
    hub_server: RunningHub,
) -> None:
    """The hub keeps gateways in memory; a `python -m hub revoke` run by an operator writes the
    file from another process, and the gateway's next message is still refused."""
    async with aiohttp.ClientSession() as session:
        stolen = await _enroll(hub_server, session, "stolen")
        async with session.ws_connect(hub_server.url + GATEWAY_WS_PATH) as ws:
            await _acked(ws, stolen, _message(stolen, MessageType.HEARTBEAT, {}))
            assert hub_server.context.store.cached_gateway(stolen.gateway_id) is not None
            command = [sys.executable, "-m", "hub", "--data", str(hub_server.data_dir)]
            process = await asyncio.create_subprocess_exec(
                *command, "revoke", stolen.gateway_id, stdout=asyncio.subprocess.DEVNULL
            )
            assert await process.wait() == 0
            # The database thread looks for other writers at least once a second.
            await until(
                lambda: hub_server.context.store.cached_gateway(stolen.gateway_id) is None,
                timeout=3,
            )
            refused = _sos(stolen, seq=2)
            await _nakd(ws, stolen, refused.to_json(), NakReason.REVOKED, refused.id)
    assert not await _received(hub_server, refused.id)


# ---------------------------------------------------------------------------------------------
# Enrollment over HTTP


async def _redeem(session: aiohttp.ClientSession, hub: RunningHub, code: str) -> tuple[int, Any]:
    request = {
        "code": code,
        "public_key": keys.public_key_to_text(keys.new_private_key().public_key()),
        "name": "gw",
    }
    async with session.post(hub.url + ENROLL_PATH, json=request) as response:
        return response.status, await response.json()


async def _gateway_count(hub: RunningHub) -> int:
    return len(await hub.context.db(hub.context.store.gateways))


async def test_enrollment_code_is_single_use_and_expires(hub_server: RunningHub) -> None:
    household = await hub_server.add_household()
    async with aiohttp.ClientSession() as session:
        code = await hub_server.enrollment_code(household.id)
        assert (await _redeem(session, hub_server, code))[0] == 200
        status, answer = await _redeem(session, hub_server, code)
        assert (status, answer["error"]) == (409, "code_used")
        assert "gateway_id" not in answer

        expired = await hub_server.enrollment_code(
            household.id, now=datetime.now(UTC) - timedelta(hours=24, seconds=1)
        )
        status, answer = await _redeem(session, hub_server, expired)
        assert (status, answer["error"]) == (410, "code_expired")

        # Racing the same code from many clients: the check and the use are one transaction.
        raced = await hub_server.enrollment_code(household.id)
        results = await asyncio.gather(*(_redeem(session, hub_server, raced) for _ in range(8)))
        statuses = sorted(status for status, _ in results)
        assert statuses == [200] + [409] * 7
    assert await _gateway_count(hub_server) == 2


# ---------------------------------------------------------------------------------------------
# Frames that are not messages


async def test_oversized_frame_closes_only_that_connection(hub_server: RunningHub) -> None:
    async with aiohttp.ClientSession() as session, _honest(hub_server, session) as honest:
        sender = await _enroll(hub_server, session, "big")
        # Well-formed and correctly signed, only too large: size is checked before anything.
        body = {**RaisedAlarm.new(AlarmKind.SOS, "x").to_body(), "pad": "€" * 22_000}
        big = _message(sender, MessageType.ALARM_RAISED, body)
        assert len(big.to_json().encode()) > MAX_MESSAGE_BYTES
        async with session.ws_connect(hub_server.url + GATEWAY_WS_PATH) as ws:
            await ws.send_str(big.to_json())
            assert await _closed_by_hub(ws) == WSCloseCode.MESSAGE_TOO_BIG
        await honest.raise_sos()
    assert not await _received(hub_server, big.id)
    assert await _open_alarm_ids(hub_server) == set(honest.alarm_ids)
    assert await _rejections_settle_at(hub_server, 1)
    assert hub_server.context.rejections == {"oversized": 1}


def _sized_sos(credentials: GatewayCredentials, size: int) -> Envelope:
    """A signed SOS padded to exactly `size` bytes of UTF-8 on the wire."""
    message = _sos(credentials)
    short = len(replace(message, body={**message.body, "pad": ""}).to_json().encode())
    padded = replace(message, body={**message.body, "pad": "x" * (size - short)})
    signed = padded.signed(credentials.signing_key())
    assert len(signed.to_json().encode()) == size
    return signed


async def test_one_byte_over_64_kib_is_refused_as_oversized(hub_server: RunningHub) -> None:
    async with aiohttp.ClientSession() as session:
        sender = await _enroll(hub_server, session, "edge")
        over = _sized_sos(sender, MAX_MESSAGE_BYTES + 1)
        async with session.ws_connect(hub_server.url + GATEWAY_WS_PATH) as ws:
            await ws.send_str(over.to_json())
            assert await _closed_by_hub(ws) == WSCloseCode.MESSAGE_TOO_BIG
        # Compressed (permessage-deflate) to a few KiB: the limit holds after inflating, too.
        bomb = _sized_sos(sender, 4 * MAX_MESSAGE_BYTES)
        async with session.ws_connect(hub_server.url + GATEWAY_WS_PATH, compress=15) as ws:
            assert ws.compress == 15
            await ws.send_str(bomb.to_json())
            assert await _closed_by_hub(ws) == WSCloseCode.MESSAGE_TOO_BIG
    assert not await _received(hub_server, over.id)
    assert not await _received(hub_server, bomb.id)
    assert await _rejections_settle_at(hub_server, 2)
    assert hub_server.context.rejections == {"oversized": 2}


async def test_a_frame_of_exactly_64_kib_is_accepted(hub_server: RunningHub) -> None:
    async with aiohttp.ClientSession() as session:
        sender = await _enroll(hub_server, session, "edge")
        largest = _sized_sos(sender, MAX_MESSAGE_BYTES)
        async with session.ws_connect(hub_server.url + GATEWAY_WS_PATH) as ws:
            await _acked(ws, sender, largest)
    assert await _received(hub_server, largest.id)


async def test_malformed_frames_get_naks_and_every_connection_keeps_working(
    hub_server: RunningHub,
) -> None:
    async with aiohttp.ClientSession() as session, _honest(hub_server, session) as honest:
        sender = await _enroll(hub_server, session, "sender")
        wire = json.loads(_message(sender, MessageType.HEARTBEAT, {}).to_json())
        frames = [
            ("not json", NakReason.MALFORMED),
            ("[1, 2, 3]", NakReason.MALFORMED),
            (json.dumps({**wire, "v": 2}), NakReason.UNSUPPORTED),
            (json.dumps({**wire, "v": True}), NakReason.UNSUPPORTED),
            (json.dumps({k: v for k, v in wire.items() if k != "sig"}), NakReason.MALFORMED),
            (json.dumps({**wire, "seq": True}), NakReason.MALFORMED),
            # Fit in 64 KiB, yet crashed the handler before the parser caught these:
            ("[" * 60_000, NakReason.MALFORMED),  # RecursionError in json.loads
            (json.dumps({**wire, "gw": "\ud800"}), NakReason.MALFORMED),  # lone surrogate
        ]
        async with session.ws_connect(hub_server.url + GATEWAY_WS_PATH) as ws:
            for frame, reason in frames:
                nak = await _nakd(ws, sender, frame, reason)
                assert nak.gw == ""
            await ws.send_bytes(b"\x00\x01 binary")  # ignored and counted, no answer
            await honest.raise_sos()
            # The same connection still carries a real message after all that.
            good = _sos(sender)
            await _acked(ws, sender, good)
    assert await _open_alarm_ids(hub_server) == {*honest.alarm_ids, good.body["alarm_id"]}
    assert hub_server.context.rejections == {"malformed": 6, "unsupported": 2, "not_text": 1}
