"""Enroll a gateway with a one-time code: the gateway makes its key, the hub records it."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import aiohttp

from provisioning import codes, keys

from ..protocol import ENROLL_PATH, EnrollError
from .credentials import GatewayCredentials
from .errors import (
    EnrollmentCodeExpired,
    EnrollmentCodeMalformed,
    EnrollmentCodeUnknown,
    EnrollmentCodeUsed,
    EnrollmentError,
    HubUnreachable,
)
from .tls import fetch_ca_certificate, is_loopback_url, pinned_ssl_context

_ERRORS: dict[str, type[EnrollmentError]] = {
    EnrollError.CODE_UNKNOWN: EnrollmentCodeUnknown,
    EnrollError.CODE_USED: EnrollmentCodeUsed,
    EnrollError.CODE_EXPIRED: EnrollmentCodeExpired,
    EnrollError.BAD_REQUEST: EnrollmentCodeMalformed,
}


async def enroll(
    session: aiohttp.ClientSession,
    hub_url: str,
    code: str,
    gateway_name: str,
    *,
    timeout: float = 15.0,
    ca_fingerprint: str | None = None,
) -> GatewayCredentials:
    """Redeem `code` at the hub. A TLS hub is trusted only through the community CA whose
    fingerprint came with the code (the QR payload); plain HTTP is for loopback only."""
    try:
        normalized = codes.normalize_code(code)
    except codes.MalformedCode as err:
        raise EnrollmentCodeMalformed(str(err)) from err
    ca_pem, ssl_context = await _trust(session, hub_url, ca_fingerprint)
    private_key = keys.new_private_key()
    request = {
        "code": normalized,
        "public_key": keys.public_key_to_text(private_key.public_key()),
        "name": gateway_name,
    }
    url = hub_url.rstrip("/") + ENROLL_PATH
    try:
        async with session.post(
            url,
            json=request,
            timeout=aiohttp.ClientTimeout(total=timeout),
            ssl=ssl_context if ssl_context else True,
        ) as response:
            answer: Any = await response.json(content_type=None)
            status = response.status
    except (aiohttp.ClientError, TimeoutError, ValueError) as err:
        raise HubUnreachable(f"no answer from {url}: {err}") from err
    except asyncio.CancelledError:
        raise
    if not isinstance(answer, dict):
        raise HubUnreachable(f"{url} answered with something that is not an Eldercare hub")
    if status != 200:
        error = _ERRORS.get(str(answer.get("error")), EnrollmentError)
        raise error(str(answer.get("message", f"enrollment refused ({status})")))
    try:
        credentials = GatewayCredentials(
            hub_url=hub_url.rstrip("/"),
            gateway_id=str(answer["gateway_id"]),
            household_id=str(answer["household_id"]),
            household_name=str(answer["household_name"]),
            private_key=keys.private_key_to_text(private_key),
            hub_public_key=str(answer["hub_public_key"]),
            ca_pem=ca_pem,
            ca_fingerprint=ca_fingerprint or "",
        )
        credentials.hub_key()
    except (KeyError, keys.KeyFormatError) as err:
        raise HubUnreachable(f"{url} gave an incomplete enrollment answer: {err}") from err
    return credentials


async def _trust(
    session: aiohttp.ClientSession, hub_url: str, ca_fingerprint: str | None
) -> tuple[str, ssl.SSLContext | None]:
    """The pinned CA (PEM text) and its client context; nothing for a loopback plain hub."""
    if not hub_url.startswith(("https://", "wss://")):
        if not is_loopback_url(hub_url):
            raise HubUnreachable(
                "a hub outside this machine must use https:// (plain http is for the demo)"
            )
        return "", None
    if not ca_fingerprint:
        raise HubUnreachable("a TLS hub needs the community CA fingerprint from the QR code")
    try:
        ca_pem = await fetch_ca_certificate(session, hub_url, ca_fingerprint)
        return ca_pem.decode("ascii"), pinned_ssl_context(ca_pem, ca_fingerprint)
    except ValueError as err:  # a malformed fingerprint
        raise HubUnreachable(f"the CA fingerprint is not valid: {err}") from err
