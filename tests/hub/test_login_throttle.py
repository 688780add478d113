"""The sign-in throttle's rules on their own (hub/login_throttle.py), on a clock the test
holds: what the HTTP tests cannot reach from loopback (IPv6 /64s, attempts whose answer was
never given) and the edges of its windows. tests/hub/test_sign_in.py plays it over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.people.throttle import Attempt, LoginThrottle, Refused, ThrottleRules

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
NAME = "li.na"
HERE = "192.0.2.10"


def _begin(
    throttle: LoginThrottle, remote: str = HERE, name: str = NAME, at: datetime = T0
) -> Attempt:
    attempt = throttle.begin(name, remote, at)
    assert isinstance(attempt, Attempt), attempt
    return attempt


def _fail(throttle: LoginThrottle, times: int, remote: str = HERE, at: datetime = T0) -> None:
    for _ in range(times):
        throttle.failed(_begin(throttle, remote, at=at), at)


def test_delays_double_from_five_seconds_to_a_five_minute_cap() -> None:
    rules = ThrottleRules()
    delays = [rules.delay(failures, 5).total_seconds() for failures in range(4, 14)]
    assert delays == [0, 5, 10, 20, 40, 80, 160, 300, 300, 300]
    assert rules.delay(10_000, 5) == timedelta(minutes=5)


def test_attempts_in_flight_count_until_settled_and_an_unanswered_one_counts_for_nothing() -> None:
    throttle = LoginThrottle()
    in_flight = [_begin(throttle) for _ in range(5)]
    refused = throttle.begin(NAME, HERE, T0)
    assert isinstance(refused, Refused)
    assert refused.seconds == 5
    throttle.released(in_flight[0])  # our own error: no answer was given
    throttle.released(in_flight[0])  # settling twice changes nothing
    again = _begin(throttle)
    for attempt in [*in_flight[1:], again]:
        throttle.failed(attempt, T0)
    assert isinstance(throttle.begin(NAME, HERE, T0), Refused)
    assert isinstance(throttle.begin(NAME, HERE, T0 + timedelta(seconds=5)), Attempt)


def test_a_whole_ipv6_64_is_one_address_and_mapped_ipv4_is_ipv4() -> None:
    throttle = LoginThrottle()
    for host in range(1, 6):  # five addresses of one /64: one guesser
        throttle.failed(_begin(throttle, f"2001:db8:1:2::{host:x}"), T0)
    assert isinstance(throttle.begin(NAME, "2001:db8:1:2:ffff::1", T0), Refused)
    assert isinstance(throttle.begin(NAME, "2001:db8:1:3::1", T0), Attempt)  # the next /64
    _fail(throttle, 5, "198.51.100.7")
    assert isinstance(throttle.begin(NAME, "::ffff:198.51.100.7", T0), Refused)


def test_the_guard_gives_every_address_one_attempt_and_never_refuses_a_fresh_one() -> None:
    throttle = LoginThrottle()
    for host in range(6):  # 30 failures of one name from six addresses
        _fail(throttle, 5, f"203.0.113.{host}")
    assert throttle.guarded(NAME, T0)
    fresh = _begin(throttle, "198.51.100.1")  # its one attempt, at once
    assert isinstance(throttle.begin(NAME, "198.51.100.1", T0), Refused)  # not a second
    throttle.succeeded(fresh)
    other_name = _begin(throttle, "203.0.113.0", name="wang.fang")  # other names: unaffected
    throttle.failed(other_name, T0)
    # An hour later the guard has lapsed: five free attempts again for a fresh address.
    later = T0 + timedelta(hours=1)
    assert not throttle.guarded(NAME, later)
    for _ in range(5):
        _begin(throttle, "198.51.100.2", at=later)


def test_the_guard_reports_once_per_window() -> None:
    throttle = LoginThrottle()
    reports = []
    for host in range(8):
        for _ in range(5):
            attempt = throttle.begin(NAME, f"203.0.113.{host}", T0)
            if isinstance(attempt, Attempt):
                reports.append(throttle.failed(attempt, T0))
    assert reports.count(True) == 1


def _streak(throttle: LoginThrottle, failures: int) -> datetime:
    """Wrong passwords from HERE, each as soon as allowed; the last one's time."""
    at = T0
    for number in range(failures):
        at += throttle.rules.delay(number, throttle.rules.pair_free)
        throttle.failed(_begin(throttle, at=at), at)
    return at


def test_a_streak_is_forgotten_after_fifteen_quiet_minutes() -> None:
    throttle = LoginThrottle()
    last = _streak(throttle, 12)  # the next one waits 5 minutes
    assert isinstance(throttle.begin(NAME, HERE, last + timedelta(minutes=4)), Refused)
    within = _begin(throttle, at=last + timedelta(minutes=14))
    assert isinstance(throttle.begin(NAME, HERE, last + timedelta(minutes=14)), Refused)
    throttle.released(within)
    for _ in range(5):  # after fifteen quiet minutes: five at once again
        _begin(throttle, at=last + timedelta(minutes=15))


def test_unlocks_clear_the_name_everywhere_and_one_address_across_names() -> None:
    throttle = LoginThrottle()
    _fail(throttle, 5, "203.0.113.1")
    _fail(throttle, 5, "203.0.113.2")
    assert throttle.unlock_user(" LI.NA ") == 2  # the name as the store matches it
    assert throttle.unlock_user(NAME) == 0
    _begin(throttle, "203.0.113.1")
    for number in range(20):
        throttle.failed(_begin(throttle, "203.0.113.9", name=f"user{number}"), T0)
    assert isinstance(throttle.begin("someone", "203.0.113.9", T0), Refused)
    assert throttle.unlock_address("203.0.113.9") == 1
    assert isinstance(throttle.begin("someone", "203.0.113.9", T0), Attempt)
