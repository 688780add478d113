"""Bodies that are not what a JSON endpoint reads (issue 18): nested too deep for the
parser, not UTF-8, NaN, lone surrogates, too large with or without a Content-Length. Every
JSON endpoint of the hub answers the documented 400 `{error, message}`, never a 500, and the
hub goes on serving. Real hub, real sockets, raw bodies as an attacker sends them."""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import AsyncIterator

import aiohttp
import pytest

from hub.policy import Role
from hub.web.access import CSRF_HEADER

from ..conftest import RunningHub, cookie_session

ANYONE = None
# Every route that reads a JSON body, and who may call it (an admin may call all the rest).
JSON_ENDPOINTS: list[tuple[str, str, Role | None]] = [
    ("POST", "/api/v1/login", ANYONE),
    ("POST", "/api/v1/enroll", ANYONE),
    ("POST", "/api/v1/alarms/some-alarm/steps", Role.ADMIN),
    ("POST", "/api/v1/alarms/some-alarm/notes", Role.ADMIN),
    ("POST", "/api/v1/households", Role.ADMIN),
    ("PATCH", "/api/v1/households/some-household", Role.ADMIN),
    ("POST", "/api/v1/households/some-household/residents", Role.ADMIN),
    ("PUT", "/api/v1/households/some-household/contacts", Role.ADMIN),
    ("PATCH", "/api/v1/residents/some-resident", Role.ADMIN),
    ("POST", "/api/v1/users", Role.ADMIN),
    ("POST", "/api/v1/users/some-user/password", Role.ADMIN),
    ("POST", "/api/v1/users/some-user/unlock", Role.ADMIN),
    ("POST", "/api/v1/panels", Role.ADMIN),
    ("POST", "/api/v1/services/requests", Role.ADMIN),
    ("POST", "/api/v1/services/requests/some-request/steps", Role.ADMIN),
    ("POST", "/api/v1/services/requests/some-request/rating", Role.ADMIN),
    ("POST", "/api/v1/services/providers", Role.ADMIN),
    ("PATCH", "/api/v1/services/providers/some-provider", Role.ADMIN),
    ("PUT", "/api/v1/households/some-household/services", Role.ADMIN),
]
DEPTH = 30_000
BODIES: dict[str, bytes] = {
    # ~60 KB, under the size limit: deeper than the parser's stack.
    "nested arrays": b"[" * DEPTH + b"]" * DEPTH,
    "nested objects": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "deep inside a field": b'{"username": ' + b"[" * 900 + b"]" * 900 + b', "password": "x"}',
    "lone surrogate": b'{"username": "\\ud800", "password": "\\udfff", "note": "\\ud800"}',
    "surrogate as a key": b'{"\\udc00": 1}',
    "not UTF-8": b'{"note": "\xff\xfe"}',
    "UTF-8 with a BOM": b'\xef\xbb\xbf{"note": "x"}',
    "NaN": b'{"note": NaN, "eta_minutes": NaN}',
    "infinity": b'{"eta_minutes": 1e999, "birth_year": -Infinity}',
    "an integer SQLite cannot hold": b'{"birth_year": 99999999999999999999999}',
    "garbage": b"\x00\x01 not json {",
    "truncated": b'{"username": "dispatcher", "pass',
    "a list": b"[1, 2, 3]",
    "a string": b'"just text"',
    "empty": b"",
}
# Over MAX_BODY (64 KiB), yet well-formed: refused for its size alone.
LARGE = b'{"username": "x", "password": "y", "pad": "' + b"x" * 100_000 + b'"}'


class Caller:
    def __init__(self, hub: RunningHub, session: aiohttp.ClientSession, csrf: str) -> None:
        self.hub, self.session, self.headers = hub, session, {CSRF_HEADER: csrf}

    async def send(
        self, method: str, path: str, body: bytes | AsyncIterator[bytes]
    ) -> tuple[int, object]:
        headers = {**self.headers, "Content-Type": "application/json"}
        async with self.session.request(
            method, self.hub.url + path, data=body, headers=headers
        ) as answer:
            is_json = answer.content_type == "application/json"
            return answer.status, await (answer.json() if is_json else answer.text())


@pytest.fixture
async def admin(hub_server: RunningHub) -> AsyncIterator[Caller]:
    async with cookie_session() as session:
        yield Caller(hub_server, session, await hub_server.sign_in(session, Role.ADMIN))


def _is_typed_refusal(status: int, body: object) -> bool:
    return (
        status == 400
        and isinstance(body, dict)
        and body.get("error") == "bad_request"
        and isinstance(body.get("message"), str)
        and set(body) == {"error", "message"}
    )


async def _still_serving(hub: RunningHub) -> None:
    """Someone signs in and reads their own account: the hub took no harm."""
    async with cookie_session() as session:
        await hub.sign_in(session)
        async with session.get(hub.url + "/api/v1/me") as answer:
            assert answer.status == 200


@pytest.mark.parametrize("kind", list(BODIES))
async def test_every_json_endpoint_refuses_a_bad_body_with_a_typed_400(
    hub_server: RunningHub, admin: Caller, kind: str
) -> None:
    answers = {}
    for method, path, _ in JSON_ENDPOINTS:
        if kind == "empty" and path.endswith("/unlock"):
            continue  # the one endpoint whose body is optional
        answers[(method, path)] = await admin.send(method, path, BODIES[kind])
    wrong = {where: answer for where, answer in answers.items() if not _is_typed_refusal(*answer)}
    assert wrong == {}
    await _still_serving(hub_server)


async def test_a_large_body_is_refused_with_or_without_a_content_length(
    hub_server: RunningHub, admin: Caller
) -> None:
    async def chunked() -> AsyncIterator[bytes]:
        for start in range(0, len(LARGE), 8192):  # no Content-Length: chunked encoding
            yield LARGE[start : start + 8192]

    for method, path, _ in JSON_ENDPOINTS:
        for body in (LARGE, chunked()):
            status, answer = await admin.send(method, path, body)
            assert _is_typed_refusal(status, answer), (method, path, status, answer)
            assert isinstance(answer, dict)
            assert "64 KiB" in answer["message"]
    await _still_serving(hub_server)


async def test_no_state_changing_route_answers_a_nested_body_with_a_server_error(
    hub_server: RunningHub, admin: Caller
) -> None:
    """Every POST / PUT / PATCH / DELETE of the app, the ones added later included."""
    app = hub_server._runner.app  # type: ignore[union-attr]
    routes = []
    for route in app.router.routes():
        if route.method in ("POST", "PUT", "PATCH", "DELETE"):
            assert route.resource is not None
            path = route.resource.canonical.replace("{", "some-").replace("}", "")
            routes.append((route.method, path))
    routes.sort(key=lambda item: item[1] == "/api/v1/logout")  # it ends the session: last
    for method, path in routes:
        status, answer = await admin.send(method, path, BODIES["nested arrays"])
        assert status < 500, (method, path, status, answer)
    await _still_serving(hub_server)


async def _raw_post(hub: RunningHub, headers: bytes, body: bytes) -> tuple[bytes, bytes]:
    """(status line, body) of a POST /api/v1/login written byte by byte, as an attacker would."""
    reader, writer = await asyncio.open_connection("127.0.0.1", hub.port)
    try:
        writer.write(
            b"POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\n" + headers + b"\r\n" + body
        )
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, _, fields = head.partition(b"\r\n")
        lengths = [
            int(line.split(b":")[1])
            for line in fields.lower().split(b"\r\n")
            if line.startswith(b"content-length:")
        ]
        return status_line, await reader.readexactly(lengths[0] if lengths else 0)
    finally:
        writer.close()


@pytest.mark.parametrize("inflated_mb", [10, 40], ids=["10 MB", "40 MB"])
async def test_a_compressed_bomb_is_refused_with_a_typed_400(
    hub_server: RunningHub, inflated_mb: int
) -> None:
    bomb = zlib.compress(b'{"username": "x", "password": "' + b"a" * inflated_mb * 10**6 + b'"}')
    assert len(bomb) < 64 * 1024  # small on the wire
    deflate = b"Content-Encoding: deflate\r\n"
    for headers, body in [
        (deflate + b"Content-Length: %d\r\n" % len(bomb), bomb),
        (deflate + b"Transfer-Encoding: chunked\r\n", b"%x\r\n%s\r\n0\r\n\r\n" % (len(bomb), bomb)),
    ]:
        status_line, answer = await _raw_post(hub_server, headers, body)
        assert status_line.startswith(b"HTTP/1.1 400 "), status_line
        assert _is_typed_refusal(400, json.loads(answer))
    await _still_serving(hub_server)


async def test_broken_chunking_is_a_400_and_the_hub_keeps_serving(hub_server: RunningHub) -> None:
    chunks = b'5\r\n{"use\r\nZZ\r\nrname\r\n0\r\n\r\n'  # "ZZ" is no chunk size
    status_line, _ = await _raw_post(hub_server, b"Transfer-Encoding: chunked\r\n", chunks)
    assert status_line.split(b" ")[1] == b"400", status_line
    await _still_serving(hub_server)
