"""Supervision: a safety device that is not heard within its window is itself an alarm, and
so is a battery running out. One repair issue per device; both clear on recovery."""

from __future__ import annotations

from datetime import datetime

from ...alarms import AlarmKind
from ..desk import AlarmDesk
from ..effects import RepairClosed, RepairOpened
from ..observations import BatteryLevel, DeviceHeard, Observation

BATTERY_HYSTERESIS = 5.0  # percent above the threshold before "low" is over


class SupervisionRule:
    def __init__(
        self, desk: AlarmDesk, offline: dict[str, str], battery_low: dict[str, str]
    ) -> None:
        self._desk = desk
        self._supervised: dict[str, str] = {}  # device -> name
        self._last_heard: dict[str, datetime] = {}
        self.offline = offline  # device -> name; persisted by the engine
        self.battery_low = battery_low

    def supervise(self, devices: dict[str, str], now: datetime) -> None:
        """The devices to supervise; a newcomer gets a full window before it counts."""
        self._supervised = dict(devices)
        for device in devices:
            self._last_heard.setdefault(device, now)
        for device in set(self._last_heard) - set(devices):
            del self._last_heard[device]

    def handle(self, observation: Observation, now: datetime) -> None:
        match observation:
            case DeviceHeard(device, name, at):
                heard = now if at is None else min(at, now)
                last = self._last_heard.get(device)
                if at is not None and last is not None and heard <= last:
                    return  # the same or an older "last seen": nothing new from the device
                if device in self._supervised:  # others (a motion sensor) are not timed
                    self._last_heard[device] = heard
                if device in self.offline:
                    self._recovered(device, name, now)
            case BatteryLevel(device, name, percent):
                self._battery(device, name, percent, now)
            case _:
                pass

    def _recovered(self, device: str, name: str, now: datetime) -> None:
        del self.offline[device]
        self._desk.emit(RepairClosed(device, "device_offline"))
        alarm = self._desk.book.open_of_kind(AlarmKind.DEVICE_OFFLINE)
        if alarm is not None and not self.offline:
            self._desk.clear(alarm, f"{name} is back", now, resolve=True)

    def _battery(self, device: str, name: str, percent: float, now: datetime) -> None:
        threshold = self._desk.settings.battery_low_percent
        if percent < threshold and device not in self.battery_low:
            self.battery_low[device] = name
            placeholders = {"name": name, "percent": f"{percent:g}"}
            self._desk.emit(RepairOpened(device, name, "battery_low", placeholders))
            self._desk.raise_alarm(AlarmKind.BATTERY_LOW, f"{name}: {percent:g} %", now, name)
        elif percent >= threshold + BATTERY_HYSTERESIS and device in self.battery_low:
            del self.battery_low[device]
            self._desk.emit(RepairClosed(device, "battery_low"))
            alarm = self._desk.book.open_of_kind(AlarmKind.BATTERY_LOW)
            if alarm is not None and not self.battery_low:
                self._desk.clear(alarm, f"{name} battery replaced", now, resolve=True)

    def tick(self, now: datetime) -> None:
        window = self._desk.settings.supervision_window
        for device, heard in self._last_heard.items():
            if device not in self.offline and heard + window <= now:
                name = self._supervised.get(device, device)
                self.offline[device] = name
                minutes = f"{window.total_seconds() / 60:g}"
                self._desk.emit(
                    RepairOpened(device, name, "device_offline", {"name": name, "minutes": minutes})
                )
                self._desk.raise_alarm(
                    AlarmKind.DEVICE_OFFLINE, f"{name}: not heard for {minutes} min", now, name
                )

    def next_deadline(self) -> datetime | None:
        window = self._desk.settings.supervision_window
        return min(
            (h + window for d, h in self._last_heard.items() if d not in self.offline),
            default=None,
        )
