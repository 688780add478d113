"""A real gateway process for the chaos tests: enroll (once), queue alarms, drain the outbox.

    python tests/chaos/gateway_process.py --credentials FILE --outbox FILE --hub URL \
        --alarms N [--vitals-per-alarm K] [--enroll-code CODE] [--clock-offset-seconds S] ...

Without a credentials file it enrolls first with `--enroll-code` and writes the file. It then
starts the `HubLink`, queues N `alarm.raised` messages through `HubLink.send_durably` and
prints `QUEUED <message id> <alarm id>` (flushed) right after each returns, i.e. once the alarm
is committed to the durable outbox; after each alarm it may queue K vitals the same way
(`VITAL <message id>`). It keeps the link up until the outbox is empty, prints
`CLOCK_OFFSET <seconds>` (the link's clock correction) and `DRAINED`, and exits 0.

A test kills it with SIGKILL mid-burst and restarts it with `--alarms 0` on the same outbox:
every id printed before the kill was durable and must reach the hub exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import sys
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import aiohttp

import gateway.alarms
import gateway.link.client
from gateway.alarms import AlarmKind, RaisedAlarm, utc_iso
from gateway.link import GatewayCredentials, HubLink, enroll
from gateway.link.outbox import DEFAULT_TELEMETRY_CAP, DEFAULT_VITAL_CAP, Outbox
from gateway.protocol import MessageType

QUEUED = "QUEUED"
VITAL = "VITAL"
CLOCK_OFFSET = "CLOCK_OFFSET"
DRAINED = "DRAINED"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--credentials", type=Path, required=True, help="JSON credentials file")
    parser.add_argument("--outbox", type=Path, required=True, help="durable outbox (SQLite)")
    parser.add_argument("--hub", required=True, help="hub URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("--alarms", type=int, default=0, help="alarms to queue (0: just drain)")
    parser.add_argument(
        "--vitals-per-alarm", type=int, default=0, help="vitals queued after each alarm"
    )
    parser.add_argument("--enroll-code", help="enrollment code, if the credentials file is new")
    parser.add_argument(
        "--clock-offset-seconds",
        type=float,
        default=0.0,
        help="pretend the gateway's clock is this far off (negative: behind)",
    )
    parser.add_argument(
        "--process-clock-skew-seconds",
        type=float,
        default=0.0,
        help="make the whole process's clock this far off (a wrong RTC): the link's clock,"
        " alarm and vital times, outbox times; the link starts with no offset to correct it",
    )
    parser.add_argument(
        "--send-interval",
        type=float,
        default=0.0,
        help="seconds between two alarms of the burst (0: yield to the link only)",
    )
    parser.add_argument("--vital-cap", type=int, default=DEFAULT_VITAL_CAP)
    parser.add_argument("--telemetry-cap", type=int, default=DEFAULT_TELEMETRY_CAP)
    parser.add_argument("--heartbeat", type=float, default=60.0, help="heartbeat interval (s)")
    return parser


class _SkewedDateTime(datetime):
    """`datetime` whose `now()` is off by `skew`, like a gateway with a wrong real-time clock."""

    skew = timedelta(0)

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        return super().now(tz) + cls.skew  # super(): `datetime` itself may be patched


def _skew_process_clock(seconds: float) -> None:
    """Every `datetime.now` the gateway code (and this script) calls runs `seconds` off."""
    _SkewedDateTime.skew = timedelta(seconds=seconds)
    for module in (gateway.link.client, gateway.alarms, sys.modules[__name__]):
        module.datetime = _SkewedDateTime  # type: ignore[attr-defined]


_readings = itertools.count()


def vital_body(measured_at: datetime | None = None) -> dict[str, Any]:
    """A pulse-rate observation as the gateway reports it (hub table `vitals`). Each call is
    a reading of its own: the hub stores a repeated identical reading once, as it must when
    a monitor re-sends a stored record, and two calls in one millisecond differ in value."""
    return {
        "code": "8867-4",
        "value": 40 + next(_readings) % 120,
        "unit": "/min",
        "measured_at": utc_iso(measured_at or datetime.now(UTC)),
        "device": "oximeter",
    }


def _say(*words: object) -> None:
    print(*words, flush=True)


async def _credentials(
    session: aiohttp.ClientSession, args: argparse.Namespace
) -> GatewayCredentials:
    if args.credentials.exists():
        return GatewayCredentials.from_dict(json.loads(args.credentials.read_text()))
    if not args.enroll_code:
        raise SystemExit(f"{args.credentials} does not exist and no --enroll-code was given")
    credentials = await enroll(session, args.hub, args.enroll_code, "chaos gateway")
    partial = args.credentials.with_name(args.credentials.name + ".partial")
    partial.write_text(json.dumps(credentials.as_dict()))
    partial.replace(args.credentials)  # a kill mid-write leaves no half file behind
    return credentials


async def _drained(link: HubLink) -> None:
    """Until the outbox is empty; the link reports every ack as a status change."""
    changed = asyncio.Event()
    unsubscribe = link.add_status_listener(changed.set)
    try:
        while True:
            changed.clear()
            if not link.outbox_depth:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), timeout=1.0)
    finally:
        unsubscribe()


async def _run(args: argparse.Namespace) -> int:
    async with aiohttp.ClientSession() as session:
        credentials = await _credentials(session, args)
        outbox = Outbox(args.outbox, vital_cap=args.vital_cap, telemetry_cap=args.telemetry_cap)
        link = HubLink(session, credentials, outbox, heartbeat_interval=args.heartbeat)
        # A test harness may set the private offset: it is the gateway's idea of its clock
        # error, which only the hub's `nak stale` (with server_time) should correct.
        link._clock_offset = timedelta(seconds=args.clock_offset_seconds)
        link.start()
        try:
            for _ in range(args.alarms):
                alarm = RaisedAlarm.new(AlarmKind.SOS, "chaos")
                message_id = await link.send_durably(MessageType.ALARM_RAISED, alarm.to_body())
                _say(QUEUED, message_id, alarm.alarm_id)
                for _ in range(args.vitals_per_alarm):
                    _say(VITAL, await link.send_durably(MessageType.VITAL, vital_body()))
                await asyncio.sleep(args.send_interval)  # lets the link send while we burst
            await _drained(link)
            _say(CLOCK_OFFSET, link._clock_offset.total_seconds())
            _say(DRAINED)
        finally:
            await link.stop()
            outbox.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.process_clock_skew_seconds:
        _skew_process_clock(args.process_clock_skew_seconds)
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return asyncio.run(_run(args))


if __name__ == "__main__":
    sys.exit(main())
