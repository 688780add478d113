"""The work-order page (life services, issue 20) in real Chromium against a real hub and a
real gateway link: a household's request appears on every open page within a second, staff
move it through accepted -> assigned -> arrived -> completed from the page (each step lands in
the store), a refusal shows why in the page's language, the zh-CN page shows no English and
no raw id, and a supervisor keeps the provider directory from the page."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime

import aiohttp
from playwright.async_api import Browser, BrowserContext, Page, expect

from gateway.protocol import MessageType
from gateway.services.catalogue import ServiceType
from gateway.services.lifecycle import ServiceStatus, ServiceStep
from gateway.services.wire import ServiceRequestedBody
from gateway.ulid import new_ulid
from hub.core.service_store import ServiceProvider, StepDetails
from hub.infra.passwords import hash_password
from hub.policy import Role

from ..conftest import TEST_PASSWORD, TEST_SCRYPT_N, RunningHub
from .conftest import PageProblems
from .family_home import SHANGHAI, Home, connect, enrolled_home
from .test_zh_pages import RAW_IDS, VIEWPORT, _foreign, _readable

LIVE_WITHIN = 1000  # ms: "a request appears on the staff's page within a second"


async def _staff_page(hub: RunningHub, browser: Browser, role: Role) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(locale="zh-CN", timezone_id=SHANGHAI, viewport=VIEWPORT)
    username = f"{role.value}-{secrets.token_hex(4)}"
    stored = hash_password(TEST_PASSWORD, n=TEST_SCRYPT_N)
    store, now = hub.context.store, hub.context.clock()
    await hub.context.db(
        lambda: store.accounts.create_user(username, "值班员", role, stored, now=now)
    )
    answer = await context.request.post(
        f"{hub.url}/api/v1/login", data={"username": username, "password": TEST_PASSWORD}
    )
    assert answer.ok, await answer.text()
    page = await context.new_page()
    await page.goto(f"{hub.url}/services")
    await expect(page.locator("#connection")).to_have_attribute("data-state", "open")
    return context, page


async def _provider(hub: RunningHub, name: str, *services: ServiceType) -> ServiceProvider:
    store = hub.context.store
    return await hub.context.db(
        lambda: store.services.add_provider(
            hub.context.clock(),
            organisation=name,
            contact_name="刘师傅",
            contact_phone="138 0000 0000",
            services=[s.value for s in services],
            service_area="幸福社区",
        )
    )


async def _ask(home: Home, service: ServiceType, note: str = "") -> str:
    """The household presses a service key: `service.requested` over its real link."""
    request_id = new_ulid()
    body = ServiceRequestedBody(
        request_id, service, datetime.now(UTC), "remote:1", "客厅遥控器", note
    ).to_body()
    await home.link.wait_delivered(home.link.send(MessageType.SERVICE_REQUESTED, body), 5)
    return request_id


async def _status(hub: RunningHub, request_id: str) -> ServiceStatus:
    stored = await hub.context.db(hub.context.store.services.request, request_id)
    assert stored is not None
    return stored.status


async def test_requests_arrive_live_and_staff_work_them_through_the_page(
    hub_server: RunningHub, browser: Browser, page_problems: PageProblems
) -> None:
    plumber = await _provider(hub_server, "平安水电维修部", ServiceType.REPAIR)
    cleaner = await _provider(hub_server, "洁家保洁公司", ServiceType.CLEANING)
    async with aiohttp.ClientSession() as session:
        home = await enrolled_home(hub_server, session, "王奶奶家", "幸福社区 3 栋 2 单元 501")
        await connect(hub_server, home)
        context, page = await _staff_page(hub_server, browser, Role.DISPATCHER)
        other_context, other = await _staff_page(hub_server, browser, Role.DISPATCHER)
        try:
            page_problems.watch(page)
            await expect(page.locator("#open-empty")).to_have_text("暂无待处理工单")

            # The home asks: both open pages show it within a second, no reload.
            started = time.monotonic()
            repair = await _ask(home, ServiceType.REPAIR, "厨房水龙头漏水")
            order = page.locator(f'.order[data-request-id="{repair}"]')
            await expect(order).to_be_visible(timeout=LIVE_WITHIN)
            await expect(other.locator(f'.order[data-request-id="{repair}"]')).to_be_visible(
                timeout=LIVE_WITHIN
            )
            assert time.monotonic() - started < 2 * LIVE_WITHIN / 1000  # with the link's ack
            await expect(order).to_have_attribute("data-fresh", "true")
            await expect(page.locator("#announce")).to_have_text("新工单：水电维修 · 王奶奶家")
            await expect(order.locator(".order-service")).to_have_text("水电维修")
            await expect(order.locator(".badge")).to_have_text("已提出")
            await expect(order).to_contain_text("厨房水龙头漏水")
            assert await hub_server.open_alarms() == []  # never on the alarm queue
            # The dispatch screen links to the work orders with their count, and its alarm
            # queue stays empty.
            dispatch = await context.new_page()
            await dispatch.goto(f"{hub_server.url}/dispatch")
            link = dispatch.get_by_role("link", name="生活服务工单")
            await expect(link).to_have_text("生活服务工单 (1)")
            await expect(dispatch.locator(".alarm")).to_have_count(0)
            await link.click()
            await expect(dispatch).to_have_url(f"{hub_server.url}/services")
            await dispatch.close()

            # Accept, assign (the only provider offering repairs is chosen), arrive, complete.
            await order.get_by_role("button", name="受理").click()
            await expect(order.locator(".badge")).to_have_text("已受理")
            assert await _status(hub_server, repair) is ServiceStatus.ACCEPTED
            await expect(other.locator(f'.order[data-request-id="{repair}"] .badge')).to_have_text(
                "已受理", timeout=LIVE_WITHIN
            )
            await order.get_by_role("button", name="派单").click()
            dialog = page.locator("#assign-dialog")
            await expect(dialog).to_be_visible()
            picker = dialog.locator("#assign-provider option")
            await expect(picker).to_have_text(["请选择服务商", "平安水电维修部"])
            assert await dialog.locator("#assign-provider").input_value() == plumber.id
            found = {"/services assign dialog": _foreign(await _readable(page))}
            await dialog.get_by_role("button", name="确定").click()
            await expect(dialog).to_be_hidden()
            await expect(order.locator(".order-provider")).to_contain_text("平安水电维修部")
            assert await _status(hub_server, repair) is ServiceStatus.ASSIGNED
            await order.get_by_role("button", name="已到达").click()
            await expect(order.locator(".badge")).to_have_text("已到达")
            await order.locator(".order-log summary").click()
            log = order.locator(".log-entries li")
            await expect(log).to_have_count(4)
            await expect(log.nth(2)).to_contain_text("派单 · 中心值班员 · 平安水电维修部")
            found["/services open"] = _foreign(await _readable(page))
            # In English, still no raw id (the log names staff by role, never by user name).
            await page.get_by_role("button", name="English").click()
            await expect(order.locator(".badge")).to_have_text("Arrived")
            await expect(order.locator(".log-entries li")).to_have_count(4)
            found["/services open (en)"] = [
                text for text in await _readable(page) if RAW_IDS.search(text)
            ]
            await page.get_by_role("button", name="中文").click()
            await order.get_by_role("button", name="完成").click()
            await expect(order).to_have_count(0)
            stored = await hub_server.context.db(hub_server.context.store.services.request, repair)
            assert stored is not None
            assert (stored.status, stored.provider_id) == (ServiceStatus.COMPLETED, plumber.id)
            assert stored.window_start is not None
            assert stored.window_end is not None
            steps = await hub_server.context.db(hub_server.context.store.services.steps, repair)
            assert [s["action"] for s in steps] == [
                "requested",
                "accepted",
                "assigned",
                "arrived",
                "completed",
            ]

            # A refusal says why, in Chinese: the cleaner is deactivated while the dialog is open.
            cleaning = await _ask(home, ServiceType.CLEANING)
            second = page.locator(f'.order[data-request-id="{cleaning}"]')
            await second.get_by_role("button", name="派单").click()
            await expect(dialog).to_be_visible()
            assert await dialog.locator("#assign-provider").input_value() == cleaner.id
            await hub_server.context.db(
                hub_server.context.store.services.deactivate_provider,
                cleaner.id,
                hub_server.context.clock(),
            )
            await dialog.get_by_role("button", name="确定").click()
            await expect(dialog.locator(".dialog-error")).to_have_text("该服务商已停用，请另选")
            await dialog.get_by_role("button", name="返回").click()
            assert await _status(hub_server, cleaning) is ServiceStatus.REQUESTED

            # Cancelled with a reason, from the page.
            await second.get_by_role("button", name="取消工单").click()
            cancel = page.locator("#cancel-dialog")
            await cancel.get_by_role("button", name="确定").click()
            await expect(cancel.locator(".dialog-error")).to_have_text("请填写取消原因")
            await cancel.locator("#cancel-reason").fill("老人已自行处理")
            await cancel.get_by_role("button", name="确定").click()
            await expect(second).to_have_count(0)
            assert await _status(hub_server, cleaning) is ServiceStatus.CANCELLED

            # A call: refused for a service the household may not use, taken for one it may.
            await hub_server.context.db(
                hub_server.context.store.services.set_entitlement,
                home.household_id,
                (ServiceType.REPAIR, ServiceType.MEAL),
                hub_server.context.clock(),
            )
            await page.get_by_role("button", name="电话登记").click()
            call = page.locator("#call-dialog")
            await call.get_by_label("住户").select_option(
                label="王奶奶家 · 幸福社区 3 栋 2 单元 501"
            )
            await call.get_by_label("服务").select_option(label="陪诊")
            await call.get_by_role("button", name="确定").click()
            await expect(call.locator(".dialog-error")).to_have_text("该住户未开通此项服务")
            found["/services call dialog"] = _foreign(await _readable(page))
            await call.get_by_label("服务").select_option(label="助餐")
            await call.get_by_label("备注").fill("老人来电：午饭送到家")
            await call.get_by_role("button", name="确定").click()
            await expect(call).to_be_hidden()
            meal = page.locator('.order[data-service="meal"]')
            await expect(meal).to_contain_text("老人来电：午饭送到家")
            await expect(other.locator('.order[data-service="meal"]')).to_be_visible(
                timeout=LIVE_WITHIN
            )

            # The closed view; the household's rating, given on the phone, recorded there.
            await page.get_by_role("tab", name="已结束工单").click()
            closed = page.locator(".closed-order")
            await expect(closed).to_have_count(2)
            repaired = closed.filter(has_text="水电维修")
            await expect(repaired).to_contain_text("未评价")
            await repaired.get_by_role("button", name="登记评价").click()
            rating = page.locator("#rate-dialog")
            await rating.get_by_label("评分").select_option("4")
            await rating.get_by_label("评价内容").fill("师傅很细心")
            await rating.get_by_role("button", name="确定").click()
            await expect(rating).to_be_hidden()
            await expect(repaired).to_contain_text("4 星")
            await expect(repaired).to_contain_text("师傅很细心")
            stored = await hub_server.context.db(hub_server.context.store.services.request, repair)
            assert stored is not None
            assert (stored.rating, stored.rating_comment) == (4, "师傅很细心")
            await expect(closed.filter(has_text="保洁")).to_contain_text("老人已自行处理")
            found["/services closed"] = _foreign(await _readable(page))
            await page.get_by_role("tab", name="服务商名录").click()
            await expect(page.locator(".provider")).to_have_count(2)
            await expect(page.locator("#add-provider")).to_be_hidden()  # a dispatcher reads it
            found["/services providers"] = _foreign(await _readable(page))
            assert {where: texts for where, texts in found.items() if texts} == {}
            assert page_problems.script_errors() == []
        finally:
            await context.close()
            await other_context.close()
            await home.link.stop()


def _delivered_and_rated(hub: RunningHub, household_id: str, provider_id: str, stars: int) -> None:
    """On the database thread: a meal the provider delivered, rated by the household."""
    services, now = hub.context.store.services, hub.context.clock()
    request_id = new_ulid()
    services.record_requested(household_id, request_id, ServiceType.MEAL, now)
    window = {"provider_id": provider_id, "window_start": now, "window_end": now}
    services.take_step(request_id, ServiceStep.ASSIGNED, "staff:x", now, StepDetails(**window))
    services.take_step(request_id, ServiceStep.ARRIVED, "staff:x", now)
    services.take_step(request_id, ServiceStep.COMPLETED, "staff:x", now)
    services.rate(request_id, stars, "送餐准时", "family", now)


async def test_a_supervisor_adds_and_deactivates_a_provider_and_sees_its_ratings(
    hub_server: RunningHub, browser: Browser, page_problems: PageProblems
) -> None:
    context, page = await _staff_page(hub_server, browser, Role.SUPERVISOR)
    try:
        page_problems.watch(page)
        await page.get_by_role("tab", name="服务商名录").click()
        await expect(page.locator("#providers-empty")).to_be_visible()
        await page.get_by_role("button", name="新增服务商").click()
        dialog = page.locator("#provider-dialog")
        await dialog.get_by_role("button", name="保存").click()
        await expect(dialog.locator(".dialog-error")).to_have_text("请填写机构名称")
        await dialog.get_by_label("机构名称").fill("邻里助餐中心")
        await dialog.get_by_label("联系电话").fill("电话")
        await dialog.get_by_label("助餐").check()
        await dialog.get_by_role("button", name="保存").click()
        await expect(dialog.locator(".dialog-error")).to_have_text(
            "联系电话只能包含数字、+、空格或短横线"
        )
        await dialog.get_by_label("联系电话").fill("021-5555 0101")
        await dialog.get_by_role("button", name="保存").click()
        await expect(dialog).to_be_hidden()
        card = page.locator(".provider")
        await expect(card).to_contain_text("邻里助餐中心")
        await expect(card).to_contain_text("暂无评价")
        (stored,) = await hub_server.context.db(hub_server.context.store.services.providers)
        assert (stored.organisation, stored.contact_phone, stored.services) == (
            "邻里助餐中心",
            "021-5555 0101",
            (ServiceType.MEAL,),
        )
        # Two meals it delivered, rated 4 and 5: its average, and each rating with its words.
        household = await hub_server.add_household("李爷爷家", "幸福社区 5 栋")
        for stars in (4, 5):
            await hub_server.context.db(
                _delivered_and_rated, hub_server, household.id, stored.id, stars
            )
        await page.get_by_role("tab", name="服务商名录").click()
        summary = card.locator(".provider-rating summary")
        await expect(summary).to_have_text("平均评价 4.5 ★ · 2 条评价")
        await summary.click()
        await expect(card.locator(".provider-rating li")).to_have_count(2)
        await expect(card.locator(".provider-rating li").first).to_contain_text("送餐准时")
        found = {"/services providers (supervisor)": _foreign(await _readable(page))}

        # Edited, then deactivated (its confirmation accepted).
        await card.get_by_role("button", name="编辑").click()
        await dialog.get_by_label("服务区域").fill("幸福社区 1–8 栋")
        await dialog.get_by_role("button", name="保存").click()
        await expect(card).to_contain_text("幸福社区 1–8 栋")
        page.once("dialog", lambda confirm: confirm.accept())
        await card.get_by_role("button", name="停用").click()
        await expect(card.locator(".badge")).to_have_text("已停用")
        stored = await hub_server.context.db(hub_server.context.store.services.provider, stored.id)
        assert stored is not None
        assert not stored.active
        assert {where: texts for where, texts in found.items() if texts} == {}
        assert page_problems.script_errors() == []
    finally:
        await context.close()
