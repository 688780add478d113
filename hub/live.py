"""Fan-out of alarm changes to every open dispatch screen."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

_QUEUE_LIMIT = 1000


@dataclass(eq=False)
class Subscription:
    queue: asyncio.Queue[dict[str, Any]] = field(
        default_factory=lambda: asyncio.Queue(_QUEUE_LIMIT)
    )
    # Set when the screen fell too far behind: its handler closes the socket, the page
    # reconnects and gets a fresh snapshot, so nothing is silently skipped.
    overflowed: bool = False


class LiveFeed:
    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()

    def subscribe(self) -> Subscription:
        subscription = Subscription()
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    def publish(self, message: dict[str, Any]) -> None:
        for subscription in list(self._subscriptions):
            try:
                subscription.queue.put_nowait(message)
            except asyncio.QueueFull:
                subscription.overflowed = True
                self._subscriptions.discard(subscription)
                # Wake the handler so it notices at once.
                subscription.queue.get_nowait()
                subscription.queue.put_nowait({"type": "overflow"})
