"""The family page's life services in real Chromium against a real hub and a real gateway
link: the family sees the home's requests (what, when, who is coming and when), cancels one
with a reason, confirms and rates a completed one; the hub stores each with who and when and
the home's gateway hears it. A staff step shows on the page (live once the hub pushes service
changes to family pages; after a reload until then). The zh-CN section has no English and no
raw ids."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import aiohttp
from playwright.async_api import Browser, Page, expect

from gateway.link.client import HubCommand
from gateway.protocol import MessageType, parse_service_step
from gateway.services.lifecycle import Rating, ServiceActor, ServiceStep
from gateway.ulid import new_ulid
from hub.core.service_store import StepDetails
from hub.services.steps import take_service_step

from ..conftest import RunningHub, until
from .conftest import PageProblems
from .family_home import SHANGHAI, Home, connect, enrolled_home, family_page
from .test_zh_pages import _foreign, _readable

PROVIDER = "安居维修服务部"
# The hub pushes service changes to family pages once hub/core/live.py has `publish_service`
# (branch i20-web). Until then the page is checked after a reload; after the merge the same
# test checks the push, with no reload.


async def _request(hub: RunningHub, home: Home, service: str, note: str) -> str:
    store = hub.context.store
    recorded = await hub.context.db(
        lambda: store.services.record_requested(
            home.household_id,
            new_ulid(),
            service,
            hub.context.clock(),
            note=note,
            gateway_id=home.gateway_id,
        )
    )
    return recorded.request.id


async def _staff(hub: RunningHub, request_id: str, step: ServiceStep, **details: object) -> None:
    await take_service_step(
        hub.context,
        request_id,
        step,
        "night-desk",
        StepDetails(**details),  # type: ignore[arg-type]
        staff_name="李娜",
    )


def _card(page: Page, request_id: str):
    return page.locator(f'.service[data-request-id="{request_id}"]')


async def test_family_sees_cancels_and_rates_service_requests(
    hub_server: RunningHub, browser: Browser, page_problems: PageProblems
) -> None:
    context = hub_server.context
    store = context.store
    async with aiohttp.ClientSession() as session:
        home = await enrolled_home(hub_server, session, "王奶奶家", "幸福社区 3 栋 2 单元 501")
        heard: list[HubCommand] = []
        home.link.add_command_listener(heard.append)
        await connect(hub_server, home)
        try:
            provider = await context.db(
                lambda: store.services.add_provider(
                    context.clock(),
                    organisation=PROVIDER,
                    contact_name="王师傅",
                    services=["repair", "drain", "meal"],
                )
            )
            repair = await _request(hub_server, home, "repair", "厨房水龙头漏水")
            meal = await _request(hub_server, home, "meal", "")
            drain = await _request(hub_server, home, "drain", "卫生间下水慢")
            now = context.clock()
            start, end = now + timedelta(minutes=20), now + timedelta(minutes=50)
            await _staff(
                hub_server,
                repair,
                ServiceStep.ASSIGNED,
                provider_id=provider.id,
                window_start=start,
                window_end=end,
            )
            for step in (ServiceStep.ASSIGNED, ServiceStep.ARRIVED, ServiceStep.COMPLETED):
                extra = (
                    {"provider_id": provider.id, "window_start": now, "window_end": end}
                    if step is ServiceStep.ASSIGNED
                    else {}
                )
                await _staff(hub_server, drain, step, **extra)

            page = page_problems.watch(await family_page(hub_server, browser, home.household_id))
            await page.goto(f"{hub_server.url}/family")

            # What, when, who is coming and when.
            card = _card(page, repair)
            await expect(card.locator(".service-name")).to_have_text("水电维修")
            await expect(card.locator(".service-status")).to_have_text("已安排上门")
            await expect(card.locator(".service-provider")).to_have_text(PROVIDER)
            local = start.astimezone(ZoneInfo(SHANGHAI)).strftime("%H:%M")
            await expect(card.locator(".service-window")).to_contain_text(f"预计 {local}")
            await expect(card.locator(".service-note")).to_have_text("备注：厨房水龙头漏水")
            await expect(_card(page, meal).locator(".service-provider")).to_have_text(
                "服务中心正在安排"
            )

            # The zh-CN section speaks Chinese, forms open included.
            await _card(page, meal).locator(".service-cancel").click()
            texts = await page.locator(".services-panel").evaluate(
                "(node) => node.innerText.split('\\n')"
            )
            assert _foreign([t for t in texts if t.strip()]) == []
            assert _foreign(await _readable(page)) == []

            # Cancel with a reason: an empty reason is refused on the page first.
            form = _card(page, meal).locator(".cancel-form")
            await form.locator("button[type=submit]").click()
            await expect(form.locator(".form-error")).to_have_text("请填写取消原因")
            await form.locator("textarea").fill("已经订了外卖")
            await form.locator("button[type=submit]").click()
            past = page.locator("#past-services").locator(f'[data-request-id="{meal}"]')
            await expect(past.locator(".service-cancelled")).to_have_text("家人取消：已经订了外卖")
            stored = await context.db(store.services.request, meal)
            assert stored is not None
            assert (stored.status, stored.cancelled_by, stored.cancel_reason) == (
                "cancelled",
                "family",
                "已经订了外卖",
            )

            # Confirm and rate the completed one.
            rated = _card(page, drain)
            await rated.locator('.star[data-stars="4"]').click()
            await rated.locator(".rating-comment-input").fill("师傅很准时")
            await rated.locator(".rate-form button[type=submit]").click()
            await expect(rated.locator(".service-rating")).to_contain_text("评价：4 星")
            await expect(rated.locator(".rate-form")).to_have_count(0)
            stored = await context.db(store.services.request, drain)
            assert stored is not None
            assert (stored.rating, stored.rating_comment) == (4, "师傅很准时")
            last = (await context.db(store.services.steps, drain))[-1]
            assert (last["action"], last["actor"].split(":")[0]) == ("rated", "family")

            # The home's gateway heard both, as steps by the family.
            def family_steps() -> list[tuple[str, ServiceStep, Rating | None]]:
                parsed = [
                    parse_service_step(c.body) for c in heard if c.type is MessageType.SERVICE_STEP
                ]
                return [
                    (s.request_id, s.step, s.rating) for s in parsed if s.by is ServiceActor.FAMILY
                ]

            await until(lambda: len(family_steps()) == 2, timeout=10)
            assert family_steps() == [
                (meal, ServiceStep.CANCELLED, None),
                (drain, ServiceStep.COMPLETED, Rating(4, "师傅很准时")),
            ]

            # Staff mark the plumber arrived: on the page by the live push, no reload.
            await _staff(hub_server, repair, ServiceStep.ARRIVED)
            await expect(card.locator(".service-status")).to_have_text("服务人员已上门")
            assert page_problems.script_errors() == []
            assert page_problems.csp_refusals() == []
        finally:
            await home.link.stop()


async def test_the_list_follows_the_language_and_a_refusal_is_said_in_words(
    hub_server: RunningHub, browser: Browser, page_problems: PageProblems
) -> None:
    context = hub_server.context
    async with aiohttp.ClientSession() as session:
        home = await enrolled_home(hub_server, session, "Zhou household", "Peony Lane 12")
        request_id = await _request(hub_server, home, "call_back", "")
        page = page_problems.watch(
            await family_page(hub_server, browser, home.household_id, locale="en")
        )
        await page.goto(f"{hub_server.url}/family")
        card = _card(page, request_id)
        await expect(card.locator(".service-name")).to_have_text("Call me back")
        await card.locator(".service-cancel").click()
        await card.locator(".cancel-form textarea").fill("not needed")
        # Staff cancel it meanwhile, and the push of that change is lost (stored straight,
        # not published): the family's cancel is refused (409), the page says why in words,
        # then reads the list again.
        await context.db(
            context.store.services.take_step,
            request_id,
            ServiceStep.CANCELLED,
            "night-desk",
            context.clock(),
            StepDetails(reason="called already"),
        )
        await card.locator(".cancel-form button[type=submit]").click()
        await expect(page.locator(".services-notice")).to_have_text(
            "This request is closed already and cannot be cancelled"
        )
        past = page.locator("#past-services").locator(f'[data-request-id="{request_id}"]')
        await expect(past.locator(".service-cancelled")).to_have_text(
            "Cancelled by the care center: called already"
        )
        stored = await context.db(context.store.services.request, request_id)
        assert stored is not None
        assert stored.cancelled_by == "staff"
        await page.locator("#language").click()
        await expect(past.locator(".service-name")).to_have_text("回电")
        assert page_problems.script_errors() == []
