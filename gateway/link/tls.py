"""Trust for the gateway's link: talk only to a hub certified by this community's pinned CA.

Enrollment gives the gateway the hub URL and the CA fingerprint (from the QR code). The gateway
then fetches the CA certificate from the hub over an unverified connection: the fingerprint
check, not the connection, is what makes it trustworthy. From then on every connection uses
`pinned_ssl_context`, which trusts that one CA and nothing else (no system roots), so a hub
certificate bought from a public CA for the same name is still refused.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import ssl
from urllib.parse import urlsplit

import aiohttp
from cryptography.hazmat.primitives import serialization

from provisioning import ca

from .errors import HubError, HubUnreachable

CA_PATH = "/api/v1/ca"
MAX_CA_PEM_BYTES = 64 * 1024  # a CA PEM is under 1 KiB; anything huge is not our hub
_HTTP_FOR = {"ws": "http", "wss": "https"}


class PinMismatch(HubError):
    """The hub's CA is not the one pinned at enrollment.

    Either the hub URL points somewhere else, or someone is in the way. Do not carry on: check
    the hub URL and scan the care center's QR code again.
    """


def ca_fingerprint(pem: bytes) -> str:
    """Canonical fingerprint (64 lowercase hex) of the one certificate in `pem`.

    Raises `provisioning.ca.CertificateFormatError` (a ValueError) if `pem` is not exactly one
    PEM certificate.
    """
    return ca.pem_fingerprint(pem)


def pinned_ssl_context(ca_pem: bytes, expected_fingerprint: str) -> ssl.SSLContext:
    """A client TLS context trusting only `ca_pem`, after checking it is the pinned CA.

    `expected_fingerprint` may be in either accepted form (a malformed one raises
    `provisioning.ca.FingerprintFormatError`). Hostnames are verified; TLS 1.2 is the minimum.
    """
    pem = _check_pin(ca_pem, expected_fingerprint, "the stored CA certificate")
    # cadata given, so create_default_context loads no system roots; it keeps hostname checks,
    # CERT_REQUIRED and (Python 3.13) strict X.509 verification.
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=pem.decode("ascii"))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


async def fetch_ca_certificate(
    session: aiohttp.ClientSession,
    hub_url: str,
    expected_fingerprint: str,
    timeout: float = 15.0,
) -> bytes:
    """The community CA's PEM from the hub at `hub_url`, if it matches the pinned fingerprint.

    The TLS certificate is not verified for this one request (the gateway cannot verify it yet);
    a response whose fingerprint differs raises PinMismatch, so nothing unverified is returned.
    ws/wss URLs are fetched as http/https.
    """
    pin = ca.parse_fingerprint(expected_fingerprint)
    url = _http_base(hub_url) + CA_PATH
    try:
        async with session.get(
            url,
            ssl=False,  # the fingerprint check below is the trust step
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as response:
            if response.status != 200:
                raise HubUnreachable(
                    f"{url} answered {response.status}: check the hub URL, and that the hub"
                    " serves TLS with a community certificate"
                )
            pem = await _read_limited(response, url)
    except (aiohttp.ClientError, TimeoutError) as err:
        raise HubUnreachable(f"no answer from {url}: {err}") from err
    except asyncio.CancelledError:
        raise
    return _check_pin(pem, pin, f"the CA certificate served at {url}")


def is_loopback_url(url: str) -> bool:
    """True when the URL's host is loopback: 127.0.0.0/8, ::1 or localhost.

    Plain http/ws (no TLS) is acceptable only for these: the demo and the tests.
    """
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_pin(pem: bytes, expected_fingerprint: str, what: str) -> bytes:
    """`pem` re-encoded (one certificate, no stray bytes) if its fingerprint is the pin."""
    pin = ca.parse_fingerprint(expected_fingerprint)
    try:
        cert = ca.load_single_certificate(pem)
    except ca.CertificateFormatError as err:
        raise PinMismatch(f"{what} is not a certificate ({err}); check the hub URL") from err
    actual = ca.certificate_fingerprint(cert)
    if not hmac.compare_digest(actual, pin):
        raise PinMismatch(
            f"{what} has fingerprint {actual}, but this gateway was enrolled for {pin}."
            " Check the hub URL and scan the care center's QR code again; do not continue"
            " if they are right (something may be in the way)."
        )
    return cert.public_bytes(serialization.Encoding.PEM)


def _http_base(hub_url: str) -> str:
    scheme, sep, rest = hub_url.partition("://")
    if not sep:
        raise HubUnreachable(f"{hub_url!r} is not a URL; it should look like https://hub.example")
    return _HTTP_FOR.get(scheme.lower(), scheme) + sep + rest.rstrip("/")


async def _read_limited(response: aiohttp.ClientResponse, url: str) -> bytes:
    body = bytearray()
    async for chunk in response.content.iter_chunked(16 * 1024):
        body += chunk
        if len(body) > MAX_CA_PEM_BYTES:
            raise PinMismatch(f"{url} sent more than a CA certificate; check the hub URL")
    return bytes(body)
