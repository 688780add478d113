"""The hub's log lines: one JSON object per line for collectors, with personal data masked.

A care center's logs leave the care center (log shippers, support tickets, screenshots), so
they must not carry what the registry protects: phone numbers, e-mail addresses, names, notes,
medical details. Redaction runs on every line, text or JSON, as the last step before output,
so a careless log call elsewhere cannot leak those patterns. It is a safety net, not a licence:
a name without a pattern (王奶奶) is only caught when passed as a deny-listed `extra` field.

    _LOGGER.info("Alarm %s raised", alarm_id, extra={"event": "alarm_raised", "kind": kind})
    -> {"ts": "2026-11-21T10:00:00.123Z", "level": "INFO", "logger": "hub.x",
        "msg": "Alarm 01J... raised", "event": "alarm_raised", "kind": "sos"}

What a phone number looks like here: 7 to 15 digits, optionally after a `+`, optionally
grouped by single spaces or dashes (13812345678, +86 138 1234 5678, 010-12345678). ISO dates
and timestamps are matched first and kept, so `2026-11-21 10:00:00` is not a phone number;
digit runs glued to Latin letters (a ULID, a hex digest) are kept because a number must stand
alone, while Chinese text around a number is no protection (电话13812345678 is masked).
Long plain numbers (epoch times, counters of 7+ digits) are masked too: too much is safer
than too little.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from gateway.alarms import utc_iso

REDACTED = "[redacted]"
LogFormat = Literal["json", "text"]
LOG_FORMATS: tuple[LogFormat, ...] = ("json", "text")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Extra fields whose values are personal whatever they look like. A key matches by name or by
# its last `_` part, so `household_name`, `contact_phone` and `csrf_token` are masked too, at
# any depth (a top-level `name` cannot be passed: LogRecord has one, the logger's).
DENIED_KEYS = frozenset(
    {
        "name",
        "phone",
        "address",
        "password",
        "token",
        "note",
        "conditions",
        "medications",
        "allergies",
        "value",
    }
)
# Matched by the suffix rule but not personal: aiohttp's access log puts the client's IP
# address there (it is in the line's msg anyway).
ALLOWED_KEYS = frozenset({"remote_address"})

_SENSITIVE = re.compile(
    # Kept as they are: ISO dates and timestamps (T or space, optional seconds, fraction, zone).
    r"(?P<keep>\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
    r"(?:Z|[+-]\d{2}(?::?\d{2})?)?)?)"
    r"|(?P<email>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
    # A number standing alone: not glued to a Latin letter or digit, `+` or a decimal point;
    # an area code may be in brackets.
    r"|(?P<phone>(?<![A-Za-z0-9+.])\+?(?:\(\d{2,4}\)[ -]?)?\d(?:[ -]?\d){6,14}"
    r"(?![A-Za-z0-9]|\.\d))"
)
# Attributes every LogRecord has; anything else on a record came in through `extra=`.
_RECORD_ATTRIBUTES = frozenset(
    logging.LogRecord("", logging.INFO, "", 0, "", None, None).__dict__
) | {"message", "asctime"}


def redact_text(text: str) -> str:
    """The text with phone numbers and e-mail addresses replaced by [redacted]."""
    return _SENSITIVE.sub(_replacement, text)


def _replacement(match: re.Match[str]) -> str:
    return match.group() if match.group("keep") is not None else REDACTED


def is_denied(key: str) -> bool:
    lowered = key.lower()
    if lowered in ALLOWED_KEYS:
        return False
    return lowered in DENIED_KEYS or lowered.rsplit("_", 1)[-1] in DENIED_KEYS


def redact_field(key: str, value: Any) -> Any:
    """An extra field's value as it may be logged: masked whole when the key is denied,
    else with its text redacted (recursively through dicts, lists and tuples)."""
    if is_denied(key):
        return REDACTED
    if isinstance(value, dict):
        return {str(k): redact_field(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_field("", item) for item in value]
    if isinstance(value, bool | int | float) or value is None:
        # A phone number passed as a number is still a phone number.
        return value if redact_text(str(value)) == str(value) else REDACTED
    return redact_text(value if isinstance(value, str) else str(value))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts (UTC, ms), level, logger, msg, the record's extra fields
    (the four core fields win a name clash), and exc / stack when the record has them."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": utc_iso(datetime.fromtimestamp(record.created, UTC)),
            "level": record.levelname,
            "logger": record.name,
            "msg": redact_text(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES and key not in entry and not key.startswith("_"):
                entry[key] = redact_field(key, value)
        if record.exc_info:
            entry["exc"] = redact_text(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exc"] = redact_text(record.exc_text)
        if record.stack_info:
            entry["stack"] = redact_text(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The classic one-line text format for a person at a terminal, redacted the same way
    (extra fields are not shown, so deny-listed values never appear)."""

    def __init__(self, fmt: str = TEXT_FORMAT) -> None:
        super().__init__(fmt)

    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))


def default_format(stream: TextIO) -> LogFormat:
    """Text for a person at a terminal, JSON for everything else (files, journald, docker)."""
    try:
        return "text" if stream.isatty() else "json"
    except (AttributeError, ValueError):  # a closed or unusual stream
        return "json"


def configure(
    log_format: LogFormat | None = None, *, level: int = logging.INFO, stream: TextIO | None = None
) -> logging.Handler:
    """Route every logger (aiohttp's access log included) through one redacting handler on
    `stream` (stderr by default), replacing any handler configured before."""
    target = stream if stream is not None else sys.stderr
    handler = logging.StreamHandler(target)
    chosen = log_format or default_format(target)
    handler.setFormatter(JsonFormatter() if chosen == "json" else TextFormatter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    return handler
