"""Property-style: random days of household life never break the engine's promises.

Plain `random` with fixed seeds (hypothesis is not installed), so a failure replays exactly.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from gateway.alarms import AlarmAction, AlarmKind
from gateway.protocol import MessageType
from gateway.safety.book import AlarmState
from gateway.safety.effects import (
    AlarmChanged,
    Announce,
    CloseValve,
    Effect,
    NotifyFamily,
    RefreshValve,
    RepairClosed,
    RepairOpened,
    SendToHub,
    SirensOff,
    SirensOn,
)
from gateway.safety.engine import SIREN_KINDS, NothingToCancel, SafetyEngine
from gateway.safety.observations import (
    Activity,
    AlarmUpdate,
    BatteryLevel,
    CancelPressed,
    DetectorChanged,
    DeviceHeard,
    FamilyAnswered,
    HubReceived,
    Observation,
    Pressed,
    ValveChanged,
    ValveCommandDone,
    ValveRead,
    VitalReading,
)
from gateway.safety.observations import TestRequested as AskForTest
from gateway.safety.roles import Role
from gateway.vital_signs import VitalSign

from .conftest import FAMILY, T0, VALVES, settings

DETECTORS = {
    "binary_sensor.gas": Role.GAS,
    "binary_sensor.co": Role.CO,
    "binary_sensor.smoke": Role.SMOKE,
    "binary_sensor.leak": Role.WATER_LEAK,
    "binary_sensor.front_door": Role.DOOR,
    "binary_sensor.back_door": Role.DOOR,
    "binary_sensor.motion": Role.MOTION,
    "binary_sensor.sos_zone": Role.SOS,
    "binary_sensor.fall": Role.FALL,
}
SUPERVISED = {"dev-sos": "SOS button", "dev-gas": "Gas detector", "dev-valve": "Gas valve"}
DEVICES = [*SUPERVISED, "dev-motion"]
STEPS = ["ack", "dispatch", "on_site", "resolve", "cancel"]
_ACTIONS = {
    "ack": AlarmAction.ACKNOWLEDGED,
    "dispatch": AlarmAction.DISPATCHED,
    "on_site": AlarmAction.ON_SITE,
    "resolve": AlarmAction.RESOLVED,
    "cancel": AlarmAction.CANCELLED,
}
STATE_ORDER = list(AlarmState)


def random_observation(rng: random.Random, engine: SafetyEngine, now: datetime) -> Observation:
    # Mostly alarms that are open and valves being closed, sometimes anything at all.
    open_ids = [a.id for a in engine.book.open_alarms()]
    any_ids = [a.id for a in engine.book.all_alarms()] + ["01JUNKNOWN0000000000000000"]
    some_id = rng.choice(open_ids if open_ids and rng.random() < 0.7 else any_ids)
    closing = engine.hazards.closing_valves()
    valve = rng.choice(closing if closing and rng.random() < 0.7 else sorted(VALVES))
    match rng.randrange(16):
        case 0 | 1 | 2:
            entity, role = rng.choice(sorted(DETECTORS.items()))
            return DetectorChanged(entity, role, rng.choice([True, False, None]), entity)
        case 3:
            return Pressed("Pendant", rng.choice([AlarmKind.SOS, AlarmKind.FALL]))
        case 4:
            return CancelPressed("Cancel button")
        case 5:
            return AskForTest("Send test alarm")
        case 6:
            return Activity("Kitchen motion")
        case 7:
            return ValveChanged(valve, rng.choice([True, False, None]))
        case 8:
            return ValveCommandDone(valve, rng.random() < 0.7)
        case 9:
            return ValveRead(valve, rng.choice([True, False, None]))
        case 10:
            sign = rng.choice(list(VitalSign))
            return VitalReading(f"sensor.{sign}", sign, rng.uniform(0, 200))
        case 11:
            device = rng.choice(DEVICES)
            lag = rng.choice([None, None, 0, 30, 600, -60])  # a polled "last seen" time
            at = None if lag is None else now - timedelta(seconds=lag)
            return DeviceHeard(device, SUPERVISED.get(device, device), at)
        case 12:
            device = rng.choice(DEVICES)
            return BatteryLevel(device, device, rng.choice([3, 10, 14, 15, 17, 19, 20, 25, 90]))
        case 13:
            return FamilyAnswered(some_id, rng.randrange(3))
        case 14:
            return AlarmUpdate(
                some_id, _ACTIONS[rng.choice(STEPS)], "staff:Zhao", from_hub=rng.random() < 0.5
            )
        case _:
            return HubReceived(some_id)


@dataclass
class Watcher:
    """Checks every promise after every step."""

    engine: SafetyEngine
    last_raised_id: dict[str, str] = field(default_factory=dict)
    seen_ids: set[str] = field(default_factory=set)
    states: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    histories: dict[str, list[Any]] = field(default_factory=dict)

    def check(self, effects: list[Effect], now: datetime) -> None:
        book = self.engine.book
        for alarm in book.all_alarms():
            self.seen_ids.add(alarm.id)
        # One open alarm per kind, at all times.
        open_kinds = [a.kind for a in book.open_alarms()]
        assert len(open_kinds) == len(set(open_kinds)), open_kinds

        raised_this_step: dict[str, set[str]] = defaultdict(set)
        for effect in effects:
            assert isinstance(
                effect,
                (
                    CloseValve,
                    RefreshValve,
                    SirensOn,
                    SirensOff,
                    Announce,
                    SendToHub,
                    AlarmChanged,
                    NotifyFamily,
                    RepairOpened,
                    RepairClosed,
                ),
            )
            if isinstance(effect, SendToHub):
                json.dumps(effect.body)
                assert effect.body["alarm_id"] == effect.alarm_id
                assert effect.alarm_id in self.seen_ids
                assert effect.type in (
                    MessageType.ALARM_RAISED,
                    MessageType.ALARM_EVENT,
                    MessageType.ALARM_CLEARED,
                )
                if effect.type is MessageType.ALARM_RAISED:
                    kind = effect.body["kind"]
                    alarm = book.get(effect.alarm_id)
                    assert alarm.kind.value == kind
                    assert alarm.open
                    raised_this_step[kind].add(effect.alarm_id)
                    previous = self.last_raised_id.get(kind)
                    if previous is not None and previous != effect.alarm_id:
                        # A new id for a kind only once the previous alarm was finished.
                        assert previous not in {a.id for a in book.open_alarms()}
                    self.last_raised_id[kind] = effect.alarm_id
            elif isinstance(effect, NotifyFamily):
                assert 0 <= effect.member < len(FAMILY)
                if effect.update is None:
                    assert self.engine.desk.family_hears_of(effect.alarm)
            elif isinstance(effect, CloseValve | RefreshValve):
                assert effect.entity_id in VALVES
            elif isinstance(effect, SirensOn):
                assert any(a.kind in SIREN_KINDS for a in book.open_alarms())
            elif isinstance(effect, SirensOff):
                assert not any(a.kind in SIREN_KINDS for a in book.open_alarms())
        for kind, ids in raised_this_step.items():
            assert len(ids) == 1, (kind, ids)

        # Lifecycle only moves forward; nothing is ever taken out of an alarm's history.
        for alarm in book.all_alarms():
            state = STATE_ORDER.index(alarm.state)
            assert state >= self.states.get(alarm.id, 0)
            self.states[alarm.id] = state
            assert alarm.count >= self.counts.get(alarm.id, 1)
            self.counts[alarm.id] = alarm.count
            before = self.histories.get(alarm.id, [])
            assert alarm.history[: len(before)] == before
            self.histories[alarm.id] = list(alarm.history)

        # A host that ticks at next_deadline() always makes progress.
        due = self.engine.next_deadline()
        assert due is None or due > now or self._due_now_is_settled(now)

    def _due_now_is_settled(self, now: datetime) -> bool:
        """A deadline at `now` must disappear after one tick at `now`."""
        self.check(self.engine.tick(now), now)
        due = self.engine.next_deadline()
        return due is None or due > now


def _restart(engine: SafetyEngine, now: datetime, **changes: Any) -> SafetyEngine:
    saved = json.loads(json.dumps(engine.snapshot()))
    restored = SafetyEngine(settings(**changes), now, saved)
    assert json.loads(json.dumps(restored.snapshot())) == saved
    restored.set_valves(VALVES)
    restored.supervise(SUPERVISED, now)
    return restored


@pytest.mark.parametrize("seed", range(20))
def test_random_household_life(seed: int) -> None:
    rng = random.Random(seed)
    changes: dict[str, Any] = {
        "family": FAMILY,
        "family_answer_window": timedelta(seconds=rng.choice([15, 120])),
        "sos_cancel_window": timedelta(seconds=rng.choice([0, 30])),
        "valve_window": timedelta(seconds=rng.choice([2, 30])),
        "supervision_window": timedelta(minutes=rng.choice([1, 10])),
        "prewarning_period": timedelta(minutes=rng.choice([1, 10])),
        "inactivity_limit": timedelta(hours=rng.choice([0.5, 4])),
    }
    engine = SafetyEngine(settings(**changes), T0)
    engine.set_valves(VALVES)
    engine.supervise(SUPERVISED, T0)
    watcher = Watcher(engine)
    now = T0
    for step in range(250):
        gap = rng.choice([0, 0, 0.2, 0.5, 1, 1, 3, 10, 45, 130, 700, 3600, 5 * 3600])
        target = now + timedelta(seconds=gap)
        # The host's timer: tick at every deadline on the way.
        while (due := engine.next_deadline()) is not None and due <= target:
            now = max(now, due)
            watcher.check(engine.tick(now), now)
        now = target
        if step % 97 == 96:
            engine = _restart(engine, now, **changes)
            watcher.engine = engine
        if rng.random() < 0.05:
            try:
                effects = engine.cancel("Cancel button", now)
            except NothingToCancel:
                effects = []
        else:
            effects = engine.handle(random_observation(rng, engine, now), now)
        watcher.check(effects, now)
    assert engine.book.raised_total >= 1
