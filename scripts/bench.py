#!/usr/bin/env python3
"""`make bench`: measured numbers, printed. Later issues add their benchmarks here.

gas-to-valve: in a real Home Assistant, gas detector state change -> valve close command, for
our built-in rule and for a plain YAML automation, interleaved in the same run (bench/).

hub-ingest: a real hub process (`python -m hub`) on 127.0.0.1; N enrolled gateways, each over its
own WebSocket, send `alarm.raised` messages; we time from send to the hub's signed ack (which the
hub sends only after the SQLite commit with synchronous=FULL).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import aiohttp

from gateway.alarms import AlarmKind, RaisedAlarm
from gateway.link import HubLink, enroll
from gateway.protocol import MessageType

ROOT = Path(__file__).resolve().parent.parent
KINDS = [AlarmKind.SOS, AlarmKind.FIRE, AlarmKind.GAS, AlarmKind.DOOR, AlarmKind.TEST]


def _hub_cli(data: Path, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "hub", "--data", str(data), *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout.strip()


def _wait_until_up(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 (loopback URL we built)
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"hub did not come up at {url}")


async def _gateway(url: str, code: str, messages: int, latencies: list[float]) -> None:
    async with aiohttp.ClientSession() as session:
        credentials = await enroll(session, url, code, "bench")
        link = HubLink(session, credentials)
        link.start()
        try:
            for index in range(messages):
                alarm = RaisedAlarm.new(KINDS[index % len(KINDS)], "bench")
                started = time.perf_counter()
                message_id = link.send(MessageType.ALARM_RAISED, alarm.to_body())
                await link.wait_delivered(message_id, timeout=30)
                latencies.append(time.perf_counter() - started)
        finally:
            await link.stop()


async def _drive(url: str, codes: list[str], messages: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    started = time.perf_counter()
    await asyncio.gather(*(_gateway(url, code, messages, latencies) for code in codes))
    return latencies, time.perf_counter() - started


def hub_ingest(gateways: int, messages: int, port: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        codes = []
        for index in range(gateways):
            household = _hub_cli(data, "household", "add", f"Bench {index}", "Bench Road")
            codes.append(_hub_cli(data, "enrollment-code", household))
        hub = subprocess.Popen(
            [sys.executable, "-m", "hub", "--data", str(data), "--port", str(port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_until_up(f"{url}/dispatch")
            latencies, elapsed = asyncio.run(_drive(url, codes, messages))
        finally:
            hub.terminate()
            hub.wait(20)
    total = gateways * messages
    quantiles = statistics.quantiles(latencies, n=100)
    print(f"hub-ingest: {gateways} gateways x {messages} alarm.raised, one in flight per gateway")
    print(f"  acked messages      {total}")
    print(f"  throughput          {total / elapsed:8.1f} msg/s (incl. enrollment and connect)")
    print(f"  ack latency p50     {quantiles[49] * 1000:8.2f} ms")
    print(f"  ack latency p95     {quantiles[94] * 1000:8.2f} ms")
    print(f"  ack latency p99     {quantiles[98] * 1000:8.2f} ms")
    print(f"  ack latency max     {max(latencies) * 1000:8.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gateways", type=int, default=20)
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--port", type=int, default=18080)
    args = parser.parse_args()
    hub_ingest(args.gateways, args.messages, args.port)
    gas_to_valve()


def gas_to_valve() -> None:
    """Needs a real Home Assistant, so it runs under the test harness (bench/)."""
    print()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "bench/test_gas_reaction.py",
            "-q",
            "-s",
            "-p",
            "no:randomly",
        ],
        check=True,
        cwd=ROOT,
    )


if __name__ == "__main__":
    main()
