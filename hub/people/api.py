"""Accounts and the audit trail over HTTP: admins manage people, supervisors and admins read
the trail (docs/hub-api.md)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from ..core.accounts import AccountError, User
from ..core.audit import AuditAction
from ..core.context import HUB_CONTEXT
from ..infra.http_json import bad_request, json_object, not_found, optional_text, query_limit
from ..infra.passwords import WeakPassword, check_new_password, hash_password
from ..policy import SUPERVISORS, Role, allow
from ..web.access import actor, session_of
from .session import LOGIN_STATE


@allow(Role.ADMIN)
async def list_users(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    users = await hub.db(hub.store.accounts.users)
    return web.json_response({"users": [_user(u) for u in users]})


@allow(Role.ADMIN)
async def create_user(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    payload = await json_object(request)
    username = optional_text(payload, "username", 64)
    display = optional_text(payload, "display", 100)
    household_id = optional_text(payload, "household_id", 64) or None
    try:
        role = Role(str(payload.get("role")))
    except ValueError:
        raise bad_request(f"role must be one of {', '.join(Role)}") from None
    password_hash = await _hash_new_password(request, payload, username)
    who = actor(session_of(request).user)

    def create() -> User:
        now = hub.clock()
        user = hub.store.accounts.create_user(
            username, display, role, password_hash, now=now, household_id=household_id
        )
        hub.store.audit.append(
            who, AuditAction.USER_CHANGE, f"user:{user.username}", now, f"created ({role})"
        )
        return user

    try:
        user = await hub.db(create)
    except AccountError as err:
        raise bad_request(str(err)) from None
    return web.json_response({"user": _user(user)}, status=201)


@allow(Role.ADMIN)
async def disable_user(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    username = request.match_info["username"]
    who = actor(session_of(request).user)

    def disable() -> User | None:
        user = hub.store.accounts.user_by_name(username)
        if user is None:
            return None
        now = hub.clock()
        hub.store.accounts.disable_user(user.id, now)
        hub.store.audit.append(who, AuditAction.USER_CHANGE, f"user:{username}", now, "disabled")
        return hub.store.accounts.user(user.id)

    user = await hub.db(disable)
    if user is None:
        raise not_found("such user")
    return web.json_response({"user": _user(user)})


@allow(Role.ADMIN)
async def set_password(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    username = request.match_info["username"]
    password_hash = await _hash_new_password(request, await json_object(request), username)
    who = actor(session_of(request).user)

    def change() -> bool:
        user = hub.store.accounts.user_by_name(username)
        if user is None:
            return False
        now = hub.clock()
        hub.store.accounts.set_password(user.id, password_hash, now)
        hub.store.audit.append(
            who, AuditAction.USER_CHANGE, f"user:{username}", now, "password set"
        )
        return True

    if not await hub.db(change):
        raise not_found("such user")
    return web.json_response({"ok": True})


@allow(*SUPERVISORS)
async def audit_entries(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    subject = request.query.get("subject") or None
    limit = query_limit(request, 200, 5000)
    entries = await hub.db(hub.store.audit.entries, subject, limit)
    return web.json_response({"entries": [e.as_dict() for e in entries]})


async def _hash_new_password(request: web.Request, payload: dict[str, Any], username: str) -> str:
    """Check and hash off the event loop (scrypt takes 128 MiB and a third of a second)."""
    password = payload.get("password")
    if not isinstance(password, str):
        raise bad_request("password must be text")
    try:
        check_new_password(password, username)
    except WeakPassword as err:
        raise bad_request(str(err)) from None
    async with request.app[LOGIN_STATE].hashing:
        return await asyncio.get_running_loop().run_in_executor(None, hash_password, password)


def _user(user: User) -> dict[str, Any]:
    return {**user.as_dict(), "disabled": user.disabled}


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/users", list_users)
    app.router.add_post("/api/v1/users", create_user)
    app.router.add_post("/api/v1/users/{username}/disable", disable_user)
    app.router.add_post("/api/v1/users/{username}/password", set_password)
    app.router.add_get("/api/v1/audit", audit_entries)
