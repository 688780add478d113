"""Who is asking, for every request: the session behind the cookie, the same-origin check,
and each route's policy (hub/policy.py) applied; and the security headers of every answer.
Sign-in and sign-out are hub/people.

The session cookie is HttpOnly and SameSite=Strict (and Secure behind TLS); a state-changing
request also carries the session's CSRF token, and requests from another origin (Origin
header) are refused, WebSocket upgrades included.
"""

from __future__ import annotations

import logging

from aiohttp import hdrs, web

from ..core.accounts import Session, User
from ..core.context import HUB_CONTEXT, HubContext
from ..policy import Handler, Policy, policy_of

_LOGGER = logging.getLogger(__name__)

SESSION_COOKIE = "eldercare_session"
CSRF_HEADER = "X-CSRF-Token"
SESSION_KEY = "eldercare.session"  # request[...]: the caller's Session, or absent
LOGIN_PATH = "/login"


def session_of(request: web.Request) -> Session:
    """The caller's session in a handler that requires one."""
    session = request.get(SESSION_KEY)
    assert isinstance(session, Session), "handler without a role policy asked for a session"
    return session


def actor(user: User) -> str:
    """How the audit trail and alarm logs name a person."""
    return f"{'staff' if user.is_staff else 'family'}:{user.username}"


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
    sent = request.headers.get(CSRF_HEADER, "")
    problem = policy.refusal(request.method, session.user.role, sent, session.csrf_token)
    if problem is not None:
        return _refusal(request, 403, problem)
    request[SESSION_KEY] = session
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
