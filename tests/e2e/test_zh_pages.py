"""The zh-CN pages speak Chinese: a real-Chromium scan of what a person can read on /dispatch
(open alarms of many kinds, each card opened with its log and devices, the step dialogs),
/login and /family for untranslated English words and raw ids (entity ids, Zigbee
manufacturer codes, ULIDs). The alarms carry the texts the household's rules and the hub
really write ("Front door: opened during quiet hours", "unacknowledged for 60 s", entity ids),
and a dispatcher with a display name works one of them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, expect

from gateway.alarms import (
    AlarmAction,
    AlarmClearedBody,
    AlarmEventBody,
    AlarmKind,
    RaisedAlarm,
)
from gateway.protocol import VitalBody, parse_alarm_raised
from gateway.ulid import new_ulid
from hub.core.desk_model import Outcome, StaffStep
from hub.core.registry import DeviceState
from hub.core.storage import Gateway, HubStore
from hub.desk.timers import check_desk
from hub.infra.passwords import hash_password
from hub.policy import Role

from ..conftest import TEST_PASSWORD, TEST_SCRYPT_N, RunningHub
from .conftest import PageProblems

VIEWPORT = ViewportSize(width=1600, height=1000)
DISPATCHER = "night-desk"
DISPLAY_NAME = "值班调度员"
# Words a Chinese page may show in Latin letters: names of products and standards, units.
ALLOWED = {
    "Eldercare", "English", "Home", "Assistant", "Contact", "ID", "SIA", "SpO2",
    "min", "mmHg", "kPa", "bpm", "mg", "dL", "mmol", "kg", "cm",
}  # fmt: skip
RAW_IDS = re.compile(
    r"\b[a-z_]+\.[a-z0-9_]+\b|_T[A-Z]\d{4}_|\b[0-9A-HJKMNP-TV-Z]{26}\b|(?:[0-9a-f]{2}:){7}"
)
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")

# Every text a person can read: visible text nodes, and the labels of visible elements.
READABLE = """() => {
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || !node.textContent.trim() || parent.closest("script, style")) continue;
    if (parent.checkVisibility({ visibilityProperty: true })) texts.push(node.textContent.trim());
  }
  for (const node of document.querySelectorAll("[title], [aria-label], [placeholder], [alt]")) {
    if (!node.checkVisibility()) continue;
    for (const name of ["title", "aria-label", "placeholder", "alt"]) {
      const value = node.getAttribute(name);
      if (value && value.trim()) texts.push(value.trim());
    }
  }
  texts.push(document.title);
  return texts;
}"""


def _foreign(texts: list[str]) -> list[str]:
    """Texts with an English word or a raw id in them."""
    found = []
    for text in texts:
        words = [w for w in WORD.findall(text) if len(w) > 1 and w not in ALLOWED]
        if words or RAW_IDS.search(text):
            found.append(text)
    return found


async def _readable(page: Page) -> list[str]:
    return list(await page.evaluate(READABLE))


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport=VIEWPORT
    )
    yield context
    await context.close()


def _raise(
    store: HubStore, gateway: Gateway, kind: AlarmKind, source: str, at: datetime, name: str = ""
) -> str:
    body = parse_alarm_raised(RaisedAlarm.new(kind, source, at, name).to_body())
    alarm = store.record_alarm_raised(gateway, new_ulid(), body, at)
    assert alarm is not None
    return alarm.id


def _event(
    store: HubStore, gateway: Gateway, alarm_id: str, action: AlarmAction, detail: str, at: datetime
) -> None:
    body = AlarmEventBody(alarm_id, action, at, "household", detail)
    store.record_alarm_event(gateway, new_ulid(), body, at)


def _gateway(store: HubStore, name: str, address: str) -> Gateway:
    household = store.create_household(name, address)
    return store.redeem_enrollment_code(store.mint_enrollment_code(household.id), "KEY", "gw")


def _homes(store: HubStore, now: datetime) -> dict[str, str]:
    """Three households and their open alarms, as the household rules word them today.
    Returns the ids of the alarms the test works with."""
    start = now - timedelta(minutes=5)
    wang = _gateway(store, "王奶奶家", "幸福社区 3 栋 2 单元 501")
    store.registry.add_resident(
        wang.household_id,
        "王秀英",
        now,
        birth_year=1941,
        conditions=["高血压"],
        medications=["氨氯地平"],
        allergies=["青霉素"],
        mobility="助行器",
        thresholds={"8867-4": {"low": 50, "high": 110}},
    )
    store.registry.set_contacts(
        wang.household_id, [{"name": "王军", "phone": "139 0000 1234", "relation": "儿子"}]
    )
    for hours in range(1, 48, 6):
        at = now - timedelta(hours=hours)
        store.record_vital(wang, new_ulid(), VitalBody("8867-4", 72.0, "/min", at, "手环"), at)
    seen = (now - timedelta(minutes=2)).isoformat()
    store.registry.record_devices(
        wang.household_id,
        [
            DeviceState("sos-dev", "客厅呼叫按钮", "sos", 90, seen, None, ""),
            DeviceState("door-dev", "_TZ3000_26fmupbb TS0203", "door", 55, seen, None, ""),
            DeviceState("smoke-dev", "厨房烟雾报警器", "smoke", 15, seen, "off", ""),
            DeviceState("fob-dev", "随身按钮", "sos", None, None, None, ""),
        ],
        now,
        full=True,
    )
    earlier = _raise(store, wang, AlarmKind.SOS, "客厅呼叫按钮", start - timedelta(days=2))
    store.record_staff_step(earlier, StaffStep.ACKNOWLEDGED, DISPATCHER, "", now=start)
    store.record_staff_step(
        earlier, StaffStep.RESOLVED, DISPATCHER, "", now=start, outcome=Outcome.FALSE_ALARM
    )
    sos = _raise(
        store, wang, AlarmKind.SOS, "button:button.wang_nai_nai_jia_demo_call_for_help", start
    )
    _event(store, wang, sos, AlarmAction.FAMILY_NOTIFIED, "王军", start)
    _event(store, wang, sos, AlarmAction.FAMILY_UNANSWERED, "王军", start)
    door = _raise(store, wang, AlarmKind.DOOR, "前门: opened during quiet hours", start)
    store.record_alarm_cleared(
        wang, new_ulid(), AlarmClearedBody(door, start, "前门 closed"), start
    )
    _raise(store, wang, AlarmKind.BATTERY_LOW, "厨房烟雾报警器: 15 %", start)
    _raise(store, wang, AlarmKind.DEVICE_OFFLINE, "卧室按钮: not heard for 240 min", start)
    _raise(store, wang, AlarmKind.VITALS, "heart_rate 142 /min high", start)
    inactivity = _raise(store, wang, AlarmKind.INACTIVITY, "no activity", start)
    _event(store, wang, inactivity, AlarmAction.PREWARNING, "pre-warning unanswered", start)

    li = _gateway(store, "李爷爷家", "幸福社区 5 栋 1 单元 302")
    store.registry.record_devices(
        li.household_id,
        [
            DeviceState("valve-dev", "厨房燃气阀", "gas_valve", 80, seen, "open", ""),
            DeviceState("gas-dev", "_TZ3000_abcdefgh TS0601", "gas", 90, seen, "off", ""),
        ],
        now,
        full=True,
    )
    gas = _raise(store, li, AlarmKind.GAS, "binary_sensor.kitchen_gas", start)
    _event(store, li, gas, AlarmAction.VALVE_RETRY, "switch.kitchen_gas_valve", start)
    _event(store, li, gas, AlarmAction.VALVE_CLOSED, "switch.kitchen_gas_valve", start)
    _raise(store, li, AlarmKind.VALVE_FAILED, "switch.kitchen_gas_valve", start)
    fire = _raise(store, li, AlarmKind.FIRE, "binary_sensor.living_room_smoke", start)
    store.record_alarm_cleared(
        li,
        new_ulid(),
        AlarmClearedBody(fire, start, "binary_sensor.living_room_smoke quiet"),
        start,
    )

    zhao = _gateway(store, "赵阿姨家", "幸福社区 8 栋 3 单元 101")
    store.raise_link_lost(zhao, "no message from the gateway for 180 s", start)
    store.record_panel_alarm(
        zhao.household_id,
        "1234",
        AlarmKind.WATER_LEAK,
        source="panel 1234 zone 015 (Contact ID 1154)",
        occurred_at=start,
        now=start,
    )
    return {"sos": sos, "household": wang.household_id}


async def _dispatcher(context: BrowserContext, hub: RunningHub) -> Page:
    store, clock = hub.context.store, hub.context.clock

    def create() -> None:
        stored = hash_password(TEST_PASSWORD, n=TEST_SCRYPT_N)
        store.accounts.create_user(DISPATCHER, DISPLAY_NAME, Role.DISPATCHER, stored, now=clock())

    await hub.context.db(create)
    login = {"username": DISPATCHER, "password": TEST_PASSWORD}
    response = await context.request.post(f"{hub.url}/api/v1/login", data=login)
    assert response.ok, await response.text()
    page = await context.new_page()
    await page.goto(f"{hub.url}/dispatch")
    await expect(page.locator("#connection")).to_have_attribute("data-state", "open")
    return page


async def test_dispatch_login_and_family_pages_show_no_english_and_no_raw_ids(
    hub_server: RunningHub,
    context: BrowserContext,
    browser: Browser,
    page_problems: PageProblems,
) -> None:
    store = hub_server.context.store
    now = datetime.now(UTC)
    ids = await hub_server.context.db(_homes, store, now)
    # A minute with nobody answering: the hub's own log entries.
    clock = hub_server.context.clock
    hub_server.context.clock = lambda: datetime.now(UTC) + timedelta(seconds=61)
    try:
        await check_desk(hub_server.context)
    finally:
        hub_server.context.clock = clock

    page = page_problems.watch(await _dispatcher(context, hub_server))
    rows = page.locator(".alarm")
    await expect(rows).to_have_count(11)
    # The night desk works the SOS from the screen: its steps carry their display name.
    await page.locator(f'.alarm[data-alarm-id="{ids["sos"]}"] button').click()
    await page.keyboard.press("a")
    await expect(page.locator("#card-head .progress-since")).to_contain_text(DISPLAY_NAME)
    await page.keyboard.press("d")
    await page.locator("#responder").fill("王护士")
    await page.locator("#eta").fill("10")
    await page.keyboard.press("Enter")
    await expect(page.locator("#dispatch-dialog")).to_be_hidden()
    await page.keyboard.press("n")
    await page.keyboard.type("已电话联系家属")
    await page.keyboard.press("Enter")
    await expect(page.locator("#note-dialog")).to_be_hidden()
    log = page.locator(".card-events")
    await expect(log.locator("li[data-action='note']")).to_contain_text(DISPLAY_NAME)
    await expect(log.locator("li[data-action='dispatched']")).to_contain_text("王护士")

    found: dict[str, list[str]] = {}
    seen: set[str] = set()
    for index in range(await rows.count()):
        row = rows.nth(index)
        alarm_id = await row.get_attribute("data-alarm-id")
        await row.locator("button").click()
        await expect(page.locator("#card")).to_have_attribute("data-alarm-id", alarm_id or "")
        await expect(page.locator("#card-body")).to_have_attribute("data-loaded", "true")
        await expect(log).to_be_visible()
        texts = await _readable(page)
        seen.update(texts)
        found[f"/dispatch card {await row.get_attribute('data-kind')}"] = _foreign(texts)
    for key in ("d", "r"):
        await page.keyboard.press(key)
        await expect(page.locator("dialog[open]")).to_be_visible()
        found[f"/dispatch dialog {key}"] = _foreign(await _readable(page))
        await page.keyboard.press("Escape")

    # In English too, no raw id anywhere.
    await page.get_by_role("button", name="English").click()
    for index in range(await rows.count()):
        await rows.nth(index).locator("button").click()
        await expect(page.locator("#card-body")).to_have_attribute("data-loaded", "true")
        raw = [text for text in await _readable(page) if RAW_IDS.search(text)]
        found[f"/dispatch (en) card {await rows.nth(index).get_attribute('data-kind')}"] = raw
    await page.get_by_role("button", name="中文").click()

    login = await browser.new_page(locale="zh-CN")
    await login.goto(f"{hub_server.url}/login")
    await expect(login.get_by_label("用户名")).to_be_visible()
    found["/login"] = _foreign(await _readable(login))
    await login.close()

    family_context = await browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        username, password = await hub_server.add_user(Role.FAMILY, household_id=ids["household"])
        signed_in = await family_context.request.post(
            f"{hub_server.url}/api/v1/login", data={"username": username, "password": password}
        )
        assert signed_in.ok
        family = await family_context.new_page()
        await family.goto(f"{hub_server.url}/family")
        await expect(family.locator("#household-name")).to_have_text("王奶奶家")
        await expect(family.locator(".open-alarm").first).to_be_visible()
        found["/family"] = [
            text for text in _foreign(await _readable(family)) if username not in text
        ]
    finally:
        await family_context.close()

    assert {page: texts for page, texts in found.items() if texts} == {}
    # What the texts became (the scan read the cards, logs and devices).
    for words in (
        "夜间开门",
        "前门在夜间静默时段被打开",
        "前门已关闭",
        "60 秒无人确认",
        "家中 Home Assistant 上的一键呼叫按钮",
        "厨房燃气阀",
        "未命名燃气探测器",
        "未命名门磁",
        "预警无人应答",
        "网关 180 秒无消息",
        "报警主机 1234 防区 015 · Contact ID 1154",
        "电量低：厨房烟雾报警器",
        "阀门未关闭：厨房燃气阀",
        "未知 — 尚无上报",
        DISPLAY_NAME,
    ):
        assert any(words in text for text in seen), words
    assert page_problems.script_errors() == []
