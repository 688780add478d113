"""JSON in and out for the people's API: one shape for every refusal (docs/hub-api.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

MAX_BODY = 64 * 1024


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


async def json_object(request: web.Request) -> dict[str, Any]:
    """The request's JSON object; 400 for anything else (garbage, a list, too big)."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise bad_request("the request body is too large")
    try:
        payload = json.loads(await request.text())
    except (ValueError, UnicodeDecodeError) as err:
        raise bad_request("the body is not JSON") from err
    if not isinstance(payload, dict):
        raise bad_request("the body must be a JSON object")
    return payload


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
