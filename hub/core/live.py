"""Fan-out of alarm changes to every open dispatch screen, and to the family pages of the
household an alarm belongs to.

A message is encoded to JSON once, in `publish`, and the same text is queued for every screen:
with a hundred screens open, encoding per screen was a fifth of the fan-out's cost. A family
page subscribes to one household: a change of that household's alarms is cut down to what
families may see (hub/core/household_view.py decides) and encoded once for all of its pages; a
household without an open family page costs one dictionary lookup.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from .card_devices import speaks_for_devices_of_kind
from .household_view import family_update

_QUEUE_LIMIT = 1000
OVERFLOW = '{"type":"overflow"}'


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


class LiveFeed:
    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()
        self._households: dict[str, set[Subscription]] = {}

    def subscribe(self) -> Subscription:
        subscription = Subscription()
        self._subscriptions.add(subscription)
        return subscription

    def subscribe_household(self, household_id: str) -> Subscription:
        """A family page's subscription: the changes of this household's alarms only."""
        subscription = Subscription(household_id=household_id)
        self._households.setdefault(household_id, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
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
