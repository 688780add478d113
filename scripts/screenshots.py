"""Screenshots of the dispatch screen (zh-CN and English), the family page and the work-order
page (life services, zh-CN), for the docs.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Starts a hub on 127.0.0.1 with a throwaway data directory, enrolls one real gateway link (so the
home shows online), seeds a realistic community (fictional people and phone numbers only):
households with residents, contacts, devices, 7 days of vitals and a few alarms in different
states, then signs in through /login in Chromium at 1600x1000 and saves:

    dispatch-zh-CN.png, dispatch-en.png, family-zh-CN.png, services-zh-CN.png
"""

from __future__ import annotations

import argparse
import asyncio
import math
import secrets
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp import web
from playwright.async_api import ConsoleMessage, Page, ViewportSize, async_playwright

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gateway.alarms import AlarmKind, RaisedAlarm  # noqa: E402
from gateway.link.client import HubLink, LinkState  # noqa: E402
from gateway.link.enroll import enroll  # noqa: E402
from gateway.link.outbox import Outbox  # noqa: E402
from gateway.protocol import (  # noqa: E402
    DeviceReport,
    DeviceStatusBody,
    MessageType,
    VitalBody,
    parse_alarm_raised,
)
from gateway.services.catalogue import ServiceType  # noqa: E402
from gateway.services.lifecycle import ServiceActor, ServiceStep  # noqa: E402
from gateway.ulid import new_ulid  # noqa: E402
from hub import app as hub_app  # noqa: E402
from hub.core.context import HUB_CONTEXT, HubContext  # noqa: E402
from hub.core.desk_model import AlarmRow, Outcome, StaffStep  # noqa: E402
from hub.core.service_store import StepDetails as ServiceDetails  # noqa: E402
from hub.core.storage import Gateway  # noqa: E402
from hub.desk.staff import StepDetails, take_staff_step  # noqa: E402
from hub.infra.passwords import hash_password  # noqa: E402
from hub.policy import Role  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
VIEWPORT = ViewportSize(width=1600, height=1000)
PASSWORD = secrets.token_urlsafe(16)  # a throwaway hub: a new password each run
DISPATCHER = "li.na"
FAMILY = "wang.jun"


@dataclass
class Seeded:
    main_household: str
    main_gateway: Gateway
    sos: AlarmRow


async def start_hub(data_dir: Path) -> tuple[web.AppRunner, str]:
    app = hub_app.create_app(data_dir)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


async def household(hub: HubContext, name: str, address: str, **details: str) -> str:
    store = hub.store
    created = await hub.db(store.create_household, name, address)
    if details:
        await hub.db(lambda: store.registry.update_household(created.id, **details))
    return created.id


async def offline_gateway(hub: HubContext, household_id: str, name: str) -> Gateway:
    """A gateway row for a household whose home is not connected in this demo."""
    store = hub.store
    code = await hub.db(store.mint_enrollment_code, household_id)
    key = f"screenshot-key-{new_ulid()}"
    return await hub.db(store.redeem_enrollment_code, code, key, name)


# What a household's gateway says of each alarm's source (gateway/safety/rules), with the name
# the household gave the device in Home Assistant.
SOURCES: dict[AlarmKind, tuple[str, str]] = {
    AlarmKind.SOS: ("button:button.call_for_help", "一键呼叫"),
    AlarmKind.FALL: ("binary_sensor.bathroom_fall", "卫生间跌倒探测"),
    AlarmKind.WATER_LEAK: ("binary_sensor.kitchen_leak", "厨房水浸探测"),
    AlarmKind.FIRE: ("binary_sensor.living_room_smoke", "客厅烟雾报警器"),
    AlarmKind.GAS: ("binary_sensor.kitchen_gas", "厨房燃气报警器"),
    AlarmKind.INACTIVITY: ("no activity", ""),
    AlarmKind.BATTERY_LOW: ("客厅烟雾报警器: 12 %", "客厅烟雾报警器"),
    AlarmKind.DEVICE_OFFLINE: ("卫生间门磁: not heard for 52 min", "卫生间门磁"),
    AlarmKind.DOOR: ("入户门门磁: opened during quiet hours", "入户门门磁"),
    AlarmKind.VITALS: ("systolic 168 mmHg high", "血压计"),
}


async def raise_alarm(hub: HubContext, gateway: Gateway, kind: AlarmKind, at: datetime) -> AlarmRow:
    source, name = SOURCES.get(kind, ("binary_sensor.sensor", "传感器"))
    body = parse_alarm_raised(RaisedAlarm.new(kind, source, at, name).to_body())
    alarm = await hub.db(hub.store.record_alarm_raised, gateway, new_ulid(), body, at)
    assert alarm is not None
    return alarm


async def past_step(
    hub: HubContext,
    alarm_id: str,
    step: StaffStep,
    at: datetime,
    staff: str = DISPATCHER,
    **details: object,
) -> None:
    """A step taken earlier (history), stored at its time."""

    def record() -> None:
        note = str(details.pop("note", ""))
        hub.store.record_staff_step(alarm_id, step, staff, note, now=at, **details)  # type: ignore[arg-type]

    await hub.db(record)


async def connect_gateway(
    session: aiohttp.ClientSession, url: str, hub: HubContext, household_id: str, work: Path
) -> tuple[HubLink, Gateway]:
    code = await hub.db(hub.store.mint_enrollment_code, household_id)
    credentials = await enroll(session, url, code, "王家网关")
    link = HubLink(session, credentials, Outbox(work / "outbox.sqlite3"))
    link.start()
    for _ in range(200):
        if link.state == LinkState.CONNECTED:
            break
        await asyncio.sleep(0.05)
    gateway = await hub.db(hub.store.gateway, credentials.gateway_id)
    assert gateway is not None
    return link, gateway


def device_reports(now: datetime) -> DeviceStatusBody:
    def ago(minutes: float) -> datetime:
        return now - timedelta(minutes=minutes)

    return DeviceStatusBody(
        (
            DeviceReport("sos-1", "床头紧急按钮", "sos", 64, ago(2), "off"),
            DeviceReport("fall-1", "卫生间跌倒探测", "fall", 78, ago(4), "off"),
            DeviceReport("smoke-1", "厨房烟感", "smoke", 91, ago(9), "off"),
            DeviceReport("gas-1", "厨房燃气探测", "gas", None, ago(1), "off"),
            DeviceReport("valve-1", "燃气总阀", "gas_valve", 87, ago(3), "closed"),
            DeviceReport("door-1", "入户门磁", "door", 55, ago(38), "off"),
            DeviceReport("leak-1", "卫生间水浸", "water_leak", 12, ago(26), "off"),
            DeviceReport("bp-1", "血压计", "health_monitor", 70, ago(300), None),
        ),
        full=True,
    )


async def seed_vitals(hub: HubContext, gateway: Gateway, now: datetime) -> None:
    def record() -> None:
        store = hub.store
        for hours in range(7 * 24, 0, -6):
            at = now - timedelta(hours=hours, minutes=17)
            wave = math.sin(hours / 9.0)
            series = [
                ("8867-4", 74 + 9 * wave + (hours % 5), "/min"),
                ("59408-5", round(96.5 + 1.2 * math.cos(hours / 7.0) - (hours % 3) * 0.4, 1), "%"),
            ]
            if hours % 12 == 0:
                series += [
                    ("8480-6", 138 + 12 * wave + (hours % 7), "mm[Hg]"),
                    ("8462-4", 82 + 6 * wave, "mm[Hg]"),
                ]
            if hours % 24 == 0:
                series += [("8310-5", round(36.5 + 0.3 * wave, 1), "Cel")]
            for code, value, unit in series:
                vital = VitalBody(code, float(round(value, 1)), unit, at, "智能手表")
                store.record_vital(gateway, new_ulid(), vital, at)
        # This morning's blood pressure was high.
        morning = now - timedelta(hours=2, minutes=5)
        for code, value in (("8480-6", 168.0), ("8462-4", 96.0)):
            store.record_vital(
                gateway, new_ulid(), VitalBody(code, value, "mm[Hg]", morning, "血压计"), morning
            )

    await hub.db(record)


async def seed(
    hub: HubContext, session: aiohttp.ClientSession, url: str, work: Path
) -> tuple[Seeded, HubLink]:
    now = datetime.now(UTC)
    store = hub.store
    registry = store.registry

    wang = await household(
        hub,
        "王秀英家",
        "幸福路 88 号 幸福社区",
        building="3",
        unit="2-501",
        grid_area="幸福社区 第二网格",
        notes="备用钥匙在 502 邻居处；楼道无电梯，需担架时请呼叫 2 人。",
    )
    link, wang_gateway = await connect_gateway(session, url, hub, wang, work)
    await hub.db(
        lambda: registry.add_resident(
            wang,
            "王秀英",
            now,
            birth_year=1941,
            conditions=["高血压", "2 型糖尿病", "轻度认知障碍"],
            medications=["氨氯地平 5mg 每日一次", "二甲双胍 500mg 每日两次"],
            allergies=["青霉素", "磺胺类"],
            mobility="助行器，可短距离行走",
            thresholds={"8867-4": {"low": 50, "high": 110}, "8480-6": {"high": 160}},
        )
    )
    await hub.db(
        lambda: registry.add_resident(
            wang,
            "张德明",
            now,
            birth_year=1938,
            conditions=["慢阻肺"],
            medications=["噻托溴铵吸入剂"],
            allergies=[],
            mobility="轮椅",
            thresholds={"59408-5": {"low": 92}},
        )
    )
    await hub.db(
        lambda: registry.set_contacts(
            wang,
            [
                {"name": "王军", "phone": "139 0000 1234", "relation": "儿子"},
                {"name": "王丽", "phone": "138 0000 5678", "relation": "女儿"},
                {"name": "社区网格员 周敏", "phone": "0571-0000 8899", "relation": "网格员"},
            ],
        )
    )
    link.send(MessageType.DEVICE_STATUS, device_reports(now).to_body())
    await seed_vitals(hub, wang_gateway, now)

    # The household's history: a few closed alarms in the last weeks.
    for days, kind, outcome in (
        (2, AlarmKind.SOS, Outcome.FALSE_ALARM),
        (9, AlarmKind.FALL, Outcome.ASSISTED_ON_SITE),
        (16, AlarmKind.VITALS, Outcome.ADVICE_BY_PHONE),
    ):
        at = now - timedelta(days=days, hours=3)
        old = await raise_alarm(hub, wang_gateway, kind, at)
        await past_step(hub, old.id, StaffStep.ACKNOWLEDGED, at + timedelta(seconds=21))
        await past_step(
            hub, old.id, StaffStep.RESOLVED, at + timedelta(minutes=34), outcome=outcome
        )

    # The other households on the queue.
    others: list[tuple[str, str, dict[str, str]]] = [
        ("李桂兰家", "幸福社区 5 栋 1 单元 302", {"grid_area": "幸福社区 第一网格"}),
        ("赵国平家", "和平里 12 号院 2 号楼 601", {"grid_area": "和平里 第三网格"}),
        ("陈淑芬家", "幸福社区 8 栋 3 单元 104", {"grid_area": "幸福社区 第二网格"}),
        ("周文华家", "和平里 7 号院 1 号楼 203", {"grid_area": "和平里 第一网格"}),
        ("吴玉珍家", "春晖苑 4 幢 1102", {"grid_area": "春晖苑 网格"}),
    ]
    gateways = []
    for name, address, details in others:
        household_id = await household(hub, name, address, **details)
        gateways.append(await offline_gateway(hub, household_id, f"{name}网关"))
    li, zhao, chen, zhou, wu = gateways

    fall = await raise_alarm(hub, li, AlarmKind.FALL, now - timedelta(minutes=3, seconds=12))
    await past_step(hub, fall.id, StaffStep.ACKNOWLEDGED, now - timedelta(minutes=2, seconds=55))
    leak = await raise_alarm(hub, zhao, AlarmKind.WATER_LEAK, now - timedelta(minutes=14))
    await past_step(
        hub,
        leak.id,
        StaffStep.DISPATCHED,
        now - timedelta(minutes=12),
        responder="物业 孙师傅",
        eta_minutes=15,
    )
    await raise_alarm(hub, chen, AlarmKind.INACTIVITY, now - timedelta(seconds=14))
    await raise_alarm(hub, zhou, AlarmKind.BATTERY_LOW, now - timedelta(hours=2, minutes=41))
    offline = await raise_alarm(hub, wu, AlarmKind.DEVICE_OFFLINE, now - timedelta(minutes=52))
    await past_step(hub, offline.id, StaffStep.ACKNOWLEDGED, now - timedelta(minutes=40))

    sos = await raise_alarm(hub, wang_gateway, AlarmKind.SOS, now - timedelta(seconds=41))
    return Seeded(wang, wang_gateway, sos), link


def seed_services(hub: HubContext, now: datetime) -> None:
    """On the database thread: a provider directory and work orders in every state (issue
    20), across the seeded households; one completed and rated, one cancelled by the family."""
    services = hub.store.services
    homes = {h.name: h.id for h in hub.store.registry.households()}
    providers = {
        name: services.add_provider(
            now - timedelta(days=30),
            organisation=name,
            contact_name=contact,
            contact_phone=phone,
            services=[s.value for s in offers],
            service_area="幸福社区、和平里、春晖苑",
        ).id
        for name, contact, phone, offers in (
            ("平安水电维修部", "孙师傅", "021-5555 0101", (ServiceType.REPAIR, ServiceType.DRAIN)),
            ("邻里助餐中心", "周阿姨", "021-5555 0102", (ServiceType.MEAL, ServiceType.SHOPPING)),
            (
                "洁家保洁公司",
                "钱女士",
                "021-5555 0103",
                (ServiceType.CLEANING, ServiceType.BATHING),
            ),
            ("社区志愿者服务队", "吴老师", "021-5555 0104", (ServiceType.ESCORT,)),
        )
    }
    staff = f"staff:{DISPATCHER}"

    def ask(home: str, kind: ServiceType, minutes: float, note: str = "") -> str:
        at = now - timedelta(minutes=minutes)
        request_id = new_ulid()
        services.record_requested(homes[home], request_id, kind, at, note=note)
        return request_id

    def step(request_id: str, kind: ServiceStep, minutes: float, **details: object) -> None:
        at = now - timedelta(minutes=minutes)
        services.take_step(request_id, kind, staff, at, ServiceDetails(**details))  # type: ignore[arg-type]

    def assign(request_id: str, provider: str, minutes: float, start: float, end: float) -> None:
        window = {"window_start": now + timedelta(minutes=start)}
        window["window_end"] = now + timedelta(minutes=end)
        step(request_id, ServiceStep.ASSIGNED, minutes, provider_id=providers[provider], **window)

    repair = ask("王秀英家", ServiceType.REPAIR, 38, "厨房水龙头一直滴水")
    step(repair, ServiceStep.ACCEPTED, 36)
    assign(repair, "平安水电维修部", 33, 10, 70)
    cleaning = ask("陈淑芬家", ServiceType.CLEANING, 95)
    assign(cleaning, "洁家保洁公司", 90, -20, 40)
    step(cleaning, ServiceStep.ARRIVED, 15)
    escort = ask("赵国平家", ServiceType.ESCORT, 22, "明天上午去区医院复诊")
    step(escort, ServiceStep.ACCEPTED, 19)
    ask("李桂兰家", ServiceType.MEAL, 6, "午饭少盐")
    ask("周文华家", ServiceType.CALL_BACK, 2)
    drain = ask("吴玉珍家", ServiceType.DRAIN, 26 * 60)
    assign(drain, "平安水电维修部", 25 * 60, -24 * 60, -23 * 60)
    step(drain, ServiceStep.ARRIVED, 23.5 * 60)
    step(drain, ServiceStep.COMPLETED, 23 * 60)
    services.rate(drain, 5, "师傅很细心，还帮忙检查了水管", "family", now - timedelta(hours=22))
    shopping = ask("王秀英家", ServiceType.SHOPPING, 5 * 60)
    step(
        shopping,
        ServiceStep.CANCELLED,
        4 * 60,
        reason="子女已代买",
        cancelled_by=ServiceActor.FAMILY,
    )


async def add_users(hub: HubContext, household_id: str) -> None:
    stored = hash_password(PASSWORD, n=2**12)
    accounts = hub.store.accounts
    now = datetime.now(UTC)
    await hub.db(lambda: accounts.create_user(DISPATCHER, "李娜", Role.DISPATCHER, stored, now=now))
    await hub.db(
        lambda: accounts.create_user(
            FAMILY, "王军", Role.FAMILY, stored, now=now, household_id=household_id
        )
    )


def report_browser_errors(page: Page) -> None:
    """What the browser complains about (script errors, CSP refusals) goes to stderr."""

    def console(message: ConsoleMessage) -> None:
        # A failed request is reported below with its address; the one expected is the login
        # page's favicon (the hub serves none), which is no page response.
        if message.type in {"error", "warning"} and "Failed to load" not in message.text:
            print(f"browser {message.type}: {message.text}", file=sys.stderr)

    page.on("console", console)
    page.on("pageerror", lambda error: print(f"page error: {error}", file=sys.stderr))
    page.on(
        "response",
        lambda response: (
            print(f"HTTP {response.status}: {response.url}", file=sys.stderr)
            if response.status >= 400
            else None
        ),
    )


async def sign_in(page: Page, url: str, username: str, landing: str) -> None:
    report_browser_errors(page)
    await page.goto(f"{url}{landing}")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{url}{landing}")


async def settle_dispatch(page: Page) -> None:
    await page.wait_for_selector("#connection[data-state='open']")
    await page.wait_for_selector("#card-body[data-loaded='true']")
    await page.wait_for_selector("#card-body .js-plotly-plot", timeout=10_000)
    await page.wait_for_timeout(700)


async def shoot(out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="eldercare-shots-") as temporary:
        work = Path(temporary)
        runner, url = await start_hub(work / "hub")
        hub = runner.app[HUB_CONTEXT]
        session = aiohttp.ClientSession()
        link: HubLink | None = None
        try:
            seeded, link = await seed(hub, session, url, work)
            await add_users(hub, seeded.main_household)
            await hub.db(seed_services, hub, datetime.now(UTC))
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                context = await browser.new_context(
                    viewport=VIEWPORT, locale="zh-CN", reduced_motion="reduce"
                )
                page = await context.new_page()
                await sign_in(page, url, DISPATCHER, "/dispatch")
                await settle_dispatch(page)
                await page.screenshot(path=str(out / "dispatch-zh-CN.png"))
                await page.click("#language")
                await page.wait_for_function("document.documentElement.lang === 'en'")
                await settle_dispatch(page)
                await page.screenshot(path=str(out / "dispatch-en.png"))
                await page.click("#language")  # back to zh-CN for the family page
                await page.goto(f"{url}/services")
                await page.wait_for_selector("#connection[data-state='open']")
                await page.wait_for_selector(".order")
                await page.wait_for_timeout(500)
                await page.screenshot(path=str(out / "services-zh-CN.png"))
                await context.close()

                await take_staff_step(
                    hub,
                    seeded.sos.id,
                    StaffStep.DISPATCHED,
                    DISPATCHER,
                    StepDetails(responder="社区护士 刘芳", eta_minutes=8),
                )
                family = await browser.new_context(
                    viewport=VIEWPORT, locale="zh-CN", reduced_motion="reduce"
                )
                page = await family.new_page()
                await sign_in(page, url, FAMILY, "/family")
                await page.wait_for_selector("#household-name:not(:empty)")
                await page.wait_for_selector(".js-plotly-plot", timeout=10_000)
                await page.wait_for_timeout(700)
                await page.screenshot(path=str(out / "family-zh-CN.png"))
                await browser.close()
        finally:
            if link is not None:
                await link.stop()
            await session.close()
            await runner.cleanup()
    for name in ("dispatch-zh-CN.png", "dispatch-en.png", "family-zh-CN.png", "services-zh-CN.png"):
        print(out / name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(shoot(args.out))


if __name__ == "__main__":
    main()
