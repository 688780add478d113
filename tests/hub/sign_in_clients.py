"""Sign-in as people and attackers do it, against a real hub: clients that connect from a
chosen loopback address (all of 127.0.0.0/8 is this machine), and a hub clock the test moves."""

from __future__ import annotations

import asyncio
import functools
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from hub.infra.passwords import hash_password
from hub.policy import Role

from ..conftest import RunningHub

PASSWORD = "the dispatcher's own password"
# Slow enough that a burst of requests all arrive before the first hash is done, as they do
# on a real hub (scrypt at N=2**17 takes a third of a second); fast enough for a test.
SLOW_N = 2**14
CHEAP_N = 2**10
DISPATCHER_ADDRESS = "127.0.0.1"
ATTACKER_ADDRESS = "127.0.0.2"


@dataclass
class MovableClock:
    """The hub's clock, standing still until the test moves it."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    retry_after: int | None  # the Retry-After header of a 429

    @property
    def checked(self) -> bool:
        """The hub checked the password (a 200 or a 401), rather than refusing at once."""
        return self.status in (200, 401)


@functools.cache
def _stored(password: str, n: int) -> str:
    # One hash per password and cost, shared by the test's users: hashed here, on the test's
    # own thread, once (executor threads the test started would outlive it).
    return hash_password(password, n=n)


def client_from(address: str) -> aiohttp.ClientSession:
    """A browser-like client (keeps cookies for an IP host) connecting from `address`."""
    connector = aiohttp.TCPConnector(local_addr=(address, 0), limit=0)
    return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True))


async def add_user(
    hub: RunningHub, role: Role = Role.DISPATCHER, *, n: int = CHEAP_N, password: str = PASSWORD
) -> str:
    """A user straight into the store (the stored hash carries its own cost `n`)."""
    username = f"{role.value}-{secrets.token_hex(4)}"
    stored = _stored(password, n)
    store = hub.context.store

    def create() -> None:
        store.accounts.create_user(username, username, role, stored, now=hub.context.clock())

    await hub.context.db(create)
    return username


async def sign_in(
    session: aiohttp.ClientSession, hub: RunningHub, username: str, password: str
) -> Answer:
    async with session.post(
        hub.url + "/api/v1/login", json={"username": username, "password": password}
    ) as answer:
        body = await answer.json()
        retry = answer.headers.get("Retry-After")
        return Answer(answer.status, body, int(retry) if retry is not None else None)


async def burst(
    session: aiohttp.ClientSession, hub: RunningHub, attempts: list[tuple[str, str]]
) -> list[Answer]:
    """All the attempts at once, each on its own connection, answers in the same order."""
    return await asyncio.gather(*(sign_in(session, hub, name, pw) for name, pw in attempts))


async def audit_actions(hub: RunningHub) -> list[tuple[str, str, str]]:
    """(actor, action, subject) of the audit trail, oldest first."""
    entries = await hub.context.db(hub.context.store.audit.entries)
    return [(e.actor, e.action, e.subject) for e in reversed(entries)]
