"""Who may call which route: the roles, each handler's policy, and the rule that decides.

Deny by default: each handler declares who may call it (`allow`, `public`), and a route
without a declaration answers 403 to everyone (a test walks every route of the app). A
state-changing request of a session also carries the session's CSRF token. The middleware
that applies this per request is hub/web/access.py; this module imports nothing of the hub,
so every slice can mark its handlers without depending on the web layer.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from aiohttp import web

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_POLICY_ATTRIBUTE = "__eldercare_policy__"


class Role(StrEnum):
    DISPATCHER = "dispatcher"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    FAMILY = "family"


STAFF_ROLES = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})
STAFF = tuple(STAFF_ROLES)
SUPERVISORS = (Role.SUPERVISOR, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class Policy:
    """Who may call a handler: anyone (roles None), or sessions of these roles."""

    roles: frozenset[Role] | None
    csrf: bool = True  # unsafe methods must carry the session's CSRF token

    @property
    def is_public(self) -> bool:
        return self.roles is None

    def refusal(self, method: str, role: Role, sent_csrf: str, csrf_token: str) -> str | None:
        """Why a signed-in caller of `role` may not make this request; None when it may."""
        if self.roles is not None and role not in self.roles:
            return "forbidden"
        unsafe = self.csrf and method in UNSAFE_METHODS
        if unsafe and not hmac.compare_digest(sent_csrf.encode(), csrf_token.encode()):
            return "csrf"
        return None


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
