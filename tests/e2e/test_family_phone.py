"""The family page on a phone, in real Chromium: a son opens it at 375 and 414 px wide, in
Chinese and in English, during a dispatched SOS, with the home's history, vitals and
devices, and never has to scroll sideways. In Chinese every word he reads is Chinese
(brands, units and numbers aside) and no raw id of a device or alarm shows."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from playwright.async_api import Browser, Page, expect

from gateway.alarms import AlarmKind, RaisedAlarm
from gateway.protocol import MessageType
from hub.core.desk_model import Outcome, StaffStep
from hub.core.registry import DeviceState

from ..conftest import RunningHub
from ..hub.seed import add_vital, raise_alarm
from .conftest import PageProblems
from .family_home import Home, connect, enrolled_home, family_page

PHONES = [375, 414]
RAW_IDS = {
    "Zigbee model id": re.compile(r"_TZ\d{4}_"),
    "entity id": re.compile(r"\b[a-z_]+\.[a-z0-9_]+\b"),
    "ULID": re.compile(r"\b[0-9A-HJKMNP-TV-Z]{26}\b"),
}
# Latin words allowed on the Chinese page: the language switch (in its own language), a
# device brand of the household's own naming, and units.
LATIN_ALLOWED = {"English", "Aqara", "mmHg", "mmol", "kg"}


async def _home_with_a_history(hub: RunningHub, home: Home) -> None:
    store = hub.context.store
    now = datetime.now(UTC)
    gateway = await hub.context.db(store.gateway, home.gateway_id)
    assert gateway is not None
    await hub.context.db(
        lambda: store.registry.add_resident(home.household_id, "王秀英", now, birth_year=1941)
    )
    for hours in range(1, 70, 8):
        at = now - timedelta(hours=hours)
        await add_vital(hub, gateway, "8867-4", 70.0 + hours % 9, "/min", at)
        await add_vital(hub, gateway, "59408-5", 96.0, "%", at)
        await add_vital(hub, gateway, "8480-6", 128.0, "mm[Hg]", at, reading=f"r{hours}")
        await add_vital(hub, gateway, "8462-4", 82.0, "mm[Hg]", at, reading=f"r{hours}")
    await add_vital(hub, gateway, "8310-5", 36.6, "Cel", now - timedelta(hours=3))
    await add_vital(hub, gateway, "41653-7", 6.1, "mmol/L", now - timedelta(hours=4))
    seen = (now - timedelta(minutes=3)).isoformat()
    devices = [
        DeviceState("d1", "客厅紧急按钮", "sos", 88, seen, "off", seen),
        DeviceState("d2", "厨房燃气报警器", "gas", None, seen, "off", seen),
        DeviceState(
            "d3", "卫生间水浸传感器（洗衣机旁边的地面上）", "water_leak", 12, seen, "off", seen
        ),
        DeviceState("d4", "_TZ3000_kqvb5akv", "door", 64, seen, "on", seen),
        DeviceState("d5", "binary_sensor.bedroom_motion", "motion", 70, seen, "off", seen),
        DeviceState("d6", "Aqara 温湿度计", "thermometer", 95, seen, "unavailable", seen),
        DeviceState("d7", "燃气阀", "valve", None, seen, "closed", seen),
    ]
    await hub.context.db(lambda: store.registry.record_devices(home.household_id, devices, now))
    for kind, outcome in (
        (AlarmKind.FALL, Outcome.FALSE_ALARM),
        (AlarmKind.GAS, Outcome.FIRE_SERVICE),
        (AlarmKind.BATTERY_LOW, Outcome.TECHNICAL),
        (AlarmKind.DOOR, Outcome.FAMILY_HANDLED),
        (AlarmKind.INACTIVITY, Outcome.ADVICE_BY_PHONE),
    ):
        old = await raise_alarm(hub, gateway, kind, now - timedelta(days=2))
        await hub.staff_step(old.id, StaffStep.RESOLVED, outcome=outcome)


async def _live_alarms(hub: RunningHub, home: Home) -> None:
    """A dispatched SOS that reached the care center late, and an open leak named by its raw
    entity id (a device the household never named)."""
    sos = RaisedAlarm.new(
        AlarmKind.SOS,
        "binary_sensor.sos_button",
        occurred_at=datetime.now(UTC) - timedelta(seconds=27),
        source_name="客厅紧急按钮",
    )
    leak = RaisedAlarm.new(
        AlarmKind.WATER_LEAK, "binary_sensor.leak", source_name="binary_sensor.bathroom_leak"
    )
    for alarm in (sos, leak):
        await home.link.wait_delivered(
            home.link.send(MessageType.ALARM_RAISED, alarm.to_body()), timeout=5
        )
    (open_sos,) = [a for a in await hub.open_alarms() if a.kind == "sos"]
    await hub.staff_step(
        open_sos.id, StaffStep.DISPATCHED, responder="社区护士 刘芳", eta_minutes=8
    )


async def _shown_in_full(page: Page) -> None:
    await expect(page.locator(".open-alarm")).to_have_count(2)
    responder = page.locator(".open-alarm .responder").filter(has_text="社区护士 刘芳")
    await expect(responder).to_have_count(1)
    await expect(page.locator("#vitals-chart svg.main-svg").first).to_be_attached()
    await expect(page.locator("#devices tbody tr")).to_have_count(7)
    await expect(page.locator("#history tbody tr")).to_have_count(7)


async def _overflow(page: Page) -> dict[str, object]:
    return dict(
        await page.evaluate(
            """() => {
              const width = window.innerWidth;
              const wide = [];
              for (const node of document.querySelectorAll("body *")) {
                if (node.closest(".js-plotly-plot")) continue; // sized by its container
                const box = node.getBoundingClientRect();
                if (box.width && box.height && box.right > width + 0.5) {
                  wide.push(`${node.tagName}.${node.className} ${Math.round(box.right)}`);
                }
              }
              return {
                scrollWidth: document.documentElement.scrollWidth, width,
                htmlOverflow: getComputedStyle(document.documentElement).overflowX,
                bodyOverflow: getComputedStyle(document.body).overflowX,
                wide: wide.slice(0, 8),
              };
            }"""
        )
    )


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
async def test_family_page_fits_a_phone_without_sideways_scrolling(
    hub_server: RunningHub, browser: Browser, page_problems: PageProblems, locale: str
) -> None:
    async with aiohttp.ClientSession() as session:
        home = await enrolled_home(hub_server, session, "王奶奶家", "幸福社区 3 栋 2 单元 501")
        await connect(hub_server, home)
        try:
            await _home_with_a_history(hub_server, home)
            await _live_alarms(hub_server, home)
            for width in PHONES:
                page = page_problems.watch(
                    await family_page(
                        hub_server, browser, home.household_id, locale=locale, width=width
                    )
                )
                await page.goto(f"{hub_server.url}/family")
                await _shown_in_full(page)
                layout = await _overflow(page)
                assert layout["scrollWidth"] <= width, (locale, width, layout)
                assert layout["wide"] == [], (locale, width, layout)
                # Not by hiding it: nothing clips the page's own width.
                assert (layout["htmlOverflow"], layout["bodyOverflow"]) == ("visible", "visible")
                text = await page.locator("body").inner_text()
                for what, pattern in RAW_IDS.items():
                    assert not pattern.search(text), (locale, what, pattern.findall(text))
                if locale == "zh-CN":
                    latin = set(re.findall(r"[A-Za-z][A-Za-z0-9]+", text)) - LATIN_ALLOWED
                    assert latin == set(), latin
                await expect(page.locator("#connection")).to_have_attribute("data-state", "live")
                await page.close()
            assert page_problems.script_errors() == []
        finally:
            await home.link.stop()
