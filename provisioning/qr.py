"""The text inside an enrollment QR code: which hub, which CA to pin, and the one-time code.

Format, version 1 (one line, ASCII):

    eldercare:1?hub=<hub URL>&ca=<CA fingerprint>&code=<enrollment code>

- `eldercare` is matched case-insensitively (some scanners upper-case URIs); `1` is the format
  version. A higher version is refused with "update the app" rather than half-understood.
- `hub`: the hub's base URL, percent-encoded as a query value (`:` and `/` stay literal so the
  code stays small). http, https, ws or wss; a host, optional port and path; no user, query or
  fragment. A trailing `/` is dropped.
- `ca`: the community CA fingerprint, SHA-256 of its DER, 64 lowercase hex digits (colon-grouped
  and upper-case are accepted when parsing, see `provisioning.ca.parse_fingerprint`).
- `code`: the enrollment code in its canonical XXXX-XXXX-XXXX form.
- Fields appear in this order when built; parsing takes any order, rejects repeats and ignores
  unknown fields, so a later version-1 writer may add optional ones.

Example: eldercare:1?hub=https://hub.example.org:8443&ca=3f1a...&code=ABCD-EFGH-JKMN

Whether plain http/ws is acceptable (only for loopback) is the gateway's decision, not this
format's: see `gateway.link.tls.is_loopback_url`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlsplit

from . import ca, codes

SCHEME = "eldercare"
VERSION = 1
HUB_SCHEMES = frozenset({"http", "https", "ws", "wss"})
MAX_PAYLOAD_CHARS = 1024  # far above a real payload (~150), far below a QR code's capacity

_VERSION = re.compile(r"[0-9]{1,6}")
_FIELDS = ("hub", "ca", "code")
_SCAN_AGAIN = "scan the enrollment QR code from the care center again"


class QrPayloadError(ValueError):
    """The text is not a valid enrollment QR payload; the message says which part and why."""


@dataclass(frozen=True, slots=True)
class EnrollmentPayload:
    """A parsed payload, every field in canonical form."""

    hub_url: str
    ca_fingerprint: str
    code: str

    def to_text(self) -> str:
        return build_enrollment_payload(self.hub_url, self.ca_fingerprint, self.code)


def build_enrollment_payload(hub_url: str, ca_fingerprint: str, code: str) -> str:
    """The QR text for these values, checked and canonicalised (QrPayloadError if invalid)."""
    payload = _checked(hub_url, ca_fingerprint, code)
    return (
        f"{SCHEME}:{VERSION}?hub={quote(payload.hub_url, safe=':/')}"
        f"&ca={payload.ca_fingerprint}&code={payload.code}"
    )


def parse_enrollment_payload(text: str) -> EnrollmentPayload:
    """What a scanned QR code says, or QrPayloadError."""
    text = text.strip()
    if len(text) > MAX_PAYLOAD_CHARS:
        raise QrPayloadError(f"too long for an Eldercare enrollment code; {_SCAN_AGAIN}")
    head, question, query = text.partition("?")
    scheme, colon, version = head.partition(":")
    if scheme.lower() != SCHEME or not colon or not question:
        raise QrPayloadError(
            f"this is not an Eldercare enrollment QR code (it should start with {SCHEME}:1?)"
        )
    if not _VERSION.fullmatch(version):
        raise QrPayloadError(f"the format version {version!r} is not a number; {_SCAN_AGAIN}")
    if int(version) != VERSION:
        raise QrPayloadError(
            f"the code uses format version {int(version)}, this app reads version {VERSION};"
            " update the Eldercare integration"
            if int(version) > VERSION
            else f"format version {int(version)} does not exist; {_SCAN_AGAIN}"
        )
    fields = _query_fields(query)
    missing = [name for name in _FIELDS if name not in fields]
    if missing:
        raise QrPayloadError(f"the code lacks {', '.join(missing)}; {_SCAN_AGAIN}")
    return _checked(fields["hub"], fields["ca"], fields["code"])


def _query_fields(query: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(
            query,
            keep_blank_values=True,
            strict_parsing=True,
            errors="strict",  # a bad %-escape is an error, not a silent U+FFFD
            max_num_fields=16,
        )
    except ValueError as err:  # UnicodeDecodeError is a ValueError too
        raise QrPayloadError(f"the fields are garbled ({err}); {_SCAN_AGAIN}") from err
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise QrPayloadError(f"the field {name!r} appears twice; {_SCAN_AGAIN}")
        fields[name] = value
    return fields


def _checked(hub_url: str, ca_fingerprint: str, code: str) -> EnrollmentPayload:
    try:
        fingerprint = ca.parse_fingerprint(ca_fingerprint)
    except ca.FingerprintFormatError as err:
        raise QrPayloadError(f"bad CA fingerprint: {err}") from err
    try:
        normalized_code = codes.normalize_code(code)
    except codes.MalformedCode as err:
        raise QrPayloadError(f"bad enrollment code: {err}") from err
    return EnrollmentPayload(_checked_hub_url(hub_url), fingerprint, normalized_code)


def _checked_hub_url(url: str) -> str:
    if not url.isascii() or not url.isprintable() or " " in url:
        raise QrPayloadError("the hub URL must be plain ASCII without spaces")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError as err:
        raise QrPayloadError(f"the hub URL {url!r} is malformed: {err}") from err
    if parts.scheme.lower() not in HUB_SCHEMES:
        raise QrPayloadError(
            f"the hub URL {url!r} must start with https:// or wss:// (http/ws only for loopback)"
        )
    if parts.username is not None or parts.password is not None:
        raise QrPayloadError("the hub URL must not carry a user name or password")
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise QrPayloadError("the hub URL must not have a query (?...) or fragment (#...)")
    if not parts.hostname:
        raise QrPayloadError(f"the hub URL {url!r} names no host")
    try:
        ca.parse_host(parts.hostname)
    except ca.InvalidHost as err:
        raise QrPayloadError(f"the hub URL's host is invalid: {err}") from err
    return url.rstrip("/")
