"""The life of a service request: the whole transition table, who may cancel, ratings."""

from __future__ import annotations

import pytest

from gateway.alarms import AlarmStatus
from gateway.services.lifecycle import (
    NEXT_STATUSES,
    InvalidRating,
    Rating,
    ServiceActor,
    ServiceStatus,
    ServiceStep,
    can_step,
    may_cancel,
    may_rate,
)

S = ServiceStatus
# Every allowed move; every other pair is refused.
ALLOWED = {
    (S.REQUESTED, S.ACCEPTED),
    (S.REQUESTED, S.ASSIGNED),  # assigning accepts
    (S.REQUESTED, S.CANCELLED),
    (S.ACCEPTED, S.ASSIGNED),
    (S.ACCEPTED, S.CANCELLED),
    (S.ASSIGNED, S.ASSIGNED),  # another provider or window
    (S.ASSIGNED, S.ARRIVED),
    (S.ASSIGNED, S.CANCELLED),
    (S.ARRIVED, S.COMPLETED),
    (S.ARRIVED, S.CANCELLED),
}


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("to", list(S))
def test_the_transition_table_is_exactly_the_documented_one(
    status: ServiceStatus, to: ServiceStatus
) -> None:
    assert can_step(status, to) is ((status, to) in ALLOWED)


def test_nobody_arrives_unassigned_and_nothing_completes_before_arrival() -> None:
    assert not can_step(S.REQUESTED, S.ARRIVED)
    assert not can_step(S.ACCEPTED, S.ARRIVED)
    assert not can_step(S.ACCEPTED, S.COMPLETED)
    assert not can_step(S.ASSIGNED, S.COMPLETED)


def test_final_statuses_go_nowhere_and_every_open_one_may_be_cancelled() -> None:
    assert NEXT_STATUSES[S.COMPLETED] == NEXT_STATUSES[S.CANCELLED] == frozenset()
    for status in S:
        assert status.open is (status not in (S.COMPLETED, S.CANCELLED))
        for actor in ServiceActor:
            assert may_cancel(actor, status) is status.open


def test_steps_are_statuses_and_services_share_no_values_with_alarms_by_accident() -> None:
    assert [step.status for step in ServiceStep] == [
        S.ACCEPTED,
        S.ASSIGNED,
        S.ARRIVED,
        S.COMPLETED,
        S.CANCELLED,
    ]
    # Two lifecycles, two vocabularies: no status of one is a status of the other.
    assert not {s.value for s in S} & {s.value for s in AlarmStatus}


def test_only_completed_work_is_rated() -> None:
    assert [s for s in S if may_rate(s)] == [S.COMPLETED]


@pytest.mark.parametrize("stars", [1, 3, 5])
def test_a_rating_is_one_to_five_stars(stars: int) -> None:
    assert Rating(stars, "师傅很准时").stars == stars


@pytest.mark.parametrize("stars", [0, 6, -1, True, 4.0, "4", None])
def test_anything_else_is_no_rating(stars: object) -> None:
    with pytest.raises(InvalidRating):
        Rating(stars)  # type: ignore[arg-type]


def test_a_rating_comment_has_a_limit() -> None:
    Rating(5, "好" * 200)
    with pytest.raises(InvalidRating):
        Rating(5, "好" * 201)
