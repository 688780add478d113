"""Virtual products with the signatures of real ones (manufacturer, model, endpoints, clusters).

The signatures are what these products present on the air, so zigpy and the real zha-quirks treat
them as the real thing (the HEIMAN SmokeSensor-EM quirk, for one, applies to our smoke detector).
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import zigpy.types as t
from zigpy.profiles import zha
from zigpy.zcl import foundation
from zigpy.zcl.clusters.general import Identify, OnOff, Ota, PowerConfiguration, Time
from zigpy.zcl.clusters.security import IasAce, IasWd, IasZone, ZoneStatus, ZoneType

from .air import Air
from .codec import zcl_cluster_frame
from .device import TO_SERVER, ClusterState, Endpoint, VirtualDevice, server

HEIMAN = "HEIMAN"
HEIMAN_CODE = 0x120B
SUCCESS = foundation.Status.SUCCESS

LOW_BATTERY_PERCENT = 15  # under this the IAS "battery" bit is set, as the products do
DEFAULT_SUPERVISION_SECONDS = 300.0


def _battery_servers() -> dict[int, ClusterState]:
    power = server(PowerConfiguration, battery_voltage=30, battery_percentage_remaining=200)
    return {PowerConfiguration.cluster_id: power}


class BatteryMixin(VirtualDevice):
    def set_battery(self, percent: int) -> None:
        """Drain or charge: percentage and voltage change, and are reported if configured."""
        percent = max(0, min(100, percent))
        self.set_attribute(
            1, PowerConfiguration.cluster_id, "battery_percentage_remaining", percent * 2
        )
        self.set_attribute(
            1, PowerConfiguration.cluster_id, "battery_voltage", 22 + percent * 8 // 100
        )
        self.on_battery_changed(percent)

    def on_battery_changed(self, percent: int) -> None:
        """Hook: IAS zones also flag a low battery in their zone status."""

    @property
    def has_battery(self) -> bool:
        return PowerConfiguration.cluster_id in self.endpoints[1].servers

    @property
    def battery_percent(self) -> int:
        value = (
            self.endpoints[1]
            .servers[PowerConfiguration.cluster_id]
            .get("battery_percentage_remaining")
        )
        return int(value) // 2


class IasZoneDevice(BatteryMixin):
    """An IAS zone: enrolls with the CIE, then notifies zone status changes (alarm, tamper, battery)
    and, like supervised security sensors, repeats its status every supervision interval."""

    def __init__(
        self,
        air: Air,
        ieee: str,
        model: str,
        zone_type: ZoneType,
        *,
        manufacturer: str = HEIMAN,
        battery: bool = True,
        extra_servers: tuple[ClusterState, ...] = (),
        supervision_seconds: float | None = DEFAULT_SUPERVISION_SECONDS,
    ) -> None:
        servers = _battery_servers() if battery else {}
        servers[Identify.cluster_id] = server(Identify, identify_time=0)
        servers[IasZone.cluster_id] = server(
            IasZone,
            zone_state=IasZone.ZoneState.Not_enrolled,
            zone_type=zone_type,
            zone_status=ZoneStatus.Supervision_reports | ZoneStatus.Restore_reports,
            cie_addr=[0] * 8,
            zone_id=0xFF,
        )
        for extra in extra_servers:
            servers[extra.definition.cluster_id] = extra
        endpoint = Endpoint(1, zha.DeviceType.IAS_ZONE, servers, [Ota.cluster_id])
        super().__init__(
            air,
            ieee,
            manufacturer,
            model,
            [endpoint],
            manufacturer_code=HEIMAN_CODE,
            mains_powered=not battery,
        )
        self.supervision_seconds = supervision_seconds
        self._supervision: asyncio.TimerHandle | None = None
        self._enroll_retry: asyncio.TimerHandle | None = None
        self.add_command_handler(IasZone.cluster_id, 0x00, self._on_enroll_response)
        self.add_command_handler(IasZone.cluster_id, 0x01, lambda _ep, _args: SUCCESS)
        self.add_command_handler(Identify.cluster_id, 0x00, lambda _ep, _args: SUCCESS)

    @property
    def _zone(self) -> ClusterState:
        return self.endpoints[1].servers[IasZone.cluster_id]

    @property
    def enrolled(self) -> bool:
        return bool(self._zone.get("zone_state") == IasZone.ZoneState.Enrolled)

    @property
    def zone_status(self) -> ZoneStatus:
        return ZoneStatus(self._zone.get("zone_status"))

    def on_attribute_written(self, endpoint_id: int, cluster_id: int, name: str) -> None:
        if cluster_id == IasZone.cluster_id and name == "cie_addr":
            # The product asks to enroll as soon as it learns where the CIE is.
            self.send_command(
                1,
                IasZone,
                "enroll",
                zone_type=self._zone.get("zone_type"),
                manufacturer_code=HEIMAN_CODE,
            )

    def _on_enroll_response(self, _endpoint_id: int, args: Any) -> foundation.Status:
        if args.enroll_response_code == IasZone.EnrollResponse.Success:
            self._zone.set("zone_state", IasZone.ZoneState.Enrolled)
            self._zone.set("zone_id", args.zone_id)
            self._arm_supervision()
        return SUCCESS

    def memory(self) -> dict[str, Any]:
        """What the product keeps in flash across power cycles: its enrollment."""
        zone = self._zone
        return {
            "zone_state": int(zone.get("zone_state")),
            "zone_id": int(zone.get("zone_id")),
            "cie_addr": str(zone.get("cie_addr")),
        }

    def restore(self, memory: dict[str, Any]) -> None:
        self._zone.set("zone_state", memory["zone_state"])
        self._zone.set("zone_id", memory["zone_id"])
        self._zone.set("cie_addr", t.EUI64.convert(memory["cie_addr"]))

    def set_alarm(self, active: bool) -> None:
        self._set_bit(ZoneStatus.Alarm_1, active)

    def set_tamper(self, active: bool) -> None:
        self._set_bit(ZoneStatus.Tamper, active)

    def on_battery_changed(self, percent: int) -> None:
        self._set_bit(ZoneStatus.Battery, percent < LOW_BATTERY_PERCENT)

    def _set_bit(self, bit: ZoneStatus, active: bool) -> None:
        status = self.zone_status | bit if active else self.zone_status & ~bit
        if status != self.zone_status:
            self._zone.set("zone_status", status)
            self.notify_status()

    def notify_status(self) -> None:
        self.send_command(
            1,
            IasZone,
            "status_change_notification",
            zone_status=self.zone_status,
            extended_status=0,
            zone_id=self._zone.get("zone_id"),
            delay=0,
        )
        self._arm_supervision()

    def _arm_supervision(self) -> None:
        if self._supervision is not None:
            self._supervision.cancel()
            self._supervision = None
        if self.supervision_seconds:
            self._supervision = asyncio.get_running_loop().call_later(
                self.supervision_seconds, self.notify_status
            )

    def close(self) -> None:
        super().close()
        for timer in (self._supervision, self._enroll_retry):
            if timer is not None:
                timer.cancel()
        self._supervision = self._enroll_retry = None


class SmokeDetector(IasZoneDevice):
    """HEIMAN SmokeSensor-EM (HS1SA): battery, IAS zone Fire_Sensor, an IAS WD the quirk hides."""

    def __init__(self, air: Air, ieee: str = "00:0d:6f:00:0e:c1:00:01") -> None:
        super().__init__(
            air,
            ieee,
            "SmokeSensor-EM",
            ZoneType.Fire_Sensor,
            extra_servers=(server(IasWd, max_duration=240),),
        )


class GasDetector(IasZoneDevice):
    """HEIMAN GASSensor-EM (HS1CG): mains natural-gas detector; ZHA shows device class gas."""

    def __init__(self, air: Air, ieee: str = "00:0d:6f:00:0e:c1:00:02") -> None:
        super().__init__(air, ieee, "GASSensor-EM", ZoneType.Carbon_Monoxide_Sensor, battery=False)


class DoorSensor(IasZoneDevice):
    """HEIMAN DoorSensor-N (HS1DS): battery door/window contact."""

    def __init__(self, air: Air, ieee: str = "00:0d:6f:00:0e:c1:00:03") -> None:
        super().__init__(air, ieee, "DoorSensor-N", ZoneType.Contact_Switch)


class MotionSensor(IasZoneDevice):
    """HEIMAN PIRSensor-N (HS1MS): battery PIR; the alarm bit clears itself after a blind time."""

    BLIND_SECONDS = 30.0

    def __init__(self, air: Air, ieee: str = "00:0d:6f:00:0e:c1:00:04") -> None:
        super().__init__(air, ieee, "PIRSensor-N", ZoneType.Motion_Sensor)
        self._blind: asyncio.TimerHandle | None = None

    def detect(self, clear_after: float | None = None) -> None:
        self.set_alarm(True)
        if self._blind is not None:
            self._blind.cancel()
        self._blind = asyncio.get_running_loop().call_later(
            self.BLIND_SECONDS if clear_after is None else clear_after, self.set_alarm, False
        )

    def close(self) -> None:
        super().close()
        if self._blind is not None:
            self._blind.cancel()


class SosButton(IasZoneDevice):
    """HEIMAN SOS-EM (HS1EB-E): battery panic button, IAS zone Personal_Emergency_Device."""

    def __init__(self, air: Air, ieee: str = "00:0d:6f:00:0e:c1:00:05") -> None:
        super().__init__(air, ieee, "SOS-EM", ZoneType.Personal_Emergency_Device)

    def press(self) -> None:
        """A press is an alarm that the button restores a moment later, as the product does."""
        self.set_alarm(True)
        asyncio.get_running_loop().call_later(1.0, self.set_alarm, False)


class SosFob(BatteryMixin):
    """HEIMAN RC-EM key fob: an IAS ACE client whose SOS key sends the ACE `emergency` command."""

    def __init__(self, air: Air, ieee: str = "00:0d:6f:00:0e:c1:00:06") -> None:
        servers = _battery_servers()
        servers[Identify.cluster_id] = server(Identify, identify_time=0)
        endpoint = Endpoint(
            1, zha.DeviceType.IAS_ANCILLARY_CONTROL, servers, [IasAce.cluster_id, Ota.cluster_id]
        )
        super().__init__(air, ieee, HEIMAN, "RC-EM", [endpoint], manufacturer_code=HEIMAN_CODE)

    def press_sos(self) -> None:
        self.send_command(1, IasAce, "emergency")


class SonoffButton(BatteryMixin):
    """eWeLink (SONOFF) SNZB-01 wireless button: an On/Off client with no entity of its own in
    ZHA; its presses reach HA only as `zha_event`s. Installers fit it as a bedside SOS button."""

    def __init__(self, air: Air, ieee: str = "00:12:4b:00:25:1e:00:07") -> None:
        servers = _battery_servers()
        servers[Identify.cluster_id] = server(Identify, identify_time=0)
        endpoint = Endpoint(
            1, zha.DeviceType.ON_OFF_SWITCH, servers, [Identify.cluster_id, OnOff.cluster_id]
        )
        super().__init__(air, ieee, "eWeLink", "WB01", [endpoint], manufacturer_code=0x1286)

    def press(self, how: str = "single") -> None:
        """single, double or long: toggle, on or off, as the product sends them."""
        command = {"single": "toggle", "double": "on", "long": "off"}[how]
        self.send_command(1, OnOff, command)


class _TuyaPress(foundation.CommandSchema):
    """The payload of Tuya's scene-switch press (On/Off cluster command 0xFD)."""

    press_type: t.uint8_t


class SceneSwitch(BatteryMixin):
    """Tuya TS0044 (_TZ3000_wkai4ga5) 4-gang wireless scene switch: one endpoint per key, each
    with Power Configuration and an On/Off server, the first with Basic and Time/OTA clients
    (the signature of zha-quirks' TuyaSmartRemote0044TO). A key press is Tuya's own command
    0xFD on that key's On/Off cluster, sent client-to-server as the product does; the quirk
    turns it into a `zha_event` (remote_button_short_press, ...) for that endpoint. Installers
    fit it as the senior's service remote (by default SOS, repair, meal, call me back)."""

    KEYS = 4
    PRESS_COMMAND = 0xFD
    PRESS_TYPES: ClassVar[dict[str, int]] = {"single": 0x00, "double": 0x01, "long": 0x02}

    def __init__(self, air: Air, ieee: str = "a4:c1:38:5e:0a:44:00:08") -> None:
        endpoints = []
        for key in range(1, self.KEYS + 1):
            servers = _battery_servers()
            servers[OnOff.cluster_id] = server(OnOff, on_off=False)
            clients: list[int] = [Time.cluster_id, Ota.cluster_id] if key == 1 else []
            endpoints.append(Endpoint(key, zha.DeviceType.ON_OFF_SWITCH, servers, clients))
        super().__init__(
            air, ieee, "_TZ3000_wkai4ga5", "TS0044", endpoints, manufacturer_code=0x1141
        )

    def press(self, key: int, how: str = "single") -> None:
        """Key 1..4, single, double or long."""
        if key not in self.endpoints:
            raise ValueError(f"the remote has keys 1 to {self.KEYS}, not {key}")
        payload = zcl_cluster_frame(
            self._next_tsn(),
            self.PRESS_COMMAND,
            _TuyaPress,
            TO_SERVER,
            want_default_response=True,  # the product repeats the frame until it is answered
            press_type=self.PRESS_TYPES[how],
        )
        self._send_zcl(key, OnOff.cluster_id, payload)


class GasValve(VirtualDevice):
    """A mains-powered motorised gas shut-off valve on the On/Off cluster (on = open).

    Closing takes `close_seconds`. A jammed valve accepts the command but, when the time is up,
    still reports itself open, which is what a stalled motor with an end-stop switch reports.
    """

    def __init__(
        self, air: Air, ieee: str = "00:0d:6f:00:0e:c1:00:07", close_seconds: float = 2.0
    ) -> None:
        servers: dict[int, ClusterState] = {
            Identify.cluster_id: server(Identify, identify_time=0),
            OnOff.cluster_id: server(OnOff, on_off=True),
        }
        endpoint = Endpoint(1, zha.DeviceType.ON_OFF_OUTPUT, servers, [Ota.cluster_id])
        super().__init__(air, ieee, "_TZ3000_gasvalve", "TS0001-GV", [endpoint], mains_powered=True)
        self.close_seconds = close_seconds
        self.jammed = False
        self._motion: asyncio.TimerHandle | None = None
        self.add_command_handler(OnOff.cluster_id, 0x00, lambda _ep, _a: self._move(open_=False))
        self.add_command_handler(OnOff.cluster_id, 0x01, lambda _ep, _a: self._move(open_=True))
        self.add_command_handler(
            OnOff.cluster_id, 0x02, lambda _ep, _a: self._move(not self.is_open)
        )
        self.add_command_handler(Identify.cluster_id, 0x00, lambda _ep, _args: SUCCESS)

    @property
    def is_open(self) -> bool:
        return bool(self.endpoints[1].servers[OnOff.cluster_id].get("on_off"))

    def _move(self, open_: bool) -> foundation.Status:
        if self._motion is not None:
            self._motion.cancel()
        self._motion = asyncio.get_running_loop().call_later(
            self.close_seconds, self._arrive, open_
        )
        return SUCCESS

    def _arrive(self, open_: bool) -> None:
        self._motion = None
        reached = self.is_open if self.jammed else open_
        # Always report at the end of a movement: it is how the CIE learns the real position.
        cluster = self.endpoints[1].servers[OnOff.cluster_id]
        attribute_id = cluster.set("on_off", reached)
        self.report(1, OnOff.cluster_id, [attribute_id])

    def turn_by_hand(self, open_: bool) -> None:
        self._move(open_)

    def close(self) -> None:
        super().close()
        if self._motion is not None:
            self._motion.cancel()
