"""Sign-in over HTTP: POST /api/v1/login behind the throttle (hub/people/throttle.py), and
the supervisors' unlock of a name's sign-in delays (docs/hub-api.md, "Signing in").

Passwords are checked exactly as typed; only when that fails and what was typed ends in
whitespace (what a copied password picks up) is it checked once more without that trailing
whitespace. Every password accepted before is accepted still, and what else is accepted is
that password followed by whitespace: nothing an attacker could not have typed anyway.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import hdrs, web

from ..core.accounts import Session, User
from ..core.audit import AuditAction
from ..core.context import HUB_CONTEXT, HubContext
from ..infra.http_json import bad_request, json_object, not_found, optional_text
from ..infra.passwords import dummy_hash, verify_password
from ..policy import SUPERVISORS, allow, public
from ..web.access import SESSION_COOKIE, actor, session_of
from .session import LOGIN_STATE, LoginState
from .throttle import GUARD_FAILURES, GUARD_FREE, GUARD_WINDOW, Refused
from .unlocks import Unlock, UnlockError, UnlockFollower, checked_address, record_unlock

_LOGGER = logging.getLogger(__name__)
MAX_USERNAME = 64
UNLOCK_FOLLOWER = web.AppKey("unlock_follower", UnlockFollower)
GUARD_NOTE = (
    f"{GUARD_FAILURES} failed sign-ins within {GUARD_WINDOW.total_seconds() / 3600:g} h from"
    f" all addresses: each address now gets {GUARD_FREE} free attempt for this name"
    " before its delays; a fresh address still gets its attempt"
)


def password_matches(typed: str, stored: str | None) -> bool:
    """The sign-in check (slow: run it off the event loop). `stored` None: an unknown name,
    checked against a dummy hash so it takes as long as a wrong password."""
    stored = stored if stored is not None else dummy_hash()
    if verify_password(typed, stored):
        return True
    trimmed = typed.rstrip()
    return trimmed != typed and verify_password(trimmed, stored)


@public
async def login(request: web.Request) -> web.Response:
    """POST {username, password}: a session cookie and the CSRF token, or a refusal."""
    hub = request.app[HUB_CONTEXT]
    state = request.app[LOGIN_STATE]
    payload = await json_object(request)
    username, password = payload.get("username"), payload.get("password")
    if not (isinstance(username, str) and isinstance(password, str)):
        raise bad_request("username and password are required text")
    if len(username) > MAX_USERNAME:
        raise bad_request(f"username is longer than {MAX_USERNAME} characters")
    address = request.remote or "?"
    # Counted before the first await: simultaneous guesses cannot all pass a check that
    # only learns of their failures after the slow hash.
    attempt = state.throttle.begin(username, request.remote, hub.clock())
    if isinstance(attempt, Refused):
        return _too_many_attempts(attempt)
    try:
        user = await _check(hub, state, username, password)
    except BaseException:
        state.throttle.released(attempt)  # no answer given: it counts for nothing
        raise
    if user is None:
        guarded = state.throttle.failed(attempt, hub.clock())
        await hub.db(_audit_failure, hub, username, address, guarded)
        return web.json_response(
            {"error": "invalid_credentials", "message": "wrong user name or password"},
            status=401,
        )
    state.throttle.succeeded(attempt)

    def start() -> tuple[str, Session]:
        now = hub.clock()
        started = hub.store.accounts.start_session(user, now)
        hub.store.audit.append(actor(user), AuditAction.LOGIN, "session", now, address)
        return started

    token, session = await hub.db(start)
    response = web.json_response({"user": user.as_dict(), "csrf_token": session.csrf_token})
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
        path="/",
    )
    return response


async def _check(hub: HubContext, state: LoginState, username: str, password: str) -> User | None:
    found = await hub.db(hub.store.accounts.password_hash, username)
    stored = found[1] if found else None
    async with state.hashing:
        valid = await asyncio.get_running_loop().run_in_executor(
            None, password_matches, password, stored
        )
    return found[0] if found is not None and valid else None


def _audit_failure(hub: HubContext, username: str, address: str, guarded: bool) -> None:
    now = hub.clock()
    hub.store.audit.append(f"login:{username}", AuditAction.LOGIN_FAILED, "session", now, address)
    if guarded:
        _LOGGER.warning("Sign-in guard for %r: %s", username, GUARD_NOTE)
        hub.store.audit.append(
            "hub", AuditAction.LOGIN_GUARDED, f"user:{username.strip()}", now, GUARD_NOTE
        )


def _too_many_attempts(refused: Refused) -> web.Response:
    seconds = refused.seconds
    return web.json_response(
        {
            "error": "too_many_attempts",
            "message": f"too many failed sign-ins from here; try again in {seconds} s",
            "retry_after": seconds,
        },
        status=429,
        headers={hdrs.RETRY_AFTER: str(seconds)},
    )


@allow(*SUPERVISORS)
async def unlock(request: web.Request) -> web.Response:
    """POST {address?}: clear the name's sign-in delays from every address (and, given an
    address, that address's delays across names). Audited `login_unlocked`."""
    hub = request.app[HUB_CONTEXT]
    throttle = request.app[LOGIN_STATE].throttle
    payload = await json_object(request, empty=True)
    address = optional_text(payload, "address", 64) or None
    unknown = sorted(set(payload) - {"address"})
    if unknown:
        raise bad_request(f"unknown fields: {', '.join(unknown)}")
    try:
        address = checked_address(address) if address is not None else None
    except UnlockError as err:
        raise bad_request(f"address: {err}") from None
    user = await hub.db(hub.store.accounts.user_by_name, request.match_info["username"])
    if user is None:
        raise not_found("such user")
    # Cleared at once, in this process; the audit rows tell other readers (and the shell's
    # unlocks reach this hub the other way round: hub/people/unlocks.py).
    cleared = throttle.unlock_user(user.username)
    if address is not None:
        cleared += throttle.unlock_address(address)
    who = actor(session_of(request).user)
    done = Unlock(who, user.username, address, f"sign-in delays cleared ({cleared} with failures)")
    ids = await hub.db(record_unlock, hub.store, done, hub.clock())
    request.app[UNLOCK_FOLLOWER].applied.update(ids)
    body: dict[str, Any] = {"username": user.username, "address": address, "cleared": cleared}
    return web.json_response(body)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/login", login)
    app.router.add_post("/api/v1/users/{username}/unlock", unlock)
    follower = UnlockFollower(app[LOGIN_STATE].throttle)
    app[UNLOCK_FOLLOWER] = follower

    async def start(app: web.Application) -> None:
        await follower.start(app[HUB_CONTEXT])

    async def stop(app: web.Application) -> None:
        await follower.stop()

    app.on_startup.append(start)
    app.on_shutdown.append(stop)
