"""One household's Bluetooth health monitors, by short name: bp, oximeter, glucose,
thermometer, hr, scale. Every monitor keeps its own clock, in the home's time zone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from .clock import DEFAULT_TIME_ZONE, DeviceClock
from .device import Timing, VirtualBleDevice
from .devices import (
    BloodPressureMonitor,
    GlucoseMeter,
    HeartRateStrap,
    PulseOximeter,
    Scale,
    Thermometer,
)


class VirtualBleHousehold:
    def __init__(
        self,
        *,
        time_zone: str = DEFAULT_TIME_ZONE,
        clock: Callable[[], datetime] | None = None,
        timing: Timing | None = None,
    ) -> None:
        """`clock`: the time source of every monitor's clock (naive local time); default
        the local time in `time_zone`. `timing`: advertising and hang-up times."""

        def own_clock() -> DeviceClock:
            return DeviceClock(clock, time_zone=time_zone)

        self.bp = BloodPressureMonitor(clock=own_clock(), timing=timing)
        self.oximeter = PulseOximeter(clock=own_clock(), timing=timing)
        self.glucose = GlucoseMeter(clock=own_clock(), timing=timing)
        self.thermometer = Thermometer(clock=own_clock(), timing=timing)
        self.hr = HeartRateStrap(clock=own_clock(), timing=timing)
        self.scale = Scale(clock=own_clock(), timing=timing)

    @property
    def devices(self) -> dict[str, VirtualBleDevice]:
        return {
            "bp": self.bp,
            "oximeter": self.oximeter,
            "glucose": self.glucose,
            "thermometer": self.thermometer,
            "hr": self.hr,
            "scale": self.scale,
        }

    def device(self, name: str) -> VirtualBleDevice:
        try:
            return self.devices[name]
        except KeyError:
            raise KeyError(
                f"no Bluetooth device {name!r}; devices: {', '.join(self.devices)}"
            ) from None

    def by_address(self, address: str) -> VirtualBleDevice | None:
        wanted = address.upper()
        return next((d for d in self.devices.values() if d.address == wanted), None)

    def status(self) -> dict[str, dict[str, Any]]:
        return {name: device.status() for name, device in self.devices.items()}

    def close(self) -> None:
        for device in self.devices.values():
            device.close()
