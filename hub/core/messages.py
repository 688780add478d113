"""The ids of the messages the hub stored from each gateway: a resend (its ack was lost)
finds its id here and changes nothing. One table for every message type."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from gateway.alarms import utc_iso


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    gateway_id: str
    message_id: str
    type: str


def claim_message(db: sqlite_utils.Database, message: ReceivedMessage, now: datetime) -> bool:
    """Inside a transaction: remember a gateway's message id; False when seen before."""
    cursor = db.execute(
        "INSERT OR IGNORE INTO messages (gateway_id, id, type, received_at) VALUES (?, ?, ?, ?)",
        [message.gateway_id, message.message_id, message.type, utc_iso(now)],
    )
    return cursor.rowcount > 0
