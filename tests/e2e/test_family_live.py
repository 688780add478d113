"""The family page is live, in real Chromium against a real hub and a real gateway link: an
alarm and every staff step appear at once; when the page loses the care center it says so
and how long ago it last heard, never "all is well"; back online it shows what happened
meanwhile. A home whose gateway is offline is never reported as all well either."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp
from playwright.async_api import Browser, Page, expect

from gateway.alarms import AlarmKind, RaisedAlarm
from gateway.protocol import MessageType
from hub.app import open_store
from hub.core.desk_model import Outcome, StaffStep

from ..conftest import RunningHub
from .conftest import PageProblems
from .family_home import SHANGHAI, Home, connect, enrolled_home, family_page

HELD_SECONDS = 27  # the SOS waited this long in the home before it was sent
RECONNECT = 20_000  # ms: the page's reconnect backoff is at most 5 s; the hub restarts


async def _all_well_is_nowhere(page: Page) -> None:
    await expect(page.locator(".all-well")).to_have_count(0)
    assert "一切正常" not in await page.locator("body").inner_text()


async def _raise_sos(hub: RunningHub, home: Home) -> str:
    """The home's SOS button, pressed HELD_SECONDS before the gateway could send it."""
    alarm = RaisedAlarm.new(
        AlarmKind.SOS,
        "binary_sensor.sos_button",
        occurred_at=datetime.now(UTC) - timedelta(seconds=HELD_SECONDS),
        source_name="客厅紧急按钮",
    )
    message_id = home.link.send(MessageType.ALARM_RAISED, alarm.to_body())
    await home.link.wait_delivered(message_id, timeout=5)
    (sos,) = [a for a in await hub.open_alarms() if a.household_id == home.household_id]
    return sos.id


async def test_family_page_is_live_says_when_cut_off_and_catches_up(
    hub_server: RunningHub, browser: Browser, page_problems: PageProblems
) -> None:
    async with aiohttp.ClientSession() as session:
        home = await enrolled_home(hub_server, session, "王奶奶家", "幸福社区 3 栋 2 单元 501")
        await connect(hub_server, home)
        try:
            page = page_problems.watch(await family_page(hub_server, browser, home.household_id))
            await page.goto(f"{hub_server.url}/family")
            await expect(page.locator("#online")).to_have_text("家中网关在线")
            await expect(page.locator(".all-well")).to_be_visible()

            # The home calls for help: the page shows it at once, with when it happened at
            # home, that it reached the care center late, and the button's own name.
            alarm_id = await _raise_sos(hub_server, home)
            card = page.locator(".open-alarm")
            await expect(card.locator(".open-alarm-kind")).to_have_text("紧急呼叫")
            stored = await hub_server.context.db(hub_server.context.store.alarm, alarm_id)
            assert stored is not None
            assert stored.late_by_seconds is not None
            happened = datetime.fromisoformat(stored.happened_at).astimezone(ZoneInfo(SHANGHAI))
            await expect(card.locator(".open-alarm-when")).to_have_text(
                f"{happened:%H:%M:%S} 发生 · 晚到 {stored.late_by_seconds} 秒"
            )
            assert stored.late_by_seconds >= HELD_SECONDS
            await expect(card.locator(".open-alarm-source")).to_contain_text("客厅紧急按钮")
            await expect(card.locator(".responder")).to_have_text("护理中心已收到警报，正在处理")
            await _all_well_is_nowhere(page)
            await expect(page.locator("#connection")).to_have_attribute("data-state", "live")

            # A staff step reaches the page at once (no reload, no 15 s poll).
            await hub_server.staff_step(alarm_id, StaffStep.ACKNOWLEDGED)
            current = card.locator(".progress-step[aria-current='step']")
            await expect(current).to_contain_text("已确认")

            # The feed is cut: the hub goes away.
            await hub_server.stop()
            connection = page.locator("#connection")
            await expect(connection).to_have_attribute("data-state", "lost")
            await expect(connection).to_contain_text("未连接护理中心")
            # ... and it counts how long ago it last heard the care center.
            await expect(connection).to_have_text(re.compile(r"最后更新 ([2-9]|\d{2,}) 秒前"))
            await expect(page.locator("#stale")).to_be_visible()
            await expect(page.locator("#online")).to_have_attribute("data-online", "unknown")
            await expect(card.locator(".open-alarm-kind")).to_have_text("紧急呼叫")  # last known
            await _all_well_is_nowhere(page)

            # While the page is cut off, a dispatcher sends someone (another hub node, or
            # this hub before the page's network came back: the database has the step).
            store = open_store(hub_server.data_dir)
            try:
                store.record_staff_step(
                    alarm_id,
                    StaffStep.DISPATCHED,
                    "zhao.lei",
                    "gate code 1234",
                    now=datetime.now(UTC),
                    responder="社区护士 刘芳",
                    eta_minutes=8,
                )
            finally:
                store.close()

            # Restored on the same address: the page catches up by itself.
            await hub_server.start()
            await expect(connection).to_have_attribute("data-state", "live", timeout=RECONNECT)
            await expect(page.locator("#stale")).to_be_hidden()
            await expect(card.locator(".responder")).to_have_text("社区护士 刘芳")
            await expect(card.locator(".eta")).to_contain_text("约 8 分钟")
            await expect(current).to_contain_text("已派遣")
            assert "gate code" not in await page.content()
            await _all_well_is_nowhere(page)

            # Resolved, and the home's gateway back (at once, not after its own backoff):
            # now, and only now, all is well.
            await home.link.stop()
            await connect(hub_server, home)
            await hub_server.staff_step(alarm_id, StaffStep.ON_SITE)
            await expect(current).to_contain_text("已到场")
            await hub_server.staff_step(
                alarm_id, StaffStep.RESOLVED, outcome=Outcome.ASSISTED_ON_SITE
            )
            await expect(page.locator(".all-well")).to_be_visible()
            await expect(page.locator("#history tbody tr").first).to_contain_text("上门协助")
            assert page_problems.script_errors() == []
            assert page_problems.csp_refusals() == []
        finally:
            await home.link.stop()


async def test_family_page_never_says_all_is_well_while_the_home_is_offline(
    hub_server: RunningHub, browser: Browser
) -> None:
    async with aiohttp.ClientSession() as session:
        home = await enrolled_home(hub_server, session, "王奶奶家", "幸福社区 3 栋 2 单元 501")
        await connect(hub_server, home)
        try:
            page = await family_page(hub_server, browser, home.household_id, locale="en")
            await page.goto(f"{hub_server.url}/family")
            await expect(page.locator("#online")).to_have_text("Home gateway online")
            await expect(page.locator(".all-well")).to_be_visible()

            await home.link.stop()  # the home's internet goes down
            await expect(page.locator("#online")).to_have_attribute("data-online", "false")
            await expect(page.locator(".all-well")).to_have_count(0)
            offline = page.locator(".home-offline")
            await expect(offline).to_contain_text("cannot tell")
            await expect(page.locator("#connection")).to_have_attribute("data-state", "live")

            await connect(hub_server, home)
            await expect(page.locator(".all-well")).to_be_visible()
            await expect(offline).to_have_count(0)
        finally:
            await home.link.stop()
