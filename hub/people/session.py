"""A signed-in page's session: the login page, who the page belongs to, and sign-out; and
the sign-in state the login and accounts APIs share (the throttle, the hashing slots)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import web

from ..core.audit import AuditAction
from ..core.context import HUB_CONTEXT
from ..policy import Role, allow, public
from ..web.access import LOGIN_PATH, SESSION_COOKIE, actor, session_of
from ..web.static import page
from .throttle import LoginThrottle


@dataclass
class LoginState:
    throttle: LoginThrottle
    # scrypt takes 128 MiB and a third of a second: two at a time at most.
    hashing: asyncio.Semaphore


LOGIN_STATE = web.AppKey("login_state", LoginState)


@allow(*Role)
async def logout(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    session = session_of(request)
    token = request.cookies[SESSION_COOKIE]

    def end() -> None:
        hub.store.accounts.end_session(token, hub.clock())
        hub.store.audit.append(actor(session.user), AuditAction.LOGOUT, "session", hub.clock())

    await hub.db(end)
    response = web.json_response({"ok": True})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


@allow(*Role)
async def me(request: web.Request) -> web.Response:
    """Who the page belongs to, and the token its state-changing requests must carry."""
    session = session_of(request)
    return web.json_response({"user": session.user.as_dict(), "csrf_token": session.csrf_token})


@public
async def login_page(request: web.Request) -> web.FileResponse:
    return page("login.html")


def add_routes(app: web.Application) -> None:
    app[LOGIN_STATE] = LoginState(LoginThrottle(), asyncio.Semaphore(2))
    app.router.add_get(LOGIN_PATH, login_page)
    app.router.add_post("/api/v1/logout", logout)
    app.router.add_get("/api/v1/me", me)
