"""The link over TLS on loopback: a gateway trusts only its community's CA, pinned by the
fingerprint that came with its enrollment code."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from gateway.alarms import AlarmKind, RaisedAlarm
from gateway.link import HubLink, HubUnreachable, enroll
from gateway.link.outbox import Outbox
from gateway.link.tls import PinMismatch
from gateway.protocol import MessageType
from provisioning import ca

from ..conftest import RunningHub


@pytest.fixture
async def tls_hub(tmp_path: Path, socket_enabled: None) -> AsyncIterator[tuple[RunningHub, str]]:
    community = ca.init_ca(tmp_path / "ca", "Test community")
    issued = ca.issue_hub_cert(tmp_path / "ca", ["127.0.0.1", "localhost"])
    context = ca.hub_ssl_context(issued.cert_path, issued.key_path)
    hub = RunningHub(tmp_path / "hub-data", tls=(context, community.cert_pem))
    await hub.start()
    try:
        yield hub, community.fingerprint
    finally:
        await hub.stop()


async def test_pinned_gateway_enrolls_and_delivers_over_tls(
    tls_hub: tuple[RunningHub, str], tmp_path: Path
) -> None:
    hub, fingerprint = tls_hub
    household = await hub.add_household("Sun household", "Block 2")
    code = await hub.enrollment_code(household.id)
    async with aiohttp.ClientSession() as session:
        credentials = await enroll(session, hub.url, code, "gw", ca_fingerprint=fingerprint)
        assert credentials.ca_fingerprint == fingerprint
        with Outbox(tmp_path / "outbox.sqlite3") as outbox:
            link = HubLink(session, credentials, outbox)
            link.start()
            try:
                alarm = RaisedAlarm.new(AlarmKind.SOS, "pendant")
                message_id = link.send(MessageType.ALARM_RAISED, alarm.to_body())
                await link.wait_delivered(message_id, timeout=10)
            finally:
                await link.stop()
    assert [a.id for a in await hub.open_alarms()] == [alarm.alarm_id]


async def test_another_communitys_fingerprint_is_refused_before_the_code_is_sent(
    tls_hub: tuple[RunningHub, str], tmp_path: Path
) -> None:
    hub, _ = tls_hub
    stranger = ca.init_ca(tmp_path / "other-ca", "Other community")
    household = await hub.add_household()
    code = await hub.enrollment_code(household.id)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(PinMismatch):
            await enroll(session, hub.url, code, "gw", ca_fingerprint=stranger.fingerprint)
        with pytest.raises(HubUnreachable, match="fingerprint"):
            await enroll(session, hub.url, code, "gw")
        # The code was never presented, so it still works with the right pin.
        good = await enroll(session, hub.url, code, "gw", ca_fingerprint=tls_hub[1])
    assert good.household_id == household.id


async def test_plain_http_is_only_for_loopback() -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(HubUnreachable, match="https"):
            await enroll(session, "http://10.20.30.40:8080", "ABCD-EFGH-JKMN", "gw")
