#!/usr/bin/env python3
"""dispatch-live: alarm committed at the hub -> visible on every connected dispatch screen.

One real hub process (`python -m hub`, bench/harness.py's stamped hub) on 127.0.0.1.
  screens   S dispatch screens on GET /api/v1/dispatch/live, each its own aiohttp session and
            cookie jar, all of one dispatcher account: the first signs in over HTTP
            (POST /api/v1/login), the others get sessions made in the store before the hub
            starts (a sign-in costs a third of a second of scrypt, two at a time). They run in
            their own process(es), so reading 100 sockets does not delay the load generator.
  gateways  G enrolled gateways (inserted in the store), each on its own WebSocket: hello,
            heartbeats at the hub's interval, and signed alarm.raised envelopes paced evenly at
            R alarms per minute, round robin over the gateways, kinds mixed as a care centre
            sees them (SOS, fall, vitals, inactivity, door, battery, fire, gas, water leak).
            Every alarm has a fresh alarm id; nothing is resolved, so the queue grows.

The hub is bench/harness.py's stamped hub: `python -m hub` plus its stats route, and it notes,
for the benchmark only, when each alarm.raised's group commit returned (on the database thread,
before its handler is woken), when the alarm was published to the screens, its event loop's
lags and its garbage collections (GET /_bench/dispatch-stamps, read once at the end).

Per alarm and screen:
  commit -> visible  t(the screen read the `alarm` update) - t(the hub's COMMIT returned): the
                     target's number, and the verdict; split into commit -> publish (inside the
                     hub) and publish -> screen (fan-out to every screen, the socket, the reader).
  send -> visible    - t(the gateway sent the envelope): an upper bound without hub stamps.
  ack -> visible     - t(the gateway got the ack naming it): the hub publishes before it acks,
                     so this can be negative (the screen was first).
All times are time.monotonic(), which on Linux is CLOCK_MONOTONIC, one clock for every process
of the machine. A screen is matched to an alarm by (alarm id, count) of the `alarm` update: a
new card carries the gateway's alarm id and count 1; a repeat of the same kind in a household
whose alarm is still open updates that card (count + 1) instead (hub/core/storage.py), which the
generator tracks. With the default one alarm per gateway per minute every alarm is a new card.

Tail latency on a small shared machine is mostly scheduling: an idle probe process notes when
it wakes late (every core busy), and the report says which slow alarms overlapped such a
stall, a lag of the hub's event loop, or a hub garbage collection.

--chromium adds one real dispatch page (Playwright, /usr/bin/chromium) and times when each
alarm's card (`.alarm[data-alarm-id=...]`) is first in the DOM (MutationObserver,
performance.timeOrigin + performance.now(), against time.time() here).

    .venv/bin/python -m bench.dispatch [--screens 100] [--rate 1000] [--seconds 60] ...
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from pathlib import Path
from typing import Any

import aiohttp
from yarl import URL

from gateway.alarms import AlarmKind, RaisedAlarm
from gateway.protocol import MessageType

from .args import Flag, Options, plan_from, run_alone
from .gateways import Answer, Signer, answers, new_session, open_link, sign_in_dispatcher
from .harness import (
    DISPATCH_LIVE_PATH,
    GC_PAUSE,
    PROBE_SLEEP,
    SESSION_COOKIE,
    STALL,
    BenchGateway,
    Flavour,
    HubProcess,
    dispatcher_sessions,
    insert_gateways,
    print_profile,
)
from .sampling import (
    ProcSample,
    browser_cpu,
    cpu_pressure,
    describe_cpu,
    describe_machine,
    processes_cpu,
)
from .stats import ms_line, quantile
from .workers import raise_fd_limit, receive, run_workers, split, stop_workers

TARGET_P99 = 0.250  # s, alarm committed -> visible on a connected dispatch screen
_RANDOM = random.SystemRandom()
# Of every 100 alarms a care centre receives (emergencies first; battery and offline devices
# are work items in their own lane).
_KIND_MIX: tuple[tuple[AlarmKind, int], ...] = (
    (AlarmKind.SOS, 25),
    (AlarmKind.FALL, 18),
    (AlarmKind.VITALS, 12),
    (AlarmKind.INACTIVITY, 10),
    (AlarmKind.DOOR, 8),
    (AlarmKind.BATTERY_LOW, 9),
    (AlarmKind.DEVICE_OFFLINE, 3),
    (AlarmKind.FIRE, 5),
    (AlarmKind.GAS, 5),
    (AlarmKind.WATER_LEAK, 5),
)
# tests/e2e/conftest.py: as root and on a closed network, no sandbox, no background calls.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
CARD_SELECTOR = ".alarm[data-alarm-id]"
_QUIET_LINK = 24 * 3600.0  # s a gateway may hear nothing from the hub (pings are answered)

type FeedKey = tuple[str, int]  # (alarm id on the live feed, its count)


@dataclass(frozen=True, slots=True)
class DispatchPlan:
    screens: int = 100
    rate: float = 1000.0  # alarms per minute
    seconds: float = 60.0
    gateways: int = 1000
    screen_processes: int = 1
    settle: float = 1.0  # s after everything is connected, before the first alarm
    drain: float = 15.0  # s the screens get to see the last acked alarms
    chromium: bool = False
    profile_hub: bool = False

    @property
    def alarms(self) -> int:
        return max(1, round(self.rate * self.seconds / 60))


# ---------------------------------------------------------------------------------------------
# The machine's stalls (the hub's own are stamped in the hub: bench/harness.py)


def stall_probe(pipe: Connection) -> None:
    """A process that only sleeps PROBE_SLEEP at a time and notes when it woke STALL late:
    on an otherwise idle process that is the machine's scheduling delay (every core busy),
    which the hub's event loop and the screens suffer alike."""
    stalls: list[tuple[float, float]] = []
    while not pipe.poll():
        before = time.monotonic()
        time.sleep(PROBE_SLEEP)
        late = time.monotonic() - before - PROBE_SLEEP
        if late >= STALL:
            stalls.append((before + PROBE_SLEEP, late))
    pipe.recv()
    pipe.send(stalls)


# ---------------------------------------------------------------------------------------------
# Screens (their own processes)


@dataclass(slots=True)
class ScreenResult:
    """What one screen saw: the first receipt (monotonic) of every (alarm id, count)."""

    seen: dict[FeedKey, float] = field(default_factory=dict)
    types: Counter[str] = field(default_factory=Counter)
    close_code: int | None = None  # set when the hub closed the screen before the end
    signed_in_over_http: bool = False


class Screen:
    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session
        self.result = ScreenResult()
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.closing = False
        self.missing: set[FeedKey] | None = None  # expected and not seen yet, once known
        self.complete = asyncio.Event()

    def expect(self, keys: set[FeedKey]) -> None:
        self.missing = keys - self.result.seen.keys()
        if not self.missing:
            self.complete.set()

    async def connect(self, url: str, token: str | None) -> None:
        if token is None:
            await sign_in_dispatcher(self.session, url)
            self.result.signed_in_over_http = True
        else:
            self.session.cookie_jar.update_cookies({SESSION_COOKIE: token}, URL(url))
        self.ws = await self.session.ws_connect(url + DISPATCH_LIVE_PATH, max_msg_size=0)
        snapshot = await self.ws.receive_json(timeout=30)
        if snapshot.get("type") != "snapshot":
            raise RuntimeError(f"the live feed began with {snapshot.get('type')!r}")

    async def read(self) -> None:
        assert self.ws is not None
        seen, types = self.result.seen, self.result.types
        while True:
            message = await self.ws.receive()
            now = time.monotonic()  # first thing: the moment this screen has the update
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            update = json.loads(message.data)
            kind = update.get("type", "?")
            types[kind] += 1
            if kind == "alarm":
                alarm = update["alarm"]
                key = (alarm["id"], alarm["count"])
                seen.setdefault(key, now)
                if self.missing is not None:
                    self.missing.discard(key)
                    if not self.missing:
                        self.complete.set()
        if not self.closing:
            self.result.close_code = self.ws.close_code


def screen_worker(url: str, tokens: list[str | None], pipe: Connection) -> None:
    """A screens process: connect, say ready, wait for the expected alarms, report."""
    raise_fd_limit()
    asyncio.run(_screens(url, tokens, pipe))


async def _screens(url: str, tokens: list[str | None], pipe: Connection) -> None:
    sessions = [new_session() for _ in tokens]
    screens = [Screen(session) for session in sessions]
    try:
        await asyncio.gather(
            *(screen.connect(url, token) for screen, token in zip(screens, tokens, strict=True))
        )
        readers = [asyncio.create_task(screen.read()) for screen in screens]
        pipe.send(("ready", time.monotonic()))
        expected_keys, wait = await asyncio.to_thread(pipe.recv)
        expected = set(expected_keys)
        for screen in screens:
            screen.expect(expected)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait):
                await asyncio.gather(*(screen.complete.wait() for screen in screens))
        for screen in screens:
            screen.closing = True
        await asyncio.gather(
            *(screen.ws.close() for screen in screens if screen.ws is not None),
            return_exceptions=True,
        )
        for reader in readers:
            reader.cancel()
        pipe.send(("result", [screen.result for screen in screens]))
    finally:
        await asyncio.gather(*(session.close() for session in sessions))


# ---------------------------------------------------------------------------------------------
# Gateways (the main process)


@dataclass(slots=True)
class SentAlarm:
    message_id: str
    key: FeedKey
    kind: AlarmKind
    sent: float  # monotonic, just before the envelope went out
    acked: float | None = None  # monotonic, the ack naming it arrived
    nak: str | None = None
    committed: float | None = None  # monotonic, at the hub: its group commit returned
    published: float | None = None  # monotonic, at the hub: handed to the screens' queues


class AlarmGateway:
    """One household's gateway: its link, heartbeats at the hub's interval, alarms on demand."""

    def __init__(
        self,
        gateway: BenchGateway,
        ws: aiohttp.ClientWebSocketResponse,
        signer: Signer,
        interval: float,
    ) -> None:
        self.household_id = gateway.household_id
        self.ws = ws
        self.signer = signer
        self.interval = interval
        self.pending: dict[str, SentAlarm] = {}
        self.heartbeat_naks: Counter[str] = Counter()
        self.dropped = False
        self.closing = False
        self.settled = asyncio.Event()
        self.settled.set()

    async def raise_alarm(self, alarm: RaisedAlarm, key: FeedKey) -> SentAlarm:
        message_id, text = self.signer.envelope(MessageType.ALARM_RAISED, alarm.to_body())
        sent = SentAlarm(message_id, key, alarm.kind, time.monotonic())
        self.pending[message_id] = sent
        self.settled.clear()
        await self.ws.send_str(text)
        return sent

    async def heartbeats(self) -> None:
        await asyncio.sleep(_RANDOM.uniform(0, self.interval))
        while not self.ws.closed:
            _, text = self.signer.envelope(MessageType.HEARTBEAT, {"outbox_depth": 0})
            await self.ws.send_str(text)
            await asyncio.sleep(self.interval)

    def other_answer(self, answer: Answer) -> None:
        """An answer to what is not an alarm: a heartbeat here (bench/services.py's gateways
        also ask for services)."""
        if not answer.acked:
            self.heartbeat_naks[answer.reason] += 1

    async def read(self) -> None:
        # open_link's socket has a 30 s receive timeout; a household that only heartbeats every
        # 60 s hears nothing for longer than that, so each read here says how long it may wait.
        async for batch in answers(self.ws, timeout=_QUIET_LINK):
            for answer in batch:
                sent = self.pending.pop(answer.message_id, None)
                if sent is None:
                    self.other_answer(answer)
                    continue
                if answer.acked:
                    sent.acked = answer.at
                else:
                    sent.nak = answer.reason
            if not self.pending:
                self.settled.set()
        if not self.closing:
            self.dropped = True
        self.settled.set()


async def connect_gateways[G: AlarmGateway](
    session: aiohttp.ClientSession,
    url: str,
    gateways: list[BenchGateway],
    link: Callable[[BenchGateway, aiohttp.ClientWebSocketResponse, Signer, float], G],
) -> list[G]:
    """Every gateway's link (50 handshakes at a time), as `link` makes it."""
    limit = asyncio.Semaphore(50)

    async def one(gateway: BenchGateway) -> G:
        async with limit:
            ws, signer, interval = await open_link(session, url, gateway)
        return link(gateway, ws, signer, interval)

    return list(await asyncio.gather(*(one(gateway) for gateway in gateways)))


class FeedKeys:
    """Which (alarm id, count) the live feed will show for each alarm.raised: a new card, or
    the next count of the household's open alarm of that kind (nothing is resolved here)."""

    def __init__(self) -> None:
        self._open: dict[tuple[str, AlarmKind], FeedKey] = {}
        self.new_cards = 0
        self.repeats = 0

    def key(self, household_id: str, alarm: RaisedAlarm) -> FeedKey:
        current = self._open.get((household_id, alarm.kind))
        if current is None:
            key = (alarm.alarm_id, 1)
            self.new_cards += 1
        else:
            key = (current[0], current[1] + 1)
            self.repeats += 1
        self._open[(household_id, alarm.kind)] = key
        return key


def kind_cycle() -> list[AlarmKind]:
    kinds = [kind for kind, share in _KIND_MIX for _ in range(share)]
    _RANDOM.shuffle(kinds)
    return kinds


async def pace_alarms(
    links: Sequence[AlarmGateway], plan: DispatchPlan, keys: FeedKeys
) -> tuple[list[SentAlarm], float]:
    """plan.alarms alarm.raised at evenly spaced instants (an absolute schedule: no drift),
    round robin over the gateways in a shuffled order: (alarms, max behind schedule, s)."""
    order = list(links)
    _RANDOM.shuffle(order)
    kinds = kind_cycle()
    period = 60.0 / plan.rate
    start = time.monotonic() + 0.05
    sent: list[SentAlarm] = []
    behind = 0.0
    for index in range(plan.alarms):
        due = start + index * period
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        behind = max(behind, time.monotonic() - due)
        link = order[index % len(order)]
        alarm = RaisedAlarm.new(kinds[index % len(kinds)], "bench")
        sent.append(await link.raise_alarm(alarm, keys.key(link.household_id, alarm)))
    return sent, behind


# ---------------------------------------------------------------------------------------------
# One real browser screen (optional)

_OBSERVER_JS = """
(() => {
  const dom = new Map();
  const frame = new Map();
  window.__benchCards = { dom, frame };
  const note = (node) => {
    if (!(node instanceof Element)) return;
    const cards = node.matches(SELECTOR) ? [node] : [];
    cards.push(...node.querySelectorAll(SELECTOR));
    if (!cards.length) return;
    const now = performance.timeOrigin + performance.now();
    const fresh = [];
    for (const card of cards) {
      const id = card.dataset.alarmId;
      if (!dom.has(id)) { dom.set(id, now); fresh.push(id); }
    }
    if (fresh.length) requestAnimationFrame(() => {
      const painted = performance.timeOrigin + performance.now();
      for (const id of fresh) frame.set(id, painted);
    });
  };
  new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === "attributes") note(record.target);
      for (const node of record.addedNodes) note(node);
    }
  }).observe(document, {
    childList: true, subtree: true, attributes: true, attributeFilter: ["data-alarm-id"],
  });
})();
""".replace("SELECTOR", json.dumps(CARD_SELECTOR))


@dataclass(slots=True)
class BrowserResult:
    dom: dict[str, float]  # alarm id -> wall-clock s when its card was first in the DOM
    frame: dict[str, float]  # alarm id -> wall-clock s of the next animation frame after that
    error: str = ""


class BrowserScreen:
    """Chromium on /dispatch with a dispatcher's session cookie; tolerant of a changing page."""

    def __init__(self) -> None:
        self._stack = contextlib.AsyncExitStack()
        self._page: Any = None
        self.error = ""

    async def start(self, url: str, token: str) -> None:
        try:
            from playwright.async_api import async_playwright  # noqa: PLC0415 (optional)

            playwright = await self._stack.enter_async_context(async_playwright())
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            self._stack.push_async_callback(browser.close)
            context = await browser.new_context()
            await context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": url}])
            page = await context.new_page()
            await page.add_init_script(_OBSERVER_JS)
            async with page.expect_websocket(timeout=30_000) as info:
                await page.goto(url + "/dispatch")
            socket = await info.value
            await socket.wait_for_event("framereceived", timeout=30_000)  # the snapshot
            self._page = page
        except Exception as err:  # optional: report it, go on without
            self.error = f"{type(err).__name__}: {err}".splitlines()[0]

    async def result(self) -> BrowserResult:
        if self._page is None:
            return BrowserResult({}, {}, self.error or "not started")
        try:
            cards = await self._page.evaluate(
                "() => ({dom: Object.fromEntries(window.__benchCards.dom),"
                " frame: Object.fromEntries(window.__benchCards.frame)})"
            )
        except Exception as err:
            return BrowserResult({}, {}, f"{type(err).__name__}: {err}".splitlines()[0])
        return BrowserResult(
            {key: value / 1000 for key, value in cards["dom"].items()},
            {key: value / 1000 for key, value in cards["frame"].items()},
        )

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._stack.aclose()


# ---------------------------------------------------------------------------------------------
# The run


@dataclass(slots=True)
class DispatchReport:
    plan: DispatchPlan
    hub_pid: int
    first: ProcSample  # the hub when the first alarm went out
    last: ProcSample  # and after the last one
    alarms: list[SentAlarm]
    screens: list[ScreenResult]
    keys: FeedKeys
    behind: float
    generator_cpu: float  # CPU s of this process (gateways) over the window
    browser_cpu: dict[int, float]  # CPU s of each Chromium process over the window
    cpu_pressure: float | None  # s of the window in which some task waited for a core (PSI)
    screens_cpu: float  # CPU s of the screens processes over the window
    wall_offset: float  # time.time() - time.monotonic() here
    gateways_connected: int = 0
    gateways_dropped: int = 0
    heartbeat_naks: Counter[str] = field(default_factory=Counter)
    setup_seconds: float = 0.0
    browser: BrowserResult | None = None
    # (monotonic, s): the hub's event loop late, its garbage collections, an idle probe late
    loop_lags: list[tuple[float, float]] = field(default_factory=list)
    gc_pauses: list[tuple[float, float]] = field(default_factory=list)
    machine_stalls: list[tuple[float, float]] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        """Every acked alarm reached every screen, and the hub closed none of them."""
        acked = any(alarm.acked is not None for alarm in self.alarms)
        closed = any(screen.close_code for screen in self.screens)
        return acked and not closed and latencies(self).missed == 0


def dispatch_live(plan: DispatchPlan) -> DispatchReport:
    raise_fd_limit()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-dispatch-") as tmp:
        data = Path(tmp)
        profile = str(data / "hub.prof") if plan.profile_hub else None
        gateways = insert_gateways(data, plan.gateways)
        tokens = dispatcher_sessions(data, plan.screens - 1 + plan.chromium)
        browser_token = tokens.pop() if plan.chromium else None
        screen_tokens: list[str | None] = [None, *tokens]  # the first one signs in over HTTP
        with HubProcess(data, profile=profile, flavour=Flavour.STAMPED) as hub:
            shares = [(hub.url, share) for share in split(screen_tokens, plan.screen_processes)]
            processes, pipes = run_workers(screen_worker, shares)
            probes, (probe,) = run_workers(stall_probe, [()])
            try:
                report = asyncio.run(
                    _drive(
                        hub=hub,
                        plan=plan,
                        gateways=gateways,
                        processes=processes,
                        pipes=pipes,
                        browser_token=browser_token,
                        started=started,
                    )
                )
            except BaseException:
                print(
                    "hub log (tail, without the access log):\n" + hub.log_tail(access_log=False),
                    file=sys.stderr,
                )
                raise
            finally:
                probe.send("stop")
                stalls = receive(probe, 30, "stalls")
                stop_workers(processes + probes)
        report.machine_stalls = stalls
        print_dispatch(report)
        if profile:
            print_profile(profile)  # the hub wrote it when it stopped
    return report


async def _drive(
    *,
    hub: HubProcess,
    plan: DispatchPlan,
    gateways: list[BenchGateway],
    processes: list[SpawnProcess],
    pipes: list[Connection],
    browser_token: str | None,
    started: float,
) -> DispatchReport:
    browser = BrowserScreen()
    async with new_session() as session:
        links = await connect_gateways(session, hub.url, gateways, AlarmGateway)
        tasks = [asyncio.create_task(link.read()) for link in links]
        tasks += [asyncio.create_task(link.heartbeats()) for link in links]
        try:
            await asyncio.gather(
                *(asyncio.to_thread(receive, pipe, 120, "ready") for pipe in pipes)
            )
            if browser_token is not None:
                await browser.start(hub.url, browser_token)
            setup_seconds = time.monotonic() - started
            await asyncio.sleep(plan.settle)
            keys = FeedKeys()
            first, screens_before = hub.sample(), processes_cpu(processes)
            pressure_before = cpu_pressure()
            browser_before = browser_cpu() if browser_token is not None else {}
            own_before = time.process_time()
            alarms, behind = await pace_alarms(links, plan, keys)
            last, screens_after = hub.sample(), processes_cpu(processes)
            pressure_after = cpu_pressure()
            browser_after = browser_cpu() if browser_token is not None else {}
            own_after = time.process_time()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(30):
                    await asyncio.gather(*(link.settled.wait() for link in links))
            expected = [alarm.key for alarm in alarms if alarm.acked is not None]
            for pipe in pipes:
                pipe.send((expected, plan.drain))
            replies = await asyncio.gather(
                *(asyncio.to_thread(receive, pipe, plan.drain + 60, "result") for pipe in pipes)
            )
            browser_result = await browser.result() if browser_token is not None else None
            stamps = await asyncio.to_thread(hub.stamps)
            for alarm in alarms:
                alarm.committed = stamps["committed"].get(alarm.message_id)
                alarm.published = stamps["published"].get(f"{alarm.key[0]}/{alarm.key[1]}")
        finally:
            await browser.close()
            for link in links:
                link.closing = True
            await asyncio.gather(*(link.ws.close() for link in links), return_exceptions=True)
            for task in tasks:
                task.cancel()
    return DispatchReport(
        plan=plan,
        hub_pid=hub.pid,
        first=first,
        last=last,
        alarms=alarms,
        screens=[screen for _, results in replies for screen in results],
        keys=keys,
        behind=behind,
        generator_cpu=own_after - own_before,
        cpu_pressure=(
            None
            if pressure_before is None or pressure_after is None
            else pressure_after - pressure_before
        ),
        browser_cpu={pid: cpu - browser_before.get(pid, 0.0) for pid, cpu in browser_after.items()},
        screens_cpu=screens_after - screens_before,
        wall_offset=time.time() - time.monotonic(),
        gateways_connected=len(links),
        gateways_dropped=sum(link.dropped for link in links),
        heartbeat_naks=sum((link.heartbeat_naks for link in links), Counter()),
        setup_seconds=setup_seconds,
        browser=browser_result,
        loop_lags=[(at, lag) for at, lag in stamps["loop_lags"]],
        gc_pauses=[(at, pause) for at, pause in stamps["gc_pauses"]],
    )


# ---------------------------------------------------------------------------------------------
# The report


@dataclass(frozen=True, slots=True)
class Latencies:
    """Every list sorted, in seconds; per (alarm, screen) pair unless it says per alarm."""

    commit: list[float]  # screen received it - the hub committed it (stamped in the hub)
    ack: list[float]  # screen received it - the gateway received the ack
    send: list[float]  # screen received it - the gateway sent it
    publish: list[float]  # screen received it - the hub published it
    hub: list[float]  # per alarm: published - committed, inside the hub
    last_screen: list[float]  # per alarm: the last screen's receipt - committed
    missed: int  # (acked alarm, screen) pairs never seen
    pairs: int


def latencies(report: DispatchReport) -> Latencies:
    commit: list[float] = []
    ack: list[float] = []
    send: list[float] = []
    publish: list[float] = []
    hub: list[float] = []
    last_screen: list[float] = []
    missed = pairs = 0
    for alarm in report.alarms:
        if alarm.acked is None:
            continue
        if alarm.committed is not None and alarm.published is not None:
            hub.append(alarm.published - alarm.committed)
        times = []
        for screen in report.screens:
            pairs += 1
            seen = screen.seen.get(alarm.key)
            if seen is None:
                missed += 1
                continue
            times.append(seen)
            ack.append(seen - alarm.acked)
            send.append(seen - alarm.sent)
            if alarm.committed is not None:
                commit.append(seen - alarm.committed)
            if alarm.published is not None:
                publish.append(seen - alarm.published)
        if times and alarm.committed is not None:
            last_screen.append(max(times) - alarm.committed)
    return Latencies(
        sorted(commit),
        sorted(ack),
        sorted(send),
        sorted(publish),
        sorted(hub),
        sorted(last_screen),
        missed,
        pairs,
    )


def _ms(values: list[float], *fractions: float) -> str:
    return ms_line(values, *fractions, width=6)


def print_dispatch(report: DispatchReport) -> None:
    plan = report.plan
    lat = latencies(report)
    alarms = report.alarms
    acked = [alarm for alarm in alarms if alarm.acked is not None]
    naks = Counter(alarm.nak for alarm in alarms if alarm.nak is not None)
    window = report.last.wall - report.first.wall
    print(
        f"dispatch-live: {len(report.screens)} dispatch screens on {DISPATCH_LIVE_PATH}"
        f" ({plan.screen_processes} client process{'es' if plan.screen_processes > 1 else ''});"
        f" {report.gateways_connected} gateways send {plan.rate:.0f} alarm.raised/min"
        f" for {plan.seconds:.0f} s, paced evenly, plus heartbeats"
    )
    http = sum(screen.signed_in_over_http for screen in report.screens)
    print(
        f"  setup               {report.setup_seconds:.1f} s (hub start, gateways connected, one"
        f" dispatcher: {http} screen signed in over HTTP, {len(report.screens) - http} with"
        f" sessions made in the store)"
    )
    print(
        f"  alarms              {len(alarms)} sent in {window:.1f} s, {len(acked)} acked,"
        f" naks {dict(naks) or 0}; {report.keys.new_cards} new cards,"
        f" {report.keys.repeats} repeats of an open alarm (count + 1);"
        f" generator at most {report.behind * 1000:.1f} ms behind schedule"
    )
    acks = sorted(alarm.acked - alarm.sent for alarm in acked if alarm.acked is not None)
    print(f"  send -> ack         {_ms(acks, 0.5, 0.99)}   (the durable commit, fsync included)")
    print(f"  commit -> visible   {_ms(lat.commit, 0.5, 0.9, 0.99)}")
    print(
        f"                      over {len(lat.commit)} (alarm, screen) pairs; commit stamped in"
        f" the hub when the group commit returned, visible when the screen read the update"
    )
    print(f"    commit -> publish {_ms(lat.hub, 0.5, 0.9, 0.99)}   (per alarm, inside the hub)")
    print(f"    publish -> screen {_ms(lat.publish, 0.5, 0.9, 0.99)}   (fan-out and the socket)")
    print(
        f"  last of all screens {_ms(lat.last_screen, 0.5, 0.9, 0.99)}   (per alarm, after the"
        f" commit)"
    )
    print(f"  send -> visible     {_ms(lat.send, 0.5, 0.9, 0.99)}   (upper bound, no hub stamps)")
    early = sum(value <= 0 for value in lat.ack)
    print(
        f"  ack -> visible      {_ms(lat.ack, 0.5, 0.9, 0.99)}   ({early} pairs"
        f" ({100 * early / max(1, len(lat.ack)):.0f} %) <= 0: the hub publishes before it acks)"
    )
    exact = len(lat.commit) == len(lat.send) > 0
    measured, how = (lat.commit, "stamped in the hub") if exact else (lat.send, "upper bound")
    p99 = quantile(measured, 0.99) if measured else float("inf")
    verdict = "PASS" if p99 < TARGET_P99 else "FAIL"
    print(
        f"  target              p99 commit -> visible < {TARGET_P99 * 1000:.0f} ms: {verdict}"
        f" (p99 {p99 * 1000:.1f} ms, {how})"
    )
    closed = Counter(screen.close_code for screen in report.screens if screen.close_code)
    types = sum((screen.types for screen in report.screens), Counter())
    ok = report.delivered
    print(
        f"  deliveries          {lat.pairs - lat.missed}/{lat.pairs} (missed {lat.missed});"
        f" screens closed by the hub: {dict(closed) or 0}"
        f" ({closed.get(1013, 0)} with 1013, fell behind)"
        f" -> {'ok' if ok else 'FAILED'}"
    )
    per_screen = {kind: count // max(1, len(report.screens)) for kind, count in types.items()}
    escalations = " (escalation: unacknowledged for 60 s)" if "escalation" in per_screen else ""
    print(
        f"  per screen          {per_screen}{escalations}; {report.keys.new_cards} open cards at"
        f" the end (nothing resolved: a screen connecting now gets them all in its snapshot)"
    )
    first, last = report.first, report.last
    print(f"  hub CPU             {describe_cpu(report.hub_pid, first, last)}")
    print(
        f"  hub memory          RSS {last.rss_mb:.0f} MB (peak {last.peak_rss_mb:.0f} MB: the"
        f" sign-in's scrypt takes 128 MiB for a moment)"
    )
    print(
        f"  clients             screens {100 * report.screens_cpu / window:.0f} % of one core,"
        f" gateways (this process) {100 * report.generator_cpu / window:.0f} %"
    )
    clients = report.screens_cpu + report.generator_cpu
    print(f"  machine             {describe_machine(first, last, clients)}")
    if report.cpu_pressure is not None:
        print(
            f"  CPU pressure        some task of the machine waited for a core"
            f" {100 * report.cpu_pressure / window:.0f} % of the time (/proc/pressure/cpu)"
        )
    print(
        f"  gateways            {report.gateways_dropped} links dropped by the hub;"
        f" heartbeat naks {dict(report.heartbeat_naks) or 0}"
    )
    _print_stalls(report)
    if report.browser is not None:
        _print_browser(report)


TAIL = 0.050  # s from the commit to the last screen: an alarm in the tail, explained below


def _print_stalls(report: DispatchReport) -> None:
    """Stalls during the measured window, and which of the slow alarms they overlapped."""
    start, end = report.first.wall, report.last.wall + report.plan.drain

    def within(events: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(at, length) for at, length in events if start <= at + length and at <= end]

    kinds = {
        "machine": within(report.machine_stalls),
        "hub loop": within(report.loop_lags),
        "hub GC": within(report.gc_pauses),
    }
    for name, events in kinds.items():
        longest = max((length for _, length in events), default=0.0)
        total = sum(length for _, length in events)
        print(
            f"  {name + ' stalls':<20}{len(events)}, {total * 1000:.0f} ms in all, longest"
            f" {longest * 1000:.0f} ms"
        )
    slow = []
    for alarm in report.alarms:
        times = [screen.seen[alarm.key] for screen in report.screens if alarm.key in screen.seen]
        if alarm.committed is not None and times and max(times) - alarm.committed > TAIL:
            slow.append((alarm.committed, max(times)))
    if not slow:
        return
    overlaps = {
        name: sum(
            any(at <= until and since <= at + length for at, length in events)
            for since, until in slow
        )
        for name, events in kinds.items()
    }
    print(
        f"  slow alarms         {len(slow)} took > {TAIL * 1000:.0f} ms to reach the last screen;"
        f" during them: {', '.join(f'{name} stall {count}' for name, count in overlaps.items())}"
    )
    print(
        f"                      (machine: an idle probe process woke >= {STALL * 1000:.0f} ms"
        f" late, every core busy; hub loop: its event loop was >= {STALL * 1000:.0f} ms late;"
        f" hub GC: a collection >= {GC_PAUSE * 1000:.0f} ms)"
    )


def _print_browser(report: DispatchReport) -> None:
    """Chromium's clock is the wall clock (performance.timeOrigin): the commit stamp is moved
    onto it with this process's time.time() - time.monotonic()."""
    browser = report.browser
    assert browser is not None
    commits = {
        alarm.key[0]: alarm.committed + report.wall_offset
        for alarm in report.alarms
        if alarm.committed is not None and alarm.acked is not None and alarm.key[1] == 1
    }
    dom = sorted(at - commits[card] for card, at in browser.dom.items() if card in commits)
    frame = sorted(at - commits[card] for card, at in browser.frame.items() if card in commits)
    if not dom:
        why = browser.error or f"no {CARD_SELECTOR} for any alarm"
        print(f"  chromium screen     n/a ({why})")
        return
    print(
        f"  chromium screen     commit -> card in the DOM {_ms(dom, 0.5, 0.9, 0.99)}"
        f" ({len(dom)}/{len(commits)} new cards)"
    )
    print(f"                      commit -> next frame      {_ms(frame, 0.5, 0.9, 0.99)}")
    order = sorted((commit, card) for card, commit in commits.items() if card in browser.dom)
    tenth = max(1, len(order) // 10)
    early = sorted(browser.dom[card] - commit for commit, card in order[:tenth])
    late = sorted(browser.dom[card] - commit for commit, card in order[-tenth:])
    print(
        f"                      as the queue grows: the first {tenth} cards p50"
        f" {quantile(early, 0.5) * 1000:.0f} ms, the last {tenth} p50"
        f" {quantile(late, 0.5) * 1000:.0f} ms"
    )
    window = report.last.wall - report.first.wall
    cpu = report.browser_cpu
    print(
        f"                      Chromium {100 * sum(cpu.values()) / window:.0f} % of one core in"
        f" {len(cpu)} processes, the busiest (the page's renderer)"
        f" {100 * max(cpu.values(), default=0.0) / window:.0f} %"
    )


# ---------------------------------------------------------------------------------------------
# Entry points


FLAGS = (
    Flag("screens", "dispatch screens connected"),
    Flag("rate", "alarm.raised per minute"),
    Flag("seconds", "how long alarms arrive"),
    Flag("gateways", "households sending them (fewer than rate/min makes repeats of open alarms)"),
    Flag("screen-processes"),
    Flag("chromium", "also one real Chromium dispatch page"),
    Flag("profile-hub", "cProfile the hub (slows it down)"),
)


def add_arguments(parser: argparse.ArgumentParser, prefix: str = "dispatch-") -> None:
    """The options; `python -m bench` prefixes them (`--dispatch-screens`), this module not."""
    Options(parser, "dispatch-live (bench/dispatch.py)", prefix, dest="dispatch_").plan(
        DispatchPlan(), FLAGS
    )


FAILURE = "dispatch-live: a screen missed an alarm or was closed by the hub"


def run(args: argparse.Namespace) -> bool:
    plan = plan_from(DispatchPlan, args, "dispatch_")
    if plan.screens < 1 or plan.gateways < 1 or plan.rate <= 0 or plan.screen_processes < 1:
        raise SystemExit("dispatch-live: screens, gateways, rate and processes must be positive")
    return dispatch_live(plan).delivered


if __name__ == "__main__":
    run_alone("bench.dispatch", __doc__, add_arguments, run, FAILURE)
