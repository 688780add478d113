"""The service messages of the wire contract: good bodies round-trip, bad ones are malformed."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.link.client import HUB_COMMANDS
from gateway.protocol import (
    MAX_MESSAGE_BYTES,
    Envelope,
    MessageType,
    NakReason,
    ProtocolError,
    parse_service_event,
    parse_service_requested,
    parse_service_step,
    service_step_body,
)
from gateway.services.catalogue import ServiceType
from gateway.services.lifecycle import Rating, ServiceAction, ServiceActor, ServiceStep
from gateway.services.wire import (
    ServiceEventBody,
    ServiceMessage,
    ServiceRequestedBody,
    ServiceStepBody,
)
from gateway.ulid import new_ulid

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
RID = new_ulid()

type Parser = Callable[[dict[str, Any]], object]


def requested(**changes: Any) -> dict[str, Any]:
    body = ServiceRequestedBody(
        RID, ServiceType.REPAIR, T0, "sensor.remote_key_2", "客厅遥控器", "厨房水龙头漏水", 1
    ).to_body()
    return {**body, **changes}


def event(**changes: Any) -> dict[str, Any]:
    body = ServiceEventBody(
        RID, ServiceAction.RATED, ServiceActor.FAMILY, T0, Rating(4, "准时")
    ).to_body()
    return {**body, **changes}


def step(**changes: Any) -> dict[str, Any]:
    body = ServiceStepBody(
        RID,
        ServiceStep.ASSIGNED,
        "李娜",
        T0,
        "安心家政",
        T0 + timedelta(minutes=30),
        T0 + timedelta(minutes=60),
    ).to_body()
    return {**body, **changes}


def malformed(parse: Parser, body: dict[str, Any], match: str | None = None) -> None:
    with pytest.raises(ProtocolError, match=match) as caught:
        parse(body)
    assert caught.value.reason is NakReason.MALFORMED


def test_the_service_message_types_are_the_protocols() -> None:
    for message in ServiceMessage:
        assert MessageType(message.value).value == message.value
    assert MessageType.SERVICE_STEP in HUB_COMMANDS
    assert MessageType.SERVICE_REQUESTED not in HUB_COMMANDS


def test_bodies_round_trip() -> None:
    assert parse_service_requested(requested()) == ServiceRequestedBody(
        RID, ServiceType.REPAIR, T0, "sensor.remote_key_2", "客厅遥控器", "厨房水龙头漏水", 1
    )
    assert parse_service_event(event()).rating == Rating(4, "准时")
    parsed = parse_service_step(step())
    assert (parsed.provider_name, parsed.window_end) == ("安心家政", T0 + timedelta(hours=1))
    assert service_step_body(parsed) == step()


def test_optional_parts_are_left_out_and_default() -> None:
    body = ServiceRequestedBody(RID, ServiceType.MEAL, T0, "button.meal").to_body()
    assert set(body) == {"request_id", "service", "occurred_at", "source", "count"}
    del body["count"]
    assert parse_service_requested(body).count == 1
    cancel = ServiceEventBody(
        RID, ServiceAction.CANCELLED, ServiceActor.SENIOR, T0, reason="修好了"
    ).to_body()
    assert parse_service_event(cancel).reason == "修好了"
    accepted = ServiceStepBody(RID, ServiceStep.ACCEPTED, "李娜", T0).to_body()
    assert set(accepted) == {"request_id", "step", "staff_name", "at"}
    assert parse_service_step(accepted).step is ServiceStep.ACCEPTED


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"request_id": "not-a-ulid"}, "request_id"),
        ({"request_id": None}, "request_id"),
        ({"service": "plumbing"}, "service"),
        ({"service": ["repair"]}, "service"),
        ({"service": None}, "service"),
        ({"note": "漏" * 201}, "note"),
        ({"note": 5}, "note"),
        ({"source": ""}, "source"),
        ({"source": "x" * 256}, "source"),
        ({"source_name": "名" * 101}, "source_name"),
        ({"count": 0}, "count"),
        ({"count": True}, "count"),
        ({"count": 2.0}, "count"),
        ({"count": 10**400}, "count"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": "2026-03-01T08:00:00"}, "time zone"),
    ],
)
def test_bad_requests_are_malformed(changes: dict[str, Any], match: str) -> None:
    malformed(parse_service_requested, requested(**changes), match)


def test_a_request_without_its_fields_is_malformed() -> None:
    for name in ("request_id", "service", "occurred_at", "source"):
        body = requested()
        del body[name]
        malformed(parse_service_requested, body)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"action": "escalated"}, "action"),
        ({"actor": "staff"}, "senior or family"),
        ({"actor": "neighbour"}, "actor"),
        ({"rating": 6}, "rating"),
        ({"rating": 0}, "rating"),
        ({"rating": 4.0}, "rating"),
        ({"rating": "5"}, "rating"),
        ({"rating": None}, "rating"),
        ({"comment": "好" * 201}, "comment"),
        ({"action": "confirmed"}, "rated event"),  # a rating on a confirmation
        ({"action": "cancelled", "rating": None, "comment": None}, "rated"),
        ({"occurred_at": 0}, "occurred_at"),
    ],
)
def test_bad_events_are_malformed(changes: dict[str, Any], match: str) -> None:
    malformed(parse_service_event, event(**changes), match)


def test_a_cancellation_needs_a_reason() -> None:
    body = ServiceEventBody(RID, ServiceAction.CANCELLED, ServiceActor.FAMILY, T0).to_body()
    malformed(parse_service_event, body, "reason")
    malformed(parse_service_event, {**body, "reason": "   "}, "reason")
    malformed(parse_service_event, {**body, "reason": "x" * 201}, "reason")


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"step": "dispatched"}, "step"),
        ({"staff_name": ""}, "staff_name"),
        ({"staff_name": "名" * 101}, "staff_name"),
        ({"provider_name": ""}, "provider"),
        ({"window_end": None}, "start and an end"),
        ({"window_end": "2026-03-01T08:30:00Z"}, "before"),  # ends when it starts
        ({"window_start": "soon"}, "window_start"),
        ({"step": "arrived"}, "assignment"),  # provider and window on another step
        ({"at": None}, "at"),
    ],
)
def test_bad_steps_are_malformed(changes: dict[str, Any], match: str) -> None:
    malformed(parse_service_step, step(**changes), match)


def test_a_staff_cancellation_needs_a_reason() -> None:
    body = ServiceStepBody(RID, ServiceStep.CANCELLED, "李娜", T0).to_body()
    malformed(parse_service_step, body, "reason")
    with pytest.raises(ProtocolError):
        service_step_body(ServiceStepBody(RID, ServiceStep.CANCELLED, "李娜", T0))
    ok = ServiceStepBody(RID, ServiceStep.CANCELLED, "李娜", T0, reason="老人取消")
    assert parse_service_step(service_step_body(ok)).reason == "老人取消"


def test_deeply_nested_and_oversized_messages_are_malformed_not_a_crash() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    for parse in (parse_service_requested, parse_service_event, parse_service_step):
        malformed(parse, {"request_id": RID, "service": json.loads("[" * 50 + "]" * 50)})
    frame = json.dumps({"v": 1, "type": "service.requested", "body": {"note": "x"}})
    with pytest.raises(ProtocolError):  # deeper than the parser's stack, within 64 KiB
        Envelope.from_json(frame.replace('"x"', "[" * 30_000 + "]" * 30_000))
    with pytest.raises(ProtocolError, match="too large"):
        Envelope.from_json(frame.replace('"x"', json.dumps("漏" * MAX_MESSAGE_BYTES)))
    with pytest.raises(ProtocolError):
        Envelope.from_json(deep)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
FIELDS = st.sampled_from(
    [
        "request_id",
        "service",
        "note",
        "source",
        "source_name",
        "occurred_at",
        "count",
        "action",
        "actor",
        "rating",
        "comment",
        "reason",
        "step",
        "staff_name",
        "provider_name",
        "window_start",
        "window_end",
        "at",
    ]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from([requested, event, step]), garbage=st.dictionaries(FIELDS, JSON))
def test_garbage_in_any_field_is_a_protocol_error_or_a_body(
    base: Callable[..., dict[str, Any]], garbage: dict[str, Any]
) -> None:
    body = {**base(), **garbage}
    for parse in (parse_service_requested, parse_service_event, parse_service_step):
        reasons = []
        try:
            parse(body)
        except ProtocolError as err:  # nothing else may escape: it would drop the connection
            reasons.append(err.reason)
        assert set(reasons) <= {NakReason.MALFORMED}
