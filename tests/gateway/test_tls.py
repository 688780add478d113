"""The gateway trusts only its community's hub: real TLS servers on 127.0.0.1, real handshakes."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from gateway.link import HubUnreachable
from gateway.link.tls import (
    CA_PATH,
    PinMismatch,
    ca_fingerprint,
    fetch_ca_certificate,
    is_loopback_url,
    pinned_ssl_context,
)
from provisioning import ca

# (cert chain file, key file) or None for plain http; the body served at CA_PATH or None (404).
Serve = Callable[[tuple[Path, Path] | None, bytes | None], Awaitable[str]]


class Community:
    """A CA directory with a hub certificate for 127.0.0.1 and localhost."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.fingerprint = ca.init_ca(directory).fingerprint
        ca.issue_hub_cert(directory, ["127.0.0.1", "localhost"])
        self.ca_pem = (directory / ca.CA_CERT_FILE).read_bytes()
        self.hub = (directory / "hub.pem", directory / "hub.key")

    def context(self) -> ssl.SSLContext:
        return pinned_ssl_context(self.ca_pem, self.fingerprint)


@pytest.fixture(scope="module")
def ours(tmp_path_factory: pytest.TempPathFactory) -> Community:
    return Community(tmp_path_factory.mktemp("ours"))


@pytest.fixture(scope="module")
def theirs(tmp_path_factory: pytest.TempPathFactory) -> Community:
    """Another community: a valid CA and hub, just not the one our gateway enrolled with."""
    return Community(tmp_path_factory.mktemp("theirs"))


@pytest.fixture
async def serve(socket_enabled: None) -> AsyncIterator[Serve]:
    # pytest-socket (HA's harness) blocks sockets by default; everything here is 127.0.0.1.
    runners: list[web.AppRunner] = []

    async def start(tls: tuple[Path, Path] | None, ca_body: bytes | None) -> str:
        async def root(request: web.Request) -> web.Response:
            return web.Response(text="ok")

        async def echo(request: web.Request) -> web.WebSocketResponse:
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            async for message in ws:
                await ws.send_str(message.data)
            return ws

        async def ca_pem(request: web.Request) -> web.Response:
            return web.Response(body=ca_body, content_type="application/x-pem-file")

        app = web.Application()
        app.router.add_get("/", root)
        app.router.add_get("/ws", echo)
        if ca_body is not None:
            app.router.add_get(CA_PATH, ca_pem)
        runner = web.AppRunner(app)
        await runner.setup()
        runners.append(runner)
        context = None if tls is None else ca.hub_ssl_context(*tls)
        await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context).start()
        port = runner.addresses[0][1]
        return f"{'http' if tls is None else 'https'}://127.0.0.1:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()


def _served_ca(community: Community) -> bytes:
    """What the hub will serve: the CA at the end of its own chain file."""
    return ca.ca_pem_from_hub_chain(community.hub[0].read_bytes())


# --- fetching the CA at enrollment ----------------------------------------------------------


async def test_fetch_ca_accepts_the_pinned_ca_in_either_form(ours: Community, serve: Serve) -> None:
    url = await serve(ours.hub, _served_ca(ours))
    openssl_form = ":".join(ours.fingerprint[i : i + 2] for i in range(0, 64, 2)).upper()
    async with aiohttp.ClientSession() as session:
        for hub_url, pin in (
            (url, ours.fingerprint),
            (url + "/", openssl_form),
            (url.replace("https://", "wss://"), ours.fingerprint),
        ):
            assert await fetch_ca_certificate(session, hub_url, pin) == ours.ca_pem


async def test_fetch_ca_refuses_a_different_ca(
    ours: Community, theirs: Community, serve: Serve
) -> None:
    url = await serve(ours.hub, _served_ca(ours))
    impostor = await serve(theirs.hub, _served_ca(theirs))
    async with aiohttp.ClientSession() as session:
        with pytest.raises(PinMismatch, match=theirs.fingerprint):
            await fetch_ca_certificate(session, url, theirs.fingerprint)
        with pytest.raises(PinMismatch, match="scan the care center's QR code again"):
            await fetch_ca_certificate(session, impostor, ours.fingerprint)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>router login</html>", "not a certificate"),
        (b"x" * (70 * 1024), "more than a CA certificate"),
    ],
)
async def test_fetch_ca_refuses_what_is_not_one_certificate(
    ours: Community, serve: Serve, body: bytes, message: str
) -> None:
    url = await serve(ours.hub, body)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(PinMismatch, match=message):
            await fetch_ca_certificate(session, url, ours.fingerprint)


async def test_fetch_ca_refuses_a_whole_chain(ours: Community, serve: Serve) -> None:
    url = await serve(ours.hub, ours.hub[0].read_bytes())
    async with aiohttp.ClientSession() as session:
        with pytest.raises(PinMismatch, match="found 2"):
            await fetch_ca_certificate(session, url, ours.fingerprint)


async def test_fetch_ca_reports_a_hub_that_is_not_there(ours: Community, serve: Serve) -> None:
    no_endpoint = await serve(ours.hub, None)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(HubUnreachable, match="answered 404"):
            await fetch_ca_certificate(session, no_endpoint, ours.fingerprint)
        port = int(no_endpoint.rsplit(":", 1)[1])
        # Plain http to a TLS port: the handshake never happens, the link says "unreachable".
        with pytest.raises(HubUnreachable, match="no answer"):
            await fetch_ca_certificate(session, f"http://127.0.0.1:{port}", ours.fingerprint)


async def test_fetch_ca_over_plain_http_on_loopback(ours: Community, serve: Serve) -> None:
    # The demo runs without TLS; the pin still decides.
    url = await serve(None, _served_ca(ours))
    async with aiohttp.ClientSession() as session:
        assert await fetch_ca_certificate(session, url, ours.fingerprint) == ours.ca_pem


async def test_fetch_ca_rejects_a_malformed_pin_before_connecting() -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ValueError, match="64 hex digits"):
            await fetch_ca_certificate(session, "https://192.0.2.1", "not a fingerprint")


# --- connecting with the pinned CA ----------------------------------------------------------


async def test_pinned_context_connects_by_address_and_name(ours: Community, serve: Serve) -> None:
    url = await serve(ours.hub, _served_ca(ours))
    context = ours.context()
    async with aiohttp.ClientSession() as session:
        async with session.get(url, ssl=context) as response:
            assert await response.text() == "ok"
        async with session.get(url, ssl=context, server_hostname="localhost") as response:
            assert response.status == 200
        async with session.ws_connect(url.replace("https", "wss") + "/ws", ssl=context) as ws:
            await ws.send_str("heartbeat")
            assert (await ws.receive(timeout=5)).data == "heartbeat"


async def test_a_hub_of_another_community_is_refused(
    ours: Community, theirs: Community, serve: Serve
) -> None:
    their_hub = await serve(theirs.hub, _served_ca(theirs))
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await session.get(their_hub, ssl=ours.context())
        async with session.get(their_hub, ssl=theirs.context()) as response:
            assert response.status == 200  # it is a fine hub, just not ours


async def test_a_certificate_for_another_host_is_refused(
    ours: Community, serve: Serve, tmp_path: Path
) -> None:
    issued = ca.issue_hub_cert(ours.directory, ["hub.elsewhere.example"], tmp_path / "elsewhere")
    wrong_name = await serve((issued.cert_path, issued.key_path), _served_ca(ours))
    right_name = await serve(ours.hub, _served_ca(ours))
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectorCertificateError, match="match"):
            await session.get(wrong_name, ssl=ours.context())
        with pytest.raises(aiohttp.ClientConnectorCertificateError, match="match"):
            await session.get(right_name, ssl=ours.context(), server_hostname="hub.example")


async def test_system_roots_do_not_know_the_community_ca(ours: Community, serve: Serve) -> None:
    url = await serve(ours.hub, _served_ca(ours))
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await session.get(url, ssl=ssl.create_default_context())


def test_pinned_context_trusts_one_ca_and_checks_everything(ours: Community) -> None:
    context = ours.context()
    (only,) = context.get_ca_certs()  # no system roots beside it
    assert (("commonName", ca.DEFAULT_CA_NAME),) in only["subject"]
    assert context.check_hostname
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2


def test_pinned_context_refuses_a_ca_that_is_not_the_pin(
    ours: Community, theirs: Community
) -> None:
    with pytest.raises(PinMismatch, match="enrolled for"):
        pinned_ssl_context(theirs.ca_pem, ours.fingerprint)
    with pytest.raises(PinMismatch, match="not a certificate"):
        pinned_ssl_context(b"", ours.fingerprint)
    with pytest.raises(ValueError, match="64 hex digits"):
        pinned_ssl_context(ours.ca_pem, ours.fingerprint[:-1])


def test_ca_fingerprint_is_the_provisioning_fingerprint(ours: Community) -> None:
    assert ca_fingerprint(ours.ca_pem) == ours.fingerprint
    with pytest.raises(ValueError, match="PEM"):
        ca_fingerprint(b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("ws://127.0.0.1:8080", True),
        ("http://127.3.4.5/hub", True),
        ("ws://[::1]:8080", True),
        ("http://localhost:8123", True),
        ("http://LOCALHOST", True),
        ("wss://hub.example.org", False),
        ("http://127.0.0.1.nip.io", False),
        ("http://127.0.0.1@evil.example", False),
        ("http://10.0.0.1", False),
        ("http://[::2]", False),
        ("http://localhost.evil.example", False),
        ("http://[::1", False),
        ("not a url", False),
        ("", False),
    ],
)
def test_only_loopback_hosts_count_as_loopback(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback
