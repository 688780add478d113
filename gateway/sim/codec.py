"""ZDO and ZCL frames as bytes, built and parsed with zigpy's own type definitions.

The virtual devices speak through these helpers, so every frame they send or understand is
exactly what zigpy serializes for a real device: nothing crosses the air as a Python object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import zigpy.types as t
from zigpy.zcl import foundation
from zigpy.zdo import types as zdo_t


class MalformedFrame(ValueError):
    """Bytes that do not parse as the frame they claim to be."""


# ZDO


def zdo_request(payload: bytes, cluster_id: int) -> tuple[int, zdo_t.ZDOCmd, list[Any]]:
    """(tsn, command, arguments) of a ZDO frame."""
    try:
        command = zdo_t.ZDOCmd(cluster_id)
        _, types = zdo_t.CLUSTERS[command]
        tsn, rest = t.uint8_t.deserialize(payload)
        args, _ = t.deserialize(rest, types)
    except (KeyError, ValueError) as err:
        raise MalformedFrame(f"ZDO 0x{cluster_id:04X}: {err}") from err
    return int(tsn), command, list(args)


def node_descriptor(
    logical_type: zdo_t.LogicalType,
    mac_flags: int,
    manufacturer_code: int,
    *,
    buffer_size: int = 82,
    transfer_size: int = 82,
    server_mask: int = 0,
) -> zdo_t.NodeDescriptor:
    """A 2.4 GHz node descriptor; only what differs between nodes is a parameter."""
    return zdo_t.NodeDescriptor(
        logical_type=logical_type,
        complex_descriptor_available=0,
        user_descriptor_available=0,
        reserved=0,
        aps_flags=0,
        frequency_band=zdo_t.NodeDescriptor.FrequencyBand.Freq2400MHz,
        mac_capability_flags=mac_flags,
        manufacturer_code=manufacturer_code,
        maximum_buffer_size=buffer_size,
        maximum_incoming_transfer_size=transfer_size,
        server_mask=server_mask,
        maximum_outgoing_transfer_size=transfer_size,
        descriptor_capability_field=zdo_t.NodeDescriptor.DescriptorCapability.NONE,
    )


def zdo_frame(tsn: int, command: zdo_t.ZDOCmd, *values: Any) -> bytes:
    """A ZDO frame: the TSN, then each field serialized by the type zigpy declares for it."""
    _, types = zdo_t.CLUSTERS[command]
    body = b"".join(kind(value).serialize() for kind, value in zip(types, values, strict=False))
    return bytes([tsn & 0xFF]) + body


# ZCL


@dataclass(frozen=True, slots=True)
class ZclRequest:
    header: foundation.ZCLHeader
    body: bytes

    @property
    def is_global(self) -> bool:
        return bool(self.header.frame_control.frame_type == foundation.FrameType.GLOBAL_COMMAND)

    @property
    def wants_default_response(self) -> bool:
        return not self.header.frame_control.disable_default_response


def zcl_parse(payload: bytes) -> ZclRequest:
    try:
        header, body = foundation.ZCLHeader.deserialize(payload)
    except (KeyError, ValueError) as err:
        raise MalformedFrame(f"ZCL header: {err}") from err
    return ZclRequest(header, body)


def zcl_global_args(request: ZclRequest) -> Any:
    """The parsed arguments of a global (profile-wide) command such as Read_Attributes."""
    try:
        command = foundation.GENERAL_COMMANDS[foundation.GeneralCommand(request.header.command_id)]
        args, _ = command.schema.deserialize(request.body)
    except (KeyError, ValueError) as err:
        raise MalformedFrame(f"ZCL global command {request.header.command_id}: {err}") from err
    return args


def zcl_cluster_args(schema: Any, body: bytes) -> Any:
    try:
        args, _ = schema.deserialize(body)
    except (KeyError, ValueError) as err:
        raise MalformedFrame(f"ZCL cluster command: {err}") from err
    return args


def _header(
    frame_type: foundation.FrameType,
    tsn: int,
    command_id: int,
    direction: foundation.Direction,
    disable_default_response: bool,
) -> foundation.ZCLHeader:
    control = foundation.FrameControl(
        frame_type=frame_type,
        is_manufacturer_specific=0,
        direction=direction,
        disable_default_response=int(disable_default_response),
        reserved=0,
    )
    return foundation.ZCLHeader(frame_control=control, tsn=tsn, command_id=command_id)


def zcl_global_frame(
    tsn: int, command: foundation.GeneralCommand, direction: foundation.Direction, **fields: Any
) -> bytes:
    header = _header(foundation.FrameType.GLOBAL_COMMAND, tsn, command, direction, True)
    schema = foundation.GENERAL_COMMANDS[command].schema
    return bytes(header.serialize() + schema(**fields).serialize())


def zcl_cluster_frame(
    tsn: int,
    command_id: int,
    schema: Any,
    direction: foundation.Direction,
    *,
    want_default_response: bool = False,
    **fields: Any,
) -> bytes:
    header = _header(
        foundation.FrameType.CLUSTER_COMMAND, tsn, command_id, direction, not want_default_response
    )
    return bytes(header.serialize() + schema(**fields).serialize())


def typed_value(python_type: type, value: Any) -> foundation.TypeValue:
    """An attribute value with the ZCL data type id zigpy assigns to its Python type."""
    data_type = foundation.DataType.from_python_type(python_type)
    return foundation.TypeValue(type=data_type.type_id, value=python_type(value))
