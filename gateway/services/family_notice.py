"""The family's phones hear of each step of a service request: a normal notification in the HA
companion app's format, never a critical alert (a plumber is not an emergency).

The sentence is the one the home says (phrases.py), in the household's language; the title
names the home and the service, since the family may look after more than one home. One tag
per request, so each step replaces the last in the notification shade.
"""

from __future__ import annotations

from typing import Any

from .catalogue import SERVICE_NAMES, ServiceNames
from .effects import Announce
from .phrases import Phrase, render

# The steps the family hears of: the care center has (or will have) the request, and each staff
# step or cancellation. A repeated press, or a thank-you for a confirmation or a rating, is for
# the person at home only.
NOTIFIED: frozenset[Phrase] = frozenset(
    {
        Phrase.RECEIVED,
        Phrase.QUEUED_OFFLINE,
        Phrase.ACCEPTED,
        Phrase.ASSIGNED,
        Phrase.ASSIGNED_ETA,
        Phrase.ASSIGNED_WITHIN,
        Phrase.ARRIVED,
        Phrase.COMPLETED,
        Phrase.CANCELLED_BY_STAFF,
        Phrase.CANCELLED_AT_HOME,
    }
)
GROUP = "eldercare-services"  # apart from the alarms' "eldercare" group
_TITLE = ServiceNames("{home}：{service}", "{home}: {service}")


def service_tag(request_id: str) -> str:
    return f"eldercare-service-{request_id}"


def family_notification(announce: Announce, home: str, language: str) -> dict[str, Any] | None:
    """The `notify.mobile_app_*` action data for a step the home announced, or None when the
    family is not told of it."""
    if announce.phrase not in NOTIFIED:
        return None
    service = SERVICE_NAMES[announce.service].in_language(language)
    return {
        "title": _TITLE.in_language(language).format(home=home, service=service),
        "message": render(announce.phrase, announce.service, announce.params, language),
        # No interruption level, TTL, priority or channel: the phone's normal defaults.
        "data": {"tag": service_tag(announce.request_id), "group": GROUP},
    }
