"""A virtual Zigbee device: answers the ZDO interview and ZCL requests, keeps attributes, reports.

Behaviour follows what real end devices do on the air: a Device_annce on join, descriptors from
ZDO, Read/Write/Configure_Reporting answered per endpoint and cluster, default responses for
commands, attribute reports honouring the configured maximum interval, and silence (no acks at all)
while "gone silent". Subclasses in `catalog.py` add the product-specific behaviour.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import zigpy.types as t
from zigpy.zcl import Cluster, foundation
from zigpy.zcl.clusters.general import Basic
from zigpy.zdo import types as zdo_t

from .air import COORDINATOR_NWK, ZDO_PROFILE, ZHA_PROFILE, Air, ApsFrame
from .codec import (
    MalformedFrame,
    ZclRequest,
    node_descriptor,
    typed_value,
    zcl_cluster_args,
    zcl_cluster_frame,
    zcl_global_args,
    zcl_global_frame,
    zcl_parse,
    zdo_frame,
    zdo_request,
)

_LOGGER = logging.getLogger(__name__)

COORDINATOR_ENDPOINT = 1  # where zigpy's coordinator listens for ZHA-profile frames
GC = foundation.GeneralCommand
TO_CLIENT = foundation.Direction.Server_to_Client
TO_SERVER = foundation.Direction.Client_to_Server

CommandHandler = Callable[[int, Any], foundation.Status]


@dataclass
class ClusterState:
    """A server cluster of an endpoint: zigpy's definition plus this device's attribute values."""

    definition: type[Cluster]
    values: dict[int, Any] = field(default_factory=dict)
    max_intervals: dict[int, int] = field(default_factory=dict)  # attribute id -> seconds

    def set(self, name: str, value: Any) -> int:
        attribute = self.definition.attributes_by_name[name]
        self.values[attribute.id] = attribute.type(value)
        return int(attribute.id)

    def get(self, name: str) -> Any:
        return self.values.get(self.definition.attributes_by_name[name].id)

    def record(self, attribute_id: int) -> foundation.ReadAttributeRecord:
        attribute = self.definition.attributes.get(attribute_id)
        if attribute is None or attribute_id not in self.values:
            return foundation.ReadAttributeRecord(
                attrid=t.uint16_t(attribute_id), status=foundation.Status.UNSUPPORTED_ATTRIBUTE
            )
        return foundation.ReadAttributeRecord(
            attrid=t.uint16_t(attribute_id),
            status=foundation.Status.SUCCESS,
            value=typed_value(attribute.type, self.values[attribute_id]),
        )


@dataclass
class Endpoint:
    id: int
    device_type: int
    servers: dict[int, ClusterState]
    client_cluster_ids: list[int] = field(default_factory=list)
    profile_id: int = ZHA_PROFILE

    def descriptor(self) -> zdo_t.SizePrefixedSimpleDescriptor:
        return zdo_t.SizePrefixedSimpleDescriptor(
            endpoint=self.id,
            profile=self.profile_id,
            device_type=self.device_type,
            device_version=0,
            input_clusters=list(self.servers),
            output_clusters=self.client_cluster_ids,
        )


def server(definition: type[Cluster], **values: Any) -> ClusterState:
    state = ClusterState(definition)
    for name, value in values.items():
        state.set(name, value)
    return state


BROADCAST_ENDPOINT = 0xFF


class VirtualDevice:
    """One device on the simulated air. Everything it sends goes through `Air` as bytes."""

    def __init__(
        self,
        air: Air,
        ieee: str,
        manufacturer: str,
        model: str,
        endpoints: list[Endpoint],
        *,
        manufacturer_code: int = 0x1234,
        mains_powered: bool = False,
    ) -> None:
        self.air = air
        self.eui64 = t.EUI64.convert(ieee)
        self.ieee = bytes(self.eui64.serialize())
        self.manufacturer = manufacturer
        self.model = model
        self.endpoints = {endpoint.id: endpoint for endpoint in endpoints}
        self.manufacturer_code = manufacturer_code
        self.mains_powered = mains_powered
        self.nwk: int | None = None  # kept after leaving: a rejoin gets the same address back
        self.joined = False
        self.silent = False
        self.received: list[ApsFrame] = []  # what reached the device, for tests
        self._tsn = 0
        self._command_handlers: dict[tuple[int, int], CommandHandler] = {}
        self._reporters: dict[tuple[int, int, int], asyncio.TimerHandle] = {}
        basic = endpoints[0].servers.setdefault(0x0000, ClusterState(Basic))
        basic.set("manufacturer", manufacturer)
        basic.set("model", model)
        basic.set("zcl_version", 8)
        basic.set("power_source", 0x01 if mains_powered else 0x03)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.model} {self.eui64} nwk={self.nwk}>"

    # On and off the air

    @property
    def reachable(self) -> bool:
        return self.joined and not self.silent

    def join(self) -> None:
        """Join (or rejoin) while the network permits joins, then announce ourselves."""
        self.nwk = self.air.join(self)
        self.joined = True
        capability = (
            0x8E if self.mains_powered else 0x80
        )  # allocate address (+ FFD, mains, RxOnIdle)
        self._send_zdo(
            zdo_t.ZDOCmd.Device_annce, self._next_tsn(), t.NWK(self.nwk), self.eui64, capability
        )

    def leave(self) -> None:
        self.air.leave(self)
        self.joined = False
        self._cancel_reports()

    def close(self) -> None:
        """Stop timers (tests and the demo call this on shutdown)."""
        self._cancel_reports()

    # What arrives

    def receive(self, frame: ApsFrame) -> None:
        if self.silent:
            return
        self.received.append(frame)
        try:
            if frame.profile_id == ZDO_PROFILE and frame.dst_ep == 0:
                self._on_zdo(frame)
            else:
                self._on_zcl(frame)
        except MalformedFrame as err:
            _LOGGER.warning("%r ignored a malformed frame: %s", self, err)

    def _on_zdo(self, frame: ApsFrame) -> None:
        tsn, command, args = zdo_request(frame.payload, frame.cluster_id)
        nwk = t.NWK(self.nwk or 0)
        success = zdo_t.Status.SUCCESS
        if command == zdo_t.ZDOCmd.Node_Desc_req:
            self._send_zdo(zdo_t.ZDOCmd.Node_Desc_rsp, tsn, success, nwk, self.node_descriptor())
        elif command == zdo_t.ZDOCmd.Active_EP_req:
            self._send_zdo(zdo_t.ZDOCmd.Active_EP_rsp, tsn, success, nwk, list(self.endpoints))
        elif command == zdo_t.ZDOCmd.Simple_Desc_req:
            endpoint = self.endpoints.get(int(args[1]))
            if endpoint is None:
                self._send_zdo(zdo_t.ZDOCmd.Simple_Desc_rsp, tsn, zdo_t.Status.NOT_ACTIVE, nwk)
            else:
                self._send_zdo(
                    zdo_t.ZDOCmd.Simple_Desc_rsp, tsn, success, nwk, endpoint.descriptor()
                )
        elif command in (zdo_t.ZDOCmd.Bind_req, zdo_t.ZDOCmd.Unbind_req):
            self._send_zdo(zdo_t.ZDOCmd(command | 0x8000), tsn, success)
        elif command == zdo_t.ZDOCmd.IEEE_addr_req:
            self._send_zdo(zdo_t.ZDOCmd.IEEE_addr_rsp, tsn, success, self.eui64, nwk)
        elif command == zdo_t.ZDOCmd.NWK_addr_req:
            self._send_zdo(zdo_t.ZDOCmd.NWK_addr_rsp, tsn, success, self.eui64, nwk)
        elif command == zdo_t.ZDOCmd.Mgmt_Leave_req:
            self._send_zdo(zdo_t.ZDOCmd.Mgmt_Leave_rsp, tsn, success)
            asyncio.get_running_loop().call_soon(self.leave)
        elif frame.dst_nwk == self.nwk and not command & 0x8000:
            response = zdo_t.ZDOCmd(command | 0x8000)
            if response in zdo_t.ZDOCmd.__members__.values():
                self._send_zdo(response, tsn, zdo_t.Status.NOT_SUPPORTED)

    def node_descriptor(self) -> zdo_t.NodeDescriptor:
        mac_flags = zdo_t.NodeDescriptor.MACCapabilityFlags.AllocateAddress
        if self.mains_powered:
            mac_flags |= (
                zdo_t.NodeDescriptor.MACCapabilityFlags.MainsPowered
                | zdo_t.NodeDescriptor.MACCapabilityFlags.RxOnWhenIdle
            )
        return node_descriptor(zdo_t.LogicalType.EndDevice, mac_flags, self.manufacturer_code)

    def _on_zcl(self, frame: ApsFrame) -> None:
        request = zcl_parse(frame.payload)
        if frame.dst_ep == BROADCAST_ENDPOINT:
            # The broadcast endpoint means every endpoint with that cluster; none answers
            # with an error, as real stacks stay quiet about broadcasts they don't serve.
            for endpoint_id, served in self.endpoints.items():
                if frame.cluster_id in served.servers:
                    self._on_zcl(replace(frame, dst_ep=endpoint_id))
            return
        endpoint = self.endpoints.get(frame.dst_ep)
        cluster = endpoint.servers.get(frame.cluster_id) if endpoint else None
        if endpoint is None or cluster is None:
            status = foundation.Status.UNSUPPORTED_CLUSTER
            self._default_response(frame, request, status)
            return
        if request.is_global:
            self._on_global(frame, request, cluster)
            return
        handler = self._command_handlers.get((frame.cluster_id, request.header.command_id))
        command = cluster.definition.server_commands.get(request.header.command_id)
        if handler is None or command is None:
            self._default_response(frame, request, foundation.Status.UNSUP_CLUSTER_COMMAND)
            return
        status = handler(frame.dst_ep, zcl_cluster_args(command.schema, request.body))
        if request.wants_default_response or status != foundation.Status.SUCCESS:
            self._default_response(frame, request, status)

    def _on_global(self, frame: ApsFrame, request: ZclRequest, cluster: ClusterState) -> None:
        command_id = request.header.command_id
        if command_id == GC.Read_Attributes:
            args = zcl_global_args(request)
            records = [cluster.record(int(attr)) for attr in args.attribute_ids]
            self._reply_global(frame, request, GC.Read_Attributes_rsp, status_records=records)
        elif command_id == GC.Write_Attributes:
            args = zcl_global_args(request)
            for attribute in args.attributes:
                self._write(frame.dst_ep, cluster, int(attribute.attrid), attribute.value.value)
            ok = [foundation.WriteAttributesStatusRecord(status=foundation.Status.SUCCESS)]
            self._reply_global(frame, request, GC.Write_Attributes_rsp, status_records=ok)
        elif command_id == GC.Configure_Reporting:
            args = zcl_global_args(request)
            for config in args.config_records:
                self._configure_reporting(frame.dst_ep, cluster, config)
            done = [foundation.ConfigureReportingResponseRecord(status=foundation.Status.SUCCESS)]
            self._reply_global(frame, request, GC.Configure_Reporting_rsp, status_records=done)
        elif command_id == GC.Default_Response:
            return
        else:
            self._default_response(frame, request, foundation.Status.UNSUP_GENERAL_COMMAND)

    def _write(
        self, endpoint_id: int, cluster: ClusterState, attribute_id: int, value: Any
    ) -> None:
        definition = cluster.definition.attributes.get(attribute_id)
        if definition is not None:
            cluster.values[attribute_id] = definition.type(value)
            self.on_attribute_written(endpoint_id, cluster.definition.cluster_id, definition.name)

    def on_attribute_written(self, endpoint_id: int, cluster_id: int, name: str) -> None:
        """Hook for product behaviour (IAS enrollment starts when the CIE address is written)."""

    def _configure_reporting(
        self, endpoint_id: int, cluster: ClusterState, config: foundation.AttributeReportingConfig
    ) -> None:
        attribute_id = int(config.attrid)
        if config.direction != foundation.ReportingDirection.SendReports:
            return
        cluster.max_intervals[attribute_id] = int(config.max_interval)
        self._schedule_report(endpoint_id, cluster, attribute_id)

    def _schedule_report(self, endpoint_id: int, cluster: ClusterState, attribute_id: int) -> None:
        key = (endpoint_id, int(cluster.definition.cluster_id), attribute_id)
        if (old := self._reporters.pop(key, None)) is not None:
            old.cancel()
        interval = cluster.max_intervals.get(attribute_id, 0)
        if 0 < interval < 0xFFFF:
            self._reporters[key] = asyncio.get_running_loop().call_later(
                interval, self._periodic_report, endpoint_id, cluster, attribute_id
            )

    def _periodic_report(self, endpoint_id: int, cluster: ClusterState, attribute_id: int) -> None:
        self.report(endpoint_id, int(cluster.definition.cluster_id), [attribute_id])

    def _cancel_reports(self) -> None:
        for handle in self._reporters.values():
            handle.cancel()
        self._reporters.clear()

    # What the device sends

    def add_command_handler(
        self, cluster_id: int, command_id: int, handler: CommandHandler
    ) -> None:
        self._command_handlers[(cluster_id, command_id)] = handler

    def set_attribute(self, endpoint_id: int, cluster_id: int, name: str, value: Any) -> None:
        """Change a value; reported at once when reporting is configured for it (on change)."""
        cluster = self.endpoints[endpoint_id].servers[cluster_id]
        attribute_id = cluster.set(name, value)
        if attribute_id in cluster.max_intervals:
            self.report(endpoint_id, cluster_id, [attribute_id])

    def report(self, endpoint_id: int, cluster_id: int, attribute_ids: list[int]) -> None:
        cluster = self.endpoints[endpoint_id].servers[cluster_id]
        reports = [
            foundation.Attribute(attrid=attr, value=cluster.record(attr).value)
            for attr in attribute_ids
            if attr in cluster.values
        ]
        if reports:
            payload = zcl_global_frame(
                self._next_tsn(), GC.Report_Attributes, TO_CLIENT, attribute_reports=reports
            )
            self._send_zcl(endpoint_id, cluster_id, payload)
        for attr in attribute_ids:
            self._schedule_report(endpoint_id, cluster, attr)

    def send_command(
        self, endpoint_id: int, cluster: type[Cluster], name: str, **fields: Any
    ) -> None:
        """Send a cluster command: as the server of `cluster` if this endpoint serves it (e.g. an
        IAS zone notification), else as its client (e.g. an IAS ACE emergency button)."""
        endpoint = self.endpoints[endpoint_id]
        command = cluster.commands_by_name[name]
        direction = TO_CLIENT if cluster.cluster_id in endpoint.servers else TO_SERVER
        payload = zcl_cluster_frame(
            self._next_tsn(), command.id, command.schema, direction, **fields
        )
        self._send_zcl(endpoint_id, cluster.cluster_id, payload)

    def send_raw(self, endpoint_id: int, cluster_id: int, payload: bytes, profile_id: int) -> None:
        """Put arbitrary bytes on the air (malformed-frame tests)."""
        self._send(
            ApsFrame(
                self.nwk or 0, endpoint_id, COORDINATOR_NWK, 1, profile_id, cluster_id, payload
            )
        )

    def _reply_global(
        self,
        frame: ApsFrame,
        request: ZclRequest,
        command: foundation.GeneralCommand,
        **fields: Any,
    ) -> None:
        payload = zcl_global_frame(request.header.tsn, command, TO_CLIENT, **fields)
        self._send_zcl(frame.dst_ep, frame.cluster_id, payload, dst_ep=frame.src_ep)

    def _default_response(
        self, frame: ApsFrame, request: ZclRequest, status: foundation.Status
    ) -> None:
        if request.header.command_id == GC.Default_Response and request.is_global:
            return  # never answer a default response
        direction = TO_CLIENT if request.header.direction == TO_SERVER else TO_SERVER
        payload = zcl_global_frame(
            request.header.tsn,
            GC.Default_Response,
            direction,
            command_id=request.header.command_id,
            status=status,
        )
        self._send_zcl(frame.dst_ep, frame.cluster_id, payload, dst_ep=frame.src_ep)

    def _send_zcl(
        self, endpoint_id: int, cluster_id: int, payload: bytes, dst_ep: int = COORDINATOR_ENDPOINT
    ) -> None:
        profile = self.endpoints[endpoint_id].profile_id
        self._send(
            ApsFrame(
                self.nwk or 0, endpoint_id, COORDINATOR_NWK, dst_ep, profile, cluster_id, payload
            )
        )

    def _send_zdo(self, command: zdo_t.ZDOCmd, tsn: int, *values: Any) -> None:
        payload = zdo_frame(tsn, command, *values)
        self._send(
            ApsFrame(self.nwk or 0, 0, COORDINATOR_NWK, 0, ZDO_PROFILE, int(command), payload)
        )

    def _send(self, frame: ApsFrame) -> None:
        if self.reachable:
            self.air.to_coordinator(frame)

    def _next_tsn(self) -> int:
        self._tsn = (self._tsn + 1) & 0xFF
        return self._tsn
