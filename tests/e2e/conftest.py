"""End to end: HA with the integration, a real hub on 127.0.0.1, and Debian's Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright

from ..integration.conftest import auto_enable_custom_integrations, core_services, enrolled_entry

__all__ = [
    "auto_enable_custom_integrations",
    "browser",
    "core_services",
    "enrolled_entry",
]

CHROMIUM = "/usr/bin/chromium"
# As root and on a closed network: no sandbox, and no background calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
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
