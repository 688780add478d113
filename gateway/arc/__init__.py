"""Reporting to a commercial alarm receiving centre over SIA DC-09 (docs/dc09.md)."""

from __future__ import annotations

from .events import ArcEvent
from .sender import MESSAGE_TYPE, OUTBOX_PRIORITIES, ArcRefused, ArcSender, ArcStatus
from .settings import ArcSettings, ReceiverAddress, ReportFormat, Transport

__all__ = [
    "MESSAGE_TYPE",
    "OUTBOX_PRIORITIES",
    "ArcEvent",
    "ArcRefused",
    "ArcSender",
    "ArcSettings",
    "ArcStatus",
    "ReceiverAddress",
    "ReportFormat",
    "Transport",
]
