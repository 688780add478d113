"""What the demo says on its terminal while it runs: one short line whenever the home visibly
changes, so a person can follow it without reading logs.

It watches, once a second and read-only: the gas valve (the simulated household), the
gateway's outbox in Home Assistant's storage (alarm messages waiting for the care center), the
household's open alarms at the hub (what the dispatch screen shows), and what the demo's home
speaker said (demo/custom_components/demo_speaker).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from demo_hub import HOUSEHOLD_NAME, DemoHub, HubAlarm
from demo_settings import DemoPaths
from demo_zigbee import HouseholdClient

POLL_SECONDS = 1.0
# gateway/link/outbox.py: Priority.ALARM_EVENT and Priority.ALARM, the classes never dropped.
_ALARM_PRIORITY = 2
SPOKEN_LOG = "played.jsonl"  # written by demo_speaker's media player


@dataclass(frozen=True)
class HomeView:
    """One look at the home; None where that part could not be seen this time."""

    valve_open: bool | None
    waiting: int | None  # alarm messages in the gateway's outbox
    hub_alarms: tuple[HubAlarm, ...] | None


def valve_line(before: bool | None, after: bool | None) -> str | None:
    if before is None or after is None or before == after:
        return None
    return "Gas valve open (燃气阀门已打开)." if after else "Gas valve closed (燃气阀门已关闭)."


def hub_alarm_lines(
    before: tuple[HubAlarm, ...] | None, after: tuple[HubAlarm, ...] | None
) -> list[str]:
    if before is None or after is None:
        return []
    known = {alarm.id: alarm for alarm in before}
    lines = []
    for alarm in after:
        old = known.get(alarm.id)
        if old is None:
            lines.append(
                f"Dispatch screen: {alarm.kind} alarm from {HOUSEHOLD_NAME} arrived"
                " (调度台收到警报)."
            )
        elif alarm.count > old.count:
            lines.append(
                f"Dispatch screen: {alarm.kind} alarm again, {alarm.count} times (再次报警)."
            )
    return lines


class OutboxWatch:
    """Says when alarm messages wait in the outbox, and when they are delivered.

    A message normally leaves the outbox within milliseconds; one seen on two looks in a row
    is waiting for the care center."""

    def __init__(self) -> None:
        self._last: int | None = None
        self._told = 0

    def line(self, waiting: int | None) -> str | None:
        last, self._last = self._last, waiting
        if waiting is None or last is None:
            return None
        if waiting > 0 and last > 0 and waiting != self._told:
            self._told = waiting
            return (
                f"Gateway outbox: {waiting} alarm message(s) waiting for the care center"
                f" (网关发件箱待发 {waiting} 条)."
            )
        if waiting == 0 and self._told:
            self._told = 0
            return "Gateway outbox delivered to the care center (已全部送达服务中心)."
        return None


def outbox_waiting(ha_config: Path) -> int | None:
    """Alarm messages in the household's outbox file(s); None when there is none yet."""
    files = sorted((ha_config / ".storage").glob("eldercare.*.outbox.sqlite3"))
    if not files:
        return None
    total = 0
    for path in files:
        try:
            with contextlib.closing(
                sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
            ) as db:
                row = db.execute(
                    "SELECT count(*) FROM messages WHERE priority >= ?", (_ALARM_PRIORITY,)
                ).fetchone()
        except sqlite3.Error:
            return None  # being created, or busy: look again next time
        total += int(row[0])
    return total


class SpeakerLog:
    """New lines of what the home speaker played."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._offset = path.stat().st_size if path.exists() else 0

    def new_lines(self) -> list[str]:
        if not self._path.exists():
            return []
        with self._path.open("rb") as file:
            file.seek(self._offset)
            data = file.read()
        complete = data[: data.rfind(b"\n") + 1]
        self._offset += len(complete)
        lines = []
        for raw in complete.decode("utf-8", errors="replace").splitlines():
            try:
                played = json.loads(raw)
            except ValueError:
                continue
            lines.append(f"Home speaker said (音箱播报): {played['text']}  [{played['file']}]")
        return lines


class Narrator:
    def __init__(
        self,
        say: Callable[[str], None],
        household: HouseholdClient,
        hub: DemoHub,
        household_id: str,
        paths: DemoPaths,
    ) -> None:
        self._say = say
        self._household = household
        self._hub = hub
        self._household_id = household_id
        self._paths = paths

    async def look(self) -> HomeView:
        alarms = await asyncio.to_thread(self._hub.open_alarms, self._household_id)
        return HomeView(
            valve_open=await self._household.valve_open(),
            waiting=await asyncio.to_thread(outbox_waiting, self._paths.ha_config),
            hub_alarms=None if alarms is None else tuple(alarms),
        )

    async def run(self) -> None:
        outbox = OutboxWatch()
        speaker = SpeakerLog(self._paths.speaker / SPOKEN_LOG)
        before = await self.look()
        outbox.line(before.waiting)
        while True:
            await asyncio.sleep(POLL_SECONDS)
            after = await self.look()
            lines = [valve_line(before.valve_open, after.valve_open), outbox.line(after.waiting)]
            for line in [*lines, *hub_alarm_lines(before.hub_alarms, after.hub_alarms)]:
                if line:
                    self._say(line)
            for line in await asyncio.to_thread(speaker.new_lines):
                self._say(line)
            # What could not be seen this time stays as last seen.
            before = HomeView(
                before.valve_open if after.valve_open is None else after.valve_open,
                after.waiting,
                before.hub_alarms if after.hub_alarms is None else after.hub_alarms,
            )
