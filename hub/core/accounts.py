"""Who may use the hub: staff accounts with roles, family members of one household, and
their login sessions. Synchronous SQL on the hub's database thread; password hashing is the
caller's job (hub/infra/passwords.py, off the event loop), this module stores hashes only.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from gateway.alarms import utc_iso
from gateway.ulid import new_ulid

from ..infra.sql import one
from ..policy import STAFF_ROLES, Role

# A dispatch screen stays signed in through a shift with its overlap; then everyone signs in
# again. Idle: no request for this long ends the session, except that an open live screen
# counts as activity (a dispatch screen must never sign itself out while alarms may come).
SESSION_LIFETIME = timedelta(hours=12)
IDLE_TIMEOUT = timedelta(minutes=30)


class AccountError(ValueError):
    """A user that cannot be created or changed as asked; str() says why."""


@dataclass(frozen=True, slots=True)
class User:
    id: str
    username: str
    display_name: str
    role: Role
    household_id: str | None  # family members only
    disabled: bool = False

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role.value,
            "household_id": self.household_id,
        }


@dataclass(frozen=True, slots=True)
class Session:
    user: User
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime


def token_digest(token: str) -> str:
    """Sessions are stored by digest: a copy of the database cannot be used to sign in."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AccountStore:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def create_user(
        self,
        username: str,
        display_name: str,
        role: Role,
        password_hash: str,
        *,
        now: datetime,
        household_id: str | None = None,
    ) -> User:
        username = username.strip()
        if (
            not (1 <= len(username) <= 64)
            or not username.replace("_", "").replace(".", "").replace("-", "").isalnum()
        ):
            raise AccountError("a user name is 1-64 letters, digits, '.', '_' or '-'")
        if (role == Role.FAMILY) != (household_id is not None):
            raise AccountError("family members, and only they, belong to one household")
        if (
            household_id is not None
            and one(self.db, "SELECT id FROM households WHERE id = ?", household_id) is None
        ):
            raise AccountError(f"no household {household_id}")
        if self.user_by_name(username) is not None:
            raise AccountError(f"the user name {username!r} is taken")
        user = User(new_ulid(), username, display_name.strip() or username, role, household_id)
        self.db.table("users").insert(
            {
                "id": user.id,
                "username": user.username,
                "display_name": user.display_name,
                "role": role.value,
                "household_id": household_id,
                "password_hash": password_hash,
                "created_at": utc_iso(now),
                "disabled_at": None,
            }
        )
        return user

    def user_by_name(self, username: str) -> User | None:
        row = one(self.db, f"{_USER_SELECT} WHERE username = ?", username.strip())
        return _user(row) if row else None

    def user(self, user_id: str) -> User | None:
        row = one(self.db, f"{_USER_SELECT} WHERE id = ?", user_id)
        return _user(row) if row else None

    def users(self) -> list[User]:
        return [_user(row) for row in self.db.query(f"{_USER_SELECT} ORDER BY role, username")]

    def password_hash(self, username: str) -> tuple[User, str] | None:
        """The user and their stored hash, for a login check; None if unknown or disabled."""
        row = one(
            self.db,
            "SELECT id, username, display_name, role, household_id, disabled_at, password_hash"
            " FROM users WHERE username = ?",
            username.strip(),
        )
        if row is None:
            return None
        stored = row.pop("password_hash")
        user = _user(row)
        return None if user.disabled else (user, stored)

    def set_password(self, user_id: str, password_hash: str, now: datetime) -> None:
        """A new password ends every session of the user."""
        cursor = self.db.execute(
            "UPDATE users SET password_hash = ? WHERE id = ?", [password_hash, user_id]
        )
        if cursor.rowcount == 0:
            raise KeyError(f"no user {user_id}")
        self._end_all(user_id, now)

    def disable_user(self, user_id: str, now: datetime) -> None:
        cursor = self.db.execute(
            "UPDATE users SET disabled_at = COALESCE(disabled_at, ?) WHERE id = ?",
            [utc_iso(now), user_id],
        )
        if cursor.rowcount == 0:
            raise KeyError(f"no user {user_id}")
        self._end_all(user_id, now)

    # Sessions

    def start_session(self, user: User, now: datetime) -> tuple[str, Session]:
        """A new session; returns the cookie's token (shown once, stored as a digest)."""
        token = secrets.token_urlsafe(32)
        session = Session(user, secrets.token_urlsafe(32), now, now)
        self.db.table("sessions").insert(
            {
                "token_digest": token_digest(token),
                "user_id": user.id,
                "csrf_token": session.csrf_token,
                "created_at": utc_iso(now),
                "last_seen_at": utc_iso(now),
                "ended_at": None,
            }
        )
        return token, session

    def session(self, token: str, now: datetime, *, touch: bool = True) -> Session | None:
        """The live session of a cookie token, or None (unknown, ended, expired, idle, user
        disabled). `touch` records the request as activity."""
        digest = token_digest(token)
        # One query per request: the session and its user together.
        row = one(
            self.db,
            "SELECT s.csrf_token, s.created_at, s.last_seen_at, u.id, u.username,"
            " u.display_name, u.role, u.household_id, u.disabled_at"
            " FROM sessions s JOIN users u ON u.id = s.user_id"
            " WHERE s.token_digest = ? AND s.ended_at IS NULL",
            digest,
        )
        if row is None:
            return None
        csrf_token = row.pop("csrf_token")
        created = datetime.fromisoformat(row.pop("created_at"))
        last_seen = datetime.fromisoformat(row.pop("last_seen_at"))
        user = _user(row)
        if user.disabled:
            return None
        if now - created >= SESSION_LIFETIME or now - last_seen >= IDLE_TIMEOUT:
            self.end_session(token, now)
            return None
        if touch:
            self.db.execute(
                "UPDATE sessions SET last_seen_at = ? WHERE token_digest = ?",
                [utc_iso(now), digest],
            )
            last_seen = now
        return Session(user, csrf_token, created, last_seen)

    def end_session(self, token: str, now: datetime) -> None:
        self.db.execute(
            "UPDATE sessions SET ended_at = COALESCE(ended_at, ?) WHERE token_digest = ?",
            [utc_iso(now), token_digest(token)],
        )

    def _end_all(self, user_id: str, now: datetime) -> None:
        self.db.execute(
            "UPDATE sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL",
            [utc_iso(now), user_id],
        )


_USERNAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
_USER_SELECT = "SELECT id, username, display_name, role, household_id, disabled_at FROM users"


def _user(row: dict[str, Any]) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        role=Role(row["role"]),
        household_id=row["household_id"],
        disabled=row["disabled_at"] is not None,
    )
