"""The hub's log lines: JSON with the agreed fields, and no phone numbers, e-mail addresses or
deny-listed values in them, while ids and times stay readable."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from hub.__main__ import _parser
from hub.infra.logs import REDACTED, JsonFormatter, TextFormatter, configure, default_format

ULID = "01JD3Q5X6Z8K9M2N4P6R8T0V1W"
DIGIT_HEAVY_ULID = "0123456789ABCDEFGHJKMNPQRS"


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger writing JSON lines into a buffer, apart from the root logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("hub.test_logs")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_line_is_one_json_object_with_the_fields(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    logger.warning(
        "Alarm %s (%s) unacknowledged", ULID, "sos", extra={"event": "escalated", "count": 3}
    )
    (line,) = _lines(stream)
    assert line.pop("ts").endswith("Z")
    assert line == {
        "level": "WARNING",
        "logger": "hub.test_logs",
        "msg": f"Alarm {ULID} (sos) unacknowledged",
        "event": "escalated",
        "count": 3,
    }


@pytest.mark.parametrize(
    "phone", ["13812345678", "+86 138 1234 5678", "010-12345678", "+8613812345678", "(010) 1234567"]
)
def test_phone_numbers_are_masked(captured: tuple[logging.Logger, io.StringIO], phone: str) -> None:
    logger, stream = captured
    logger.info("Calling %s now", phone)
    logger.info("王奶奶电话%s，请回电", phone)  # Chinese text around it is no shield
    assert [line["msg"] for line in _lines(stream)] == [
        f"Calling {REDACTED} now",
        f"王奶奶电话{REDACTED}，请回电",
    ]


def test_email_addresses_and_denied_extras_are_masked(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    logger.info(
        "Invite sent to li.na+family@example.com.cn",
        extra={
            "event": "invite",
            "contact": {"name": "王芳", "relation": "daughter"},  # LogRecord owns `name`
            "household_name": "王奶奶家",
            "PASSWORD": "hunter2",
            "value": 72,
            "note": "lives alone",
            "resident": {"medications": ["aspirin"], "birth_year": 1941},
            "contacts": ["13812345678", "son"],
            "reached": 13812345678,
        },
    )
    (line,) = _lines(stream)
    assert line["msg"] == f"Invite sent to {REDACTED}"
    for key in ("household_name", "PASSWORD", "value", "note", "reached"):
        assert line[key] == REDACTED, key
    assert line["contact"] == {"name": REDACTED, "relation": "daughter"}
    assert line["resident"] == {"medications": REDACTED, "birth_year": 1941}
    assert line["contacts"] == [REDACTED, "son"]
    assert line["event"] == "invite"


@pytest.mark.parametrize(
    "kept",
    [
        ULID,
        DIGIT_HEAVY_ULID,
        "2026-11-21T10:00:00",
        "2026-11-21T10:00:00.123Z",
        "2026-11-21T18:00:00+08:00",
        "2026-11-21 10:00:00,123",
        "2026-11-21",
        "127.0.0.1:8080",
        "took 0.12345678 s",
        "8867-4",
        "512 jobs",
    ],
)
def test_ids_times_and_small_numbers_survive(
    captured: tuple[logging.Logger, io.StringIO], kept: str
) -> None:
    logger, stream = captured
    logger.info("seen %s", kept, extra={"at": kept})
    (line,) = _lines(stream)
    assert (line["msg"], line["at"]) == (f"seen {kept}", kept)


def test_a_time_next_to_a_phone_number(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.info("2026-11-21 10:00:00 call 13812345678 (gateway %s)", ULID)
    (line,) = _lines(stream)
    assert line["msg"] == f"2026-11-21 10:00:00 call {REDACTED} (gateway {ULID})"


def test_an_exception_is_carried_as_exc_and_redacted(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    try:
        raise ValueError("no contact for 13812345678")
    except ValueError:
        logger.exception("Lookup failed")
    (line,) = _lines(stream)
    assert line["level"] == "ERROR"
    assert line["msg"] == "Lookup failed"
    assert line["exc"].startswith("Traceback")
    assert f"ValueError: no contact for {REDACTED}" in line["exc"]
    assert "13812345678" not in json.dumps(line)


def test_text_lines_are_redacted_too() -> None:
    record = logging.LogRecord("hub.x", logging.INFO, "", 0, "call %s", ("13812345678",), None)
    text = TextFormatter().format(record)
    assert text.endswith(f"INFO hub.x: call {REDACTED}")


def test_configure_routes_the_root_logger(monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))  # restored afterwards
    monkeypatch.setattr(root, "level", root.level)
    stream = io.StringIO()
    configure("json", stream=stream)
    logging.getLogger("aiohttp.access").info(
        "GET /api/v1/households?phone=13812345678",
        extra={"remote_address": "127.0.0.1", "first_request_line": "GET /?q=a@b.cn"},
    )
    (line,) = _lines(stream)
    assert line["logger"] == "aiohttp.access"
    assert line["msg"] == f"GET /api/v1/households?phone={REDACTED}"
    assert line["remote_address"] == "127.0.0.1"  # an `_address` key, but not a postal one
    assert line["first_request_line"] == f"GET /?q={REDACTED}"


def test_the_default_format_follows_the_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert default_format(Terminal()) == "text"
    assert default_format(io.StringIO()) == "json"
    assert _parser().parse_args(["--log-format", "text"]).log_format == "text"
    assert _parser().parse_args([]).log_format is None  # decided by the terminal
