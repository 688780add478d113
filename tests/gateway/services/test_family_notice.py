"""The family's notification of a service step: normal priority, the home's own sentence in the
household's language, one tag per request."""

from __future__ import annotations

import pytest

from gateway.services.catalogue import ServiceType
from gateway.services.effects import Announce
from gateway.services.family_notice import NOTIFIED, family_notification
from gateway.services.phrases import Phrase

ASSIGNED = Announce(
    Phrase.ASSIGNED_ETA, ServiceType.REPAIR, "01JREQ", {"provider": "安居维修", "minutes": "30"}
)


@pytest.mark.parametrize(
    ("language", "title", "message"),
    [
        ("zh-Hans", "王家：水电维修", "安居维修的师傅预计 30 分钟后到"),
        ("en", "王家: Plumbing and electrical repair", "in about 30 minutes"),
    ],
)
def test_a_step_in_the_households_language(language: str, title: str, message: str) -> None:
    payload = family_notification(ASSIGNED, "王家", language)
    assert payload is not None
    assert payload["title"] == title
    assert message in payload["message"]


def test_it_is_a_normal_notification_tagged_per_request() -> None:
    payload = family_notification(ASSIGNED, "Wang", "en")
    assert payload is not None
    # No critical level, no alarm channel, no zero TTL: none of what rings through silence.
    assert payload["data"] == {"tag": "eldercare-service-01JREQ", "group": "eldercare-services"}


@pytest.mark.parametrize("phrase", [Phrase.REPEATED, Phrase.CONFIRMED, Phrase.RATED])
def test_what_is_only_for_the_person_at_home_is_not_sent(phrase: Phrase) -> None:
    assert phrase not in NOTIFIED
    assert family_notification(Announce(phrase, ServiceType.MEAL, "r"), "Wang", "en") is None
