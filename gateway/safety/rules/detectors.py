"""Detector readings turned into onsets: only a real quiet -> active change counts.

A sensor that drops to unavailable and comes back is not an alarm by itself: the last real
reading is kept across the gap, so off -> unavailable -> off is nothing, and on -> unavailable
-> on is the same activation, not a second one.
"""

from __future__ import annotations


class OnsetTracker:
    def __init__(self, last_known: dict[str, bool] | None = None) -> None:
        # Saved across restarts: a detector still on after a restart is not a new onset,
        # and one that went quiet meanwhile is a restore.
        self._last_known: dict[str, bool] = dict(last_known or {})

    def readings(self) -> dict[str, bool]:
        return dict(self._last_known)

    def update(self, entity_id: str, active: bool | None) -> str | None:
        """'onset' when the reading became active, 'restore' when it became quiet, else None."""
        if active is None:
            return None
        before = self._last_known.get(entity_id)
        self._last_known[entity_id] = active
        if active and before is not True:
            return "onset"
        if not active and before is True:
            return "restore"
        return None

    def active(self, entity_id: str) -> bool:
        return self._last_known.get(entity_id, False)

    def any_active(self, entity_ids: set[str]) -> bool:
        return any(self._last_known.get(e, False) for e in entity_ids)
