#!/usr/bin/env python3
"""services-beside-alarms: does a flow of service requests slow the alarms' way to the screens?

Issue 20's bar: with 1,000 service requests/min arriving beside 1,000 alarms/min, the alarm
commit -> screen p99 stays within 10 % of the same run without service requests.

Each run is a fresh real hub process (bench/harness.py's stamped hub, the one dispatch-live
uses) on a copy of one prepared data folder: G enrolled households, S dispatch screens on the
live feed (their own process, sessions made in the store), G gateways on their own signed
WebSockets in this process, heartbeating at the hub's interval. Alarms arrive for the whole
run: R alarm.raised/min paced evenly, round robin over the gateways in a shuffled order, kinds
mixed as dispatch-live mixes them (bench/dispatch.py). The run is cut into windows of W s that
alternate between two lanes (A first in odd runs, B first in even ones):
  A  the alarms alone;
  B  the same alarms, and service.requested (gateway.services.wire.ServiceRequestedBody) at
     Q requests/min at random instants of the window, round robin over the gateways in another
     shuffled order, a random service each: a gateway carries both on its one link, as a
     household's does. Every household may use every service (the default entitlement).
An alarm counts for the lane of the window it was sent in; one sent within a guard of a switch
counts for neither (a request may still be in flight). Why windows: on a small shared machine
the noise (other processes) comes and goes over seconds to minutes; windows of a few seconds
give both lanes the same share of it. `--window 0` makes each run one lane instead, the runs
alternating A, B, A, ... A run stays short of the hub's 60 s escalation, so the feed carries
only the alarms.

Per alarm and screen, commit -> screen is t(the screen read the `alarm` update) - t(the hub's
COMMIT returned, stamped on its database thread), exactly as dispatch-live measures it. Each
run's figures are printed as it ends (per lane); then A and B side by side (every run pooled),
and the verdict compares the median over the runs of each lane's p99, so one run that a busy
machine spoiled does not decide it. A's own spread between runs says how much is noise.

The service ingest rate: B's requests/s acked beside the alarms, and a burst on one more fresh
hub: N requests pipelined by the gateways (K unacked each), acked (after the durable group
commit) requests/s and their ack latency.

Failures (`make bench` exits non-zero): an acked alarm a screen never saw, a screen the hub
closed, an alarm or a service request not acked, or a stored count of requests that is not
the acked one (the store's presses: a new request counts 1, a repeat of an open one +1). The
verdict itself is printed, not enforced: at a p99 of a few ms, 10 % is a fraction of a ms.

    .venv/bin/python -m bench.services [--runs 3] [--seconds 40] [--window 2.5] ...
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from pathlib import Path

import aiohttp

from gateway.protocol import MessageType
from gateway.services.catalogue import ServiceType
from gateway.services.wire import ServiceRequestedBody
from gateway.ulid import new_ulid

from .args import Flag, Options, plan_from, run_alone
from .dispatch import (
    AlarmGateway,
    DispatchPlan,
    FeedKeys,
    ScreenResult,
    SentAlarm,
    connect_gateways,
    pace_alarms,
    screen_worker,
    stall_probe,
)
from .gateways import Answer, Signer, new_session
from .harness import (
    BenchGateway,
    Flavour,
    HubProcess,
    count_rows,
    dispatcher_sessions,
    insert_gateways,
)
from .sampling import ProcSample, cpu_percent, processes_cpu
from .stats import quantile
from .workers import raise_fd_limit, receive, run_workers, stop_workers

MARGIN = 0.10  # B's p99 may exceed A's by this fraction
_RANDOM = random.SystemRandom()
_SERVICES = tuple(ServiceType)
_SETTLE_TIMEOUT = 30.0  # s for the last acks after the load


class Lane(StrEnum):
    """What a run sends."""

    ALARMS = "A"  # alarms only
    WITH_SERVICES = "B"  # the same alarms, and service requests beside them


@dataclass(frozen=True, slots=True)
class Window:
    """A stretch of a run given to one lane, in s from the run's start."""

    start: float
    end: float
    lane: Lane


@dataclass(frozen=True, slots=True)
class ServicesPlan:
    screens: int = 10
    alarm_rate: float = 1000.0  # alarm.raised per minute, both lanes
    service_rate: float = 1000.0  # service.requested per minute, in lane B
    runs: int = 5  # the verdict compares medians of per-run p99s: 3 were too few on 2 cores
    seconds: float = 40.0  # of load per run (below the hub's 60 s escalation)
    window: float = 2.5  # s per lane before the other's turn; 0: the whole run is one lane
    guard: float = 0.2  # s either side of a switch whose alarms count for neither lane
    gateways: int = 1000
    settle: float = 1.0  # s after everything is connected, before the load
    drain: float = 15.0  # s the screens get to see the last acked alarms
    burst: int = 5000  # service requests pipelined for the ingest rate; 0: no burst
    burst_window: int = 8  # unacked per gateway in the burst

    def windows(self, run: int) -> list[Window]:
        """Run `run` (from 1), cut into alternating lanes; A first when `run` is odd."""
        lanes = (Lane.ALARMS, Lane.WITH_SERVICES) if run % 2 else (Lane.WITH_SERVICES, Lane.ALARMS)
        if self.window <= 0 or self.window >= self.seconds:
            return [Window(0.0, self.seconds, lanes[0])]
        count = max(2, round(self.seconds / self.window))
        length = self.seconds / count
        return [Window(n * length, (n + 1) * length, lanes[n % 2]) for n in range(count)]


# ---------------------------------------------------------------------------------------------
# Gateways that ask for services too


@dataclass(slots=True)
class SentRequest:
    message_id: str
    service: ServiceType
    sent: float  # monotonic, just before the envelope went out
    acked: float | None = None  # monotonic, the ack naming it arrived
    nak: str | None = None


class ServiceGateway(AlarmGateway):
    """A household's gateway that raises alarms and asks for services on the same link."""

    def __init__(
        self,
        gateway: BenchGateway,
        ws: aiohttp.ClientWebSocketResponse,
        signer: Signer,
        interval: float,
    ) -> None:
        super().__init__(gateway, ws, signer, interval)
        self.requests: dict[str, SentRequest] = {}
        self.requests_settled = asyncio.Event()
        self.requests_settled.set()
        self.window: asyncio.Semaphore | None = None  # the burst's unacked requests

    async def request_service(self, service: ServiceType) -> SentRequest:
        body = ServiceRequestedBody(
            new_ulid(), service, datetime.now(UTC), f"bench:{service.value}", "bench key"
        )
        message_id, text = self.signer.envelope(MessageType.SERVICE_REQUESTED, body.to_body())
        sent = SentRequest(message_id, service, time.monotonic())
        self.requests[message_id] = sent
        self.requests_settled.clear()
        await self.ws.send_str(text)
        return sent

    def other_answer(self, answer: Answer) -> None:
        sent = self.requests.pop(answer.message_id, None)
        if sent is None:
            super().other_answer(answer)
            return
        if answer.acked:
            sent.acked = answer.at
        else:
            sent.nak = answer.reason
        if self.window is not None:
            self.window.release()
        if not self.requests:
            self.requests_settled.set()

    async def read(self) -> None:
        await super().read()
        self.requests_settled.set()  # the link ended: nothing more will be answered


async def pace_services(
    links: list[ServiceGateway], plan: ServicesPlan, windows: list[Window], start: float
) -> list[SentRequest]:
    """Q/min service.requested during lane B's windows, at uniformly random instants of them
    (arrivals of many households: every phase against the evenly paced alarms, bursts
    included), round robin over the gateways in a shuffled order."""
    order = list(links)
    _RANDOM.shuffle(order)
    busy = [window for window in windows if window.lane is Lane.WITH_SERVICES]
    length = sum(window.end - window.start for window in busy)
    instants = []
    for _ in range(round(plan.service_rate * length / 60)):
        offset = _RANDOM.uniform(0, length)
        for window in busy:  # the offset into B's time, mapped into its window
            if offset < window.end - window.start:
                instants.append(start + window.start + offset)
                break
            offset -= window.end - window.start
    sent: list[SentRequest] = []
    for index, due in enumerate(sorted(instants)):
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        link = order[index % len(order)]
        sent.append(await link.request_service(_RANDOM.choice(_SERVICES)))
    return sent


# ---------------------------------------------------------------------------------------------
# One run


@dataclass(frozen=True, slots=True)
class StoredRequests:
    """The hub's service tables after it stopped."""

    rows: int  # requests stored
    presses: int  # their counts summed: each acked request id once
    repeats: int  # ids that counted as one more press on an open request

    @staticmethod
    def read(data: Path) -> StoredRequests:
        return StoredRequests(
            count_rows(data, "SELECT count(*) FROM service_requests"),
            count_rows(data, "SELECT coalesce(sum(count), 0) FROM service_requests"),
            count_rows(data, "SELECT count(*) FROM service_request_aliases"),
        )


@dataclass(slots=True)
class Run:
    number: int
    windows: list[Window]
    start: float  # monotonic: the windows' zero
    alarms: list[SentAlarm]
    requests: list[SentRequest]
    screens: list[ScreenResult]
    first: ProcSample  # the hub when the load began
    last: ProcSample  # and when it ended
    behind: float  # s the alarm generator was behind its schedule at worst
    load_cpu: float  # CPU s of this process and the screens' over the load
    guard: float  # s either side of a switch whose alarms count for neither lane
    machine_stalls: list[tuple[float, float]] = field(default_factory=list)
    stored: StoredRequests | None = None

    @property
    def seconds(self) -> float:
        return self.last.wall - self.first.wall

    def lane_of(self, alarm: SentAlarm) -> Lane | None:
        """The lane of the window the alarm was sent in; None within a guard of a switch."""
        at = alarm.sent - self.start
        for index, window in enumerate(self.windows):
            if at < window.end or index == len(self.windows) - 1:
                guard = self.guard
                near_start = index > 0 and at < window.start + guard
                near_end = index < len(self.windows) - 1 and at > window.end - guard
                return None if near_start or near_end else window.lane
        return None

    def lanes(self) -> list[Lane]:
        return [lane for lane in Lane if any(w.lane is lane for w in self.windows)]

    def commit_to_screen(self, lane: Lane) -> list[float]:
        """Sorted s, per (acked alarm of the lane, screen) pair the screen saw."""
        return sorted(
            seen - alarm.committed
            for alarm in self.alarms
            if alarm.acked is not None
            and alarm.committed is not None
            and self.lane_of(alarm) is lane
            for screen in self.screens
            if (seen := screen.seen.get(alarm.key)) is not None
        )

    @property
    def missed(self) -> int:
        """(acked alarm, screen) pairs never seen."""
        return sum(
            alarm.key not in screen.seen
            for alarm in self.alarms
            if alarm.acked is not None
            for screen in self.screens
        )

    @property
    def unstamped(self) -> int:
        """Acked alarms without a commit stamp from the hub."""
        return sum(a.acked is not None and a.committed is None for a in self.alarms)

    def problems(self) -> list[str]:
        found = []
        unacked = sum(alarm.acked is None for alarm in self.alarms)
        if unacked or not self.alarms:
            found.append(f"{unacked} alarms not acked")
        if self.missed:
            found.append(f"{self.missed} (alarm, screen) pairs missed")
        if self.unstamped:
            found.append(f"{self.unstamped} acked alarms without a commit stamp")
        closed = sum(screen.close_code is not None for screen in self.screens)
        if closed:
            found.append(f"{closed} screens closed by the hub")
        found += _request_problems(self.requests, self.stored)
        return found


def _request_problems(requests: list[SentRequest], stored: StoredRequests | None) -> list[str]:
    found = []
    unacked = sum(request.acked is None for request in requests)
    if unacked:
        naks = Counter(request.nak for request in requests if request.nak is not None)
        found.append(f"{unacked} service requests not acked (naks {dict(naks) or 0})")
    acked = len(requests) - unacked
    if stored is None or stored.presses != acked:
        presses = "nothing" if stored is None else stored.presses
        found.append(f"{acked} service requests acked, the store counts {presses}")
    return found


def one_run(
    number: int,
    data: Path,
    *,
    plan: ServicesPlan,
    gateways: list[BenchGateway],
    tokens: list[str | None],
) -> Run:
    with HubProcess(data, flavour=Flavour.STAMPED) as hub:
        processes, pipes = run_workers(screen_worker, [(hub.url, tokens)])
        probes, (probe,) = run_workers(stall_probe, [()])
        try:
            run = asyncio.run(
                _drive(number, hub, plan=plan, gateways=gateways, pipes=pipes, screens=processes)
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
    run.machine_stalls = [
        (at, late) for at, late in stalls if run.first.wall <= at + late and at <= run.last.wall
    ]
    run.stored = StoredRequests.read(data)  # the hub has stopped: its file is final
    return run


async def _drive(
    number: int,
    hub: HubProcess,
    *,
    plan: ServicesPlan,
    gateways: list[BenchGateway],
    pipes: list[Connection],
    screens: list[SpawnProcess],
) -> Run:
    windows = plan.windows(number)
    async with new_session() as session:
        links = await connect_gateways(session, hub.url, gateways, ServiceGateway)
        tasks = [asyncio.create_task(link.read()) for link in links]
        tasks += [asyncio.create_task(link.heartbeats()) for link in links]
        try:
            await asyncio.gather(
                *(asyncio.to_thread(receive, pipe, 120, "ready") for pipe in pipes)
            )
            await asyncio.sleep(plan.settle)
            keys = FeedKeys()
            first, load_before = hub.sample(), time.process_time() + processes_cpu(screens)
            alarms_plan = DispatchPlan(rate=plan.alarm_rate, seconds=plan.seconds)
            start = time.monotonic() + 0.05  # as pace_alarms' own; alarms are placed by `sent`
            paced = asyncio.create_task(pace_alarms(links, alarms_plan, keys))
            requests = await pace_services(links, plan, windows, start)
            alarms, behind = await paced
            last, load_after = hub.sample(), time.process_time() + processes_cpu(screens)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_SETTLE_TIMEOUT):
                    await asyncio.gather(*(link.settled.wait() for link in links))
                    await asyncio.gather(*(link.requests_settled.wait() for link in links))
            expected = [alarm.key for alarm in alarms if alarm.acked is not None]
            for pipe in pipes:
                pipe.send((expected, plan.drain))
            replies = await asyncio.gather(
                *(asyncio.to_thread(receive, pipe, plan.drain + 60, "result") for pipe in pipes)
            )
            stamps = await asyncio.to_thread(hub.stamps)
            for alarm in alarms:
                alarm.committed = stamps["committed"].get(alarm.message_id)
        finally:
            for link in links:
                link.closing = True
            await asyncio.gather(*(link.ws.close() for link in links), return_exceptions=True)
            for task in tasks:
                task.cancel()
    return Run(
        number=number,
        windows=windows,
        start=start,
        alarms=alarms,
        requests=requests,
        screens=[screen for _, results in replies for screen in results],
        first=first,
        last=last,
        behind=behind,
        load_cpu=load_after - load_before,
        guard=plan.guard,
    )


# ---------------------------------------------------------------------------------------------
# The burst: how fast the hub commits and acks service requests


@dataclass(slots=True)
class Burst:
    requests: list[SentRequest]
    gateways: int
    window: int
    first: ProcSample
    last: ProcSample
    stored: StoredRequests | None = None

    @property
    def seconds(self) -> float:
        """From the first request sent to the last ack."""
        acked = [request.acked for request in self.requests if request.acked is not None]
        if not acked:
            return 0.0
        return max(acked) - min(request.sent for request in self.requests)

    @property
    def rate(self) -> float:
        acked = sum(request.acked is not None for request in self.requests)
        return acked / self.seconds if self.seconds > 0 else 0.0

    def problems(self) -> list[str]:
        return _request_problems(self.requests, self.stored)


def burst(data: Path, plan: ServicesPlan, gateways: list[BenchGateway]) -> Burst:
    with HubProcess(data) as hub:
        result = asyncio.run(_burst(hub, plan, gateways))
    result.stored = StoredRequests.read(data)
    return result


async def _burst(hub: HubProcess, plan: ServicesPlan, gateways: list[BenchGateway]) -> Burst:
    async with new_session() as session:
        links = await connect_gateways(session, hub.url, gateways, ServiceGateway)
        readers = [asyncio.create_task(link.read()) for link in links]
        shares = [
            plan.burst // len(links) + (n < plan.burst % len(links)) for n in range(len(links))
        ]
        requests: list[SentRequest] = []

        async def pipeline(link: ServiceGateway, count: int) -> None:
            link.window = window = asyncio.Semaphore(plan.burst_window)
            for _ in range(count):
                await window.acquire()
                requests.append(await link.request_service(_RANDOM.choice(_SERVICES)))

        try:
            first = hub.sample()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(120):  # a dropped link would wait for ever
                    await asyncio.gather(
                        *(pipeline(link, n) for link, n in zip(links, shares, strict=True))
                    )
                    await asyncio.gather(*(link.requests_settled.wait() for link in links))
            last = hub.sample()
        finally:
            for link in links:
                link.closing = True
            await asyncio.gather(*(link.ws.close() for link in links), return_exceptions=True)
            for reader in readers:
                reader.cancel()
    return Burst(requests, len(links), plan.burst_window, first, last)


# ---------------------------------------------------------------------------------------------
# The section


@dataclass(slots=True)
class ServicesReport:
    plan: ServicesPlan
    runs: list[Run]
    burst: Burst | None
    setup_seconds: float

    def p99s(self, lane: Lane) -> list[float]:
        """Each run's p99 of the lane, for the runs that gave it alarms."""
        found = [run.commit_to_screen(lane) for run in self.runs]
        return [quantile(values, 0.99) for values in found if values]

    def median_p99(self, lane: Lane) -> float:
        p99s = self.p99s(lane)
        return statistics.median(p99s) if p99s else math.nan

    def pooled(self, lane: Lane) -> list[float]:
        return sorted(value for run in self.runs for value in run.commit_to_screen(lane))

    @property
    def within(self) -> bool:
        return self.median_p99(Lane.WITH_SERVICES) <= (1 + MARGIN) * self.median_p99(Lane.ALARMS)

    def problems(self) -> list[str]:
        found = [f"run {run.number}: {p}" for run in self.runs for p in run.problems()]
        if self.burst is not None:
            found += [f"burst: {problem}" for problem in self.burst.problems()]
        return found


def services_beside_alarms(plan: ServicesPlan) -> ServicesReport:
    raise_fd_limit()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-services-") as tmp:
        root = Path(tmp)
        template = root / "prepared"
        template.mkdir()
        gateways = insert_gateways(template, plan.gateways)
        tokens: list[str | None] = list(dispatcher_sessions(template, plan.screens))
        setup_seconds = time.monotonic() - started
        print_header(plan, setup_seconds)
        runs: list[Run] = []
        for number in range(1, plan.runs + 1):
            data = root / f"run-{number}"
            shutil.copytree(template, data)
            runs.append(one_run(number, data, plan=plan, gateways=gateways, tokens=tokens))
            print_run(runs[-1])
            shutil.rmtree(data)
        result = None
        if plan.burst > 0:
            data = root / "burst"
            shutil.copytree(template, data)
            result = burst(data, plan, gateways)
    report = ServicesReport(plan, runs, result, setup_seconds)
    print_summary(report)
    return report


# ---------------------------------------------------------------------------------------------
# The report


def _ms(value: float) -> str:
    return f"{value * 1000:.2f}"


def print_header(plan: ServicesPlan, setup_seconds: float) -> None:
    whole = len(plan.windows(1)) == 1
    print(
        f"services-beside-alarms: {plan.runs} runs, each a fresh stamped hub with {plan.gateways}"
        f" gateways and {plan.screens} dispatch screens; {plan.alarm_rate:.0f} alarm.raised/min"
        f" for {plan.seconds:.0f} s per run, paced evenly, plus heartbeats"
    )
    if whole:
        lanes = "each run one lane, alternating A, B, A, ..."
    else:
        length = plan.windows(1)[0].end
        lanes = (
            f"alternating {length:.1f} s windows in each run (A first in odd runs, B in even"
            f" ones); an alarm sent within {plan.guard:.1f} s of a switch counts for neither"
        )
    print(f"  lanes               {lanes}")
    print("                      A: the alarms alone")
    print(
        f"                      B: the same alarms, plus {plan.service_rate:.0f}"
        f" service.requested/min at random instants over the same gateways"
    )
    print(f"  prepared            {setup_seconds:.1f} s (households, gateways, screen sessions)")
    print(
        "  run lane  alarms  commit -> screen, ms                        (pairs)"
        "  requests  req ack p99   hub CPU  others  machine stalls"
    )


def _others(run: Run) -> float:
    """% of one core the rest of the machine used during the load (not hub, not load)."""
    busy = run.last.machine_busy - run.first.machine_busy
    hub = run.last.cpu - run.first.cpu
    return max(0.0, 100 * (busy - hub - run.load_cpu) / max(run.seconds, 1e-9))


def print_run(run: Run) -> None:
    stalls = sum(late for _, late in run.machine_stalls)
    machine = (
        f"{cpu_percent(run.first, run.last):>5.0f} %  {_others(run):>4.0f} %"
        f"  {len(run.machine_stalls)}, {stalls * 1000:.0f} ms"
    )
    for index, lane in enumerate(run.lanes()):
        values = run.commit_to_screen(lane)
        alarms = len({id(a) for a in run.alarms if run.lane_of(a) is lane})
        figures = "  ".join(
            f"p{round(f * 100)} {_ms(quantile(values, f)):>6}" for f in (0.5, 0.9, 0.99)
        )
        peak = _ms(values[-1]) if values else "-"
        requests = ack_p99 = "-"
        if lane is Lane.WITH_SERVICES:
            acks = sorted(r.acked - r.sent for r in run.requests if r.acked is not None)
            requests = f"{len(acks)}/{len(run.requests)}"
            ack_p99 = f"{_ms(quantile(acks, 0.99))} ms"
        number = f"{run.number:>3}" if index == 0 else "   "
        print(
            f"  {number} {lane.value:<4}  {alarms:>6}  {figures}  max {peak:>6} ({len(values):>5})"
            f"  {requests:>8}  {ack_p99:>11}  " + (machine if index == 0 else ""),
            flush=True,  # a run takes most of a minute: show each as it ends
        )
    problems = run.problems()
    if problems:
        print(f"      PROBLEM: {'; '.join(problems)}", flush=True)


def print_summary(report: ServicesReport) -> None:
    pooled = {lane: report.pooled(lane) for lane in Lane}
    print(f"  {'commit -> screen':<20}{'A: alarms only':<26}B: + service requests")

    def row(name: str, a: str, b: str) -> None:
        print(f"    {name:<18}{a:<25} {b}")

    row("pairs", *(f"{len(pooled[lane])} (alarm, screen)" for lane in Lane))
    for fraction in (0.5, 0.9, 0.99):
        row(
            f"p{round(fraction * 100)} (pooled)",
            *(f"{_ms(quantile(pooled[lane], fraction))} ms" for lane in Lane),
        )
    row("max", *(f"{_ms(pooled[lane][-1]) if pooled[lane] else '-'} ms" for lane in Lane))
    row(
        "p99 of each run",
        *(" / ".join(_ms(p99) for p99 in report.p99s(lane)) + " ms" for lane in Lane),
    )
    row("median run p99", *(f"{_ms(report.median_p99(lane))} ms" for lane in Lane))
    acks = {
        lane: sorted(
            alarm.acked - alarm.sent
            for run in report.runs
            for alarm in run.alarms
            if alarm.acked is not None and run.lane_of(alarm) is lane
        )
        for lane in Lane
    }
    row(
        "alarm send -> ack",
        *(
            f"p50 {_ms(quantile(acks[lane], 0.5))} p99 {_ms(quantile(acks[lane], 0.99))} ms"
            for lane in Lane
        ),
    )
    print("                      (send -> ack: the durable group commit, which B's requests share)")
    _print_requests(report)
    a, b = report.median_p99(Lane.ALARMS), report.median_p99(Lane.WITH_SERVICES)
    own = report.p99s(Lane.ALARMS)
    spread = max(own) - min(own) if own else math.nan
    print(
        f"  verdict             B p99 within {MARGIN * 100:.0f} % of A:"
        f" {'yes' if report.within else 'NO'} (median of the runs' p99: A {_ms(a)} ms,"
        f" B {_ms(b)} ms, {100 * (b - a) / a:+.1f} %; A's own runs spread {_ms(spread)} ms)"
    )
    problems = report.problems()
    checks = "every alarm acked and on every screen, every request acked and stored"
    if problems:
        checks = "FAILED: " + "; ".join(problems)
    print(f"  checks              {checks}")


def _print_requests(report: ServicesReport) -> None:
    requests = [request for run in report.runs for request in run.requests]
    acked = sorted(r.acked - r.sent for r in requests if r.acked is not None)
    naks = Counter(r.nak for r in requests if r.nak is not None)
    stored = [run.stored for run in report.runs if run.stored is not None]
    print(
        f"  service requests    {len(requests)} sent in lane B, {len(acked)} acked, naks"
        f" {dict(naks) or 0}; stored {sum(s.presses for s in stored)}"
        f" ({sum(s.rows for s in stored)} requests, {sum(s.repeats for s in stored)} repeats"
        f" of an open one)"
    )
    b_time = sum(
        w.end - w.start for run in report.runs for w in run.windows if w.lane is Lane.WITH_SERVICES
    )
    print(
        f"  service ingest      beside the alarms {len(acked) / b_time if b_time else 0:.1f}"
        f" requests/s acked, send -> ack p50 {_ms(quantile(acked, 0.5))} ms"
        f" p99 {_ms(quantile(acked, 0.99))} ms"
    )
    result = report.burst
    if result is None:
        return
    lat = sorted(r.acked - r.sent for r in result.requests if r.acked is not None)
    stored_text = (
        "-"
        if result.stored is None
        else f"{result.stored.rows} requests, {result.stored.repeats} repeats"
    )
    print(
        f"                      burst: {len(result.requests)} pipelined by {result.gateways}"
        f" gateways ({result.window} unacked each): {result.rate:.0f} requests/s committed"
        f" and acked in {result.seconds:.1f} s, ack p50 {_ms(quantile(lat, 0.5))} ms"
        f" p99 {_ms(quantile(lat, 0.99))} ms,"
        f" hub CPU {cpu_percent(result.first, result.last):.0f} %"
        f" ({stored_text})"
    )


# ---------------------------------------------------------------------------------------------
# Entry points


FLAGS = (
    Flag("screens", "dispatch screens connected"),
    Flag("alarm-rate", "alarm.raised per minute (both lanes)"),
    Flag("service-rate", "service.requested per minute (lane B)"),
    Flag("runs", "fresh hubs, one after the other"),
    Flag("seconds", "of load per run (under 60: no escalations)"),
    Flag("window", "s per lane before the other's turn (0: a whole run is one lane)"),
    Flag("guard", "s either side of a switch whose alarms count for neither lane"),
    Flag("gateways", "households sending both"),
    Flag("burst", "service requests pipelined for the ingest rate (0: none)"),
    Flag("burst-window", "unacked requests per gateway in the burst"),
)


def add_arguments(parser: argparse.ArgumentParser, prefix: str = "services-") -> None:
    """The options; `python -m bench` prefixes them (`--services-seconds`), this module not."""
    Options(parser, "services-beside-alarms (bench/services.py)", prefix, dest="services_").plan(
        ServicesPlan(), FLAGS
    )


FAILURE = "services-beside-alarms: an alarm or a service request went missing (see above)"


def run(args: argparse.Namespace) -> bool:
    plan = plan_from(ServicesPlan, args, "services_")
    if min(plan.screens, plan.gateways, plan.runs) < 1 or plan.seconds <= 0:
        raise SystemExit("services-beside-alarms: screens, gateways, runs and seconds > 0")
    if len(plan.windows(1)) == 1 and plan.runs < 2:
        raise SystemExit("services-beside-alarms: with whole-run lanes, at least 2 runs")
    if plan.alarm_rate <= 0 or plan.service_rate <= 0 or plan.burst_window < 1:
        raise SystemExit("services-beside-alarms: rates and the burst window must be positive")
    return not services_beside_alarms(plan).problems()


if __name__ == "__main__":
    run_alone("bench.services", __doc__, add_arguments, run, FAILURE)
