"""Login rate limiting: failed attempts per user name and per client address within a window.

In memory on purpose: a hub restart forgets it, which costs an attacker a restart they cannot
cause, and a dispatcher locked out by a typo-storm is back after the window at the latest.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=15)
MAX_PER_USER = 5  # failures of one user name within the window
MAX_PER_ADDRESS = 20  # failures from one address, across names (guessing many accounts)


@dataclass
class LoginThrottle:
    window: timedelta = WINDOW
    max_per_user: int = MAX_PER_USER
    max_per_address: int = MAX_PER_ADDRESS
    _failures: dict[str, deque[datetime]] = field(default_factory=dict)

    def retry_after(self, username: str, address: str, now: datetime) -> timedelta | None:
        """How long until another attempt is allowed; None if it is allowed now."""
        waits = [
            self._wait(f"user:{username.casefold()}", self.max_per_user, now),
            self._wait(f"address:{address}", self.max_per_address, now),
        ]
        return max((wait for wait in waits if wait is not None), default=None)

    def failed(self, username: str, address: str, now: datetime) -> None:
        for key in (f"user:{username.casefold()}", f"address:{address}"):
            self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, username: str) -> None:
        self._failures.pop(f"user:{username.casefold()}", None)

    def _wait(self, key: str, limit: int, now: datetime) -> timedelta | None:
        times = self._failures.get(key)
        if not times:
            return None
        while times and now - times[0] >= self.window:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        if len(times) < limit:
            return None
        return times[-limit] + self.window - now
