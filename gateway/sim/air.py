"""The shared medium of the simulated Zigbee network: APS frames between coordinator and devices.

The radio emulator (the coordinator side) and the virtual devices know only this module. It routes
by NWK address, hands out addresses to devices that join while joins are permitted, and delivers
asynchronously (one loop iteration later), as a real radio would.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

_LOGGER = logging.getLogger(__name__)

COORDINATOR_NWK = 0x0000
BROADCAST_ALL = 0xFFFF
BROADCAST_RX_ON_WHEN_IDLE = 0xFFFD
BROADCAST_ROUTERS = 0xFFFC
BROADCASTS = frozenset({BROADCAST_ALL, BROADCAST_RX_ON_WHEN_IDLE, BROADCAST_ROUTERS})

ZDO_PROFILE = 0x0000
ZHA_PROFILE = 0x0104


@dataclass(frozen=True, slots=True)
class ApsFrame:
    """One APS data frame; `payload` is the ASDU exactly as it is on the air (ZDO or ZCL bytes)."""

    src_nwk: int
    src_ep: int
    dst_nwk: int
    dst_ep: int
    profile_id: int
    cluster_id: int
    payload: bytes
    lqi: int = 255
    rssi: int = -45


class AirDevice(Protocol):
    """What the air needs of a virtual device."""

    ieee: bytes  # 8 bytes, little-endian as on the air
    nwk: int | None  # None until joined

    def receive(self, frame: ApsFrame) -> None:
        """A frame addressed to this device (or broadcast) arrived."""

    @property
    def reachable(self) -> bool:
        """False while the device is silent (off the air): frames to it are not acked."""


class Air:
    def __init__(self) -> None:
        self._coordinator: Callable[[ApsFrame], None] | None = None
        self._devices: dict[int, AirDevice] = {}
        self._next_nwk = itertools.count(0x1001)
        self._permit_until = 0.0

    # Coordinator side (the radio emulator)

    def attach_coordinator(self, deliver: Callable[[ApsFrame], None]) -> None:
        self._coordinator = deliver

    def detach_coordinator(self) -> None:
        self._coordinator = None

    def permit_joins(self, seconds: float) -> None:
        self._permit_until = asyncio.get_running_loop().time() + seconds if seconds else 0.0

    @property
    def joins_permitted(self) -> bool:
        return asyncio.get_running_loop().time() < self._permit_until

    def send_from_coordinator(self, frame: ApsFrame) -> bool:
        """Deliver a coordinator frame; False when no device acked (unknown or silent)."""
        loop = asyncio.get_running_loop()
        if frame.dst_nwk in BROADCASTS:
            for listener in list(self._devices.values()):
                if listener.reachable:
                    loop.call_soon(listener.receive, frame)
            return True
        target = self._devices.get(frame.dst_nwk)
        if target is None or not target.reachable:
            return False
        loop.call_soon(target.receive, frame)
        return True

    # Device side

    def join(self, device: AirDevice) -> int:
        """Give a joining device its NWK address (kept across rejoins); raise if not permitted."""
        if device.nwk is not None and self._devices.get(device.nwk) is device:
            return device.nwk
        if not self.joins_permitted:
            raise PermissionError("the network is not permitting joins")
        nwk = device.nwk if device.nwk is not None else next(self._next_nwk)
        self._devices[nwk] = device
        return nwk

    def leave(self, device: AirDevice) -> None:
        if device.nwk is not None:
            self._devices.pop(device.nwk, None)

    def to_coordinator(self, frame: ApsFrame) -> None:
        if self._coordinator is None:
            _LOGGER.debug("No coordinator on the air; dropped %s", frame)
            return
        asyncio.get_running_loop().call_soon(self._coordinator, frame)
