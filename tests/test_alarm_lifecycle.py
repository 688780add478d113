"""The one alarm lifecycle (gateway/alarms.py) that the household's book and the hub's desk
share: its order, its allowed steps, the wire message of each step, and that both sides
refuse to go back."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise

import pytest

from gateway.alarms import (
    HOUSEHOLD_LIFECYCLE,
    HUB_LIFECYCLE,
    NEXT_STATUSES,
    AlarmAction,
    AlarmKind,
    AlarmStatus,
    StaffStep,
    can_step,
    is_after,
)
from gateway.protocol import STEP_MESSAGE_TYPES, STEP_OF_MESSAGE, MessageType
from gateway.safety.book import AlarmBook, AlarmState
from hub.core.desk_model import STAFF_MESSAGE_TYPES, Outcome, StepRefused, check_step
from hub.core.desk_model import StaffStep as DeskStep

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def test_each_side_orders_its_statuses_and_shares_the_steps() -> None:
    assert [s.value for s in HOUSEHOLD_LIFECYCLE] == [
        "raised",
        "reported",
        "acknowledged",
        "dispatched",
        "on_site",
        "resolved",
    ]
    assert [s.value for s in HUB_LIFECYCLE] == [
        "new",
        "acknowledged",
        "dispatched",
        "on_site",
        "resolved",
    ]
    for lifecycle in (HOUSEHOLD_LIFECYCLE, HUB_LIFECYCLE):
        for earlier, later in pairwise(lifecycle):
            assert is_after(later, earlier)
            assert not is_after(earlier, later)
    # The hub's `new` is the household's `reported`: the same stage, seen from each side.
    assert not is_after(AlarmStatus.NEW, AlarmStatus.REPORTED)
    assert not is_after(AlarmStatus.REPORTED, AlarmStatus.NEW)
    assert is_after(AlarmStatus.NEW, AlarmStatus.RAISED)
    assert set(HOUSEHOLD_LIFECYCLE) | set(HUB_LIFECYCLE) == set(AlarmStatus)


def test_allowed_steps_go_forward_skip_ahead_and_never_reach_on_site_undispatched() -> None:
    assert set(NEXT_STATUSES) == set(AlarmStatus)
    for status, allowed in NEXT_STATUSES.items():
        for to in AlarmStatus:
            assert can_step(status, to) == (to in allowed)
            if can_step(status, to):
                assert is_after(to, status), (status, to)
    assert NEXT_STATUSES[AlarmStatus.RESOLVED] == frozenset()
    # Skipping ahead: dispatching acknowledges, a false alarm is resolved undispatched.
    for first in (AlarmStatus.RAISED, AlarmStatus.REPORTED, AlarmStatus.NEW):
        assert can_step(first, AlarmStatus.DISPATCHED)
        assert can_step(first, AlarmStatus.RESOLVED)
    assert [s for s in AlarmStatus if can_step(s, AlarmStatus.ON_SITE)] == [AlarmStatus.DISPATCHED]
    assert [s for s in AlarmStatus if can_step(s, AlarmStatus.REPORTED)] == [AlarmStatus.RAISED]
    assert not any(can_step(s, AlarmStatus.NEW) for s in AlarmStatus)  # where the hub starts


def test_a_staff_step_names_its_status_action_and_message() -> None:
    assert DeskStep is StaffStep
    assert STAFF_MESSAGE_TYPES is STEP_MESSAGE_TYPES
    assert set(STEP_MESSAGE_TYPES) == set(StaffStep)
    for step in StaffStep:
        assert step.status.value == step.value == step.action.value
        assert STEP_MESSAGE_TYPES[step] == MessageType(f"alarm.{step.value}")
        assert STEP_OF_MESSAGE[STEP_MESSAGE_TYPES[step]] is step
    assert AlarmState is AlarmStatus


@pytest.mark.parametrize("status", list(AlarmStatus))
@pytest.mark.parametrize("step", list(StaffStep))
def test_the_desk_takes_exactly_the_allowed_steps(status: AlarmStatus, step: StaffStep) -> None:
    outcome = Outcome.FALSE_ALARM if step is StaffStep.RESOLVED else None
    if can_step(status, step.status):
        check_step(status, step, outcome)
    else:
        with pytest.raises(StepRefused):
            check_step(status, step, outcome)


def test_the_desk_refuses_a_backward_step() -> None:
    with pytest.raises(StepRefused, match="this alarm is dispatched already"):
        check_step(AlarmStatus.DISPATCHED, StaffStep.ACKNOWLEDGED, None)
    with pytest.raises(StepRefused, match="resolved already"):
        check_step(AlarmStatus.RESOLVED, StaffStep.ON_SITE, None)


def test_the_book_records_a_backward_step_but_does_not_go_back() -> None:
    book = AlarmBook()
    alarm, _ = book.raise_alarm(AlarmKind.SOS, "button.sos", NOW)
    book.mark_reported(alarm.id)
    book.record(alarm.id, AlarmAction.DISPATCHED, "staff:li", NOW)
    book.record(alarm.id, AlarmAction.ACKNOWLEDGED, "staff:li", NOW)
    book.mark_reported(alarm.id)
    assert alarm.state is AlarmStatus.DISPATCHED
    assert [e.action for e in alarm.history] == [AlarmAction.DISPATCHED, AlarmAction.ACKNOWLEDGED]
    book.record(alarm.id, AlarmAction.CANCELLED, "household", NOW)
    book.record(alarm.id, AlarmAction.ON_SITE, "staff:li", NOW)
    assert alarm.state is AlarmStatus.RESOLVED
