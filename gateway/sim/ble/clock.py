"""A monitor's own clock: naive local wall time, off by whatever it was last set to.

Health monitors keep local time without a zone; a central sets it over the Current Time
Service. The clock keeps the offset between what it was set to and its time source, so it
runs on from the set time as a quartz clock would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TIME_ZONE = "Asia/Shanghai"


def local_time_of(time_zone: str) -> Callable[[], datetime]:
    zone = ZoneInfo(time_zone)
    return lambda: datetime.now(zone).replace(tzinfo=None, microsecond=0)


class DeviceClock:
    def __init__(
        self, source: Callable[[], datetime] | None = None, *, time_zone: str = DEFAULT_TIME_ZONE
    ) -> None:
        self._source = source or local_time_of(time_zone)
        self._offset = timedelta()

    def now(self) -> datetime:
        return (self._source() + self._offset).replace(microsecond=0)

    def set(self, value: datetime) -> None:
        """What a Current Time write does: from now on the clock reads `value` onwards."""
        self._offset = value.replace(tzinfo=None) - self._source()

    @property
    def offset(self) -> timedelta:
        """How far the clock is from its time source (zero until set to something else)."""
        return self._offset
