"""A queued DC-09 event and the frames it travels in.

The event is stored as JSON in the outbox with its codes resolved (not only its kind), so an
event queued before an update is sent as it was meant. The frame is built at send time, from
the settings of that moment, with a fresh timestamp for each attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..dc09.codes import ReportCode
from ..dc09.contact_id import ContactIdEvent, Qualifier
from ..dc09.frame import Frame, MessageId, format_timestamp
from ..dc09.sia_dcs import SiaDcsEvent
from .settings import ArcSettings, ReportFormat

MAX_ZONE = 999  # Contact ID has three digits; SIA would take more, but one limit fits both


@dataclass(frozen=True, slots=True)
class ArcEvent:
    """One report for the ARC: an alarm, its restore, a cancel or a test."""

    code: ReportCode
    restore: bool
    zone: int
    occurred_at: datetime  # aware
    kind: str  # ours (an AlarmKind value), for logs and diagnostics
    alarm_id: str | None

    def __post_init__(self) -> None:
        if not 0 <= self.zone <= MAX_ZONE:
            raise ValueError(f"zone must be 0..{MAX_ZONE}: {self.zone}")
        if self.occurred_at.tzinfo is None or self.occurred_at.utcoffset() is None:
            raise ValueError("occurred_at must be timezone-aware")

    def to_json(self) -> dict[str, Any]:
        """The outbox body (a JSON object)."""
        return {
            "code": {
                "contact_id": self.code.contact_id,
                "sia_alarm": self.code.sia_alarm,
                "sia_restore": self.code.sia_restore,
            },
            "restore": self.restore,
            "zone": self.zone,
            "occurred_at": self.occurred_at.astimezone(UTC).isoformat(),
            "kind": self.kind,
            "alarm_id": self.alarm_id,
        }

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> ArcEvent:
        """The inverse of `to_json`; ValueError when the body is not one."""
        try:
            code = body["code"]
            alarm_id = body["alarm_id"]
            event = cls(
                code=ReportCode(
                    contact_id=_exact(code["contact_id"], int),
                    sia_alarm=_exact(code["sia_alarm"], str),
                    sia_restore=_exact(code["sia_restore"], str),
                ),
                restore=_exact(body["restore"], bool),
                zone=_exact(body["zone"], int),
                occurred_at=datetime.fromisoformat(_exact(body["occurred_at"], str)),
                kind=_exact(body["kind"], str),
                alarm_id=None if alarm_id is None else _exact(alarm_id, str),
            )
        except (KeyError, TypeError) as err:
            raise ValueError(f"not an ARC event body: {err!r}") from err
        return event

    def frame(
        self, settings: ArcSettings, sequence: int, sent_at: datetime, clock_offset: timedelta
    ) -> Frame:
        """The event's frame; `sent_at` is already on the receiver's clock, and the
        occurrence time is moved by the same offset so both read on one clock."""
        if settings.format is ReportFormat.CONTACT_ID:
            qualifier = Qualifier.RESTORE if self.restore else Qualifier.NEW
            data = ContactIdEvent(
                qualifier, self.code.contact_id, settings.group, self.zone
            ).to_data(settings.account)
            message_id = MessageId.ADM_CID
        else:
            sia_code = self.code.sia_restore if self.restore else self.code.sia_alarm
            data = SiaDcsEvent(sia_code, zone=self.zone, area=settings.group).to_data(
                settings.account
            )
            message_id = MessageId.SIA_DCS
        # x-data H: when it happened, which differs from the timestamp after buffering.
        occurred = format_timestamp(self.occurred_at + clock_offset).removeprefix("_")
        return Frame(
            id=message_id,
            sequence=sequence,
            line=settings.line_number,
            receiver=settings.receiver_number,
            account=settings.account,
            data=data,
            extended=(f"H{occurred}",),
            timestamp=sent_at.astimezone(UTC).replace(microsecond=0),
            encrypted=settings.key is not None,
        )


def null_frame(settings: ArcSettings, sequence: int, sent_at: datetime) -> Frame:
    """A link test (NULL poll): no data, only the account."""
    return Frame(
        id=MessageId.NULL,
        sequence=sequence,
        line=settings.line_number,
        receiver=settings.receiver_number,
        account=settings.account,
        timestamp=sent_at.astimezone(UTC).replace(microsecond=0),
        encrypted=settings.key is not None,
    )


def _exact[T](value: object, type_: type[T]) -> T:
    # bool is an int: a body with "zone": true must not pass as zone 1.
    if not isinstance(value, type_) or (type_ is int and isinstance(value, bool)):
        raise TypeError(f"expected {type_.__name__}, got {type(value).__name__}")
    return value
