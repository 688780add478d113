"""The always-on rules. Each rule watches observations, keeps its own timers, and acts
through the alarm desk; the engine asks each for its next deadline."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ..observations import Observation


class Rule(Protocol):
    def handle(self, observation: Observation, now: datetime) -> None: ...

    def tick(self, now: datetime) -> None: ...

    def next_deadline(self) -> datetime | None: ...
