"""Sign-in that holds, in Chromium (issue 18): someone hammering the dispatcher's account from
another address never keeps the dispatcher out, and the dispatcher's own typos only slow the
login page down for a few seconds, said in Chinese and English, never lock it."""

from __future__ import annotations

import asyncio
import contextlib
import re

from playwright.async_api import Browser, Page, ViewportSize, expect

from hub.policy import Role

from ..conftest import RunningHub, until
from ..hub.sign_in_clients import ATTACKER_ADDRESS, burst, client_from
from .conftest import HubClock, PageProblems

VIEWPORT = ViewportSize(width=1400, height=900)


async def _hammer(hub: RunningHub, username: str, rounds: list[int]) -> None:
    """Guess the dispatcher's password from 127.0.0.2 until cancelled, bursts of 40."""
    async with client_from(ATTACKER_ADDRESS) as attacker:
        while True:
            answers = await burst(attacker, hub, [(username, "guess")] * 40)
            assert {answer.status for answer in answers} <= {401, 429}
            rounds.append(sum(answer.status == 429 for answer in answers))
            await asyncio.sleep(0.05)


async def _login_page(browser: Browser, hub: RunningHub, problems: PageProblems) -> Page:
    page = problems.watch(await browser.new_page(locale="zh-CN", viewport=VIEWPORT))
    await page.goto(f"{hub.url}/dispatch")
    await expect(page).to_have_url(f"{hub.url}/login?next=/dispatch")
    return page


async def _submit(page: Page, username: str, password: str) -> None:
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(password)
    await page.get_by_role("button", name="登录").click()


async def _on_the_dispatch_screen(page: Page, hub: RunningHub, username: str) -> None:
    await expect(page).to_have_url(f"{hub.url}/dispatch")
    await expect(page.locator("#connection")).to_have_attribute("data-state", "open")
    await expect(page.locator("#who")).to_contain_text(username)


async def test_the_dispatcher_signs_in_while_someone_hammers_their_account(
    hub_server: RunningHub, hub_clock: HubClock, browser: Browser, page_problems: PageProblems
) -> None:
    username, password = await hub_server.add_user(Role.DISPATCHER)
    rounds: list[int] = []
    hammering = asyncio.create_task(_hammer(hub_server, username, rounds))
    try:
        await until(lambda: len(rounds) >= 3, timeout=30)  # the attack is well under way
        page = await _login_page(browser, hub_server, page_problems)
        await _submit(page, username, password)
        await _on_the_dispatch_screen(page, hub_server, username)
        assert not hammering.done()  # still hammering while the dispatcher got in
    finally:
        hammering.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await hammering
    assert all(refused >= 35 for refused in rounds)  # the guesser was slowed all along
    assert page_problems.script_errors() == []
    assert page_problems.csp_refusals() == []


async def test_the_dispatchers_own_typos_slow_the_page_for_seconds_then_a_copied_password_works(
    hub_server: RunningHub, hub_clock: HubClock, browser: Browser, page_problems: PageProblems
) -> None:
    username, password = await hub_server.add_user(Role.DISPATCHER)
    page = await _login_page(browser, hub_server, page_problems)
    alert = page.get_by_role("alert")
    # Pasted with a leading space: refused (passwords are exact), and the page says why.
    await _submit(page, username, " " + password)
    await expect(alert).to_have_text("用户名或密码错误")
    await expect(page.locator("#hint")).to_contain_text("密码开头有空格")
    for typo in range(4):
        await _submit(page, username, f"typo number {typo}")
        await expect(alert).to_have_text("用户名或密码错误")  # cleared on submit: a new answer
        await expect(page.locator("#hint")).to_have_text("")
    await _submit(page, username, password)
    await expect(alert).to_have_text(re.compile(r"^此处登录失败次数过多，请 [1-5] 秒后再试$"))
    await page.get_by_role("button", name="English").click()
    await expect(alert).to_have_text(
        re.compile(r"^Too many failed sign-ins from here; try again in [1-5] s$")
    )
    await page.get_by_role("button", name="中文").click()
    hub_clock.advance(seconds=5)  # the first delay has passed (on the hub's clock)
    # Pasted with the trailing space a copy picks up: still the password.
    await _submit(page, username, password + " ")
    await _on_the_dispatch_screen(page, hub_server, username)
    assert page_problems.script_errors() == []
    assert page_problems.csp_refusals() == []
