"""Link supervision: which gateways the hub hears, and which went silent.

Every gateway heartbeats at the interval the hub gives it (default 60 s). Three intervals
without hearing anything from it raise `link_lost` for its household; hearing it again clears
it. Kept in memory (a heartbeat costs no disk write); last-heard times are flushed to the
database in batches for the screens. After a hub restart every gateway gets a fresh three
intervals, so a restart alone never raises a storm of `link_lost`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..core.storage import Gateway

DEFAULT_HEARTBEAT = timedelta(seconds=60)
MIN_HEARTBEAT = timedelta(seconds=20)  # what an installer may set; tests go lower via the API
MISSED_HEARTBEATS = 3


@dataclass(slots=True)
class _Watched:
    household_id: str
    interval: timedelta
    last_heard: datetime
    outbox_depth: int | None = None


@dataclass
class LinkSupervisor:
    default_interval: timedelta = DEFAULT_HEARTBEAT
    _watched: dict[str, _Watched] = field(default_factory=dict)
    _lost: set[str] = field(default_factory=set)
    _unflushed: dict[str, datetime] = field(default_factory=dict)

    def load(self, gateways: list[Gateway], lost: set[str], now: datetime) -> None:
        """At hub start: watch every active gateway from now; remember the ones already lost."""
        for gateway in gateways:
            if not gateway.revoked:
                self.watch(gateway, now)
        self._lost = set(lost)

    def interval(self, gateway: Gateway) -> timedelta:
        if gateway.heartbeat_seconds:
            return timedelta(seconds=gateway.heartbeat_seconds)
        return self.default_interval

    def watch(self, gateway: Gateway, now: datetime) -> None:
        watched = self._watched.get(gateway.id)
        if watched is None:
            self._watched[gateway.id] = _Watched(gateway.household_id, self.interval(gateway), now)
        else:
            watched.interval = self.interval(gateway)

    def forget(self, gateway_id: str) -> None:
        """A revoked gateway is no longer supervised (its refusal is on the screen instead)."""
        self._watched.pop(gateway_id, None)
        self._unflushed.pop(gateway_id, None)

    def heard(self, gateway: Gateway, now: datetime, outbox_depth: int | None = None) -> bool:
        """Record a message from the gateway; True when it had been lost and is back."""
        self.watch(gateway, now)
        watched = self._watched[gateway.id]
        watched.last_heard = now
        if outbox_depth is not None:
            watched.outbox_depth = outbox_depth
        self._unflushed[gateway.id] = now
        if gateway.id in self._lost:
            self._lost.discard(gateway.id)
            return True
        return False

    def newly_silent(self, now: datetime) -> list[str]:
        """Gateways not heard for three intervals that were not lost yet; marks them lost."""
        silent = [
            gateway_id
            for gateway_id, watched in self._watched.items()
            if gateway_id not in self._lost
            and now - watched.last_heard >= MISSED_HEARTBEATS * watched.interval
        ]
        self._lost.update(silent)
        return silent

    def silence(self, gateway_id: str, now: datetime) -> timedelta:
        watched = self._watched.get(gateway_id)
        return now - watched.last_heard if watched else timedelta(0)

    def outbox_depth(self, gateway_id: str) -> int | None:
        watched = self._watched.get(gateway_id)
        return watched.outbox_depth if watched else None

    def take_unflushed(self) -> dict[str, datetime]:
        """Last-heard times changed since the last call, for one batched database write."""
        unflushed, self._unflushed = self._unflushed, {}
        return unflushed
