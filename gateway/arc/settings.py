"""What the DC-09 sender needs to reach an alarm receiving centre (docs/dc09.md).

Checked when built, so a sender never starts with settings a receiver would refuse for good
(a bad account or key length would only show up as DUHs at the first alarm).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from ..dc09.credentials import ACCOUNT_PATTERN, KEY_SIZES, NUMBER_PATTERN


class Transport(StrEnum):
    TCP = "tcp"
    UDP = "udp"


class ReportFormat(StrEnum):
    CONTACT_ID = "ADM-CID"
    SIA_DCS = "SIA-DCS"


@dataclass(frozen=True, slots=True)
class ReceiverAddress:
    """One DC-09 receiver of the ARC."""

    host: str
    port: int
    transport: Transport = Transport.TCP

    def __post_init__(self) -> None:
        if not self.host:
            raise ValueError("receiver host is empty")
        if not 0 < self.port < 65536:
            raise ValueError(f"receiver port out of range: {self.port}")

    def __str__(self) -> str:
        return f"{self.transport.value}://{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class ArcSettings:
    """Receivers in failover order (primary first), the account and how events are framed."""

    receivers: tuple[ReceiverAddress, ...]
    account: str  # 3-16 hex digits; kept upper case (receivers match it as written)
    format: ReportFormat = ReportFormat.CONTACT_ID
    receiver_number: str = "0"  # hex, the R field
    line_number: str = "0"  # hex, the L field
    key: bytes | None = None  # 16/24/32 bytes: AES-128/192/256; None: in clear
    ack_timeout: float = 10.0  # seconds to wait for ACK/NAK/DUH per attempt
    attempts: int = 3  # per receiver before failing over
    supervision_interval: float | None = None  # NULL poll every N s when idle; None: off
    test_interval: timedelta | None = timedelta(hours=24)  # periodic test; None: off
    group: int = 1  # Contact ID partition / SIA area

    def __post_init__(self) -> None:
        # Upper case on the wire: some receivers (pysiaalarm) match the account case-sensitively.
        for name in ("account", "receiver_number", "line_number"):
            object.__setattr__(self, name, getattr(self, name).upper())
        if not self.receivers:
            raise ValueError("at least one receiver is needed")
        if not ACCOUNT_PATTERN.fullmatch(self.account):
            raise ValueError("account must be 3-16 hex digits")
        if not NUMBER_PATTERN.fullmatch(self.receiver_number):
            raise ValueError("receiver number must be 1-6 hex digits")
        if not NUMBER_PATTERN.fullmatch(self.line_number):
            raise ValueError("line number must be 1-6 hex digits")
        if self.key is not None and len(self.key) not in KEY_SIZES:
            raise ValueError("key must be 16, 24 or 32 bytes")  # never the key itself
        if not self.ack_timeout > 0:
            raise ValueError("ack_timeout must be positive")
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if self.supervision_interval is not None and not self.supervision_interval > 0:
            raise ValueError("supervision_interval must be positive (or None)")
        if not 0 <= self.group <= 99:
            raise ValueError("group must be 0..99")

    def __repr__(self) -> str:
        # The dataclass repr would print the key.
        key = "None" if self.key is None else f"<{len(self.key) * 8}-bit key>"
        return (
            f"ArcSettings(receivers={self.receivers!r}, account={self.account!r}, "
            f"format={self.format.value}, key={key}, ack_timeout={self.ack_timeout}, "
            f"attempts={self.attempts}, supervision_interval={self.supervision_interval})"
        )
