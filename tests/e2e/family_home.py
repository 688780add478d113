"""A household for the family page's browser tests: a real gateway link (the household
library's own client, signed and acked as in a home) to a real hub, and a family member of
that household signed in in Chromium."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import aiohttp
from playwright.async_api import Browser, Page, ViewportSize

from gateway.link import GatewayCredentials, HubLink, enroll
from gateway.link.outbox import Outbox
from hub.infra.passwords import hash_password
from hub.policy import Role

from ..conftest import TEST_PASSWORD, TEST_SCRYPT_N, RunningHub, until

SHANGHAI = "Asia/Shanghai"


@dataclass
class Home:
    credentials: GatewayCredentials
    link: HubLink

    @property
    def household_id(self) -> str:
        return self.credentials.household_id

    @property
    def gateway_id(self) -> str:
        return self.credentials.gateway_id


async def enrolled_home(
    hub: RunningHub, session: aiohttp.ClientSession, name: str, address: str
) -> Home:
    """A household whose gateway is enrolled; its link is not started."""
    household = await hub.add_household(name, address)
    credentials = await enroll(session, hub.url, await hub.enrollment_code(household.id), "gw")
    outbox = Outbox(hub.data_dir.parent / f"outbox-{credentials.gateway_id}.sqlite3")
    return Home(credentials, HubLink(session, credentials, outbox, heartbeat_interval=1.0))


async def connect(hub: RunningHub, home: Home) -> None:
    """Start the home's link and wait until the hub counts the gateway as connected."""
    home.link.start()
    await until(lambda: hub.context.gateways.is_connected(home.gateway_id), timeout=10)


async def family_page(
    hub: RunningHub,
    browser: Browser,
    household_id: str,
    *,
    locale: str = "zh-CN",
    width: int = 1280,
    height: int = 900,
    display_name: str = "王小明",
) -> Page:
    """A browser tab of a family member of the household, signed in (through the sign-in
    API, in the tab's own cookie jar), not yet on the family page."""
    username = f"son-{secrets.token_hex(4)}"
    stored = hash_password(TEST_PASSWORD, n=TEST_SCRYPT_N)
    store, now = hub.context.store, hub.context.clock()
    await hub.context.db(
        lambda: store.accounts.create_user(
            username, display_name, Role.FAMILY, stored, now=now, household_id=household_id
        )
    )
    page = await browser.new_page(
        locale=locale, timezone_id=SHANGHAI, viewport=ViewportSize(width=width, height=height)
    )
    answer = await page.request.post(
        f"{hub.url}/api/v1/login", data={"username": username, "password": TEST_PASSWORD}
    )
    assert answer.status == 200, await answer.text()
    if locale != "zh-CN":
        await page.add_init_script("localStorage.setItem('dispatch.language', 'en')")
    return page
