"""The dispatch desk end to end: an SOS pressed in HA reaches a dispatcher's screen in
Chromium with sound and a running SLA timer; the dispatcher works it with the keyboard
(A, D, O, R) and every step reaches the home; escalation, the alarm card, languages, roles."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from playwright.async_api import Browser, Page, ViewportSize, expect
from pytest_homeassistant_custom_component.common import MockConfigEntry

from gateway.alarms import AlarmKind, RaisedAlarm
from gateway.protocol import VitalBody, parse_alarm_raised
from gateway.ulid import new_ulid
from hub.core.desk_model import Outcome, StaffStep
from hub.core.registry import DeviceState
from hub.core.storage import HubStore
from hub.desk.timers import check_desk
from hub.policy import Role

from ..conftest import RunningHub, until
from ..integration.conftest import credentials_of
from .conftest import HubClock, PageProblems

BUTTON = "button.wang_household_call_for_help"
STATUS_SENSOR = "sensor.wang_household_alarm_status"
SOS_ROW = '.alarm[data-kind="sos"]'
VIEWPORT = ViewportSize(width=1600, height=1000)


async def _sign_in(
    browser: Browser,
    hub: RunningHub,
    problems: PageProblems,
    role: Role = Role.DISPATCHER,
) -> Page:
    """Sign in through /login as a new user of `role`, landing on the live dispatch screen."""
    username, password = await hub.add_user(role)
    page = problems.watch(await browser.new_page(locale="zh-CN", viewport=VIEWPORT))
    await page.goto(f"{hub.url}/dispatch")
    await expect(page).to_have_url(f"{hub.url}/login?next=/dispatch")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(password)
    await page.get_by_role("button", name="登录").click()
    await expect(page).to_have_url(f"{hub.url}/dispatch")
    await expect(page.locator("#connection")).to_have_attribute("data-state", "open")
    await expect(page.locator("#who")).to_contain_text(username)
    return page


def _lifecycle(hass: HomeAssistant) -> Any:
    """Where the home's own alarm book says its top alarm is (the integration's sensor)."""
    state = hass.states.get(STATUS_SENSOR)
    assert state is not None
    return state.attributes.get("lifecycle")


async def _press_sos(hass: HomeAssistant) -> None:
    await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: BUTTON}, blocking=True)


async def _register_wang(hub: RunningHub, entry: MockConfigEntry) -> None:
    """A resident with an allergy, two contacts and a week of heart rate for the household."""
    credentials = credentials_of(entry)
    store = hub.context.store
    now = datetime.now(UTC)

    def register() -> None:
        store.registry.add_resident(
            credentials.household_id,
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
            credentials.household_id,
            [
                {"name": "王军", "phone": "139 0000 1234", "relation": "儿子"},
                {"name": "王丽", "phone": "138-0000-5678", "relation": "女儿"},
            ],
        )
        gateway = store.gateway(credentials.gateway_id)
        assert gateway is not None
        for hours in range(0, 7 * 24, 12):
            at = now - timedelta(hours=hours + 1)
            vital = VitalBody("8867-4", 70.0 + hours % 9, "/min", at, "watch")
            store.record_vital(gateway, new_ulid(), vital, at)

    await hub.context.db(register)


async def test_dispatcher_works_an_sos_from_the_keyboard_and_the_home_follows_each_step(
    hass: HomeAssistant,
    enrolled_entry: MockConfigEntry,
    hub_server: RunningHub,
    browser: Browser,
    page_problems: PageProblems,
    tmp_path: Path,
) -> None:
    await _register_wang(hub_server, enrolled_entry)
    page = await _sign_in(browser, hub_server, page_problems)
    await expect(page.locator("#empty")).to_be_visible()

    await _press_sos(hass)
    row = page.locator(SOS_ROW)
    await expect(row).to_be_visible(timeout=2000)
    # Heard: the alert tone played (what the page reports it played).
    await expect(page.locator("body")).to_have_attribute("data-last-sound", "alert")
    # The SLA timer runs while nobody has acknowledged it.
    timer = row.locator(".waiting")
    await expect(timer).to_have_text(re.compile(r"^0:0\d$"))
    shown = await timer.inner_text()
    await expect(timer).not_to_have_text(shown, timeout=2500)
    await expect(row).to_have_attribute("data-sla", "ok")
    (alarm,) = await hub_server.open_alarms()
    await expect(row.locator(".badge")).to_have_text("新警报")

    # Selected by itself (the first emergency), card loaded: the resident and whom to call.
    card = page.locator("#card")
    await expect(card.locator("#card-kind")).to_have_text("紧急呼叫")
    await expect(card.locator(".card-household")).to_have_text("Wang household")
    await expect(card.locator(".card-address")).to_contain_text("Jasmine Court 3-2-501")
    await expect(card.locator(".allergies")).to_contain_text("青霉素")
    call = card.locator(".contacts a", has_text="139 0000 1234")
    await expect(call).to_have_attribute("href", "tel:13900001234")
    await expect(card.locator(".contacts li").first).to_contain_text("王军")
    await expect(card.locator(".vitals-chart.js-plotly-plot svg.main-svg").first).to_be_attached()
    await expect(card.locator(".latest-vitals")).to_contain_text("心率")
    await expect(card.locator(".card-events")).to_contain_text("触发")
    await page.screenshot(path=str(tmp_path / "new-sos.png"))

    # O is refused while nobody was dispatched: the screen says why, nothing is sent.
    await page.keyboard.press("o")
    await expect(page.locator("#alert")).to_have_text("需先派遣人员，才能标记已到场")
    assert await hub_server.alarm_actions(alarm.id) == ["raised"]

    # A: acknowledged, at the hub, on the screen and in the home.
    await page.keyboard.press("a")
    await expect(row).to_have_attribute("data-status", "acknowledged")
    await expect(row.locator(".waiting")).to_have_text("已确认")
    await expect(card.locator(".card-progress")).to_contain_text("已确认")
    await until(lambda: _lifecycle(hass) == "acknowledged")

    # D: the dispatch dialog, typed and sent with Enter.
    await page.keyboard.press("d")
    dialog = page.locator("#dispatch-dialog")
    await expect(dialog).to_be_visible()
    await expect(page.locator("#responder")).to_be_focused()
    await page.keyboard.type("王护士")
    await page.locator("#eta").fill("10")
    await page.keyboard.press("Enter")
    await expect(dialog).to_be_hidden()
    await expect(row).to_have_attribute("data-status", "dispatched")
    await expect(row.locator(".state")).to_contain_text("王护士")
    await expect(card.locator(".card-progress")).to_contain_text("王护士 · 预计 10 分钟")
    await expect(card.locator(".card-events")).to_contain_text("王护士")
    await until(lambda: _lifecycle(hass) == "dispatched")

    # O: on site.
    await page.keyboard.press("o")
    await expect(row).to_have_attribute("data-status", "on_site")
    await until(lambda: _lifecycle(hass) == "on_site")

    # R: resolved with an outcome and a note; the alarm leaves the queue and the home.
    await page.keyboard.press("r")
    resolve = page.locator("#resolve-dialog")
    await expect(resolve).to_be_visible()
    await expect(resolve.locator("#outcome option[value='assisted_on_site']")).to_have_text(
        "上门协助"
    )
    await page.locator("#outcome").select_option("assisted_on_site")
    await page.locator("#resolve-note").fill("已上门，老人无碍")
    await page.keyboard.press("Enter")
    await expect(resolve).to_be_hidden()
    await expect(row).to_have_count(0)
    await expect(page.locator("#empty")).to_be_visible()
    await until(lambda: hass.states.get(STATUS_SENSOR).state == "idle")  # type: ignore[union-attr]
    assert _lifecycle(hass) is None

    stored = await hub_server.context.db(hub_server.context.store.alarm, alarm.id)
    assert stored is not None
    assert (stored.status, stored.outcome) == ("resolved", "assisted_on_site")
    assert stored.responder == "王护士"
    assert stored.eta_minutes == 10
    assert page_problems.csp_refusals() == []
    assert page_problems.script_errors() == []


async def test_unacknowledged_sos_escalates_loudly_and_supervisors_see_it(
    hass: HomeAssistant,
    enrolled_entry: MockConfigEntry,
    hub_server: RunningHub,
    hub_clock: HubClock,
    browser: Browser,
    page_problems: PageProblems,
) -> None:
    dispatcher = await _sign_in(browser, hub_server, page_problems)
    supervisor = await _sign_in(browser, hub_server, page_problems, Role.SUPERVISOR)
    await _press_sos(hass)
    for page in (dispatcher, supervisor):
        await expect(page.locator(SOS_ROW)).to_be_visible(timeout=2000)
        await expect(page.locator("body")).to_have_attribute("data-last-sound", "alert")
        await expect(page.locator("#escalation-banner")).to_be_hidden()
    (alarm,) = await hub_server.open_alarms()
    sounds = int(await dispatcher.locator("body").get_attribute("data-sound-count") or "0")

    # A minute passes at the hub with nobody acknowledging: the desk timer escalates.
    hub_clock.advance(seconds=61)
    escalated, _ = await check_desk(hub_server.context)
    hub_clock.reset()
    assert [a.id for a in escalated] == [alarm.id]

    for page in (dispatcher, supervisor):
        banner = page.locator("#escalation-banner")
        await expect(banner).to_be_visible()
        await expect(banner).to_contain_text("已超时 60 秒未确认，已通知主管")
        await expect(banner).to_contain_text("紧急呼叫 · Wang household")
        await expect(page.locator("body")).to_have_attribute("data-last-sound", "escalation")
        await expect(page.locator(SOS_ROW)).to_have_attribute("data-sla", "late")
        await expect(page.locator("#card-head .card-waiting")).to_have_attribute("data-sla", "late")
    assert int(await dispatcher.locator("body").get_attribute("data-sound-count") or "0") > sounds
    # Only supervisors get the standing list of escalated alarms.
    await expect(dispatcher.locator("#supervisor-banner")).to_be_hidden()
    supervisor_banner = supervisor.locator("#supervisor-banner")
    await expect(supervisor_banner).to_be_visible()
    await expect(supervisor_banner).to_contain_text("Wang household")

    # Acknowledged: the alarm banner goes, the supervisor's list keeps it while it is open.
    await dispatcher.keyboard.press("a")
    for page in (dispatcher, supervisor):
        await expect(page.locator(SOS_ROW)).to_have_attribute("data-status", "acknowledged")
        await expect(page.locator("#escalation-banner")).to_be_hidden()
    await expect(supervisor_banner).to_contain_text("已确认")

    # Dispatched, and nobody on site 30 minutes later: the re-alert.
    await hub_server.staff_step(alarm.id, StaffStep.DISPATCHED, responder="王护士", eta_minutes=10)
    await expect(dispatcher.locator(SOS_ROW)).to_have_attribute("data-status", "dispatched")
    hub_clock.advance(minutes=31)
    _, realerted = await check_desk(hub_server.context)
    hub_clock.reset()
    assert [a.id for a in realerted] == [alarm.id]
    banner = dispatcher.locator("#escalation-banner")
    await expect(banner).to_contain_text("派遣 30 分钟后仍未到场")
    await expect(banner.locator("[data-reason='not_on_site']")).to_have_count(1)
    await dispatcher.keyboard.press("o")
    await expect(banner).to_be_hidden()
    assert page_problems.script_errors() == []


async def test_english_switch_relabels_everything_and_is_remembered(
    hass: HomeAssistant,
    enrolled_entry: MockConfigEntry,
    hub_server: RunningHub,
    browser: Browser,
    page_problems: PageProblems,
) -> None:
    await _register_wang(hub_server, enrolled_entry)
    page = await _sign_in(browser, hub_server, page_problems)
    await _press_sos(hass)
    await expect(page.locator(SOS_ROW)).to_be_visible(timeout=2000)
    await expect(page.locator(".allergies")).to_contain_text("过敏")

    await page.get_by_role("button", name="English").click()
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.locator("h1")).to_have_text("Dispatch")
    await expect(page.locator("#lane-emergency-title")).to_contain_text("Alarms")
    await expect(page.locator("#lane-work-title")).to_contain_text("Work items")
    await expect(page.locator(f"{SOS_ROW} .kind")).to_have_text("Emergency call")
    await expect(page.locator(f"{SOS_ROW} .badge")).to_have_text("New")
    await expect(page.locator("#card-kind")).to_have_text("Emergency call")
    await expect(page.locator(".allergies")).to_contain_text("Allergies")
    await expect(page.locator(".latest-vitals")).to_contain_text("Heart rate")
    await expect(page.get_by_role("button", name="A Acknowledge")).to_be_visible()
    await expect(page.locator("#logout")).to_have_text("Sign out")
    await page.keyboard.press("r")
    await expect(page.locator("#resolve-title")).to_have_text("Resolve")
    await expect(page.locator("#outcome option[value='fire_service']")).to_have_text("Fire service")
    await page.keyboard.press("Escape")
    await expect(page.locator("#resolve-dialog")).to_be_hidden()

    await page.reload()
    await expect(page.locator("#connection")).to_have_attribute("data-state", "open")
    await expect(page.locator("#card-kind")).to_have_text("Emergency call")
    await page.get_by_role("button", name="中文").click()
    await expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    await expect(page.locator("#card-kind")).to_have_text("紧急呼叫")


async def test_refused_step_is_explained_and_roles_are_enforced_from_the_page(
    hass: HomeAssistant,
    enrolled_entry: MockConfigEntry,
    hub_server: RunningHub,
    browser: Browser,
    page_problems: PageProblems,
) -> None:
    page = await _sign_in(browser, hub_server, page_problems)
    await _press_sos(hass)
    await expect(page.locator(SOS_ROW)).to_be_visible(timeout=2000)
    (alarm,) = await hub_server.open_alarms()

    # The dispatcher opens the dispatch dialog; meanwhile a colleague dispatched already.
    await page.keyboard.press("d")
    await page.locator("#responder").fill("王护士")
    await hub_server.staff_step(alarm.id, StaffStep.DISPATCHED, responder="李医生", eta_minutes=5)
    await page.keyboard.press("Enter")
    # The hub's 409 step_refused, in the dialog and the alert region.
    await expect(page.locator("#dispatch-dialog .dialog-error")).to_have_text(
        "该警报已是“已派遣”状态"
    )
    await expect(page.locator("#alert")).to_have_text("该警报已是“已派遣”状态")
    await page.keyboard.press("Escape")
    await expect(page.locator("#dispatch-dialog")).to_be_hidden()
    await expect(page.locator(SOS_ROW)).to_have_attribute("data-status", "dispatched")
    await expect(page.locator(f"{SOS_ROW} .state")).to_contain_text("李医生")

    # Keys typed into a dialog's fields are text, not shortcuts.
    await page.keyboard.press("n")
    # Typed once the dialog has opened: on a loaded machine "road" pressed before it opens
    # would be the screen's shortcuts (o = on site), as for a person typing ahead of it.
    await expect(page.locator("#note-text")).to_be_focused()
    await page.keyboard.type("road closed, nurse on the other route")
    await page.keyboard.press("Enter")
    await expect(page.locator("#note-dialog")).to_be_hidden()
    await expect(page.locator(".card-events")).to_contain_text("road closed")
    assert (await hub_server.alarm_actions(alarm.id)).count("on_site") == 0

    # People and audit are not a dispatcher's: the hub refuses the page's requests.
    status = "async (path) => (await fetch(path)).status"
    assert await page.evaluate(status, "/api/v1/users") == 403
    assert await page.evaluate(status, "/api/v1/audit") == 403
    assert await page.evaluate(status, f"/api/v1/alarms/{alarm.id}") == 200
    supervisor = await _sign_in(browser, hub_server, page_problems, Role.SUPERVISOR)
    assert await supervisor.evaluate(status, "/api/v1/audit") == 200
    assert await supervisor.evaluate(status, "/api/v1/users") == 403

    # Sign out: the session ends and the screen goes to the login page.
    await page.get_by_role("button", name="退出登录").click()
    await expect(page).to_have_url(f"{hub_server.url}/login")
    assert await page.evaluate(status, "/api/v1/me") == 401
    assert page_problems.csp_refusals() == []


async def test_screen_back_from_a_hub_outage_lists_what_happened_meanwhile(
    hass: HomeAssistant,
    enrolled_entry: MockConfigEntry,
    hub_server: RunningHub,
    browser: Browser,
    page_problems: PageProblems,
) -> None:
    page = await _sign_in(browser, hub_server, page_problems)
    await _press_sos(hass)
    await expect(page.locator(SOS_ROW)).to_be_visible(timeout=2000)
    (sos,) = await hub_server.open_alarms()

    await hub_server.stop()
    await expect(page.locator("#connection")).to_have_attribute("data-state", "closed")
    # Meanwhile, at the hub (another screen's work, straight into its database): the SOS was
    # resolved and another household raised a fall.
    store = HubStore(hub_server.data_dir / "hub.sqlite3")
    try:
        now = datetime.now(UTC)
        store.record_staff_step(sos.id, StaffStep.ACKNOWLEDGED, "colleague", "", now=now)
        store.record_staff_step(
            sos.id,
            StaffStep.RESOLVED,
            "colleague",
            "",
            now=now,
            outcome=Outcome.FALSE_ALARM,
        )
        other = store.create_household("Li household", "Peony Court 1-1-101")
        gateway = store.redeem_enrollment_code(
            store.mint_enrollment_code(other.id), "KEY", "li-gateway"
        )
        body = parse_alarm_raised(RaisedAlarm.new(AlarmKind.FALL, "test").to_body())
        store.record_alarm_raised(gateway, new_ulid(), body, now)
    finally:
        store.close()
    await hub_server.start()

    await expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=15000)
    missed = page.locator("#missed")
    await expect(missed).to_be_visible()
    await expect(missed.locator("h2")).to_have_text("断线期间：新增 1 条，已处理 1 条")
    await expect(missed.locator("li[data-status='resolved']")).to_contain_text("误报")
    await expect(missed.locator("li[data-status='new']")).to_contain_text("跌倒 · Li household")
    await expect(page.locator(SOS_ROW)).to_have_count(0)
    await expect(page.locator('.alarm[data-kind="fall"]')).to_be_visible()
    await missed.get_by_role("button", name="关闭").click()
    await expect(missed).to_be_hidden()


# Headless Chromium runs audio without a gesture whatever the autoplay policy; a desktop
# browser starts a page's AudioContext suspended until the user interacts. This makes the
# page's AudioContext start suspended, as there.
SUSPENDED_AUDIO = """
const Original = window.AudioContext;
window.AudioContext = class extends Original {
  constructor(...args) { super(...args); this.suspend(); }
};
"""


async def test_blocked_audio_asks_for_one_click_to_enable_sound(
    hub_server: RunningHub, browser: Browser, page_problems: PageProblems
) -> None:
    context = await browser.new_context(locale="zh-CN")
    await context.add_init_script(SUSPENDED_AUDIO)
    username, password = await hub_server.add_user(Role.DISPATCHER)
    login = {"username": username, "password": password}
    response = await context.request.post(f"{hub_server.url}/api/v1/login", data=login)
    assert response.ok
    page = page_problems.watch(await context.new_page())
    await page.goto(f"{hub_server.url}/dispatch")
    await expect(page.locator("#connection")).to_have_attribute("data-state", "open")
    enable = page.get_by_role("button", name="启用声音")
    await expect(enable).to_be_visible()
    await enable.click()
    await expect(enable).to_be_hidden()
    assert await page.evaluate("document.body.dataset.lastSound") is None
    await context.close()


async def test_queue_keeps_emergencies_and_work_items_apart_and_keys_move_the_selection(
    hub_server: RunningHub, browser: Browser, page_problems: PageProblems
) -> None:
    store = hub_server.context.store
    start = datetime.now(UTC) - timedelta(minutes=5)
    raised: dict[str, str] = {}

    def populate() -> None:
        for minutes, name, kind, source in (
            # work, low, the oldest of all
            (0, "Battery home", AlarmKind.BATTERY_LOW, "厨房烟雾报警器: 15 %"),
            (1, "Leak home", AlarmKind.WATER_LEAK, "卫生间水浸"),  # emergency, high
            (2, "Fall home", AlarmKind.FALL, "卧室雷达"),  # emergency, critical
            (3, "Offline home", AlarmKind.DEVICE_OFFLINE, "卧室按钮: not heard for 240 min"),
            (4, "Fire home", AlarmKind.FIRE, "客厅烟感"),  # emergency, critical, the newest
        ):
            household = store.create_household(name, f"{name} Road")
            gateway = store.redeem_enrollment_code(
                store.mint_enrollment_code(household.id), "KEY", name
            )
            body = parse_alarm_raised(RaisedAlarm.new(kind, source).to_body())
            alarm = store.record_alarm_raised(
                gateway, new_ulid(), body, start + timedelta(minutes=minutes)
            )
            assert alarm is not None
            raised[kind.value] = alarm.id

    await hub_server.context.db(populate)
    page = await _sign_in(browser, hub_server, page_problems)
    emergencies = page.locator("#lane-emergency .alarm")
    work = page.locator("#lane-work .alarm")
    # Severity first, then the longest waiting; work items in their own lane.
    await expect(emergencies).to_have_count(3)
    assert await emergencies.evaluate_all("rows => rows.map(r => r.dataset.kind)") == [
        "fall",
        "fire",
        "water_leak",
    ]
    assert await work.evaluate_all("rows => rows.map(r => r.dataset.kind)") == [
        "device_offline",
        "battery_low",
    ]
    await expect(page.locator("#queue-count")).to_have_text("共 5 条待处理")
    # Waiting over a minute: red (the hub escalates emergencies only).
    await expect(emergencies.first).to_have_attribute("data-sla", "late")
    await expect(work.first).to_have_attribute("data-sla", "none")

    # The first emergency is selected by itself; J / ArrowDown / K move through the queue.
    selected = page.locator(".alarm:has(button[aria-current='true'])")
    await expect(selected).to_have_attribute("data-kind", "fall")
    await expect(page.locator("#card-kind")).to_have_text("跌倒")
    await page.keyboard.press("j")
    await expect(selected).to_have_attribute("data-kind", "fire")
    await expect(page.locator("#card-kind")).to_have_text("火警")
    await expect(page.locator(".card-household")).to_have_text("Fire home")
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("ArrowDown")
    await expect(selected).to_have_attribute("data-kind", "device_offline")
    await page.keyboard.press("k")
    await expect(selected).to_have_attribute("data-kind", "water_leak")
    await page.locator('.alarm[data-kind="battery_low"] button').click()
    await expect(page.locator("#card-kind")).to_have_text("电量低：厨房烟雾报警器")
    # A acts on the selected alarm only.
    await page.keyboard.press("a")
    await expect(page.locator('.alarm[data-kind="battery_low"]')).to_have_attribute(
        "data-status", "acknowledged"
    )
    await expect(page.locator('.alarm[data-kind="fall"]')).to_have_attribute("data-status", "new")
    assert (await hub_server.alarm_actions(raised["battery_low"]))[-1] == "acknowledged"


async def test_gas_alarm_card_warns_of_a_valve_still_open(
    hub_server: RunningHub, browser: Browser, page_problems: PageProblems
) -> None:
    store = hub_server.context.store
    now = datetime.now(UTC)

    def gas_leak() -> None:
        household = store.create_household("Gas home", "Gas Road 1")
        gateway = store.redeem_enrollment_code(
            store.mint_enrollment_code(household.id), "KEY", "gas"
        )
        seen = "2026-01-01T08:00:00.000Z"
        store.registry.record_devices(
            household.id,
            [
                DeviceState("valve", "Kitchen gas valve", "gas_valve", 80, seen, "open", ""),
                DeviceState("smoke", "Hall smoke alarm", "smoke", 9, seen, "off", ""),
            ],
            now,
        )
        body = parse_alarm_raised(RaisedAlarm.new(AlarmKind.GAS, "test").to_body())
        assert store.record_alarm_raised(gateway, new_ulid(), body, now) is not None

    await hub_server.context.db(gas_leak)
    page = await _sign_in(browser, hub_server, page_problems)
    await expect(page.locator("#card-kind")).to_have_text("燃气泄漏")
    devices = page.locator(".card-devices")
    await expect(devices.locator(".valve-warning")).to_have_text("⚠ 燃气报警时阀门仍打开！")
    valve = devices.locator("tr[data-kind='gas_valve']")
    await expect(valve).to_have_class("danger")
    await expect(valve.locator(".device-state")).to_have_text("打开")
    smoke = devices.locator("tr[data-kind='smoke']")
    await expect(smoke.locator(".device-state")).to_have_text("正常")
    await expect(smoke.locator(".battery")).to_have_class("battery low")
