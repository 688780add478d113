"""Inactivity: no sign of life for N hours of the resident's day -> ask first, then alarm.

Only time inside the day window counts, so a night's sleep is never "inactivity": with a
07:00-22:00 day and a 4 h limit, last seen at 21:30 means the pre-warning comes at 10:30.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo

from ...alarms import AlarmAction, AlarmKind
from ..desk import AlarmDesk
from ..effects import Announce
from ..observations import Activity, Observation
from ..settings import DailyWindow


def _day_intervals(
    window: DailyWindow, tz: tzinfo, since: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """The window's stretches of real time from `since` on, clipped to start at `since`.

    In UTC, so that lengths and sums are real time on the days the clocks change.
    """
    day = since.astimezone(tz).date() - timedelta(days=1)
    wraps = window.end <= window.start
    while True:
        start = datetime.combine(day, window.start, tz)
        end = datetime.combine(day + timedelta(days=1) if wraps else day, window.end, tz)
        if end > since:
            yield max(start, since).astimezone(UTC), end.astimezone(UTC)
        day += timedelta(days=1)


def when_day_time_reaches(
    since: datetime, amount: timedelta, window: DailyWindow, tz: tzinfo
) -> datetime:
    """The moment at which `amount` of in-window time has passed since `since`."""
    remaining = amount
    for start, end in _day_intervals(window, tz, since):
        if end - start >= remaining:
            return start + remaining
        remaining -= end - start
    raise AssertionError("unreachable: the intervals never end")


class InactivityRule:
    def __init__(self, desk: AlarmDesk, last_activity: datetime) -> None:
        self._desk = desk
        self.last_activity = last_activity
        self.prewarned_at: datetime | None = None

    def handle(self, observation: Observation, now: datetime) -> None:
        match observation:
            case Activity(source):
                self.activity(source, now)
            case _:
                pass

    def activity(self, source: str, now: datetime) -> None:
        self.last_activity = now
        self.prewarned_at = None
        alarm = self._desk.book.open_of_kind(AlarmKind.INACTIVITY)
        if alarm is not None and alarm.cleared_at is None:
            self._desk.clear(alarm, f"activity: {source}", now)

    def cancel_prewarning(self, now: datetime) -> bool:
        """The resident answered the pre-warning ("I'm fine")."""
        if self._pending_prewarning() is None:
            return False
        self.activity("resident answered the pre-warning", now)
        return True

    def _last_resolved(self) -> datetime | None:
        """When a person last closed an inactivity alarm: someone has looked since then."""
        return max(
            (
                entry.at
                for alarm in self._desk.book.all_alarms()
                if alarm.kind is AlarmKind.INACTIVITY and not alarm.open
                for entry in alarm.history
                if entry.action in (AlarmAction.RESOLVED, AlarmAction.CANCELLED)
            ),
            default=None,
        )

    def _pending_prewarning(self) -> datetime | None:
        """The unanswered pre-warning, unless the alarm it raised has since been resolved."""
        resolved = self._last_resolved()
        if self.prewarned_at is not None and resolved is not None and resolved >= self.prewarned_at:
            return None
        return self.prewarned_at

    def _prewarning_due(self) -> datetime:
        settings = self._desk.settings
        resolved = self._last_resolved()
        since = self.last_activity if resolved is None else max(self.last_activity, resolved)
        return when_day_time_reaches(
            since, settings.inactivity_limit, settings.day_window, settings.time_zone
        )

    def tick(self, now: datetime) -> None:
        if self._desk.book.open_of_kind(AlarmKind.INACTIVITY) is not None:
            return
        prewarned_at = self._pending_prewarning()
        if prewarned_at is None:
            if self._prewarning_due() <= now:
                self.prewarned_at = now
                self._desk.emit(Announce("inactivity_prewarning"))
        elif prewarned_at + self._desk.settings.prewarning_period <= now:
            alarm = self._desk.raise_alarm(AlarmKind.INACTIVITY, "no activity", now)
            self._desk.record(
                alarm, AlarmAction.PREWARNING, "household", now, "pre-warning unanswered"
            )

    def next_deadline(self) -> datetime | None:
        if self._desk.book.open_of_kind(AlarmKind.INACTIVITY) is not None:
            return None
        prewarned_at = self._pending_prewarning()
        if prewarned_at is None:
            return self._prewarning_due()
        return prewarned_at + self._desk.settings.prewarning_period
