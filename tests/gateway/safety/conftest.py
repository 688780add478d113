"""Helpers for driving the safety engine with explicit, timezone-aware moments."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gateway.alarms import AlarmAction, AlarmKind
from gateway.protocol import MessageType
from gateway.safety.book import Alarm
from gateway.safety.effects import Effect, SendToHub
from gateway.safety.engine import SafetyEngine
from gateway.safety.roles import Role
from gateway.safety.settings import FamilyMember, SafetySettings

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Monday 2 March 2026, 10:00 in Shanghai: daytime, outside the default quiet hours.
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)

GAS_VALVE = "switch.kitchen_gas_valve"
GAS_VALVE_2 = "valve.boiler_gas"
WATER_VALVE = "valve.main_water"
VALVES = {GAS_VALVE: Role.GAS_VALVE, GAS_VALVE_2: Role.GAS_VALVE, WATER_VALVE: Role.WATER_VALVE}

FAMILY = (
    FamilyMember("Li Na", "mobile_app_li_na", "+8613800000001"),
    FamilyMember("Wang Wei", "mobile_app_wang_wei", "+8613800000002"),
)


def settings(**changes: Any) -> SafetySettings:
    return replace(SafetySettings(time_zone=SHANGHAI), **changes)


def make_engine(now: datetime = T0, **changes: Any) -> SafetyEngine:
    engine = SafetyEngine(settings(**changes), now)
    engine.set_valves(VALVES)
    return engine


@pytest.fixture
def engine() -> SafetyEngine:
    return make_engine()


def of[E](effects: list[Effect], cls: type[E]) -> list[E]:
    return [effect for effect in effects if isinstance(effect, cls)]


def to_hub(effects: list[Effect], message: MessageType) -> list[SendToHub]:
    return [e for e in of(effects, SendToHub) if e.type is message]


def raised(effects: list[Effect]) -> list[dict[str, Any]]:
    """Bodies of the alarm.raised messages for the hub."""
    return [e.body for e in to_hub(effects, MessageType.ALARM_RAISED)]


def events(effects: list[Effect], action: AlarmAction | None = None) -> list[dict[str, Any]]:
    """Bodies of the alarm.event messages for the hub, optionally of one action."""
    bodies = [e.body for e in to_hub(effects, MessageType.ALARM_EVENT)]
    return [b for b in bodies if action is None or b["action"] == action.value]


def cleared(effects: list[Effect]) -> list[dict[str, Any]]:
    return [e.body for e in to_hub(effects, MessageType.ALARM_CLEARED)]


def open_alarm(engine: SafetyEngine, kind: AlarmKind) -> Alarm:
    alarm = engine.book.open_of_kind(kind)
    assert alarm is not None, f"no open {kind} alarm; open: {engine.book.open_alarms()}"
    return alarm


def actions(alarm: Alarm) -> list[AlarmAction]:
    return [entry.action for entry in alarm.history]


def run_until(engine: SafetyEngine, end: datetime) -> list[Effect]:
    """Play the host's timer: tick at every deadline up to `end`, then at `end`."""
    effects: list[Effect] = []
    for _ in range(10_000):
        due = engine.next_deadline()
        if due is None or due > end:
            break
        effects += engine.tick(due)
    else:
        raise AssertionError("deadlines never moved past the end")
    effects += engine.tick(end)
    return effects
