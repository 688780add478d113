"""End to end: HA with the integration, a real hub on 127.0.0.1, and Debian's Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright

from ..conftest import RunningHub
from ..integration.conftest import auto_enable_custom_integrations, core_services, enrolled_entry

__all__ = [
    "auto_enable_custom_integrations",
    "browser",
    "core_services",
    "enrolled_entry",
    "hub_clock",
    "page_problems",
]

CHROMIUM = "/usr/bin/chromium"
# As root and on a closed network: no sandbox, and no background calls home. Audio may start
# without a click (a dispatch screen's alert tones; a real screen asks for one click first).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


class HubClock:
    """The hub's clock as real time plus an offset the test moves: a minute of desk time
    passes at once. Move it back right after: gateways check the hub's time on every message."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)

    def reset(self) -> None:
        self.offset = timedelta(0)


@pytest.fixture
def hub_clock(hub_server: RunningHub) -> HubClock:
    clock = HubClock()
    hub_server.context.clock = clock
    return clock


class PageProblems:
    """Script errors and console errors (CSP refusals among them) of the pages it watches."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def watch(self, page: Page) -> Page:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.messages.append(f"page error: {error}"))
        return page

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and "favicon" not in message.text:
            self.messages.append(f"console: {message.text}")

    def csp_refusals(self) -> list[str]:
        return [m for m in self.messages if "Content Security Policy" in m or "Refused" in m]

    def script_errors(self) -> list[str]:
        return [m for m in self.messages if m.startswith("page error")]


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()
