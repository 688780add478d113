"""Sign-in throttling that slows guessing without handing anyone a way to lock staff out.

A dispatch desk must never be locked out by someone else's failures, so nothing here locks an
account. Failures are counted per (address, user name) and per address (across names); past
a free allowance each further attempt of that key waits a delay that doubles with every
failure, up to a cap. Someone guessing from one address slows only themselves: the real
dispatcher signing in from another address is counted under other keys.

Distributed guessing (many addresses, one user name) is met by a guard per user name that
never refuses a fresh address: when the name collected many failures within the guard window,
every address gets one free attempt for it instead of five before its delays start. An
address that has not failed for the name always gets that attempt, so the right password from
a fresh address is never refused, whatever happens elsewhere. (Any guard that also refused
fresh addresses could be tripped by an attacker to lock the dispatcher out: the one thing
this module must not allow.)

Concurrency: `begin` counts the attempt as in flight synchronously, before the caller awaits
anything (database, password hash), so a burst of simultaneous guesses is held to the free
allowance just like guesses one after the other. The caller settles every attempt it began:
`failed`, `succeeded`, or `released` (no answer was given: an error on our side).

In memory on purpose: a hub restart forgets it, which costs an attacker a restart they cannot
cause. Synchronous and clock-driven (the hub's clock), so tests move time instead of waiting.
"""

from __future__ import annotations

import ipaddress
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

PAIR_FREE = 5  # failures of one user name from one address before delays start
ADDRESS_FREE = 20  # failures from one address across user names (trying many accounts)
FIRST_DELAY = timedelta(seconds=5)  # after the free allowance; doubles with each failure
MAX_DELAY = timedelta(minutes=5)
FORGET_AFTER = timedelta(minutes=15)  # a key without failures for this long starts over
GUARD_WINDOW = timedelta(hours=1)
GUARD_FAILURES = 30  # failures of one user name within the window, from all addresses
GUARD_FREE = 1  # the free allowance of every address for a guarded name
_PRUNE_AT = 10_000  # keys held before forgotten ones are swept out
_PRUNE_EVERY = timedelta(minutes=1)
_KNOWN_MAX = 10_000  # (address, user) pairs remembered as having signed in
_IPV6_PREFIX = 64  # one household or host gets a whole /64: count it as one address


@dataclass(frozen=True, slots=True)
class ThrottleRules:
    pair_free: int = PAIR_FREE
    address_free: int = ADDRESS_FREE
    first_delay: timedelta = FIRST_DELAY
    max_delay: timedelta = MAX_DELAY
    forget_after: timedelta = FORGET_AFTER
    guard_window: timedelta = GUARD_WINDOW
    guard_failures: int = GUARD_FAILURES
    guard_free: int = GUARD_FREE

    def delay(self, failures: int, free: int) -> timedelta:
        """How long after its last failure a key with `failures` may try again."""
        if failures < free:
            return timedelta(0)
        doublings = min(failures - free, 32)  # 2**32 * 5 s is far beyond any cap
        return min(self.first_delay * (1 << doublings), self.max_delay)


@dataclass(slots=True)
class _Count:
    """Failures of one key in its current streak, and attempts of it still in flight."""

    failures: int = 0
    last_failure: datetime | None = None
    pending: int = 0


@dataclass(frozen=True, slots=True)
class Refused:
    """Not now: the caller answers 429 with `retry_after`."""

    retry_after: timedelta

    @property
    def seconds(self) -> int:
        return max(1, int(-(-self.retry_after.total_seconds() // 1)))  # rounded up


@dataclass(slots=True)
class Attempt:
    """An attempt in flight; settle it exactly once."""

    user: str
    address: str
    counts_address: bool  # False for a pair that signed in from this address before
    settled: bool = False

    @property
    def pair(self) -> tuple[str, str]:
        return (self.address, self.user)


def user_key(username: str) -> str:
    """The store matches names trimmed and case-insensitively; so must the counting, or
    " Dispatcher" would be a fresh name for the same account."""
    return username.strip().casefold()


def address_key(remote: str | None) -> str:
    """One key per client: an IPv4 address, or an IPv6 /64 (a single host or home holds a
    whole /64, so its addresses would otherwise be endless fresh ones)."""
    try:
        address = ipaddress.ip_address(remote or "")
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/{_IPV6_PREFIX}", strict=False))
    return str(address)


@dataclass
class LoginThrottle:
    rules: ThrottleRules = field(default_factory=ThrottleRules)
    _pairs: dict[tuple[str, str], _Count] = field(default_factory=dict)
    _addresses: dict[str, _Count] = field(default_factory=dict)
    _recent: dict[str, deque[datetime]] = field(default_factory=dict)  # per user: the guard
    _known: dict[tuple[str, str], None] = field(default_factory=dict)  # ordered set
    _guarded_since: dict[str, datetime] = field(default_factory=dict)
    _pruned_at: datetime | None = None

    def begin(self, username: str, remote: str | None, now: datetime) -> Attempt | Refused:
        """Count an attempt as in flight, or refuse it. Call before awaiting anything."""
        self._prune(now)
        attempt = Attempt(user_key(username), address_key(remote), counts_address=True)
        attempt.counts_address = attempt.pair not in self._known
        pair = self._current(self._pairs.get(attempt.pair), now)
        pair_free = self.rules.pair_free
        if self.guarded(attempt.user, now):
            pair_free = self.rules.guard_free  # a fresh address still gets its attempt
        waits = [self._wait(pair, pair_free, now)]
        address = self._current(self._addresses.get(attempt.address), now)
        if attempt.counts_address:
            waits.append(self._wait(address, self.rules.address_free, now))
        refusal = max((wait for wait in waits if wait is not None), default=None)
        if refusal is not None:
            return Refused(refusal)
        self._pairs[attempt.pair] = pair
        pair.pending += 1
        if attempt.counts_address:
            self._addresses[attempt.address] = address
            address.pending += 1
        return attempt

    def failed(self, attempt: Attempt, now: datetime) -> bool:
        """A wrong password (or unknown name). True when this failure put the user name
        under the distributed-guessing guard (worth telling the supervisors once)."""
        if not self._settle(attempt):
            return False
        for count in self._counts(attempt):
            count.failures += 1
            count.last_failure = now
        recent = self._recent.setdefault(attempt.user, deque())
        recent.append(now)
        self._trim(recent, now)
        if len(recent) < self.rules.guard_failures:
            return False
        since = self._guarded_since.get(attempt.user)
        if since is not None and now - since < self.rules.guard_window:
            return False
        self._guarded_since[attempt.user] = now
        return True

    def succeeded(self, attempt: Attempt) -> None:
        """The right password: this pair starts over and is spared its address's failures
        from now on (someone else failing from a shared address does not block it)."""
        if not self._settle(attempt):
            return
        pair = self._pairs.get(attempt.pair)
        if pair is not None:
            pair.failures, pair.last_failure = 0, None
        self._known[attempt.pair] = None
        if len(self._known) > _KNOWN_MAX:
            del self._known[next(iter(self._known))]

    def released(self, attempt: Attempt) -> None:
        """No answer was given (our own error): the attempt counts for nothing."""
        self._settle(attempt)

    def guarded(self, username: str, now: datetime) -> bool:
        """Whether the name is under the distributed-guessing guard now."""
        recent = self._recent.get(user_key(username))
        if not recent:
            return False
        self._trim(recent, now)
        return len(recent) >= self.rules.guard_failures

    def unlock_user(self, username: str) -> int:
        """Forget every delay of the name, from every address, and its guard. Returns from
        how many addresses the name had failures."""
        name = user_key(username)
        pairs = [key for key, count in self._pairs.items() if key[1] == name and count.failures]
        for key in pairs:
            self._pairs[key].failures = 0
            self._pairs[key].last_failure = None
        self._recent.pop(name, None)
        self._guarded_since.pop(name, None)
        return len(pairs)

    def unlock_address(self, remote: str) -> int:
        """Forget the across-names failures of one address (a desk behind a shared address
        slowed by someone else's failures there). Returns 1 if there were any."""
        count = self._addresses.get(address_key(remote))
        if count is None or not count.failures:
            return 0
        count.failures, count.last_failure = 0, None
        return 1

    def _current(self, count: _Count | None, now: datetime) -> _Count:
        """The key's count, its streak forgotten after FORGET_AFTER without failures."""
        if count is None:
            return _Count()
        if not count.pending and self._forgotten(count, now):
            count.failures, count.last_failure = 0, None
        return count

    def _wait(self, count: _Count, free: int, now: datetime) -> timedelta | None:
        """None when the key may try now, else how long until it may."""
        tried = count.failures + count.pending
        if tried < free:
            return None
        delay = self.rules.delay(tried, free)
        if count.pending or count.last_failure is None:
            return delay  # an attempt in flight decides first; ask again after the delay
        since = now - count.last_failure
        if since >= delay:
            return None
        return delay - max(since, timedelta(0))

    def _settle(self, attempt: Attempt) -> bool:
        if attempt.settled:
            return False
        attempt.settled = True
        for count in self._counts(attempt):
            count.pending = max(0, count.pending - 1)
        return True

    def _counts(self, attempt: Attempt) -> list[_Count]:
        counts = [self._pairs.setdefault(attempt.pair, _Count())]
        if attempt.counts_address:
            counts.append(self._addresses.setdefault(attempt.address, _Count()))
        return counts

    def _trim(self, recent: deque[datetime], now: datetime) -> None:
        while recent and now - recent[0] >= self.rules.guard_window:
            recent.popleft()
        while len(recent) > self.rules.guard_failures:  # more than the guard needs
            recent.popleft()

    def _prune(self, now: datetime) -> None:
        """Sweep out forgotten keys once there are many (memory stays bounded by the rate
        the delays allow, not by what an attacker sends)."""
        if len(self._pairs) + len(self._addresses) + len(self._recent) < _PRUNE_AT:
            return
        if self._pruned_at is not None and now - self._pruned_at < _PRUNE_EVERY:
            return  # a sweep is O(keys): not on every attempt of a flood
        self._pruned_at = now
        self._pairs = {k: c for k, c in self._pairs.items() if not self._forgotten(c, now)}
        self._addresses = {k: c for k, c in self._addresses.items() if not self._forgotten(c, now)}
        for recent in self._recent.values():
            self._trim(recent, now)
        self._recent = {name: recent for name, recent in self._recent.items() if recent}
        window = self.rules.guard_window
        self._guarded_since = {
            name: at for name, at in self._guarded_since.items() if now - at < window
        }

    def _forgotten(self, count: _Count, now: datetime) -> bool:
        if count.pending:
            return False
        return count.last_failure is None or now - count.last_failure >= self.rules.forget_after
