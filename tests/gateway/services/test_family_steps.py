"""A `service.step` `by` the family (what they did on the care center's family page): the wire
carries who and the rating, an older step (no `by`) still reads as staff, bad ones are
malformed; the home's desk takes the cancellation or the confirmation and says so."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from gateway.protocol import ProtocolError, parse_service_step, service_step_body
from gateway.services.catalogue import ServiceType
from gateway.services.desk import NotCompleted, ServiceDesk, StepOutOfOrder
from gateway.services.effects import Announce, SendToHub
from gateway.services.lifecycle import Rating, ServiceActor, ServiceStatus, ServiceStep
from gateway.services.observations import HubServiceStep, ServicePressed
from gateway.services.phrases import Phrase, render
from gateway.services.wire import ServiceStepBody
from gateway.ulid import new_ulid

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
RID = new_ulid()
FAMILY = ServiceActor.FAMILY


def body(step: ServiceStep, **fields: Any) -> dict[str, Any]:
    return ServiceStepBody(RID, step, "周敏", T0, **fields).to_body()


def test_a_family_cancellation_and_confirmation_round_trip() -> None:
    cancel = body(ServiceStep.CANCELLED, reason="自己修好了", by=FAMILY)
    assert cancel["by"] == "family"
    parsed = parse_service_step(cancel)
    assert (parsed.by, parsed.reason, parsed.rating) == (FAMILY, "自己修好了", None)
    confirm = service_step_body(
        ServiceStepBody(RID, ServiceStep.COMPLETED, "周敏", T0, by=FAMILY, rating=Rating(4, "准时"))
    )
    assert (confirm["rating"], confirm["comment"]) == (4, "准时")
    assert parse_service_step(confirm).rating == Rating(4, "准时")


def test_a_step_without_by_is_staffs_as_before() -> None:
    staff = body(ServiceStep.ACCEPTED)
    assert set(staff).isdisjoint({"by", "rating", "comment"})
    assert parse_service_step(staff).by is ServiceActor.STAFF


@pytest.mark.parametrize(
    ("fields", "changes", "match"),
    [
        ({"step": ServiceStep.ACCEPTED}, {"by": "family"}, "only cancels or confirms"),
        ({"step": ServiceStep.COMPLETED}, {"by": "neighbour"}, "by"),
        ({"step": ServiceStep.COMPLETED}, {"rating": 5}, "confirmation"),  # staff: no rating
        ({"step": ServiceStep.CANCELLED, "reason": "x"}, {"by": "family", "rating": 5}, "conf"),
        ({"step": ServiceStep.COMPLETED}, {"by": "family", "rating": 6}, "rating"),
        ({"step": ServiceStep.COMPLETED}, {"by": "family", "rating": 4.0}, "rating"),
        ({"step": ServiceStep.COMPLETED}, {"by": "family", "rating": True}, "rating"),
        ({"step": ServiceStep.COMPLETED}, {"by": "family", "comment": "好"}, "rating"),
        (
            {"step": ServiceStep.COMPLETED},
            {"by": "family", "rating": 3, "comment": "长" * 201},
            "comment",
        ),
    ],
)
def test_bad_family_steps_are_malformed(
    fields: dict[str, Any], changes: dict[str, Any], match: str
) -> None:
    step = fields.pop("step")
    with pytest.raises(ProtocolError, match=match):
        parse_service_step({**body(step, **fields), **changes})


def _completed(desk: ServiceDesk) -> str:
    desk.handle(ServicePressed("button.repair", ServiceType.REPAIR), T0)
    (request,) = desk.open_requests()
    for step in (ServiceStep.ASSIGNED, ServiceStep.ARRIVED, ServiceStep.COMPLETED):
        extra = {"provider_name": "安居维修"} if step is ServiceStep.ASSIGNED else {}
        desk.handle(HubServiceStep(ServiceStepBody(request.id, step, "李娜", T0, **extra)), T0)
    desk.take_effects()
    return request.id


def test_the_home_hears_a_family_cancellation_and_sends_nothing_back() -> None:
    desk = ServiceDesk()
    desk.handle(ServicePressed("button.meal", ServiceType.MEAL), T0)
    (request,) = desk.open_requests()
    desk.take_effects()
    step = ServiceStepBody(
        request.id, ServiceStep.CANCELLED, "周敏", T0, reason="已订外卖", by=FAMILY
    )
    desk.handle(HubServiceStep(step), T0)
    effects = desk.take_effects()
    assert not [e for e in effects if isinstance(e, SendToHub)]
    (announce,) = [e for e in effects if isinstance(e, Announce)]
    assert announce.phrase is Phrase.CANCELLED_BY_FAMILY
    assert render(announce.phrase, announce.service, announce.params, "zh") == (
        "家人取消了助餐请求：已订外卖"
    )
    kept = desk.get(request.id)
    assert kept is not None
    assert (kept.status, kept.cancelled_by, kept.reason) == (
        ServiceStatus.CANCELLED,
        FAMILY,
        "已订外卖",
    )
    with pytest.raises(StepOutOfOrder):  # once closed, a second cancellation is refused
        desk.handle(HubServiceStep(step), T0)


def test_the_home_hears_a_family_confirmation_with_its_rating() -> None:
    desk = ServiceDesk()
    request_id = _completed(desk)
    rated = Rating(5, "师傅很耐心")
    step = ServiceStepBody(request_id, ServiceStep.COMPLETED, "周敏", T0, by=FAMILY, rating=rated)
    desk.handle(HubServiceStep(step), T0)
    effects = desk.take_effects()
    assert not [e for e in effects if isinstance(e, SendToHub)]
    assert [e.phrase for e in effects if isinstance(e, Announce)] == [Phrase.CONFIRMED_BY_FAMILY]
    kept = desk.get(request_id)
    assert kept is not None
    assert (kept.status, kept.confirmed_by, kept.rating) == (ServiceStatus.COMPLETED, FAMILY, rated)


def test_a_family_confirmation_of_open_work_is_refused_at_home() -> None:
    desk = ServiceDesk()
    desk.handle(ServicePressed("button.repair", ServiceType.REPAIR), T0)
    (request,) = desk.open_requests()
    desk.take_effects()
    step = ServiceStepBody(request.id, ServiceStep.COMPLETED, "周敏", T0, by=FAMILY)
    with pytest.raises(NotCompleted):
        desk.handle(HubServiceStep(step), T0)
    assert desk.take_effects() == []
