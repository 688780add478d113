"""The family page end to end: a family member of one household signs in, sees that home
(online, residents, vitals) and who is coming when its alarm is dispatched; never another
household, whose alarm the hub also refuses to show them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from playwright.async_api import Browser, ViewportSize, expect
from pytest_homeassistant_custom_component.common import MockConfigEntry

from gateway.alarms import AlarmKind, RaisedAlarm
from gateway.protocol import VitalBody, parse_alarm_raised
from gateway.ulid import new_ulid
from hub.core.desk_model import AlarmRow, StaffStep
from hub.policy import Role

from ..conftest import RunningHub
from ..integration.conftest import credentials_of
from .conftest import PageProblems

BUTTON = "button.wang_household_call_for_help"
OTHER_HOUSEHOLD = "Zhou household"
OTHER_ADDRESS = "Lotus Court 9-9-909"
OTHER_RESPONDER = "Nurse Sun"


async def _other_household_alarm(hub: RunningHub) -> AlarmRow:
    """Household B, with its own gateway, resident and a dispatched fall."""
    store = hub.context.store
    now = datetime.now(UTC)

    def create() -> AlarmRow:
        household = store.create_household(OTHER_HOUSEHOLD, OTHER_ADDRESS)
        store.registry.add_resident(household.id, "Zhou Meilan", now, birth_year=1936)
        gateway = store.redeem_enrollment_code(
            store.mint_enrollment_code(household.id), "KEY", "zhou-gateway"
        )
        body = parse_alarm_raised(RaisedAlarm.new(AlarmKind.FALL, "test").to_body())
        alarm = store.record_alarm_raised(gateway, new_ulid(), body, now)
        assert alarm is not None
        return alarm

    alarm = await hub.context.db(create)
    await hub.staff_step(alarm.id, StaffStep.DISPATCHED, responder=OTHER_RESPONDER, eta_minutes=3)
    return alarm


async def _home_details(hub: RunningHub, entry: MockConfigEntry) -> None:
    credentials = credentials_of(entry)
    store = hub.context.store
    now = datetime.now(UTC)

    def register() -> None:
        store.registry.add_resident(
            credentials.household_id, "王秀英", now, birth_year=1941, allergies=["青霉素"]
        )
        gateway = store.gateway(credentials.gateway_id)
        assert gateway is not None
        for hours in range(2, 72, 6):
            at = now - timedelta(hours=hours)
            store.record_vital(gateway, new_ulid(), VitalBody("8867-4", 72.0, "/min", at, "w"), at)

    await hub.context.db(register)


async def test_family_member_sees_their_home_and_who_is_coming_never_another_home(
    hass: HomeAssistant,
    enrolled_entry: MockConfigEntry,
    hub_server: RunningHub,
    browser: Browser,
    page_problems: PageProblems,
) -> None:
    household_id = credentials_of(enrolled_entry).household_id
    await _home_details(hub_server, enrolled_entry)
    other = await _other_household_alarm(hub_server)
    username, password = await hub_server.add_user(Role.FAMILY, household_id=household_id)

    # Signs in on the login page itself: a family member lands on the family page.
    page = page_problems.watch(
        await browser.new_page(locale="zh-CN", viewport=ViewportSize(width=1280, height=900))
    )
    await page.goto(f"{hub_server.url}/login")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(password)
    await page.get_by_role("button", name="登录").click()
    await expect(page).to_have_url(f"{hub_server.url}/family")

    await expect(page.locator("#household-name")).to_have_text("Wang household")
    await expect(page.locator("#household-address")).to_have_text("Jasmine Court 3-2-501")
    await expect(page.locator("#online")).to_have_attribute("data-online", "true")
    await expect(page.locator("#online")).to_have_text("家中网关在线")
    await expect(page.locator("#residents")).to_contain_text("王秀英")
    await expect(page.locator(".all-well")).to_be_visible()
    await expect(page.locator("#vitals-chart.js-plotly-plot svg.main-svg").first).to_be_attached()
    # No medical details for family: the allergy stays with the care center.
    await expect(page.locator("main")).not_to_contain_text("青霉素")

    # The home calls for help; the page shows it at once (pushed, no reload), then who is
    # coming once dispatched.
    await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: BUTTON}, blocking=True)
    alarm_card = page.locator(".open-alarm")
    await expect(alarm_card).to_have_count(1)
    await expect(alarm_card.locator(".open-alarm-kind")).to_have_text("紧急呼叫")
    await expect(alarm_card.locator(".responder")).to_have_text("护理中心已收到警报，正在处理")
    (sos,) = [a for a in await hub_server.open_alarms() if a.household_id == household_id]
    await hub_server.staff_step(sos.id, StaffStep.DISPATCHED, responder="王护士", eta_minutes=10)
    await expect(alarm_card.locator(".responder")).to_have_text("王护士")
    await expect(alarm_card.locator(".eta")).to_contain_text("约 10 分钟")
    current_step = alarm_card.locator(".progress-step[aria-current='step']")
    await expect(current_step).to_contain_text("已派遣")
    await expect(page.locator("#history")).to_contain_text("紧急呼叫")

    # Household B is nowhere: not its name, address, alarm or responder.
    text = await page.locator("body").inner_text()
    html = await page.content()
    for secret in (OTHER_HOUSEHOLD, OTHER_ADDRESS, OTHER_RESPONDER, "Zhou Meilan"):
        assert secret not in text
        assert secret not in html
    await expect(page.locator(".open-alarm")).to_have_count(1)
    # ... and the hub refuses B's alarm (and any staff API) to this page.
    status = "async (path) => (await fetch(path)).status"
    assert await page.evaluate(status, f"/api/v1/alarms/{other.id}") == 403
    assert await page.evaluate(status, f"/api/v1/alarms/{sos.id}") == 403
    assert await page.evaluate(status, f"/api/v1/households/{other.household_id}") == 403
    assert await page.evaluate(status, "/api/v1/family/household") == 200

    # English, then sign out.
    await page.get_by_role("button", name="English").click()
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.locator("#now-title")).to_have_text("Current alarms")
    await expect(alarm_card.locator(".open-alarm-kind")).to_have_text("Emergency call")
    await expect(alarm_card.locator(".eta")).to_contain_text("about 10 min")
    await expect(page.locator("#online")).to_have_text("Home gateway online")
    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url(f"{hub_server.url}/login")
    assert await page.evaluate(status, "/api/v1/family/household") == 401
    assert page_problems.csp_refusals() == []
    assert page_problems.script_errors() == []


async def test_family_page_sends_a_signed_out_visitor_to_sign_in(
    hub_server: RunningHub, browser: Browser
) -> None:
    household = await hub_server.add_household("Wang household", "Jasmine Court 3-2-501")
    username, password = await hub_server.add_user(Role.FAMILY, household_id=household.id)
    page = await browser.new_page(locale="zh-CN")
    await page.goto(f"{hub_server.url}/family")
    await expect(page).to_have_url(f"{hub_server.url}/login?next=/family")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(password)
    await page.get_by_role("button", name="登录").click()
    await expect(page).to_have_url(f"{hub_server.url}/family")
    await expect(page.locator("#household-name")).to_have_text("Wang household")
    await expect(page.locator("#online")).to_have_attribute("data-online", "false")
    await expect(page.locator("#online")).to_have_text("家中网关离线")
    # A home the care center cannot hear is never "all is well": the page says what it knows.
    await expect(page.locator(".home-offline")).to_contain_text("无法确认家中情况")
    await expect(page.locator(".all-well")).to_have_count(0)
    assert "一切正常" not in await page.locator("body").inner_text()
