"""Messages from the care center turned into engine observations."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from gateway.alarms import AlarmAction
from gateway.protocol import MessageType
from gateway.safety import observations
from gateway.safety.hub_commands import observation_for

MINE, MERGED, OTHER = "01JA0000000000000000000001", "01JA0000000000000000000002", "01JA0X"


def _knows(alarm_id: str) -> bool:
    return alarm_id in {MINE, MERGED}


@pytest.mark.parametrize(
    ("type_", "action"),
    [
        (MessageType.ALARM_ACKNOWLEDGED, AlarmAction.ACKNOWLEDGED),
        (MessageType.ALARM_DISPATCHED, AlarmAction.DISPATCHED),
        (MessageType.ALARM_ON_SITE, AlarmAction.ON_SITE),
        (MessageType.ALARM_RESOLVED, AlarmAction.RESOLVED),
    ],
)
def test_each_staff_step_is_an_update_from_the_hub(type_: MessageType, action: AlarmAction) -> None:
    body = {"alarm_id": MINE, "staff": "Zhao Lei", "note": "on the phone", "eta_minutes": 12}
    update = observation_for(type_, body, _knows)
    assert isinstance(update, observations.AlarmUpdate)
    assert replace(update, staff=None) == observations.AlarmUpdate(
        MINE, action, "staff:Zhao Lei", "on the phone (ETA 12 min)", from_hub=True
    )
    assert update.staff == observations.StaffDetails("Zhao Lei", eta_minutes=12)


def test_a_step_lands_on_the_household_id_merged_at_the_hub() -> None:
    body = {"alarm_id": OTHER, "aliases": [MERGED], "staff": "Zhao"}
    update = observation_for(MessageType.ALARM_ACKNOWLEDGED, body, _knows)
    assert isinstance(update, observations.AlarmUpdate)
    assert update.alarm_id == MERGED


@pytest.mark.parametrize(
    "body",
    [
        {"alarm_id": OTHER},
        {},
        {"alarm_id": 5, "aliases": "nope"},
        {"alarm_id": None, "aliases": [None, 3]},
    ],
)
def test_steps_about_unknown_alarms_or_garbage_are_ignored(body: dict[str, Any]) -> None:
    assert observation_for(MessageType.ALARM_DISPATCHED, body, _knows) is None


def test_garbage_fields_never_reach_the_log_whole() -> None:
    body = {"alarm_id": MINE, "staff": 7, "note": "x" * 5000, "eta_minutes": True}
    update = observation_for(MessageType.ALARM_ACKNOWLEDGED, body, _knows)
    assert isinstance(update, observations.AlarmUpdate)
    assert update.actor == "staff:care center"
    assert len(update.detail) == 400


def test_test_request_asks_for_a_test_alarm() -> None:
    assert observation_for(MessageType.TEST_REQUEST, {}, _knows) == observations.TestRequested(
        "care center"
    )
    assert observation_for(MessageType.CONFIG, {}, _knows) is None
