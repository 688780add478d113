"""What the dispatch screen shows is true and current, or it says plainly that it does not
know (issue 18), in Chromium against a real hub fed through the gateway wire:

- a gas card after the valve's confirmed closure says "closed" everywhere on the card;
- an SOS delivered late shows when it happened at home and how late it came;
- a screen that lost the hub says so across the screen, sounds, and catches up after;
- cards are titled by the event and name devices as the household does, lanes agree;
- resolving is confirmed and the card is seen leaving; unknown devices say so.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, expect

from gateway.alarms import (
    AlarmAction,
    AlarmEventBody,
    AlarmKind,
    RaisedAlarm,
)
from gateway.protocol import DeviceReport, DeviceStatusBody, MessageType, parse_alarm_raised
from gateway.ulid import new_ulid
from hub.core.storage import HubStore
from hub.policy import Role

from ..conftest import RunningHub
from .conftest import PageProblems
from .household_link import HouseholdLink

VIEWPORT = ViewportSize(width=1600, height=1000)
ZONE = "Asia/Shanghai"


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(locale="zh-CN", timezone_id=ZONE, viewport=VIEWPORT)
    yield context
    await context.close()


async def _screen(
    context: BrowserContext,
    hub: RunningHub,
    problems: PageProblems,
    *,
    fake_clock: bool = False,
) -> Page:
    """A dispatcher's live screen (signed in through the API, as the login page does)."""
    username, password = await hub.add_user(Role.DISPATCHER)
    login = {"username": username, "password": password}
    response = await context.request.post(f"{hub.url}/api/v1/login", data=login)
    assert response.ok, await response.text()
    page = problems.watch(await context.new_page())
    if fake_clock:
        await page.clock.install()  # time runs as usual until the test moves it on
    await page.goto(f"{hub.url}/dispatch")
    await expect(page.locator("#connection")).to_have_attribute("data-state", "open")
    await expect(page.locator("body")).to_have_attribute("data-link", "live")
    return page


def _local(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(ZONE)).strftime("%H:%M:%S")


async def test_gas_card_after_a_confirmed_closure_says_closed_everywhere(
    hub_server: RunningHub, context: BrowserContext, page_problems: PageProblems
) -> None:
    home = await HouseholdLink.enrolled(hub_server, "燃气之家", "幸福社区 1 栋 101")
    before = datetime.now(UTC) - timedelta(seconds=20)
    page = await _screen(context, hub_server, page_problems)
    async with home:
        # The last report, from before the leak: valve open, detector quiet.
        report = DeviceStatusBody(
            (
                DeviceReport("valve-dev", "厨房燃气阀", "gas_valve", 80, before, "open"),
                DeviceReport("gas-dev", "厨房燃气报警器", "gas", 90, before, "off"),
            ),
            full=True,
        )
        await home.send(MessageType.DEVICE_STATUS, report.to_body())
        leak = RaisedAlarm.new(AlarmKind.GAS, "binary_sensor.kitchen_gas", None, "厨房燃气报警器")
        await home.send(MessageType.ALARM_RAISED, leak.to_body())
        row = page.locator('.alarm[data-kind="gas"]')
        await expect(row).to_be_visible()
        devices = page.locator(".card-devices")
        await expect(devices.locator("tr[data-kind='gas']")).to_be_visible()

        # The household confirms the valve closed (its own report comes up to 10 s later).
        closure = AlarmEventBody(
            leak.alarm_id,
            AlarmAction.VALVE_CLOSED,
            datetime.now(UTC),
            "household",
            "switch.kitchen_gas_valve",
        )
        await home.send(MessageType.ALARM_EVENT, closure.to_body())

        await expect(row.locator(".state")).to_contain_text("阀门已关闭")
        log = page.locator(".card-events li[data-action='valve_closed']")
        await expect(log).to_contain_text("阀门已关闭")
        # The device panel of the same card agrees at once, and says where it knows it from.
        valve = devices.locator("tr[data-kind='gas_valve']")
        await expect(valve.locator(".device-state")).to_contain_text("已关闭")
        await expect(devices.locator(".valve-warning")).to_have_count(0)
        await expect(page.locator("#card")).not_to_contain_text("仍打开")
        await expect(valve.locator(".device-state")).to_contain_text("据警报记录")
        await expect(valve).to_have_attribute("data-state-from", "alarm")
        # The open gas alarm: its detector is alarming, not "normal".
        detector = devices.locator("tr[data-kind='gas']")
        await expect(detector.locator(".device-state")).to_contain_text("报警")
        await expect(detector).to_have_class("danger")
        await expect(log).to_contain_text("厨房燃气阀")  # the valve by the household's name
    assert page_problems.script_errors() == []


async def test_a_late_sos_shows_when_it_happened_at_home_and_how_late(
    hub_server: RunningHub, context: BrowserContext, page_problems: PageProblems
) -> None:
    home = await HouseholdLink.enrolled(hub_server, "王奶奶家", "幸福社区 3 栋 501")
    page = await _screen(context, hub_server, page_problems)
    sent = datetime.now(UTC)
    pressed = sent - timedelta(seconds=27)  # held 27 s at home while the hub was down
    sos = RaisedAlarm.new(AlarmKind.SOS, "binary_sensor.sos_button", pressed, "客厅呼叫按钮")
    async with home:
        await home.send(MessageType.ALARM_RAISED, sos.to_body(), sent)
    (alarm,) = await hub_server.open_alarms()
    assert alarm.late_by_seconds is not None
    late = f"晚到 {alarm.late_by_seconds} 秒"
    happened = f"{_local(alarm.happened_at)} 发生"

    row = page.locator('.alarm[data-kind="sos"]')
    await expect(row.locator(".late")).to_have_text(f"{happened} · {late}")
    # What the resident has waited: from the press, not from the hub's receipt.
    await expect(row.locator(".waiting")).to_have_text(re.compile(r"^0:(2[7-9]|[3-5]\d)$"))
    # The SLA and the escalation still count from the receipt: not amber yet.
    await expect(row).to_have_attribute("data-sla", "ok")
    head = page.locator("#card-head")
    await expect(head.locator(".card-times")).to_contain_text(f"{happened} · {late}")
    await expect(head.locator(".card-times")).to_contain_text(
        f"中心 {_local(alarm.received_at)} 收到"
    )
    await expect(head.locator(".timer-explain")).to_have_text(
        "计时从家中发生时起；60 秒未确认即升级，按中心收到的时间计"
    )
    await expect(head.locator(".card-waiting .value")).to_have_text(
        re.compile(r"^0:(2[7-9]|[3-5]\d)$")
    )
    await expect(head.locator(".card-about")).to_have_text("来源：客厅呼叫按钮")
    raised = page.locator(".card-events li[data-action='raised']")
    await expect(raised.locator("time")).to_have_text(_local(alarm.happened_at))
    await expect(raised).to_contain_text(late)

    await page.get_by_role("button", name="English").click()
    await expect(row.locator(".late")).to_have_text(
        f"happened {_local(alarm.happened_at)} · delivered {alarm.late_by_seconds} s late"
    )
    assert page_problems.script_errors() == []


async def test_a_screen_that_lost_the_hub_says_so_sounds_and_catches_up(
    hub_server: RunningHub, context: BrowserContext, page_problems: PageProblems
) -> None:
    page = await _screen(context, hub_server, page_problems, fake_clock=True)
    empty = page.locator("#empty")
    await expect(empty).to_have_text("暂无警报")  # the hub said so: a quiet shift
    await expect(page.locator("#link-lost")).to_be_hidden()

    await hub_server.stop()
    banner = page.locator("#link-lost")
    await expect(banner).to_be_visible()
    await expect(banner).to_contain_text("连接已中断")
    await expect(banner.locator(".link-lost-since")).to_contain_text("最后更新")
    await expect(page.locator("#queue-stale")).to_contain_text("最后更新")
    await expect(page.locator("body")).to_have_attribute("data-link", "lost")
    # It does not know: never "no alarms".
    await expect(empty).to_have_text("未知：未连接服务器，无法显示当前警报")
    await expect(page.locator("#lane-emergency .lane-empty")).to_have_text("未知")
    await expect(page).to_have_title(re.compile("^⚠ 连接中断"))
    # After the grace period, it is heard.
    assert await page.locator("body").get_attribute("data-last-sound") is None
    await page.clock.fast_forward("00:11")
    await expect(page.locator("body")).to_have_attribute("data-last-sound", "offline")

    # Meanwhile a household raised a fall (straight into the hub's database).
    store = HubStore(hub_server.data_dir / "hub.sqlite3")
    try:
        household = store.create_household("李爷爷家", "幸福社区 2 栋 202")
        gateway = store.redeem_enrollment_code(
            store.mint_enrollment_code(household.id), "KEY", "li-gateway"
        )
        body = parse_alarm_raised(RaisedAlarm.new(AlarmKind.FALL, "卧室雷达").to_body())
        store.record_alarm_raised(gateway, new_ulid(), body, datetime.now(UTC))
    finally:
        store.close()
    await hub_server.start()

    # Back: a fresh snapshot, the fall in the queue, the screen live again.
    await expect(page.locator("body")).to_have_attribute("data-link", "live", timeout=15000)
    await expect(banner).to_be_hidden()
    await expect(page.locator("#queue-stale")).to_be_hidden()
    await expect(page.locator('.alarm[data-kind="fall"]')).to_contain_text("李爷爷家")
    await expect(empty).to_be_hidden()
    await expect(page).not_to_have_title(re.compile("连接中断"))


async def test_cards_are_titled_by_the_event_with_the_households_device_names(
    hub_server: RunningHub, context: BrowserContext, page_problems: PageProblems
) -> None:
    home = await HouseholdLink.enrolled(hub_server, "王奶奶家", "幸福社区 3 栋 501")
    page = await _screen(context, hub_server, page_problems)
    async with home:
        door = RaisedAlarm.new(AlarmKind.DOOR, "前门: opened during quiet hours")
        await home.send(MessageType.ALARM_RAISED, door.to_body())
        door_row = page.locator('.alarm[data-kind="door"]')
        await expect(door_row).to_be_visible()
        battery = RaisedAlarm.new(AlarmKind.BATTERY_LOW, "厨房烟雾报警器: 15 %")
        await home.send(MessageType.ALARM_RAISED, battery.to_body())

    await expect(page.locator("#lane-emergency .alarm")).to_have_count(1)
    await expect(door_row.locator(".kind")).to_have_text("夜间开门")
    await expect(page.locator("#lane-emergency-title")).to_contain_text("警报 · 60 秒内应答")
    await expect(door_row).to_have_attribute("data-severity", "normal")
    card = page.locator("#card")
    await expect(card.locator("#card-kind")).to_have_text("夜间开门")
    await expect(card.locator(".chip.severity")).to_have_text("一般")
    await expect(card.locator(".card-about")).to_have_text("前门在夜间静默时段被打开")
    await expect(card.locator(".card-events li[data-action='raised']")).to_contain_text(
        "前门在夜间静默时段被打开"
    )
    # A door at night waits for an answer like every alarm: heard, in the alarms lane.
    await expect(page.locator("body")).to_have_attribute("data-last-sound", "alert")

    work = page.locator('#lane-work .alarm[data-kind="battery_low"]')
    await expect(work.locator(".kind")).to_have_text("电量低：厨房烟雾报警器")
    await work.locator("button").click()
    await expect(card.locator("#card-kind")).to_have_text("电量低：厨房烟雾报警器")
    await expect(card.locator(".card-about")).to_have_text("厨房烟雾报警器电量 15%")

    await page.get_by_role("button", name="English").click()
    await expect(door_row.locator(".kind")).to_have_text("Door opened at night")
    await expect(work.locator(".kind")).to_have_text("Battery low: 厨房烟雾报警器")
    await expect(page.locator("#lane-emergency-title")).to_contain_text("answer within 60 s")
    assert page_problems.script_errors() == []


async def test_resolving_is_confirmed_and_the_card_is_seen_leaving_the_queue(
    hub_server: RunningHub, context: BrowserContext, page_problems: PageProblems
) -> None:
    home = await HouseholdLink.enrolled(hub_server, "王奶奶家", "幸福社区 3 栋 501")
    sos = RaisedAlarm.new(AlarmKind.SOS, "binary_sensor.fob", None, "随身按钮")
    async with home:
        await home.send(MessageType.ALARM_RAISED, sos.to_body())
    page = await _screen(context, hub_server, page_problems)
    row = page.locator('.alarm[data-kind="sos"]')
    await expect(row).to_be_visible()
    await page.keyboard.press("r")
    await page.locator("#outcome").select_option("false_alarm")
    await page.locator("#resolve-note").fill("按错了")
    await page.keyboard.press("Enter")
    confirmation = page.locator("#confirmation")
    await expect(confirmation).to_be_visible()
    await expect(confirmation).to_have_text("已处理完毕：紧急呼叫 · 王奶奶家（误报），已移出队列")
    await expect(row).to_have_count(0)
    leaving = page.locator(f'.alarm-leaving[data-alarm-id="{sos.alarm_id}"]')
    await expect(leaving).to_contain_text("已处理，移出队列")
    await expect(leaving).to_have_count(0)
    await expect(page.locator("#empty")).to_have_text("暂无警报")
    assert page_problems.script_errors() == []


async def test_devices_nobody_has_heard_yet_say_so_instead_of_a_blank_row(
    hub_server: RunningHub, context: BrowserContext, page_problems: PageProblems
) -> None:
    home = await HouseholdLink.enrolled(hub_server, "王奶奶家", "幸福社区 3 栋 501")
    async with home:
        # Right after a restart of the household: a fob nobody has heard yet, a door sensor
        # (never reports open/closed: privacy) heard a minute ago.
        now = datetime.now(UTC)
        report = DeviceStatusBody(
            (
                DeviceReport("fob", "随身按钮", "sos", None, None, None),
                DeviceReport("door", "前门门磁", "door", 60, now - timedelta(minutes=1), None),
            ),
            full=True,
        )
        await home.send(MessageType.DEVICE_STATUS, report.to_body())
        sos = RaisedAlarm.new(AlarmKind.SOS, "binary_sensor.fob", None, "随身按钮")
        await home.send(MessageType.ALARM_RAISED, sos.to_body())
    page = await _screen(context, hub_server, page_problems)
    devices = page.locator(".card-devices")
    fob = devices.locator("tr[data-kind='sos']")
    await expect(fob).to_contain_text("未知 — 尚无上报")
    door = devices.locator("tr[data-kind='door']")
    await expect(door.locator(".device-state")).to_have_text("不上报")
    await expect(door.locator(".last-seen")).to_contain_text("分钟")
    assert page_problems.script_errors() == []
