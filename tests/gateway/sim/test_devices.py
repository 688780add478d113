"""Virtual devices on the air, spoken to in real ZDO/ZCL bytes as a coordinator would."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import zigpy.types as t
from zigpy.zcl import foundation
from zigpy.zcl.clusters.general import Basic, OnOff, PowerConfiguration
from zigpy.zcl.clusters.security import IasZone, ZoneStatus
from zigpy.zdo import types as zdo_t

from gateway.sim.air import ZDO_PROFILE, ZHA_PROFILE, Air, ApsFrame
from gateway.sim.catalog import GasValve, SmokeDetector, SosFob
from gateway.sim.codec import zcl_parse, zdo_frame, zdo_request

COORDINATOR_IEEE = t.EUI64.convert("00:21:2e:ff:ff:00:00:01")


class Coordinator:
    """The test plays the coordinator: it sends bytes and parses what comes back."""

    def __init__(self, air: Air) -> None:
        self.air = air
        self.inbox: asyncio.Queue[ApsFrame] = asyncio.Queue()
        air.attach_coordinator(self.inbox.put_nowait)
        self.tsn = 0

    async def next(self, cluster_id: int | None = None) -> ApsFrame:
        while True:
            frame = await asyncio.wait_for(self.inbox.get(), 2)
            if cluster_id is None or frame.cluster_id == cluster_id:
                return frame

    def zdo(self, nwk: int, command: zdo_t.ZDOCmd, *values: Any) -> bool:
        self.tsn += 1
        payload = zdo_frame(self.tsn, command, *values)
        return self.air.send_from_coordinator(
            ApsFrame(0, 0, nwk, 0, ZDO_PROFILE, int(command), payload)
        )

    def zcl(
        self, nwk: int, cluster: Any, command: foundation.GeneralCommand | str, **fields: Any
    ) -> bool:
        self.tsn += 1
        if isinstance(command, str):
            definition = cluster.commands_by_name[command]
            header = foundation.ZCLHeader.cluster(self.tsn, definition.id)
        else:
            definition = foundation.GENERAL_COMMANDS[command]
            header = foundation.ZCLHeader.general(self.tsn, command)
        payload = header.serialize() + definition.schema(**fields).serialize()
        return self.air.send_from_coordinator(
            ApsFrame(0, 1, nwk, 1, ZHA_PROFILE, cluster.cluster_id, payload)
        )


def zcl_body(frame: ApsFrame, cluster: Any) -> tuple[foundation.ZCLHeader, Any]:
    request = zcl_parse(frame.payload)
    if request.is_global:
        command = foundation.GENERAL_COMMANDS[foundation.GeneralCommand(request.header.command_id)]
    else:
        command = (
            cluster.client_commands.get(request.header.command_id)
            or cluster.server_commands[request.header.command_id]
        )
    args, _ = command.schema.deserialize(request.body)
    return request.header, args


@pytest.fixture
async def air() -> Air:
    medium = Air()
    medium.permit_joins(60)
    return medium


async def test_join_and_interview(air: Air) -> None:
    coordinator = Coordinator(air)
    smoke = SmokeDetector(air)
    smoke.join()
    annce = await coordinator.next(zdo_t.ZDOCmd.Device_annce)
    _, _, (nwk, ieee, _capability) = zdo_request(annce.payload, annce.cluster_id)
    assert (nwk, ieee) == (smoke.nwk, smoke.eui64)

    coordinator.zdo(nwk, zdo_t.ZDOCmd.Node_Desc_req, nwk)
    _, _, (status, _, descriptor) = zdo_request(*_payload(await coordinator.next(0x8002)))
    assert status == zdo_t.Status.SUCCESS
    assert descriptor.manufacturer_code == 0x120B
    assert descriptor.is_end_device

    coordinator.zdo(nwk, zdo_t.ZDOCmd.Active_EP_req, nwk)
    _, _, (_, _, endpoints) = zdo_request(*_payload(await coordinator.next(0x8005)))
    assert list(endpoints) == [1]

    coordinator.zdo(nwk, zdo_t.ZDOCmd.Simple_Desc_req, nwk, 1)
    _, _, (_, _, simple) = zdo_request(*_payload(await coordinator.next(0x8004)))
    assert sorted(simple.input_clusters) == [0x0000, 0x0001, 0x0003, 0x0500, 0x0502]
    assert simple.output_clusters == [0x0019]

    coordinator.zcl(
        nwk, Basic, foundation.GeneralCommand.Read_Attributes, attribute_ids=[4, 5, 0x4000]
    )
    _, answer = zcl_body(await coordinator.next(Basic.cluster_id), Basic)
    values = {record.attrid: (record.status, record.value) for record in answer.status_records}
    assert values[4][1].value == "HEIMAN"
    assert values[5][1].value == "SmokeSensor-EM"
    assert values[0x4000][0] == foundation.Status.UNSUPPORTED_ATTRIBUTE
    smoke.close()


def _payload(frame: ApsFrame) -> tuple[bytes, int]:
    return frame.payload, frame.cluster_id


async def test_ias_enrollment_alarm_and_restore(air: Air) -> None:
    coordinator = Coordinator(air)
    smoke = SmokeDetector(air)
    smoke.join()
    await coordinator.next(zdo_t.ZDOCmd.Device_annce)
    cie = foundation.Attribute(attrid=0x0010, value=foundation.TypeValue(0xF0, COORDINATOR_IEEE))
    coordinator.zcl(
        smoke.nwk, IasZone, foundation.GeneralCommand.Write_Attributes, attributes=[cie]
    )
    _, enroll = zcl_body(await coordinator.next(IasZone.cluster_id), IasZone)
    assert enroll.zone_type == IasZone.ZoneType.Fire_Sensor
    await coordinator.next(IasZone.cluster_id)  # the Write_Attributes_rsp
    coordinator.zcl(smoke.nwk, IasZone, "enroll_response", enroll_response_code=0, zone_id=7)
    _, default = zcl_body(await coordinator.next(IasZone.cluster_id), IasZone)
    assert default.status == foundation.Status.SUCCESS
    assert smoke.enrolled

    smoke.set_alarm(True)
    _, note = zcl_body(await coordinator.next(IasZone.cluster_id), IasZone)
    assert note.zone_status & ZoneStatus.Alarm_1
    assert note.zone_id == 7
    smoke.set_alarm(False)
    _, note = zcl_body(await coordinator.next(IasZone.cluster_id), IasZone)
    assert not note.zone_status & ZoneStatus.Alarm_1
    smoke.close()


async def test_battery_reports_when_configured(air: Air) -> None:
    coordinator = Coordinator(air)
    smoke = SmokeDetector(air)
    smoke.join()
    await coordinator.next()
    config = foundation.AttributeReportingConfig()
    config.direction = foundation.ReportingDirection.SendReports
    config.attrid = 0x0021
    config.datatype = foundation.DataTypeId.uint8
    config.min_interval, config.max_interval, config.reportable_change = 30, 3600, 2
    coordinator.zcl(
        smoke.nwk,
        PowerConfiguration,
        foundation.GeneralCommand.Configure_Reporting,
        config_records=[config],
    )
    await coordinator.next(PowerConfiguration.cluster_id)
    smoke.set_battery(10)
    _, report = zcl_body(await coordinator.next(PowerConfiguration.cluster_id), PowerConfiguration)
    assert [(r.attrid, r.value.value) for r in report.attribute_reports] == [(0x0021, 20)]
    _, note = zcl_body(await coordinator.next(IasZone.cluster_id), IasZone)
    assert note.zone_status & ZoneStatus.Battery  # low battery flagged in the zone status too
    smoke.close()


async def test_valve_closes_after_its_time_and_a_jammed_one_stays_open(air: Air) -> None:
    coordinator = Coordinator(air)
    valve = GasValve(air, close_seconds=0.05)
    valve.join()
    await coordinator.next()
    coordinator.zcl(valve.nwk, OnOff, "off")
    _, default = zcl_body(await coordinator.next(OnOff.cluster_id), OnOff)
    assert default.status == foundation.Status.SUCCESS
    _, report = zcl_body(await coordinator.next(OnOff.cluster_id), OnOff)
    assert report.attribute_reports[0].value.value == t.Bool.false
    assert not valve.is_open

    coordinator.zcl(valve.nwk, OnOff, "on")
    await coordinator.next(OnOff.cluster_id)
    await coordinator.next(OnOff.cluster_id)
    valve.jammed = True
    coordinator.zcl(valve.nwk, OnOff, "off")
    await coordinator.next(OnOff.cluster_id)
    _, report = zcl_body(await coordinator.next(OnOff.cluster_id), OnOff)
    assert report.attribute_reports[0].value.value == t.Bool.true
    valve.close()


async def test_silent_device_is_not_acked_and_sends_nothing(air: Air) -> None:
    coordinator = Coordinator(air)
    fob = SosFob(air)
    fob.join()
    await coordinator.next()
    fob.silent = True
    assert not coordinator.zdo(fob.nwk, zdo_t.ZDOCmd.Node_Desc_req, fob.nwk)
    fob.press_sos()
    await asyncio.sleep(0.01)
    assert coordinator.inbox.empty()
    fob.silent = False
    fob.press_sos()
    assert zcl_parse((await coordinator.next(0x0501)).payload).header.command_id == 0x02


async def test_garbage_to_a_device_is_ignored(air: Air) -> None:
    coordinator = Coordinator(air)
    smoke = SmokeDetector(air)
    smoke.join()
    await coordinator.next()
    for payload in (b"", b"\x00", b"\x18\x01\x00\xff\xff\xff", b"\xff" * 5):
        air.send_from_coordinator(ApsFrame(0, 1, smoke.nwk, 1, ZHA_PROFILE, 0x0500, payload))
        air.send_from_coordinator(ApsFrame(0, 0, smoke.nwk, 0, ZDO_PROFILE, 0x0004, payload))
    await asyncio.sleep(0.01)
    coordinator.zdo(smoke.nwk, zdo_t.ZDOCmd.Active_EP_req, smoke.nwk)
    frame = await coordinator.next(0x8005)
    assert frame.cluster_id == 0x8005  # still answering after the garbage
    smoke.close()


async def test_joins_only_while_permitted() -> None:
    air = Air()
    with pytest.raises(PermissionError):
        SmokeDetector(air).join()
