"""The alarm desk on a real hub: step rules, queue order, escalation at 60 s, re-alert 30 min
after dispatch, merged repeats, audit. The hub's clock is set by the test, so a minute of
desk time takes no time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from gateway.alarms import AlarmKind, RaisedAlarm, Severity
from gateway.protocol import parse_alarm_raised
from gateway.ulid import new_ulid
from hub.core.desk_model import AlarmRow, Outcome, StaffStep, StepRefused
from hub.core.storage import Gateway
from hub.desk.staff import StepDetails, take_staff_step
from hub.desk.timers import check_desk

from ..conftest import RunningHub

START = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(hub_server: RunningHub) -> Clock:
    clock = Clock()
    hub_server.context.clock = clock
    return clock


async def _gateway(hub: RunningHub, name: str = "Zhao") -> Gateway:
    household = await hub.add_household(name, "Block 3")
    code = await hub.enrollment_code(household.id)
    store = hub.context.store
    return await hub.context.db(store.redeem_enrollment_code, code, "KEY", "gw", START)


async def _raise(hub: RunningHub, gateway: Gateway, kind: AlarmKind, at: datetime) -> AlarmRow:
    body = parse_alarm_raised(RaisedAlarm.new(kind, "test").to_body())
    store = hub.context.store
    alarm = await hub.context.db(store.record_alarm_raised, gateway, new_ulid(), body, at)
    assert alarm is not None
    return alarm


async def _step(hub: RunningHub, alarm: AlarmRow, step: StaffStep, **details: object) -> AlarmRow:
    return await take_staff_step(hub.context, alarm.id, step, "li.na", StepDetails(**details))  # type: ignore[arg-type]


async def test_steps_move_forward_only_and_record_who_and_when(
    hub_server: RunningHub, clock: Clock
) -> None:
    alarm = await _raise(hub_server, await _gateway(hub_server), AlarmKind.FALL, clock.now)
    with pytest.raises(StepRefused, match="dispatch someone"):
        await _step(hub_server, alarm, StaffStep.ON_SITE)
    clock.advance(seconds=25)
    dispatched = await _step(
        hub_server, alarm, StaffStep.DISPATCHED, responder="Xiao Liu", eta_minutes=8
    )
    # Dispatching first acknowledges too: the SLA clock stops at the first thing staff did.
    assert dispatched.acknowledged_at == dispatched.dispatched_at == "2026-11-21T09:00:25.000Z"
    assert (dispatched.acknowledged_by, dispatched.responder, dispatched.eta_minutes) == (
        "li.na",
        "Xiao Liu",
        8,
    )
    with pytest.raises(StepRefused, match="already"):
        await _step(hub_server, alarm, StaffStep.ACKNOWLEDGED)
    clock.advance(minutes=7)
    on_site = await _step(hub_server, alarm, StaffStep.ON_SITE)
    assert on_site.on_site_at == "2026-11-21T09:07:25.000Z"
    with pytest.raises(StepRefused, match="outcome"):
        await _step(hub_server, alarm, StaffStep.RESOLVED)
    resolved = await _step(hub_server, alarm, StaffStep.RESOLVED, outcome=Outcome.AMBULANCE)
    assert (resolved.status, resolved.outcome) == ("resolved", "ambulance")
    with pytest.raises(StepRefused, match="resolved already"):
        await _step(hub_server, alarm, StaffStep.RESOLVED, outcome=Outcome.OTHER)
    store = hub_server.context.store
    log = await hub_server.context.db(store.alarm_events, alarm.id)
    assert [e["action"] for e in log] == ["raised", "dispatched", "on_site", "resolved"]
    assert "responder Xiao Liu; ETA 8 min" in log[1]["detail"]
    audit = await hub_server.context.db(store.audit.entries, f"alarm:{alarm.id}")
    assert [e.detail for e in reversed(audit)] == ["dispatched", "on_site", "resolved"]
    assert {e.actor for e in audit} == {"staff:li.na"}


async def test_queue_is_severity_first_then_longest_waiting_and_work_items_apart(
    hub_server: RunningHub, clock: Clock
) -> None:
    gateway = await _gateway(hub_server)
    door = await _raise(hub_server, gateway, AlarmKind.DOOR, clock.now)
    lost = await _raise(hub_server, gateway, AlarmKind.BATTERY_LOW, clock.now)
    clock.advance(seconds=5)
    sos = await _raise(hub_server, gateway, AlarmKind.SOS, clock.now)
    other = await _raise(hub_server, await _gateway(hub_server, "Qian"), AlarmKind.FALL, START)
    queue = await hub_server.open_alarms()
    assert [a.id for a in queue] == [other.id, sos.id, door.id, lost.id]
    assert [a.lane.value for a in queue] == ["emergency"] * 3 + ["work"]
    assert sos.severity == Severity.CRITICAL
    assert queue[0].as_dict()["lane"] == "emergency"


async def test_repeated_trigger_updates_the_open_alarm(
    hub_server: RunningHub, clock: Clock
) -> None:
    gateway = await _gateway(hub_server)
    first = await _raise(hub_server, gateway, AlarmKind.SOS, clock.now)
    clock.advance(seconds=40)
    again = await _raise(hub_server, gateway, AlarmKind.SOS, clock.now)
    assert again.id == first.id
    assert (again.count, again.last_seen, again.received_at) == (
        2,
        "2026-11-21T09:00:40.000Z",
        first.received_at,  # the SLA clock runs from the first trigger
    )
    assert len(await hub_server.open_alarms()) == 1


async def test_unacknowledged_emergency_escalates_once_at_60_s(
    hub_server: RunningHub, clock: Clock
) -> None:
    gateway = await _gateway(hub_server)
    feed = hub_server.context.live.subscribe()
    fall = await _raise(hub_server, gateway, AlarmKind.FALL, clock.now)
    await _raise(hub_server, gateway, AlarmKind.BATTERY_LOW, clock.now)  # never escalates
    answered = await _raise(
        hub_server, await _gateway(hub_server, "Qian"), AlarmKind.SOS, clock.now
    )
    clock.advance(seconds=30)
    await _step(hub_server, answered, StaffStep.ACKNOWLEDGED)
    clock.advance(seconds=29.9)
    await check_desk(hub_server.context)
    assert await _escalated(hub_server) == {}
    clock.advance(seconds=0.1)
    await check_desk(hub_server.context)  # the hub's own timer may have been first: same result
    # Not the work item, not the answered one.
    assert await _escalated(hub_server) == {fall.id: "2026-11-21T09:01:00.000Z"}
    clock.advance(seconds=5)
    await check_desk(hub_server.context)
    messages = [json.loads(feed.queue.get_nowait()) for _ in range(feed.queue.qsize())]
    escalations = [m for m in messages if m["type"] == "escalation"]
    assert [(m["reason"], m["alarm"]["id"]) for m in escalations] == [("unacknowledged", fall.id)]
    store = hub_server.context.store
    assert (await hub_server.context.db(store.audit.entries, f"alarm:{fall.id}"))[0].actor == "hub"
    log = await hub_server.context.db(store.alarm_events, fall.id)
    assert [e["action"] for e in log].count("escalated") == 1


async def _escalated(hub: RunningHub) -> dict[str, str]:
    return {a.id: a.escalated_at for a in await hub.open_alarms() if a.escalated_at}


async def _realerted(hub: RunningHub) -> dict[str, str]:
    return {a.id: a.realerted_at for a in await hub.open_alarms() if a.realerted_at}


async def test_nobody_on_site_30_min_after_dispatch_re_alerts(
    hub_server: RunningHub, clock: Clock
) -> None:
    gateway = await _gateway(hub_server)
    fall = await _raise(hub_server, gateway, AlarmKind.FALL, clock.now)
    reached = await _raise(hub_server, await _gateway(hub_server, "Qian"), AlarmKind.SOS, clock.now)
    await _step(hub_server, fall, StaffStep.DISPATCHED, responder="Xiao Liu")
    await _step(hub_server, reached, StaffStep.DISPATCHED, responder="Xiao Wang")
    clock.advance(minutes=12)
    await _step(hub_server, reached, StaffStep.ON_SITE)
    clock.advance(minutes=17, seconds=59)
    await check_desk(hub_server.context)
    assert await _realerted(hub_server) == {}
    clock.advance(seconds=1)
    await check_desk(hub_server.context)
    assert await _realerted(hub_server) == {fall.id: "2026-11-21T09:30:00.000Z"}
    await check_desk(hub_server.context)
    store = hub_server.context.store
    log = await hub_server.context.db(store.alarm_events, fall.id)
    assert [e["action"] for e in log].count("realerted") == 1
    # The re-alert changes nothing staff decided: still dispatched, on site can follow.
    assert (await _step(hub_server, fall, StaffStep.ON_SITE)).status == "on_site"
