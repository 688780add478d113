"""The household's service desk, scenario by scenario: observations in, effects out."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from gateway.protocol import parse_service_event, parse_service_requested
from gateway.services.catalogue import ServiceType
from gateway.services.desk import (
    ACK_WAIT,
    KEPT_CLOSED,
    NotAllowed,
    NotCompleted,
    NotEntitled,
    ServiceDesk,
    StepOutOfOrder,
    UnknownRequest,
    UnknownService,
)
from gateway.services.effects import Announce, SendToHub, ServiceChanged, ServiceMoment
from gateway.services.lifecycle import (
    Rating,
    ServiceAction,
    ServiceActor,
    ServiceStatus,
    ServiceStep,
)
from gateway.services.observations import (
    HubReceived,
    HubServiceStep,
    LinkChanged,
    ServiceCancelled,
    ServiceConfirmed,
    ServicePressed,
    ServiceRated,
)
from gateway.services.phrases import Phrase, render
from gateway.services.request import ServiceRequest
from gateway.services.wire import ServiceMessage, ServiceStepBody

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
KEY = ServicePressed("event.remote_key_2", ServiceType.REPAIR, "客厅遥控器", "厨房水龙头漏水")
SENIOR, FAMILY = ServiceActor.SENIOR, ServiceActor.FAMILY


def press(desk: ServiceDesk, pressed: ServicePressed = KEY, at: datetime = T0) -> ServiceRequest:
    desk.handle(pressed, at)
    return next(r for r in desk.open_requests() if r.service == pressed.service)


def sent(effects: list[object]) -> list[SendToHub]:
    return [e for e in effects if isinstance(e, SendToHub)]


def said(effects: list[object]) -> list[Phrase]:
    return [e.phrase for e in effects if isinstance(e, Announce)]


def changes(effects: list[object]) -> list[object]:
    return [e.what for e in effects if isinstance(e, ServiceChanged)]


def step(request_id: str, step_: ServiceStep, **fields: object) -> HubServiceStep:
    return HubServiceStep(ServiceStepBody(request_id, step_, "李娜", T0, **fields))  # type: ignore[arg-type]


def test_a_press_sends_a_request_and_the_hubs_ack_is_announced() -> None:
    desk = ServiceDesk()
    request = press(desk)
    effects = desk.take_effects()
    (message,) = sent(effects)
    assert message.type is ServiceMessage.REQUESTED
    assert message.request_id == request.id
    body = parse_service_requested(message.body)  # what leaves is what the hub accepts
    assert (body.service, body.note, body.count) == (ServiceType.REPAIR, "厨房水龙头漏水", 1)
    assert changes(effects) == [ServiceMoment.REQUESTED]
    assert said(effects) == []  # the ack is awaited a few seconds first
    assert desk.next_deadline() == T0 + ACK_WAIT

    desk.handle(HubReceived(request.id), T0 + timedelta(seconds=1))
    effects = desk.take_effects()
    assert said(effects) == [Phrase.RECEIVED]
    assert changes(effects) == [ServiceMoment.REPORTED]
    assert desk.next_deadline() is None
    desk.handle(HubReceived(request.id), T0 + timedelta(seconds=2))  # acked twice: quiet
    assert desk.take_effects() == []


def test_no_ack_in_time_says_kept_for_later_then_received_when_the_hub_is_back() -> None:
    desk = ServiceDesk()
    request = press(desk)
    desk.take_effects()
    desk.tick(T0 + ACK_WAIT - timedelta(milliseconds=1))
    assert desk.take_effects() == []
    desk.tick(T0 + ACK_WAIT)
    effects = desk.take_effects()
    assert said(effects) == [Phrase.QUEUED_OFFLINE]
    assert render(Phrase.QUEUED_OFFLINE, ServiceType.REPAIR, {}, "zh-Hans") == (
        "水电维修请求已记录，联网后发送"
    )
    assert desk.next_deadline() is None

    desk.handle(HubReceived(request.id), T0 + timedelta(hours=2))
    assert said(desk.take_effects()) == [Phrase.RECEIVED]


def test_a_press_while_the_link_is_down_is_announced_at_once() -> None:
    desk = ServiceDesk()
    desk.handle(LinkChanged(up=False), T0)
    press(desk)
    assert said(desk.take_effects()) == [Phrase.QUEUED_OFFLINE]
    assert desk.next_deadline() is None


def test_the_same_key_again_updates_the_open_request_a_different_one_is_new() -> None:
    desk = ServiceDesk()
    first = press(desk)
    desk.take_effects()
    again = press(desk, ServicePressed("button.repair", ServiceType.REPAIR), T0 + timedelta(1))
    assert again.id == first.id
    assert again.count == 2
    effects = desk.take_effects()
    (message,) = sent(effects)
    event = parse_service_event(message.body)
    assert (event.action, event.actor, event.request_id) == (
        ServiceAction.REPEATED,
        SENIOR,
        first.id,
    )
    assert said(effects) == [Phrase.REPEATED]

    meal = press(desk, ServicePressed("button.meal", ServiceType.MEAL), T0 + timedelta(2))
    assert meal.id != first.id
    assert sorted(r.service for r in desk.open_requests()) == [ServiceType.MEAL, ServiceType.REPAIR]


def test_after_a_request_closes_the_same_key_makes_a_new_one() -> None:
    desk = ServiceDesk()
    first = press(desk)
    desk.handle(ServiceCancelled(SENIOR), T0)
    second = press(desk, at=T0 + timedelta(minutes=1))
    assert second.id != first.id
    assert second.count == 1


def test_the_whole_life_of_a_request_is_said_at_home() -> None:
    desk = ServiceDesk()
    request = press(desk)
    desk.handle(HubReceived(request.id), T0)
    desk.take_effects()
    now = T0 + timedelta(minutes=1)
    desk.handle(step(request.id, ServiceStep.ACCEPTED), now)
    assert said(desk.take_effects()) == [Phrase.ACCEPTED]
    window = {"window_start": now + timedelta(minutes=30), "window_end": now + timedelta(hours=1)}
    desk.handle(step(request.id, ServiceStep.ASSIGNED, provider_name="安心家政", **window), now)
    (announce,) = [e for e in desk.take_effects() if isinstance(e, Announce)]
    assert announce.phrase is Phrase.ASSIGNED_ETA
    assert render(announce.phrase, announce.service, announce.params, "zh") == (
        "安心家政的师傅预计 30 分钟后到"
    )
    assert render(announce.phrase, announce.service, announce.params, "en") == (
        "Someone from 安心家政 will arrive in about 30 minutes."
    )
    kept = desk.get(request.id)
    assert kept is not None
    assert kept.provider_name == "安心家政"
    assert kept.staff_name == "李娜"
    desk.handle(step(request.id, ServiceStep.ARRIVED), now)
    desk.handle(step(request.id, ServiceStep.COMPLETED), now)
    effects = desk.take_effects()
    assert said(effects) == [Phrase.ARRIVED, Phrase.COMPLETED]
    assert changes(effects) == [ServiceStep.ARRIVED, ServiceStep.COMPLETED]
    assert desk.open_requests() == []

    desk.handle(ServiceConfirmed(request.id, FAMILY), now)
    desk.handle(ServiceRated(request.id, FAMILY, Rating(5, "很及时")), now)
    effects = desk.take_effects()
    events = [parse_service_event(m.body) for m in sent(effects)]
    assert [(e.action, e.actor) for e in events] == [
        (ServiceAction.CONFIRMED, FAMILY),
        (ServiceAction.RATED, FAMILY),
    ]
    assert events[1].rating == Rating(5, "很及时")
    assert said(effects) == [Phrase.CONFIRMED, Phrase.RATED]


@pytest.mark.parametrize(
    ("offset_start", "offset_end", "phrase", "minutes"),
    [
        (None, None, Phrase.ASSIGNED, None),
        (-10, 20, Phrase.ASSIGNED_WITHIN, "20"),  # the window is open already
        (-60, -30, Phrase.ASSIGNED, None),  # a window in the past promises nothing
        (0.5, 30, Phrase.ASSIGNED_ETA, "1"),  # at least a minute
    ],
)
def test_the_assignment_says_when_as_the_window_allows(
    offset_start: float | None, offset_end: float | None, phrase: Phrase, minutes: str | None
) -> None:
    desk = ServiceDesk()
    request = press(desk)
    window = {}
    if offset_start is not None and offset_end is not None:
        window = {
            "window_start": T0 + timedelta(minutes=offset_start),
            "window_end": T0 + timedelta(minutes=offset_end),
        }
    desk.take_effects()
    desk.handle(step(request.id, ServiceStep.ASSIGNED, provider_name="安心家政", **window), T0)
    (announce,) = [e for e in desk.take_effects() if isinstance(e, Announce)]
    assert announce.phrase is phrase
    assert announce.params.get("minutes") == minutes
    assert desk.next_deadline() is None  # a step means the hub has it


def test_a_step_before_the_ack_counts_as_received() -> None:
    desk = ServiceDesk()
    request = press(desk)
    desk.handle(step(request.id, ServiceStep.ACCEPTED), T0)
    desk.handle(HubReceived(request.id), T0)
    assert said(desk.take_effects()) == [Phrase.ACCEPTED]


def test_the_care_center_may_cancel_with_its_reason() -> None:
    desk = ServiceDesk()
    request = press(desk)
    desk.take_effects()
    desk.handle(step(request.id, ServiceStep.CANCELLED, reason="无可用师傅"), T0)
    (announce,) = [e for e in desk.take_effects() if isinstance(e, Announce)]
    assert render(announce.phrase, announce.service, announce.params, "zh").endswith("无可用师傅")
    kept = desk.get(request.id)
    assert kept is not None
    assert (kept.status, kept.cancelled_by) == (ServiceStatus.CANCELLED, ServiceActor.STAFF)


def test_the_senior_cancels_the_newest_open_request_or_the_one_named() -> None:
    desk = ServiceDesk()
    repair = press(desk)
    meal = press(desk, ServicePressed("button.meal", ServiceType.MEAL), T0 + timedelta(1))
    desk.take_effects()
    desk.handle(ServiceCancelled(SENIOR), T0)
    effects = desk.take_effects()
    event = parse_service_event(sent(effects)[0].body)
    assert (event.request_id, event.action, event.reason) == (
        meal.id,
        ServiceAction.CANCELLED,
        "cancelled at home",
    )
    assert said(effects) == [Phrase.CANCELLED_AT_HOME]
    desk.handle(ServiceCancelled(FAMILY, service=ServiceType.REPAIR, reason="自己修好了"), T0)
    assert parse_service_event(sent(desk.take_effects())[0].body).reason == "自己修好了"
    assert desk.open_requests() == []
    with pytest.raises(UnknownRequest):
        desk.handle(ServiceCancelled(SENIOR), T0)
    with pytest.raises(StepOutOfOrder):
        desk.handle(ServiceCancelled(SENIOR, request_id=repair.id), T0)


def refused_changes_nothing(desk: ServiceDesk, observation: object, error: type) -> None:
    before = json.dumps(desk.to_dict())
    with pytest.raises(error):
        desk.handle(observation, T0)  # type: ignore[arg-type]
    assert json.dumps(desk.to_dict()) == before
    assert desk.take_effects() == []


def test_refusals_are_typed_and_change_nothing() -> None:
    desk = ServiceDesk(entitled=frozenset({ServiceType.REPAIR, ServiceType.MEAL}))
    request = press(desk)
    desk.take_effects()
    refused_changes_nothing(desk, ServicePressed("action", "plumbing"), UnknownService)
    refused_changes_nothing(desk, ServicePressed("action", ServiceType.BATHING), NotEntitled)
    refused_changes_nothing(desk, ServiceRated(request.id, SENIOR, Rating(5)), NotCompleted)
    refused_changes_nothing(desk, ServiceConfirmed(request.id, FAMILY), NotCompleted)
    refused_changes_nothing(desk, step(request.id, ServiceStep.ARRIVED), StepOutOfOrder)
    refused_changes_nothing(desk, step(request.id, ServiceStep.COMPLETED), StepOutOfOrder)
    refused_changes_nothing(
        desk, step("01JZZZZZZZZZZZZZZZZZZZZZZZ", ServiceStep.ACCEPTED), UnknownRequest
    )
    refused_changes_nothing(desk, ServiceCancelled(ServiceActor.STAFF), NotAllowed)
    refused_changes_nothing(desk, ServiceConfirmed("someone else's", FAMILY), UnknownRequest)


def test_entitlements_unknown_allow_everything_and_text_services_are_read() -> None:
    desk = ServiceDesk()
    request = press(desk, ServicePressed("assist", "bathing"))
    assert request.service is ServiceType.BATHING
    desk.entitled = frozenset({ServiceType.MEAL})  # the hub's config arrived
    with pytest.raises(NotEntitled):
        desk.handle(ServicePressed("assist", "repair"), T0)


def test_a_step_on_a_closed_request_is_out_of_order() -> None:
    desk = ServiceDesk()
    request = press(desk)
    desk.handle(ServiceCancelled(SENIOR), T0)
    desk.take_effects()
    refused_changes_nothing(desk, step(request.id, ServiceStep.ACCEPTED), StepOutOfOrder)


def test_the_desk_survives_a_restart_through_its_dict() -> None:
    desk = ServiceDesk()
    waiting = press(desk)
    done = press(desk, ServicePressed("button.meal", ServiceType.MEAL, "餐", "少盐"), T0)
    window = {"window_start": T0 + timedelta(minutes=5), "window_end": T0 + timedelta(hours=1)}
    for step_ in (ServiceStep.ASSIGNED, ServiceStep.ARRIVED, ServiceStep.COMPLETED):
        extra = {"provider_name": "社区食堂", **window} if step_ is ServiceStep.ASSIGNED else {}
        desk.handle(step(done.id, step_, **extra), T0)
    desk.handle(ServiceConfirmed(done.id, SENIOR), T0)
    desk.handle(ServiceRated(done.id, SENIOR, Rating(4, "饭有点凉")), T0)
    desk.take_effects()

    saved = json.loads(json.dumps(desk.to_dict()))  # as HA storage keeps it: plain JSON
    again = ServiceDesk(saved)
    assert again.to_dict() == desk.to_dict()
    assert again.requests() == desk.requests()
    assert again.next_deadline() == T0 + ACK_WAIT  # the ack wait goes on after a restart
    again.tick(T0 + ACK_WAIT)
    assert said(again.take_effects()) == [Phrase.QUEUED_OFFLINE]
    kept = again.get(done.id)
    assert kept is not None
    assert kept.rating == Rating(4, "饭有点凉")
    assert kept.window_start == T0 + timedelta(minutes=5)
    assert [r.id for r in again.open_requests()] == [waiting.id]
    # The same key again still finds the open request.
    assert press(again).id == waiting.id


def test_only_the_newest_closed_requests_are_kept() -> None:
    desk = ServiceDesk()
    for n in range(KEPT_CLOSED + 5):
        press(desk, at=T0 + timedelta(minutes=n))
        desk.handle(ServiceCancelled(SENIOR), T0 + timedelta(minutes=n))
    press(desk, ServicePressed("button.meal", ServiceType.MEAL), T0)
    assert len(desk.requests()) == KEPT_CLOSED + 1
    assert len(desk.open_requests()) == 1
