"""The installer's ARC settings as the options flow keeps them, checked into `ArcSettings`.

Kept as plain strings and numbers (what a form holds); every error names the field and a
translation key, so the form can say exactly what to fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from ..dc09.credentials import (
    ACCOUNT_PATTERN,
    NUMBER_PATTERN,
    InvalidKey,
    KeyFormat,
    UnknownKeyFormat,
    parse_key,
)
from .settings import ArcSettings, ReceiverAddress, ReportFormat, Transport

DEFAULT_PORT: Final = 12300
DEFAULT_TEST_HOURS: Final = 24.0
KEY_HEX: Final = KeyFormat.HEX.value
KEY_TEXT: Final = KeyFormat.TEXT.value


class ArcOptionsError(ValueError):
    """`field` is wrong; `error` is the translation key of what is wrong with it."""

    def __init__(self, field: str, error: str) -> None:
        super().__init__(f"{field}: {error}")
        self.field = field
        self.error = error


@dataclass(frozen=True, slots=True)
class ArcOptions:
    """What the form holds (all optional but the account and the primary receiver)."""

    enabled: bool = False
    format: str = ReportFormat.CONTACT_ID.value
    account: str = ""
    receiver_number: str = "0"
    line_number: str = "0"
    primary: str = ""
    primary_transport: str = Transport.TCP.value
    backup: str = ""
    backup_transport: str = Transport.TCP.value
    key: str = ""
    key_format: str = KEY_HEX
    supervision_interval: float = 0.0  # seconds between NULL polls; 0: none
    test_interval: float = DEFAULT_TEST_HOURS  # hours between periodic tests; 0: none

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ArcOptions:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    def settings(self) -> ArcSettings | None:
        """The sender's settings; None when reporting is off. Raises ArcOptionsError."""
        if not self.enabled:
            return None
        if not ACCOUNT_PATTERN.fullmatch(self.account):
            raise ArcOptionsError("account", "invalid_account")
        for field in ("receiver_number", "line_number"):
            if not NUMBER_PATTERN.fullmatch(getattr(self, field)):
                raise ArcOptionsError(field, "invalid_number")
        try:
            report_format = ReportFormat(self.format)
        except ValueError:
            raise ArcOptionsError("format", "invalid_format") from None
        receivers = [_address(self.primary, self.primary_transport, "primary")]
        if self.backup.strip():
            receivers.append(_address(self.backup, self.backup_transport, "backup"))
        return ArcSettings(
            receivers=tuple(receivers),
            account=self.account.upper(),
            format=report_format,
            receiver_number=self.receiver_number.upper(),
            line_number=self.line_number.upper(),
            key=_key(self.key, self.key_format),
            supervision_interval=float(self.supervision_interval) or None,
            test_interval=timedelta(hours=float(self.test_interval)) or None,
        )


def _address(text: str, transport: str, field: str) -> ReceiverAddress:
    """`host:port`, `host` (the default port) or `[v6]:port`."""
    text = text.strip()
    host, port = text, DEFAULT_PORT
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            port = _port(rest.removeprefix(":"), field)
    elif text.count(":") == 1:
        host, port_text = text.split(":")
        port = _port(port_text, field)
    if not host or any(c.isspace() for c in host):
        raise ArcOptionsError(field, "invalid_address")
    try:
        return ReceiverAddress(host, port, Transport(transport))
    except ValueError:
        raise ArcOptionsError(f"{field}_transport", "invalid_transport") from None


def _port(text: str, field: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ArcOptionsError(field, "invalid_address")
    return int(text)


def _key(text: str, key_format: str) -> bytes | None:
    try:
        return parse_key(text, key_format)
    except UnknownKeyFormat:
        raise ArcOptionsError("key_format", "invalid_key") from None
    except InvalidKey:
        raise ArcOptionsError("key", "invalid_key") from None
