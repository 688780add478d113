"""Who is asking, for every request: sessions, roles, CSRF, and sign-out (sign-in and its
throttle are hub/login_api.py).

Deny by default: each handler declares who may call it (`allow`, `public`), and a route
without a declaration answers 403 to everyone (a test walks every route of the app). The
session cookie is HttpOnly and SameSite=Strict (and Secure behind TLS); a state-changing
request also carries the session's CSRF token, and requests from another origin (Origin
header) are refused, WebSocket upgrades included.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import hdrs, web

from .accounts import STAFF_ROLES, Role, Session, User
from .audit import AuditAction
from .context import HUB_CONTEXT, HubContext
from .login_throttle import LoginThrottle

STATIC_DIR = Path(__file__).parent / "static"

_LOGGER = logging.getLogger(__name__)

SESSION_COOKIE = "eldercare_session"
CSRF_HEADER = "X-CSRF-Token"
SESSION_KEY = "eldercare.session"  # request[...]: the caller's Session, or absent
LOGIN_PATH = "/login"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Policy:
    """Who may call a handler: anyone (roles None), or sessions of these roles."""

    roles: frozenset[Role] | None
    csrf: bool = True  # unsafe methods must carry the session's CSRF token

    @property
    def is_public(self) -> bool:
        return self.roles is None


_POLICY_ATTRIBUTE = "__eldercare_policy__"
STAFF = tuple(STAFF_ROLES)
SUPERVISORS = (Role.SUPERVISOR, Role.ADMIN)


def allow(*roles: Role) -> Callable[[Handler], Handler]:
    def mark(handler: Handler) -> Handler:
        setattr(handler, _POLICY_ATTRIBUTE, Policy(frozenset(roles)))
        return handler

    return mark


def public(handler: Handler) -> Handler:
    """No session needed: the login page, static files, and the gateway endpoints (which
    authenticate with enrollment codes and signatures instead)."""
    setattr(handler, _POLICY_ATTRIBUTE, Policy(None, csrf=False))
    return handler


def policy_of(handler: object) -> Policy | None:
    return getattr(handler, _POLICY_ATTRIBUTE, None)


def session_of(request: web.Request) -> Session:
    """The caller's session in a handler that requires one."""
    session = request.get(SESSION_KEY)
    assert isinstance(session, Session), "handler without a role policy asked for a session"
    return session


@web.middleware
async def access_control(request: web.Request, handler: Handler) -> web.StreamResponse:
    match = request.match_info
    if match.http_exception is not None:
        raise match.http_exception  # 404 / 405: nothing to protect
    if isinstance(match.route.resource, web.StaticResource):
        return await handler(request)  # our own JS and CSS: no data in them
    refusal = await _admit(request, policy_of(match.handler))
    return refusal if refusal is not None else await handler(request)


async def _admit(request: web.Request, policy: Policy | None) -> web.StreamResponse | None:
    """None when the request may go on (its session stored in the request), else the answer."""
    if policy is None:
        _LOGGER.error("Route %s has no access policy: refused", request.path)
        return _refusal(request, 403, "forbidden")
    if not _same_origin(request):
        return _refusal(request, 403, "cross_origin")
    if policy.is_public:
        return None
    session = await _session(request.app[HUB_CONTEXT], request)
    if session is None:
        return _refusal(request, 401, "login_required")
    problem = _session_problem(request, policy, session)
    if problem is not None:
        return _refusal(request, 403, problem)
    request[SESSION_KEY] = session
    return None


def _session_problem(request: web.Request, policy: Policy, session: Session) -> str | None:
    if policy.roles is not None and session.user.role not in policy.roles:
        return "forbidden"
    if policy.csrf and request.method in _UNSAFE:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
            return "csrf"
    return None


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    if not response.prepared:  # a WebSocket or stream has sent its headers already
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; connect-src 'self'; img-src 'self' data:;"
            " style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none';"
            " form-action 'self'",
        )
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
    return response


async def _session(hub: HubContext, request: web.Request) -> Session | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 200:
        return None
    return await hub.db(hub.store.accounts.session, token, hub.clock())


def _same_origin(request: web.Request) -> bool:
    """A browser names the page's origin on unsafe requests and WebSocket upgrades; it must
    be this hub. No Origin header (curl, a gateway, a same-origin GET) passes."""
    origin = request.headers.get(hdrs.ORIGIN)
    if origin is None:
        return True
    return origin == f"{request.scheme}://{request.host}"


def _wants_html(request: web.Request) -> bool:
    return request.method == "GET" and "text/html" in request.headers.get(hdrs.ACCEPT, "")


def _refusal(request: web.Request, status: int, error: str) -> web.StreamResponse:
    if status == 401 and _wants_html(request):
        raise web.HTTPFound(f"{LOGIN_PATH}?next={request.path}")
    return web.json_response({"error": error}, status=status)


# Sign-in (the login itself: hub/login_api.py) and sign-out


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


def actor(user: User) -> str:
    """How the audit trail and alarm logs name a person."""
    return f"{'staff' if user.is_staff else 'family'}:{user.username}"


@public
async def login_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "login.html", headers={"Cache-Control": "no-store"})


def add_routes(app: web.Application) -> None:
    app[LOGIN_STATE] = LoginState(LoginThrottle(), asyncio.Semaphore(2))
    app.router.add_get(LOGIN_PATH, login_page)
    app.router.add_post("/api/v1/logout", logout)
    app.router.add_get("/api/v1/me", me)
