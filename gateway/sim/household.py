"""One virtual household: one of each safety device, the senior's 4-key service remote, its
Bluetooth health monitors (`ble`), and the controls tests and the demo use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .air import Air
from .ble.household import VirtualBleHousehold
from .catalog import (
    DoorSensor,
    GasDetector,
    GasValve,
    IasZoneDevice,
    MotionSensor,
    SceneSwitch,
    SmokeDetector,
    SosButton,
    SosFob,
)
from .device import VirtualDevice


@dataclass
class VirtualHousehold:
    air: Air = field(default_factory=Air)
    ble: VirtualBleHousehold = field(default_factory=VirtualBleHousehold)

    def __post_init__(self) -> None:
        self.smoke = SmokeDetector(self.air)
        self.gas = GasDetector(self.air)
        self.door = DoorSensor(self.air)
        self.motion = MotionSensor(self.air)
        self.sos = SosButton(self.air)
        self.sos_fob = SosFob(self.air)
        self.valve = GasValve(self.air)
        self.remote = SceneSwitch(self.air)

    @property
    def devices(self) -> dict[str, VirtualDevice]:
        return {
            "smoke": self.smoke,
            "gas": self.gas,
            "door": self.door,
            "motion": self.motion,
            "sos": self.sos,
            "sos_fob": self.sos_fob,
            "valve": self.valve,
            "remote": self.remote,
        }

    def device(self, name: str) -> VirtualDevice:
        try:
            return self.devices[name]
        except KeyError:
            raise KeyError(f"no device {name!r}; devices: {', '.join(self.devices)}") from None

    def join_all(self) -> None:
        for device in self.devices.values():
            device.join()

    def close(self) -> None:
        for device in self.devices.values():
            device.close()
        self.ble.close()

    def memory(self) -> dict[str, dict[str, Any]]:
        """The devices' non-volatile memory (IAS enrollment), to survive a simulator restart."""
        return {name: zone.memory() for name, zone in self.named_zones().items()}

    def restore(self, memory: dict[str, dict[str, Any]]) -> None:
        for name, zone in self.named_zones().items():
            if name in memory:
                zone.restore(memory[name])

    def named_zones(self) -> dict[str, IasZoneDevice]:
        return {n: d for n, d in self.devices.items() if isinstance(d, IasZoneDevice)}

    def zones(self) -> list[IasZoneDevice]:
        return [d for d in self.devices.values() if isinstance(d, IasZoneDevice)]
