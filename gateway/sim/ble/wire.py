"""The virtual proxy's wire: JSON lines between the simulator's radio and Home Assistant.

One JSON object per line (UTF-8, at most MAX_LINE_BYTES). Byte values are hex strings.

    client -> server   {"id": 7, "op": "read", "address": "D2:..", "handle": 12}
    server -> client   {"id": 7, "result": {"value": "5a"}}
                       {"id": 7, "error": {"code": "att_error", "message": "..", "att": 2}}
    server -> client   {"event": "advertisement", ...}   (and hello, notification,
                                                            disconnected, slots)

Ops: connect, disconnect, services, read, write (`value`, `response`). A characteristic's
`handle` is its value handle; descriptors (CCCDs) are read and written by their own handle,
as on the air. Notifications carry `indication`: the radio confirmed it before the next.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Self

PROTOCOL_VERSION = 1
MAX_LINE_BYTES = 64 * 1024
DEFAULT_PORT = 8766


class ErrorCode(StrEnum):
    BAD_JSON = "bad_json"
    BAD_REQUEST = "bad_request"
    UNKNOWN_OP = "unknown_op"
    LINE_TOO_LONG = "line_too_long"
    UNKNOWN_DEVICE = "unknown_device"
    NOT_ADVERTISING = "not_advertising"
    BUSY = "busy"
    NO_SLOTS = "no_slots"
    NOT_CONNECTED = "not_connected"
    ATT_ERROR = "att_error"
    INTERNAL = "internal"


class WireError(Exception):
    """A request the other side refused, as its error reply says."""

    def __init__(self, code: ErrorCode, message: str, *, att: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.att = att

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": str(self.code), "message": self.message}
        if self.att is not None:
            error["att"] = self.att
        return error

    @classmethod
    def from_json(cls, data: object) -> WireError:
        if not isinstance(data, dict):
            return cls(ErrorCode.INTERNAL, f"malformed error reply {data!r}")
        try:
            code = ErrorCode(str(data.get("code")))
        except ValueError:
            code = ErrorCode.INTERNAL
        att = data.get("att")
        return cls(code, str(data.get("message", "")), att=att if isinstance(att, int) else None)


class Op(StrEnum):
    CONNECT = "connect"
    DISCONNECT = "disconnect"
    SERVICES = "services"
    READ = "read"
    WRITE = "write"


class EventType(StrEnum):
    HELLO = "hello"
    ADVERTISEMENT = "advertisement"
    NOTIFICATION = "notification"
    DISCONNECTED = "disconnected"
    SLOTS = "slots"


def encode_line(message: Mapping[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def decode_line(line: bytes) -> dict[str, Any]:
    try:
        message = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise WireError(ErrorCode.BAD_JSON, f"not JSON: {err}") from None
    if not isinstance(message, dict):
        raise WireError(ErrorCode.BAD_JSON, "a message is a JSON object")
    return message


def _get[T](data: Mapping[str, Any], name: str, kind: type[T]) -> T:
    value = data.get(name)
    # bool is an int to Python, never to this protocol.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise WireError(ErrorCode.BAD_REQUEST, f"{name!r} must be {kind.__name__}")
    return value


def _hex(data: Mapping[str, Any], name: str) -> bytes:
    try:
        return bytes.fromhex(_get(data, name, str))
    except ValueError:
        raise WireError(ErrorCode.BAD_REQUEST, f"{name!r} must be hex") from None


def _handle(data: Mapping[str, Any]) -> int:
    handle = _get(data, "handle", int)
    if not 0 < handle <= 0xFFFF:
        raise WireError(ErrorCode.BAD_REQUEST, "'handle' must be 1..65535")
    return handle


# --- requests -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Request:
    id: int
    op: Op
    address: str
    handle: int = 0
    value: bytes = b""
    response: bool = True

    def to_json(self) -> dict[str, Any]:
        message: dict[str, Any] = {"id": self.id, "op": str(self.op), "address": self.address}
        if self.op in (Op.READ, Op.WRITE):
            message["handle"] = self.handle
        if self.op is Op.WRITE:
            message["value"] = self.value.hex()
            message["response"] = self.response
        return message

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        request_id = _get(data, "id", int)
        try:
            op = Op(str(data.get("op")))
        except ValueError:
            raise WireError(ErrorCode.UNKNOWN_OP, f"unknown op {data.get('op')!r}") from None
        address = _get(data, "address", str).upper()
        if op is Op.READ:
            return cls(request_id, op, address, _handle(data))
        if op is Op.WRITE:
            response = data.get("response", True)
            if not isinstance(response, bool):
                raise WireError(ErrorCode.BAD_REQUEST, "'response' must be true or false")
            return cls(request_id, op, address, _handle(data), _hex(data, "value"), response)
        return cls(request_id, op, address)


def request_id_of(data: Mapping[str, Any]) -> int | None:
    """The id of a request that is otherwise wrong, so its error reply can name it."""
    value = data.get("id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# --- the GATT table -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DescriptorInfo:
    uuid: str
    handle: int


@dataclass(frozen=True, slots=True)
class CharacteristicInfo:
    uuid: str
    handle: int
    properties: tuple[str, ...]
    descriptors: tuple[DescriptorInfo, ...] = ()


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    uuid: str
    handle: int
    characteristics: tuple[CharacteristicInfo, ...] = ()


def services_to_json(services: tuple[ServiceInfo, ...]) -> dict[str, Any]:
    return {
        "services": [
            {
                "uuid": s.uuid,
                "handle": s.handle,
                "characteristics": [
                    {
                        "uuid": c.uuid,
                        "handle": c.handle,
                        "properties": list(c.properties),
                        "descriptors": [
                            {"uuid": d.uuid, "handle": d.handle} for d in c.descriptors
                        ],
                    }
                    for c in s.characteristics
                ],
            }
            for s in services
        ]
    }


def services_from_json(data: Mapping[str, Any]) -> tuple[ServiceInfo, ...]:
    try:
        return tuple(
            ServiceInfo(
                _get(s, "uuid", str),
                _get(s, "handle", int),
                tuple(
                    CharacteristicInfo(
                        _get(c, "uuid", str),
                        _get(c, "handle", int),
                        tuple(str(p) for p in _get(c, "properties", list)),
                        tuple(
                            DescriptorInfo(_get(d, "uuid", str), _get(d, "handle", int))
                            for d in _get(c, "descriptors", list)
                        ),
                    )
                    for c in _get(s, "characteristics", list)
                ),
            )
            for s in _get(data, "services", list)
        )
    except (AttributeError, TypeError):  # an entry that is not an object
        raise WireError(ErrorCode.BAD_REQUEST, "malformed service table") from None


# --- events -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hello:
    name: str
    slots: int
    version: int = PROTOCOL_VERSION

    def to_json(self) -> dict[str, Any]:
        return {
            "event": str(EventType.HELLO),
            "name": self.name,
            "slots": self.slots,
            "version": self.version,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls(_get(data, "name", str), _get(data, "slots", int), _get(data, "version", int))


@dataclass(frozen=True, slots=True)
class AdvertisementEvent:
    address: str
    name: str | None
    rssi: int
    service_uuids: tuple[str, ...] = ()
    manufacturer_data: dict[int, bytes] = field(default_factory=dict)
    service_data: dict[str, bytes] = field(default_factory=dict)
    tx_power: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "event": str(EventType.ADVERTISEMENT),
            "address": self.address,
            "name": self.name,
            "rssi": self.rssi,
            "service_uuids": list(self.service_uuids),
            "manufacturer_data": {str(k): v.hex() for k, v in self.manufacturer_data.items()},
            "service_data": {k: v.hex() for k, v in self.service_data.items()},
            "tx_power": self.tx_power,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        name = data.get("name")
        tx_power = data.get("tx_power")
        try:
            manufacturer = {
                int(k): bytes.fromhex(v) for k, v in _get(data, "manufacturer_data", dict).items()
            }
            service_data = {
                str(k): bytes.fromhex(v) for k, v in _get(data, "service_data", dict).items()
            }
        except (ValueError, TypeError):
            raise WireError(ErrorCode.BAD_REQUEST, "malformed advertisement data") from None
        return cls(
            address=_get(data, "address", str).upper(),
            name=name if isinstance(name, str) else None,
            rssi=_get(data, "rssi", int),
            service_uuids=tuple(str(u) for u in _get(data, "service_uuids", list)),
            manufacturer_data=manufacturer,
            service_data=service_data,
            tx_power=tx_power if isinstance(tx_power, int) else None,
        )


@dataclass(frozen=True, slots=True)
class NotificationEvent:
    address: str
    handle: int
    value: bytes
    indication: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "event": str(EventType.NOTIFICATION),
            "address": self.address,
            "handle": self.handle,
            "value": self.value.hex(),
            "indication": self.indication,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls(
            _get(data, "address", str).upper(),
            _handle(data),
            _hex(data, "value"),
            bool(data.get("indication", False)),
        )


@dataclass(frozen=True, slots=True)
class DisconnectedEvent:
    address: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "event": str(EventType.DISCONNECTED),
            "address": self.address,
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls(_get(data, "address", str).upper(), str(data.get("reason", "")))


@dataclass(frozen=True, slots=True)
class SlotsEvent:
    free: int
    limit: int
    allocated: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "event": str(EventType.SLOTS),
            "free": self.free,
            "limit": self.limit,
            "allocated": list(self.allocated),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        allocated = _get(data, "allocated", list)
        return cls(_get(data, "free", int), _get(data, "limit", int), tuple(map(str, allocated)))
