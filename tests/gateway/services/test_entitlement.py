"""What the household may ask for: the hub's word, kept across a restart, and news only once."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from gateway.services.catalogue import ServiceType
from gateway.services.desk import NotEntitled, ServiceDesk
from gateway.services.observations import ServicePressed

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
REPAIR_AND_MEAL = (ServiceType.REPAIR, ServiceType.MEAL)


def restarted(desk: ServiceDesk) -> ServiceDesk:
    return ServiceDesk(json.loads(json.dumps(desk.to_dict())))  # plain JSON, as HA keeps it


def test_until_the_hub_says_everything_is_offered_and_nothing_is_known() -> None:
    desk = ServiceDesk()
    assert not desk.entitlement_known
    assert desk.offered() == frozenset(ServiceType)
    assert "entitled" not in desk.to_dict()
    assert not restarted(desk).entitlement_known


def test_the_hubs_word_is_news_once_and_survives_a_restart() -> None:
    desk = ServiceDesk()
    assert desk.entitle(REPAIR_AND_MEAL)
    assert not desk.entitle(reversed(REPAIR_AND_MEAL))  # the same list again: no news
    again = restarted(desk)
    assert again.entitlement_known
    assert again.offered() == frozenset(REPAIR_AND_MEAL)
    with pytest.raises(NotEntitled):  # offline after the restart, still refused
        again.handle(ServicePressed("dashboard", ServiceType.BATHING), T0)
    assert again.entitle(None)  # the hub now offers everything
    assert restarted(again).offered() == frozenset(ServiceType)
    assert restarted(again).entitlement_known


def test_everything_offered_is_news_after_nothing_was_known() -> None:
    """An older hub sends no list: the first word is still news (the buttons appear)."""
    desk = ServiceDesk()
    assert desk.entitle(None)
    assert not desk.entitle(None)


def test_a_saved_service_this_release_does_not_know_is_dropped() -> None:
    saved = ServiceDesk(entitled=frozenset(REPAIR_AND_MEAL)).to_dict()
    saved["entitled"].append("gardening")  # saved by a newer release
    assert ServiceDesk(saved).offered() == frozenset(REPAIR_AND_MEAL)
