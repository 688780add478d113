"""How the services slice turns the store's refusals into the API's (docs/hub-api.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from ..core.context import HubContext
from ..core.service_store import ServiceError, ServiceRefused
from ..infra.http_json import bad_request, not_found, refusal


async def service_call[T](hub: HubContext, function: Callable[[], T], what: str) -> T:
    """Run a store call on the database thread, its refusals as the API's."""
    with service_refusals(what):
        return await hub.db(function)


@contextmanager
def service_refusals(what: str) -> Iterator[None]:
    """ServiceError -> 400, ServiceRefused -> 409 with its code, KeyError -> 404 (`what`
    names the missing thing)."""
    try:
        yield
    except ServiceRefused as err:
        raise refusal(409, err.code, str(err)) from None
    except ServiceError as err:
        raise bad_request(str(err)) from None
    except KeyError:
        raise not_found(what) from None


def body_time(payload: dict[str, Any], name: str) -> datetime | None:
    """An ISO-8601 time of the body (UTC when it names no zone); None when absent."""
    value = payload.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise bad_request(f"{name} must be an ISO-8601 time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise bad_request(f"{name} is not an ISO-8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
