"""Sign-in that holds (issue 18): guessing slows the guesser, never the dispatcher; bursts are
counted like guesses one at a time; a supervisor or the shell clears delays, audited; a copied
password with a trailing space signs in. Real hub, real sockets, clients on chosen loopback
addresses; the hub's clock stands still unless the test moves it (no waiting, no timing)."""

from __future__ import annotations

import asyncio
import sys

import aiohttp
import pytest

from hub.policy import Role
from hub.web.access import CSRF_HEADER

from ..conftest import RunningHub, cookie_session
from .sign_in_clients import (
    ATTACKER_ADDRESS,
    DISPATCHER_ADDRESS,
    PASSWORD,
    SLOW_N,
    Answer,
    MovableClock,
    add_user,
    audit_actions,
    burst,
    client_from,
    sign_in,
)

# docs/hub-api.md, "Signing in": the free allowances and the delays after them.
FREE_PER_NAME = 5  # failures of one user name from one address
FREE_PER_ADDRESS = 20  # failures from one address across names
DELAYS = [5, 10, 20, 40, 80, 160, 300, 300]  # seconds, doubling from 5 s up to 5 min
GUARD_FAILURES = 30  # of one name within an hour, from all addresses


@pytest.fixture
def clock(hub_server: RunningHub) -> MovableClock:
    clock = MovableClock()
    hub_server.context.clock = clock
    return clock


def _statuses(answers: list[Answer]) -> list[int]:
    return sorted(answer.status for answer in answers)


async def _me(session: aiohttp.ClientSession, hub: RunningHub) -> str:
    async with session.get(hub.url + "/api/v1/me") as answer:
        assert answer.status == 200, await answer.text()
        return str((await answer.json())["user"]["username"])


# ---------------------------------------------------------------------------------------------
# Bursts: counted before the slow hash


async def test_a_burst_of_wrong_passwords_is_held_to_the_free_allowance(
    hub_server: RunningHub, clock: MovableClock
) -> None:
    username = await add_user(hub_server, n=SLOW_N)
    async with client_from(ATTACKER_ADDRESS) as attacker:
        answers = await burst(attacker, hub_server, [(username, f"guess {i}") for i in range(40)])
    assert _statuses(answers) == [401] * FREE_PER_NAME + [429] * (40 - FREE_PER_NAME)
    refused = [answer for answer in answers if answer.status == 429]
    assert {answer.body["error"] for answer in refused} == {"too_many_attempts"}
    assert all(answer.retry_after for answer in refused)
    failed = [a for _, a, _ in await audit_actions(hub_server) if a == "login_failed"]
    assert len(failed) == FREE_PER_NAME  # what was checked is what was audited


async def test_the_right_password_sent_into_a_burst_of_guesses_is_refused_while_throttled(
    hub_server: RunningHub, clock: MovableClock
) -> None:
    username = await add_user(hub_server, n=SLOW_N)
    async with client_from(ATTACKER_ADDRESS) as attacker:
        guesses = [
            asyncio.create_task(sign_in(attacker, hub_server, username, f"guess {i}"))
            for i in range(30)
        ]
        # The right password goes out while the guesses are still being checked: as soon as
        # the hub has answered one of them.
        await next(asyncio.as_completed(guesses))
        right = await sign_in(attacker, hub_server, username, PASSWORD)
        answers = await asyncio.gather(*guesses)
        assert sum(answer.checked for answer in answers) <= FREE_PER_NAME
        assert (right.status, right.body["error"]) == (429, "too_many_attempts")
        assert right.retry_after is not None
        # A delay, not a lock: once it has passed, the right password signs in.
        clock.advance(right.retry_after)
        assert (await sign_in(attacker, hub_server, username, PASSWORD)).status == 200


async def test_a_burst_across_many_names_is_held_to_the_address_allowance(
    hub_server: RunningHub, clock: MovableClock
) -> None:
    names = await asyncio.gather(*(add_user(hub_server, n=SLOW_N) for _ in range(40)))
    async with client_from(ATTACKER_ADDRESS) as attacker:
        answers = await burst(attacker, hub_server, [(name, "one guess each") for name in names])
    assert _statuses(answers) == [401] * FREE_PER_ADDRESS + [429] * (40 - FREE_PER_ADDRESS)
    async with client_from(DISPATCHER_ADDRESS) as desk:  # another address: not slowed
        assert (await sign_in(desk, hub_server, names[-1], PASSWORD)).status == 200


# ---------------------------------------------------------------------------------------------
# Nobody locks the dispatcher out


async def test_guessing_from_one_address_never_keeps_the_dispatcher_out_of_another(
    hub_server: RunningHub, clock: MovableClock
) -> None:
    dispatcher = await add_user(hub_server)
    async with client_from(ATTACKER_ADDRESS) as attacker, client_from(DISPATCHER_ADDRESS) as desk:
        await burst(attacker, hub_server, [(dispatcher, f"guess {i}") for i in range(40)])
        for round_ in range(12):  # an hour of guessing at whatever pace the hub allows
            clock.advance(300)
            await burst(attacker, hub_server, [(dispatcher, f"round {round_}")] * 5)
        # The dispatcher mistypes once, then signs in: neither is slowed by the attacker.
        assert (await sign_in(desk, hub_server, dispatcher, "a typo of mine")).status == 401
        answer = await sign_in(desk, hub_server, dispatcher, PASSWORD)
        assert answer.status == 200, answer
        assert await _me(desk, hub_server) == dispatcher
        # The guesser is still slowed, even with the right password.
        assert (await sign_in(attacker, hub_server, dispatcher, PASSWORD)).status == 429


async def test_delays_double_up_to_five_minutes_and_never_become_a_lock(
    hub_server: RunningHub, clock: MovableClock
) -> None:
    username = await add_user(hub_server)
    async with client_from(DISPATCHER_ADDRESS) as desk:
        for attempt in range(FREE_PER_NAME):
            assert (await sign_in(desk, hub_server, username, f"typo {attempt}")).status == 401
        for delay in DELAYS:
            refused = await sign_in(desk, hub_server, username, PASSWORD)
            assert (refused.status, refused.retry_after) == (429, delay)
            assert refused.body["retry_after"] == delay
            clock.advance(delay - 1)
            assert (await sign_in(desk, hub_server, username, PASSWORD)).retry_after == 1
            clock.advance(1)
            assert (await sign_in(desk, hub_server, username, "still a typo")).status == 401
        clock.advance(DELAYS[-1])
        assert (await sign_in(desk, hub_server, username, PASSWORD)).status == 200
        # Signed in: the count starts over.
        assert (await sign_in(desk, hub_server, username, "a new typo")).status == 401
        assert (await sign_in(desk, hub_server, username, PASSWORD)).status == 200


async def test_distributed_guessing_meets_a_guard_that_never_refuses_a_fresh_address(
    hub_server: RunningHub, clock: MovableClock
) -> None:
    dispatcher = await add_user(hub_server)
    guessers = [f"127.0.0.{host}" for host in range(2, 8)]  # 6 x 5: the guard's 30 failures
    for address in guessers:
        async with client_from(address) as guesser:
            answers = await burst(guesser, hub_server, [(dispatcher, "guess")] * FREE_PER_NAME)
            assert _statuses(answers) == [401] * FREE_PER_NAME
    guarded = [entry for entry in await audit_actions(hub_server) if entry[1] == "login_guarded"]
    assert guarded == [("hub", "login_guarded", f"user:{dispatcher}")]
    async with client_from("127.0.0.20") as fresh_guesser:
        # Under the guard every address gets one free attempt for the name, not five.
        answers = await burst(fresh_guesser, hub_server, [(dispatcher, "guess")] * 5)
        assert _statuses(answers) == [401] + [429] * 4
    async with client_from(guessers[0]) as guesser:
        clock.advance(5)  # its five-attempt allowance's delay, not the guard's
        assert (await sign_in(guesser, hub_server, dispatcher, "guess")).status == 429
    async with client_from(DISPATCHER_ADDRESS) as desk:  # fresh: always gets its attempt
        assert (await sign_in(desk, hub_server, dispatcher, PASSWORD)).status == 200


async def test_someone_failing_from_a_shared_address_does_not_block_staff_who_signed_in_there(
    hub_server: RunningHub, clock: MovableClock
) -> None:
    shared = "127.0.0.3"  # one NAT address for the whole care center, say
    dispatcher = await add_user(hub_server)
    colleague = await add_user(hub_server)
    names = await asyncio.gather(*(add_user(hub_server) for _ in range(FREE_PER_ADDRESS + 2)))
    async with client_from(shared) as desk:
        assert (await sign_in(desk, hub_server, dispatcher, PASSWORD)).status == 200
        for name in names:  # someone at the same address tries many accounts
            await sign_in(desk, hub_server, name, "wrong")
        refused = await sign_in(desk, hub_server, colleague, PASSWORD)
        assert refused.status == 429  # never signed in from here: the address is slowed
        assert (await sign_in(desk, hub_server, dispatcher, PASSWORD)).status == 200
    async with cookie_session() as session:
        csrf = await hub_server.sign_in(session, Role.SUPERVISOR)
        async with session.post(
            f"{hub_server.url}/api/v1/users/{colleague}/unlock",
            json={"address": shared},
            headers={CSRF_HEADER: csrf},
        ) as answer:
            assert answer.status == 200, await answer.text()
            assert (await answer.json())["address"] == shared
    async with client_from(shared) as desk:
        assert (await sign_in(desk, hub_server, colleague, PASSWORD)).status == 200
    unlocked = [s for _, a, s in await audit_actions(hub_server) if a == "login_unlocked"]
    assert unlocked == [f"user:{colleague}", f"address:{shared}"]


async def test_every_spelling_of_a_name_counts_as_that_name(
    hub_server: RunningHub, clock: MovableClock
) -> None:
    username = await add_user(hub_server)
    spellings = [username, username.upper(), f" {username}", f"{username} ", f" {username.title()}"]
    async with client_from(ATTACKER_ADDRESS) as attacker:
        for spelling in spellings:
            assert (await sign_in(attacker, hub_server, spelling, "guess")).status == 401
        assert (await sign_in(attacker, hub_server, f"{username}\t", "guess")).status == 429


# ---------------------------------------------------------------------------------------------
# Unlock: supervisors and the shell


async def _throttled(hub: RunningHub, desk: aiohttp.ClientSession, username: str) -> None:
    """The user mistyped from `desk` until the right password is refused too."""
    for attempt in range(FREE_PER_NAME):
        assert (await sign_in(desk, hub, username, f"typo {attempt}")).status == 401
    assert (await sign_in(desk, hub, username, PASSWORD)).status == 429


async def test_a_supervisor_unlocks_a_dispatcher_at_once_and_it_is_audited(
    hub_server: RunningHub, clock: MovableClock
) -> None:
    dispatcher = await add_user(hub_server)
    async with client_from(DISPATCHER_ADDRESS) as desk, cookie_session() as session:
        await _throttled(hub_server, desk, dispatcher)
        csrf = await hub_server.sign_in(session, Role.SUPERVISOR)
        async with session.post(
            f"{hub_server.url}/api/v1/users/{dispatcher}/unlock", headers={CSRF_HEADER: csrf}
        ) as answer:
            assert answer.status == 200, await answer.text()
            assert await answer.json() == {"username": dispatcher, "address": None, "cleared": 1}
        supervisor = await _me(session, hub_server)
        assert (await sign_in(desk, hub_server, dispatcher, PASSWORD)).status == 200  # no wait
    unlocks = [entry for entry in await audit_actions(hub_server) if entry[1] == "login_unlocked"]
    assert unlocks == [(f"staff:{supervisor}", "login_unlocked", f"user:{dispatcher}")]


@pytest.mark.parametrize(
    ("caller", "with_csrf", "status", "error"),
    [
        (None, False, 401, "login_required"),
        (Role.DISPATCHER, True, 403, "forbidden"),
        (Role.FAMILY, True, 403, "forbidden"),
        (Role.SUPERVISOR, False, 403, "csrf"),
        (Role.ADMIN, False, 403, "csrf"),
    ],
    ids=["anonymous", "dispatcher", "family", "supervisor-without-csrf", "admin-without-csrf"],
)
async def test_only_supervisors_and_admins_unlock_and_only_with_the_csrf_token(
    hub_server: RunningHub,
    clock: MovableClock,
    caller: Role | None,
    with_csrf: bool,
    status: int,
    error: str,
) -> None:
    dispatcher = await add_user(hub_server)
    household = await hub_server.add_household()
    async with client_from(DISPATCHER_ADDRESS) as desk, cookie_session() as session:
        await _throttled(hub_server, desk, dispatcher)
        csrf = "not the token"
        if caller is not None:
            family_of = household.id if caller == Role.FAMILY else None
            real = await hub_server.sign_in(session, caller, household_id=family_of)
            csrf = real if with_csrf else csrf
        async with session.post(
            f"{hub_server.url}/api/v1/users/{dispatcher}/unlock", headers={CSRF_HEADER: csrf}
        ) as answer:
            assert (answer.status, (await answer.json())["error"]) == (status, error)
        assert (await sign_in(desk, hub_server, dispatcher, PASSWORD)).status == 429  # still
    assert "login_unlocked" not in [action for _, action, _ in await audit_actions(hub_server)]


async def test_unlock_refuses_unknown_names_and_bad_addresses(
    hub_server: RunningHub, clock: MovableClock
) -> None:
    dispatcher = await add_user(hub_server)
    async with cookie_session() as session:
        headers = {CSRF_HEADER: await hub_server.sign_in(session, Role.ADMIN)}
        for name, body, status in [
            ("nobody", None, 404),
            (dispatcher, {"address": "not an address"}, 400),
            (dispatcher, {"user": dispatcher}, 400),
            (dispatcher, [], 400),
        ]:
            async with session.post(
                f"{hub_server.url}/api/v1/users/{name}/unlock", json=body, headers=headers
            ) as answer:
                refusal = await answer.json()
                assert answer.status == status, refusal
                assert set(refusal) == {"error", "message"}


async def test_unlock_from_the_shell_reaches_the_running_hub(
    hub_server: RunningHub, clock: MovableClock
) -> None:
    dispatcher = await add_user(hub_server)
    async with client_from(DISPATCHER_ADDRESS) as desk:
        await _throttled(hub_server, desk, dispatcher)
        command = [sys.executable, "-m", "hub", "--data", str(hub_server.data_dir), "user"]
        process = await asyncio.create_subprocess_exec(
            *command, "unlock", dispatcher, stdout=asyncio.subprocess.PIPE
        )
        out, _ = await process.communicate()
        assert process.returncode == 0
        assert dispatcher in out.decode()
        async with asyncio.timeout(5):  # the hub looks for unlocks from the shell every second
            while (answer := await sign_in(desk, hub_server, dispatcher, PASSWORD)).status == 429:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
        assert answer.status == 200
        nobody = await asyncio.create_subprocess_exec(
            *command, "unlock", "nobody", stderr=asyncio.subprocess.PIPE
        )
        _, err = await nobody.communicate()
        assert nobody.returncode == 1
        assert "no user nobody" in err.decode()
    unlocks = [entry for entry in await audit_actions(hub_server) if entry[1] == "login_unlocked"]
    assert len(unlocks) == 1
    assert unlocks[0][0].startswith("shell")
    assert unlocks[0][2] == f"user:{dispatcher}"


# ---------------------------------------------------------------------------------------------
# A copied password with a trailing space


async def test_a_copied_password_with_trailing_whitespace_signs_in(
    hub_server: RunningHub, clock: MovableClock
) -> None:
    username = await add_user(hub_server)
    async with client_from(DISPATCHER_ADDRESS) as desk:
        assert (await sign_in(desk, hub_server, username, PASSWORD + " ")).status == 200
        assert (await sign_in(desk, hub_server, username, PASSWORD + " \t\r\n")).status == 200
        assert (await sign_in(desk, hub_server, username, " " + PASSWORD)).status == 401
        assert (await sign_in(desk, hub_server, username, PASSWORD[:-1])).status == 401
        assert (await sign_in(desk, hub_server, username, PASSWORD + ".")).status == 401


async def test_an_existing_password_that_ends_in_a_space_is_not_weakened(
    hub_server: RunningHub, clock: MovableClock
) -> None:
    old = "set before the rule "  # stored exactly as typed, space and all
    username = await add_user(hub_server, password=old)
    async with client_from(DISPATCHER_ADDRESS) as desk:
        assert (await sign_in(desk, hub_server, username, old)).status == 200
        assert (await sign_in(desk, hub_server, username, old.rstrip())).status == 401
        assert (await sign_in(desk, hub_server, username, old + " ")).status == 401


async def test_a_new_password_may_not_begin_or_end_with_a_space(
    hub_server: RunningHub, clock: MovableClock
) -> None:
    dispatcher = await add_user(hub_server)
    async with cookie_session() as session:
        headers = {CSRF_HEADER: await hub_server.sign_in(session, Role.ADMIN)}
        for password in ("a long new password ", " a long new password"):
            async with session.post(
                f"{hub_server.url}/api/v1/users/{dispatcher}/password",
                json={"password": password},
                headers=headers,
            ) as answer:
                refusal = await answer.json()
                assert (answer.status, refusal["error"]) == (400, "bad_request")
                assert "space" in refusal["message"]
    async with client_from(DISPATCHER_ADDRESS) as desk:  # the password is unchanged
        assert (await sign_in(desk, hub_server, dispatcher, PASSWORD)).status == 200
