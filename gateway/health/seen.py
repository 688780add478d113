"""Which readings a monitor already gave us, so a re-sent stored record counts once.

Monitors re-send: a cuff whose indication confirmation was lost sends it again, a glucose
meter asked for "all records" after a reset sends its whole memory. The keys of the most
recent readings are kept (and saved by the host across restarts); the oldest are
forgotten first, long after any device would re-send them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

MAX_REMEMBERED = 2000  # a year of four readings a day from one monitor, and then some


class SeenReadings:
    def __init__(self, keys: Iterable[str] = (), limit: int = MAX_REMEMBERED) -> None:
        self._limit = limit
        self._keys: OrderedDict[str, None] = OrderedDict()
        for key in keys:
            self._remember(key)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: str) -> bool:
        """Remember `key`; False when it was already known (a duplicate)."""
        if key in self._keys:
            return False
        self._remember(key)
        return True

    def keys(self) -> list[str]:
        return list(self._keys)

    def _remember(self, key: str) -> None:
        self._keys[key] = None
        while len(self._keys) > self._limit:
            self._keys.popitem(last=False)
