#!/usr/bin/env python3
"""services-beside-alarms: does a flow of service requests slow the alarms' way to the screens?

Issue 20's bar: with 1,000 service requests/min arriving beside 1,000 alarms/min, the alarm
commit -> screen p99 stays within 10 % of the same run without service requests.

Each run is a fresh real hub process (bench/harness.py's stamped hub, the one dispatch-live
uses) on a copy of one prepared data folder: G enrolled households, S dispatch screens on the
live feed (their own process, sessions made in the store), G gateways on their own signed
WebSockets in this process, heartbeating at the hub's interval.
  A  alarm.raised at R alarms/min for T s, paced evenly, round robin over the gateways in a
     shuffled order, kinds mixed as dispatch-live mixes them (bench/dispatch.py).
  B  the same alarms, plus service.requested (gateway.services.wire.ServiceRequestedBody) at
     Q requests/min at random instants of the same T s, round robin over the gateways in
     another shuffled order, a random service each: a gateway carries both on its one link,
     as a household's does. Every household may use every service (the default entitlement).
The runs alternate in pairs (A B, B A, A B, ...) so a drift of the machine during the section
weighs on both alike. A run is short of the hub's 60 s escalation, so the feed carries only
the alarms.

Per alarm and screen, commit -> screen is t(the screen read the `alarm` update) - t(the hub's
COMMIT returned, stamped on its database thread), exactly as dispatch-live measures it. Each
run's figures are printed as it ends; then A and B side by side (every run of a lane pooled),
and the verdict compares the median over runs of each run's p99, so one run that a busy
machine spoiled does not decide it. A's own spread between its runs says how much of a
difference is noise.

The service ingest rate: B's requests/s acked beside the alarms, and a burst on one more fresh
hub: N requests pipelined by the gateways (W unacked each), acked (after the durable group
commit) requests/s and their ack latency.

Failures (`make bench` exits non-zero): an acked alarm a screen never saw, a screen the hub
closed, an alarm or a service request not acked, or a stored count of requests that is not
the acked one (the store's presses: a new request counts 1, a repeat of an open one +1). The
verdict itself is printed, not enforced: at a p99 of a few ms, 10 % is a fraction of a ms.

    .venv/bin/python -m bench.services [--seconds 20] [--pairs 3] [--screens 10] ...
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
from .sampling import ProcSample, cpu_percent
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
class ServicesPlan:
    screens: int = 10
    alarm_rate: float = 1000.0  # alarm.raised per minute, both lanes
    service_rate: float = 1000.0  # service.requested per minute, lane B
    seconds: float = 20.0  # of load per run
    pairs: int = 3  # runs of each lane
    gateways: int = 1000
    settle: float = 1.0  # s after everything is connected, before the load
    drain: float = 15.0  # s the screens get to see the last acked alarms
    burst: int = 5000  # service requests pipelined for the ingest rate; 0: no burst
    burst_window: int = 8  # unacked per gateway in the burst

    @property
    def requests(self) -> int:
        return max(1, round(self.service_rate * self.seconds / 60))

    def schedule(self) -> list[Lane]:
        """A B, B A, A B, ...: each lane goes first as often as the other (give or take one)."""
        order: list[Lane] = []
        for pair in range(self.pairs):
            first, second = (Lane.ALARMS, Lane.WITH_SERVICES)[:: 1 if pair % 2 == 0 else -1]
            order += [first, second]
        return order


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
    links: list[ServiceGateway], plan: ServicesPlan, start: float
) -> list[SentRequest]:
    """plan.requests service.requested at uniformly random instants of the run (arrivals of
    many households: every phase against the evenly paced alarms, bursts included), round
    robin over the gateways in a shuffled order."""
    order = list(links)
    _RANDOM.shuffle(order)
    instants = sorted(start + _RANDOM.uniform(0, plan.seconds) for _ in range(plan.requests))
    sent: list[SentRequest] = []
    for index, due in enumerate(instants):
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
    lane: Lane
    alarms: list[SentAlarm]
    requests: list[SentRequest]
    screens: list[ScreenResult]
    first: ProcSample  # the hub when the load began
    last: ProcSample  # and when it ended
    behind: float  # s the alarm generator was behind its schedule at worst
    machine_stalls: list[tuple[float, float]] = field(default_factory=list)
    stored: StoredRequests | None = None

    @property
    def window(self) -> float:
        return self.last.wall - self.first.wall

    def commit_to_screen(self) -> list[float]:
        """Sorted s, per (acked alarm, screen) pair the screen saw."""
        return sorted(
            seen - alarm.committed
            for alarm in self.alarms
            if alarm.acked is not None and alarm.committed is not None
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
    lane: Lane,
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
            run = asyncio.run(_drive(number, lane, hub, plan=plan, gateways=gateways, pipes=pipes))
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
    lane: Lane,
    hub: HubProcess,
    *,
    plan: ServicesPlan,
    gateways: list[BenchGateway],
    pipes: list[Connection],
) -> Run:
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
            first = hub.sample()
            alarms_plan = DispatchPlan(rate=plan.alarm_rate, seconds=plan.seconds)
            start = time.monotonic() + 0.05  # pace_alarms' own start
            paced = asyncio.create_task(pace_alarms(links, alarms_plan, keys))
            requests: list[SentRequest] = []
            if lane is Lane.WITH_SERVICES:
                requests = await pace_services(links, plan, start)
            alarms, behind = await paced
            last = hub.sample()
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
        lane=lane,
        alarms=alarms,
        requests=requests,
        screens=[screen for _, results in replies for screen in results],
        first=first,
        last=last,
        behind=behind,
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

    def lane(self, lane: Lane) -> list[Run]:
        return [run for run in self.runs if run.lane is lane]

    def median_p99(self, lane: Lane) -> float:
        return statistics.median(quantile(run.commit_to_screen(), 0.99) for run in self.lane(lane))

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
        for number, lane in enumerate(plan.schedule(), start=1):
            data = root / f"run-{number}"
            shutil.copytree(template, data)
            runs.append(one_run(number, lane, data, plan=plan, gateways=gateways, tokens=tokens))
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
    print(
        f"services-beside-alarms: {plan.pairs} runs of each lane, interleaved (A B, B A, ...);"
        f" each a fresh stamped hub, {plan.gateways} gateways, {plan.screens} dispatch screens"
    )
    print(
        f"  A                   {plan.alarm_rate:.0f} alarm.raised/min for {plan.seconds:.0f} s,"
        f" paced evenly, plus heartbeats"
    )
    print(
        f"  B                   the same, plus {plan.service_rate:.0f} service.requested/min at"
        f" random instants over the same gateways"
    )
    print(f"  prepared            {setup_seconds:.1f} s (households, gateways, screen sessions)")
    print(
        "  run lane  alarms   commit -> screen, ms (pairs)           "
        "  requests  req ack p99  hub CPU  machine stalls"
    )


def print_run(run: Run) -> None:
    values = run.commit_to_screen()
    acked = sum(alarm.acked is not None for alarm in run.alarms)
    figures = "  ".join(
        f"p{round(f * 100)} {_ms(quantile(values, f)):>5}" for f in (0.5, 0.9, 0.99)
    )
    requests = "-"
    ack_p99 = "-"
    if run.lane is Lane.WITH_SERVICES:
        acks = sorted(r.acked - r.sent for r in run.requests if r.acked is not None)
        requests = f"{len(acks)}/{len(run.requests)}"
        ack_p99 = f"{_ms(quantile(acks, 0.99))} ms"
    stalls = sum(late for _, late in run.machine_stalls)
    problems = run.problems()
    print(
        f"  {run.number:>3} {run.lane.value:<4}  {acked:>3}/{len(run.alarms):<4} {figures}"
        f"  max {_ms(values[-1]) if values else '-':>6} ({len(values)})"
        f"  {requests:>9}  {ack_p99:>10}  {cpu_percent(run.first, run.last):>5.0f} %"
        f"  {len(run.machine_stalls)}, {stalls * 1000:.0f} ms"
        + (f"  PROBLEM: {'; '.join(problems)}" if problems else ""),
        flush=True,  # a run takes half a minute: show each as it ends
    )


def print_summary(report: ServicesReport) -> None:
    lanes = {lane: report.lane(lane) for lane in Lane}
    pooled = {
        lane: sorted(value for run in runs for value in run.commit_to_screen())
        for lane, runs in lanes.items()
    }
    print(f"  {'commit -> screen':<20}{'A: alarms only':<24}B: + service requests")

    def row(name: str, a: str, b: str) -> None:
        print(f"    {name:<18}{a:<24}{b}")

    row("runs", str(len(lanes[Lane.ALARMS])), str(len(lanes[Lane.WITH_SERVICES])))
    row("count", *(f"{len(pooled[lane])} pairs" for lane in Lane))
    for fraction in (0.5, 0.9, 0.99):
        row(
            f"p{round(fraction * 100)} (pooled)",
            *(f"{_ms(quantile(pooled[lane], fraction))} ms" for lane in Lane),
        )
    row("max", *(f"{_ms(pooled[lane][-1]) if pooled[lane] else '-'} ms" for lane in Lane))
    row(
        "p99 of each run",
        *(
            " / ".join(_ms(quantile(run.commit_to_screen(), 0.99)) for run in lanes[lane]) + " ms"
            for lane in Lane
        ),
    )
    row("median run p99", *(f"{_ms(report.median_p99(lane))} ms" for lane in Lane))
    acks = {
        lane: sorted(
            alarm.acked - alarm.sent
            for run in runs
            for alarm in run.alarms
            if alarm.acked is not None
        )
        for lane, runs in lanes.items()
    }
    row(
        "alarm send -> ack",
        *(
            f"p50 {_ms(quantile(acks[lane], 0.5))} p99 {_ms(quantile(acks[lane], 0.99))} ms"
            for lane in Lane
        ),
    )
    print("                      (the durable group commit, which B's requests share)")
    _print_requests(report)
    a, b = report.median_p99(Lane.ALARMS), report.median_p99(Lane.WITH_SERVICES)
    own = [quantile(run.commit_to_screen(), 0.99) for run in lanes[Lane.ALARMS]]
    spread = max(own) - min(own) if own else 0.0
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
    b_runs = report.lane(Lane.WITH_SERVICES)
    requests = [request for run in b_runs for request in run.requests]
    acked = sorted(r.acked - r.sent for r in requests if r.acked is not None)
    naks = Counter(r.nak for r in requests if r.nak is not None)
    stored = [run.stored for run in b_runs if run.stored is not None]
    a_stored = sum(run.stored.presses for run in report.lane(Lane.ALARMS) if run.stored)
    print(
        f"  service requests    B: {len(requests)} sent, {len(acked)} acked, naks"
        f" {dict(naks) or 0}; stored {sum(s.presses for s in stored)}"
        f" ({sum(s.rows for s in stored)} requests,"
        f" {sum(s.repeats for s in stored)} repeats of an open one); A: {a_stored} stored"
    )
    window = sum(run.window for run in b_runs)
    print(
        f"  service ingest      beside the alarms {len(acked) / window if window else 0:.1f}"
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
    Flag("seconds", "of load per run"),
    Flag("pairs", "runs of each lane, interleaved"),
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
    if min(plan.screens, plan.gateways, plan.pairs) < 1 or plan.seconds <= 0:
        raise SystemExit("services-beside-alarms: screens, gateways, pairs and seconds > 0")
    if plan.alarm_rate <= 0 or plan.service_rate <= 0 or plan.burst_window < 1:
        raise SystemExit("services-beside-alarms: rates and the burst window must be positive")
    return not services_beside_alarms(plan).problems()


if __name__ == "__main__":
    run_alone("bench.services", __doc__, add_arguments, run, FAILURE)
