"""JSON in and out for the people's API: one shape for every refusal (docs/hub-api.md), and
the one way the hub reads a JSON request body.

Every JSON body of the hub goes through `read_json_object` (or `json_object`, its 400 form):
the body is read up to MAX_BODY bytes as it arrives (chunked or not; inflated, if compressed),
never further; it must be UTF-8 JSON without NaN or Infinity, nest at most MAX_DEPTH deep, and
hold only text that can be stored (no lone surrogates). The gateway's WebSocket envelopes get
the same defences in gateway/protocol.py (Envelope.from_json, its refusals shaped as naks);
this is the HTTP side's reader.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

MAX_BODY = 64 * 1024
MAX_DEPTH = 32  # our own bodies nest 3 deep; json.loads itself gives up near 1000


class BodyError(ValueError):
    """A request body the hub refuses to read; str() says why, for people."""


_ERRORS: dict[int, type[web.HTTPError]] = {
    400: web.HTTPBadRequest,
    403: web.HTTPForbidden,
    404: web.HTTPNotFound,
    409: web.HTTPConflict,
}


def refusal(status: int, error: str, message: str | None = None) -> web.HTTPError:
    """An HTTP error carrying `{error, message}`; raise it from a handler."""
    body: dict[str, str] = {"error": error}
    if message:
        body["message"] = message
    return _ERRORS[status](
        text=json.dumps(body, ensure_ascii=False), content_type="application/json"
    )


def bad_request(message: str) -> web.HTTPError:
    return refusal(400, "bad_request", message)


def not_found(what: str) -> web.HTTPError:
    return refusal(404, "not_found", f"no {what}")


async def json_object(request: web.Request, *, empty: bool = False) -> dict[str, Any]:
    """The request's JSON object; 400 `bad_request` for anything else (garbage, a list, too
    big, too deep). `empty`: a request without a body is the empty object."""
    try:
        return await read_json_object(request, empty=empty)
    except BodyError as err:
        raise bad_request(str(err)) from None


async def read_json_object(request: web.Request, *, empty: bool = False) -> dict[str, Any]:
    """The request's JSON object, or BodyError saying what is wrong with it."""
    raw = await read_body(request)
    if empty and not raw.strip():
        return {}
    payload = parse_json(raw)
    if not isinstance(payload, dict):
        raise BodyError("the body must be a JSON object")
    return payload


async def read_body(request: web.Request, limit: int = MAX_BODY) -> bytes:
    """The body, read as it arrives and refused past `limit` bytes: a Content-Length over it
    is refused unread, and a chunked body (no length) is never buffered beyond it."""
    too_large = f"the request body is larger than {limit // 1024} KiB"
    if request.content_length is not None and request.content_length > limit:
        raise BodyError(too_large)
    body = bytearray()
    while len(body) <= limit:
        try:
            chunk = await request.content.read(limit + 1 - len(body))
        except RequestPayloadError:  # broken chunking, a bad or bombing compression
            raise BodyError(
                "the request body could not be read (its chunks or compression)"
            ) from None
        if not chunk:
            return bytes(body)
        body += chunk
    raise BodyError(too_large)


def parse_json(raw: bytes) -> Any:
    """JSON text (UTF-8) to Python, or BodyError: never RecursionError, NaN, infinity, an
    integer SQLite cannot hold, or a lone surrogate."""
    try:
        value = json.loads(
            raw.decode("utf-8"),
            parse_constant=_no_constant,
            parse_float=_finite_float,
            parse_int=_storable_int,
        )
    except RecursionError:
        # "[[[[..." fits 64 KiB yet nests deeper than the parser's stack.
        raise BodyError(f"the JSON nests deeper than {MAX_DEPTH} levels") from None
    except UnicodeDecodeError:
        raise BodyError("the body is not UTF-8 text") from None
    except ValueError as err:  # JSONDecodeError, an integer of too many digits, NaN
        raise BodyError(f"the body is not JSON: {err}") from None
    _check_shape(value)
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise ValueError(f"{text[:20]} is out of range")
    return number


def _storable_int(text: str) -> int:
    # SQLite stores 64-bit integers; a bigger one would fail at the database, not here.
    if len(text) > 20:
        raise ValueError(f"{text[:20]}... is out of range")
    number = int(text)
    if not -(2**63) <= number < 2**63:
        raise ValueError(f"{text} is out of range")
    return number


def _check_shape(value: Any) -> None:
    """Depth and text, without recursion (the input decides how deep a recursion would go)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise BodyError(f"the JSON nests deeper than {MAX_DEPTH} levels")
            if isinstance(item, dict):
                for key, inner in item.items():
                    _check_text(key)
                    stack.append((inner, depth + 1))
            else:
                stack.extend((inner, depth + 1) for inner in item)
        elif isinstance(item, str):
            _check_text(item)


def _check_text(text: str) -> None:
    # "\ud800" parses to a lone surrogate, which has no UTF-8 form to store or send back.
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise BodyError("the JSON holds a lone surrogate (\\ud800-\\udfff)") from None


def optional_text(payload: dict[str, Any], name: str, limit: int) -> str:
    value = payload.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise bad_request(f"{name} must be text")
    if len(value) > limit:
        raise bad_request(f"{name} is longer than {limit} characters")
    return value.strip()


def query_time(request: web.Request, name: str) -> datetime | None:
    """An ISO-8601 query parameter (UTC when it names no zone); None when absent."""
    text = request.query.get(name)
    if text is None or text == "":
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as err:
        raise bad_request(f"{name} is not an ISO-8601 time") from err
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def query_limit(request: web.Request, default: int, maximum: int) -> int:
    text = request.query.get("limit")
    if text is None:
        return default
    if not text.isdigit() or not 1 <= int(text) <= maximum:
        raise bad_request(f"limit must be a whole number from 1 to {maximum}")
    return int(text)


def only_fields(payload: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    """The body as it is when it names only `allowed` fields; else a 400 naming the others."""
    unknown = sorted(set(payload) - set(allowed))
    if unknown:
        raise bad_request(f"unknown fields: {', '.join(unknown)}")
    return payload
