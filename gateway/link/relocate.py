"""Move an enrolled gateway to its hub's new address, once the hub there proves it knows it.

A care center may move its hub: a new name, or from the demo's loopback http to https. The
gateway keeps its id, keys and household; only the address and the pinned CA change. The new
address passes the enrollment rules (https pinned to the community CA, plain http only on
loopback), then the hub there must ack a signed hello under the hub key this gateway enrolled
with. Anything less would point the household's alarms at a hub that refuses or drops them.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import aiohttp
from nacl.signing import VerifyKey

from provisioning import ca

from ..alarms import utc_iso
from ..protocol import (
    GATEWAY_WS_PATH,
    MAX_MESSAGE_BYTES,
    Envelope,
    MessageType,
    NakReason,
    ProtocolError,
    acked_ids,
    parse_time,
)
from ..ulid import new_ulid
from .credentials import GatewayCredentials
from .errors import CaFingerprintInvalid, GatewayUnknown, HubUnreachable, InsecureHubUrl
from .tls import PinMismatch, fetch_ca_certificate, is_loopback_url

_REFUSALS = frozenset({NakReason.UNKNOWN_GATEWAY, NakReason.REVOKED, NakReason.BAD_SIGNATURE})
_HELLOS = 2  # a second hello only after a stale nak taught us the hub's clock


async def relocate(
    session: aiohttp.ClientSession,
    credentials: GatewayCredentials,
    hub_url: str,
    ca_fingerprint: str | None = None,
    *,
    timeout: float = 10.0,
) -> GatewayCredentials:
    """`credentials` moved to `hub_url`, after its hub acked this gateway's hello.

    Without a new `ca_fingerprint` an https hub must serve the CA pinned already.
    Raises InsecureHubUrl, CaFingerprintInvalid, PinMismatch, GatewayUnknown or HubUnreachable.
    """
    hub_url = hub_url.strip().rstrip("/")
    ca_pem, pin = await _pinned_ca(
        session, hub_url, ca_fingerprint or credentials.ca_fingerprint, timeout
    )
    moved = replace(credentials, hub_url=hub_url, ca_pem=ca_pem, ca_fingerprint=pin)
    await say_hello(session, moved, timeout=timeout)
    return moved


async def _pinned_ca(
    session: aiohttp.ClientSession, hub_url: str, fingerprint: str, timeout: float
) -> tuple[str, str]:
    """The CA (PEM text) and canonical fingerprint to pin; none for a loopback http hub."""
    scheme = hub_url.partition("://")[0].lower()
    if scheme == "http":
        if not is_loopback_url(hub_url):
            raise InsecureHubUrl(
                "a hub outside this machine must use https:// (plain http is for the demo)"
            )
        return "", ""
    if scheme != "https":
        raise HubUnreachable(f"{hub_url!r} is not a hub address: it should start with https://")
    if not fingerprint:
        raise CaFingerprintInvalid("an https hub needs the community CA fingerprint")
    try:
        pin = ca.parse_fingerprint(fingerprint)
    except ValueError as err:
        raise CaFingerprintInvalid(str(err)) from err
    pem = await fetch_ca_certificate(session, hub_url, pin, timeout)
    return pem.decode("ascii"), pin


async def say_hello(
    session: aiohttp.ClientSession, credentials: GatewayCredentials, *, timeout: float = 10.0
) -> None:
    """Open the gateway WebSocket, send a signed hello, return on the hub's ack of it.

    The connection is closed straight after: the hub resends whatever it pushed to it (staff
    steps) after the link's next hello, so nothing meant for the household is lost.
    """
    url = credentials.hub_url.rstrip("/") + GATEWAY_WS_PATH
    ssl_context = credentials.ssl_context()
    try:
        async with (
            asyncio.timeout(timeout),
            session.ws_connect(
                url,
                max_msg_size=MAX_MESSAGE_BYTES + 1,
                ssl=ssl_context if ssl_context else True,
            ) as ws,
        ):
            await _handshake(ws, credentials)
    except aiohttp.ClientConnectorCertificateError as err:
        # The CA served there matched the pin, yet the certificate was not issued by it for
        # this address (another name, or something in the way).
        raise PinMismatch(
            f"the certificate at {url} is not the community CA's for this address: {err}"
        ) from err
    except (aiohttp.ClientError, TimeoutError, OSError) as err:
        raise HubUnreachable(f"no answer from {url}: {err}") from err


async def _handshake(ws: aiohttp.ClientWebSocketResponse, credentials: GatewayCredentials) -> None:
    signing_key = credentials.signing_key()
    hub_key = credentials.hub_key()
    clock_offset = timedelta(0)
    for seq in range(1, _HELLOS + 1):
        hello = Envelope(
            gw=credentials.gateway_id,
            seq=seq,
            sent=utc_iso(datetime.now(UTC) + clock_offset),
            id=new_ulid(),
            type=MessageType.HELLO.value,
            body={"software": "eldercare-gateway"},
        ).signed(signing_key)
        await ws.send_str(hello.to_json())
        answer = await _answer_to(ws, hub_key, hello.id)
        if answer.type == MessageType.ACK:
            return
        reason = answer.body.get("reason")
        if reason in _REFUSALS:
            raise GatewayUnknown(str(reason), "the hub refuses this gateway's credential")
        if reason != NakReason.STALE:
            raise HubUnreachable(f"the hub refused the hello: {reason}")
        try:
            server_time = parse_time(answer.body.get("server_time"), "server_time")
        except ProtocolError as err:
            raise HubUnreachable(f"the hub's stale nak has no usable time: {err}") from err
        # The hub's clock is the reference (SIA DC-09), as for the link proper.
        clock_offset = server_time - datetime.now(UTC)
    raise HubUnreachable("the hub finds this gateway's clock wrong even after correcting it")


async def _answer_to(
    ws: aiohttp.ClientWebSocketResponse, hub_key: VerifyKey, hello_id: str
) -> Envelope:
    """The hub's verified ack or nak of the hello; anything else (config, staff steps) is the
    link's business and skipped."""
    async for message in ws:
        if message.type != aiohttp.WSMsgType.TEXT:
            break
        try:
            envelope = Envelope.from_json(message.data)
        except ProtocolError as err:
            raise HubUnreachable(f"the answer is not an Eldercare hub's: {err}") from err
        try:
            envelope.verify(hub_key)
        except ProtocolError as err:
            # Our hub signs every answer, refusals too: this is some other hub.
            raise GatewayUnknown(
                "other_hub", "the answer is not signed by the hub this gateway enrolled with"
            ) from err
        if envelope.type == MessageType.ACK and hello_id in acked_ids(envelope.body):
            return envelope
        if envelope.type == MessageType.NAK and envelope.body.get("id") in (hello_id, ""):
            return envelope
    raise HubUnreachable("the hub closed the connection without answering the hello")
