"""Fan-out of alarm changes to every open dispatch screen, and to the family pages of the
household an alarm belongs to; and, on a channel of their own, of service requests (issue 20)
to every open work-order page and to the family pages of the household a request belongs to.

A message is encoded to JSON once, in `publish`, and the same text is queued for every screen:
with a hundred screens open, encoding per screen was a fifth of the fan-out's cost. A family
page subscribes to one household: a change of that household's alarms is cut down to what
families may see (hub/core/household_view.py decides) and encoded once for all of its pages; a
household without an open family page costs one dictionary lookup.

Service requests never enter the alarm channel: `publish_service` reaches the work-order pages
(`subscribe_services`, hub/services/screen.py) with `{"type": "service", "request": <the staff
view, ServiceRequest.as_dict()>}`, and the household's family pages (`subscribe_household`)
with `{"type": "service", "request": <the family view, ServiceRequest.for_family()>}`; a
dispatch screen never gets them. A family page tells the two kinds apart by `type` ("alarm"
or "service"; plus its own "snapshot", "home", "keepalive", "overflow").
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .card_devices import speaks_for_devices_of_kind
from .household_view import family_update
from .service_store import ServiceRequest

_QUEUE_LIMIT = 1000
OVERFLOW = '{"type":"overflow"}'
SERVICE_MESSAGE = "service"


class Channel(StrEnum):
    """What a subscription gets."""

    ALARMS = "alarms"  # a dispatch screen: every alarm change
    HOUSEHOLD = "household"  # a family page: its household's alarms and service requests
    SERVICES = "services"  # a work-order page: every service request change, never an alarm


@dataclass(eq=False)
class Subscription:
    queue: asyncio.Queue[str] = field(  # JSON texts
        default_factory=lambda: asyncio.Queue(_QUEUE_LIMIT)
    )
    # Set when the screen fell too far behind: its handler closes the socket, the page
    # reconnects and gets a fresh snapshot, so nothing is silently skipped.
    overflowed: bool = False
    # A family page's household (it gets that household's alarms only); None: a dispatch
    # screen, which gets everything.
    household_id: str | None = None
    # A family page: an alarm that speaks for the household's devices changed since its home
    # view (devices) was sent, so the page needs a fresh one (hub/family/live.py).
    home_stale: bool = False
    channel: Channel = Channel.ALARMS


class LiveFeed:
    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()
        self._households: dict[str, set[Subscription]] = {}
        self._service_screens: set[Subscription] = set()

    def subscribe(self) -> Subscription:
        subscription = Subscription()
        self._subscriptions.add(subscription)
        return subscription

    def subscribe_household(self, household_id: str) -> Subscription:
        """A family page's subscription: the changes of this household's alarms and service
        requests only."""
        subscription = Subscription(household_id=household_id, channel=Channel.HOUSEHOLD)
        self._households.setdefault(household_id, set()).add(subscription)
        return subscription

    def subscribe_services(self) -> Subscription:
        """A work-order page's subscription: every service request's changes, no alarm."""
        subscription = Subscription(channel=Channel.SERVICES)
        self._service_screens.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        if subscription.channel is Channel.SERVICES:
            self._service_screens.discard(subscription)
            return
        if subscription.household_id is None:
            self._subscriptions.discard(subscription)
            return
        pages = self._households.get(subscription.household_id)
        if pages is not None:
            pages.discard(subscription)
            if not pages:
                del self._households[subscription.household_id]

    def publish(self, message: dict[str, Any]) -> None:
        if self._subscriptions:
            text = _encode(message)
            for subscription in list(self._subscriptions):
                self._offer(subscription, text)
        if self._households:
            self._publish_to_household(message)

    def publish_service(self, request: ServiceRequest) -> None:
        """A service request was made or changed: its staff view to every work-order page, its
        family view to the household's family pages; never to a dispatch screen."""
        if self._service_screens:
            text = _encode({"type": SERVICE_MESSAGE, "request": request.as_dict()})
            for subscription in list(self._service_screens):
                self._offer(subscription, text)
        pages = self._households.get(request.household_id)
        if pages:
            text = _encode({"type": SERVICE_MESSAGE, "request": request.for_family()})
            for subscription in list(pages):
                self._offer(subscription, text)

    def send(self, subscription: Subscription, message: dict[str, Any]) -> None:
        """A message for one subscriber only, queued in order with what is published."""
        if not subscription.overflowed:
            self._offer(subscription, _encode(message))

    def _publish_to_household(self, message: dict[str, Any]) -> None:
        scoped = family_update(message)
        if scoped is None:
            return
        household_id, family_message = scoped
        pages = self._households.get(household_id)
        if not pages:
            return
        text = _encode(family_message)
        stale = speaks_for_devices_of_kind(str(family_message["alarm"].get("kind")))
        for subscription in list(pages):
            self._offer(subscription, text)
            subscription.home_stale = subscription.home_stale or stale

    def _offer(self, subscription: Subscription, text: str) -> None:
        try:
            subscription.queue.put_nowait(text)
        except asyncio.QueueFull:
            subscription.overflowed = True
            self.unsubscribe(subscription)
            # Wake the handler so it notices at once.
            subscription.queue.get_nowait()
            subscription.queue.put_nowait(OVERFLOW)


def _encode(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))
