"""Wire contract v1 between a household gateway and the care-center hub (docs/wire-contract.md).

This module owns the contract: the hub imports it, never the other way round. Every message is a
signed envelope; `canonical_bytes` is what both sides sign and verify, so it must stay stable.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeIs

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from provisioning import keys

from .alarms import (
    AlarmAction,
    AlarmClearedBody,
    AlarmEventBody,
    AlarmKind,
    RaisedAlarm,
    Severity,
    StaffStep,
    utc_iso,
)
from .services.catalogue import ServiceType
from .services.lifecycle import (
    HOUSEHOLD_ACTORS,
    MAX_COMMENT,
    InvalidRating,
    Rating,
    ServiceAction,
    ServiceActor,
    ServiceStep,
)
from .services.wire import (
    MAX_COUNT,
    MAX_NAME,
    MAX_NOTE,
    MAX_REASON,
    MAX_SOURCE,
    ServiceEventBody,
    ServiceRequestedBody,
    ServiceStepBody,
)
from .ulid import is_ulid, new_ulid

PROTOCOL_VERSION = 1
# Freshness window for `sent` relative to hub time (the SIA DC-09 rule): [-40 s, +20 s].
MAX_AGE_SECONDS = 40.0
MAX_AHEAD_SECONDS = 20.0
MAX_MESSAGE_BYTES = 64 * 1024

ENROLL_PATH = "/api/v1/enroll"
CA_PATH = "/api/v1/ca"
GATEWAY_WS_PATH = "/api/v1/gateway"


class MessageType(StrEnum):
    # gateway -> hub
    HELLO = "hello"
    HEARTBEAT = "heartbeat"
    ALARM_RAISED = "alarm.raised"
    ALARM_EVENT = "alarm.event"
    ALARM_CLEARED = "alarm.cleared"
    VITAL = "vital"
    DEVICE_STATUS = "device.status"
    SERVICE_REQUESTED = "service.requested"  # life services: never in the alarm lanes
    SERVICE_EVENT = "service.event"
    # hub -> gateway (and `ack` also gateway -> hub, for the hub's own messages)
    ACK = "ack"
    NAK = "nak"
    ALARM_ACKNOWLEDGED = "alarm.acknowledged"
    ALARM_DISPATCHED = "alarm.dispatched"
    ALARM_ON_SITE = "alarm.on_site"
    ALARM_RESOLVED = "alarm.resolved"
    CONFIG = "config"
    TEST_REQUEST = "test.request"
    SERVICE_STEP = "service.step"


# The message that tells the household of each staff step (hub -> gateway).
STEP_MESSAGE_TYPES: dict[StaffStep, MessageType] = {
    StaffStep.ACKNOWLEDGED: MessageType.ALARM_ACKNOWLEDGED,
    StaffStep.DISPATCHED: MessageType.ALARM_DISPATCHED,
    StaffStep.ON_SITE: MessageType.ALARM_ON_SITE,
    StaffStep.RESOLVED: MessageType.ALARM_RESOLVED,
}
STEP_OF_MESSAGE: dict[MessageType, StaffStep] = {
    message: step for step, message in STEP_MESSAGE_TYPES.items()
}


class NakReason(StrEnum):
    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_GATEWAY = "unknown_gateway"
    REVOKED = "revoked"
    STALE = "stale"
    UNSUPPORTED = "unsupported"


class EnrollError(StrEnum):
    """Why the hub refused an enrollment; the HTTP body's `error`."""

    BAD_REQUEST = "bad_request"
    CODE_UNKNOWN = "code_unknown"
    CODE_USED = "code_used"
    CODE_EXPIRED = "code_expired"


class ProtocolError(ValueError):
    """A message that does not follow the wire contract; `reason` is what a nak carries."""

    def __init__(self, reason: NakReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


def parse_time(text: object, what: str) -> datetime:
    if not isinstance(text, str):
        raise ProtocolError(NakReason.MALFORMED, f"{what} must be an ISO-8601 string")
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise ProtocolError(NakReason.MALFORMED, f"{what} has no time zone")
        return moment.astimezone(UTC)
    except (ValueError, OverflowError) as err:  # year 1 at +14:00 overflows on conversion
        if isinstance(err, ProtocolError):
            raise
        raise ProtocolError(NakReason.MALFORMED, f"{what} is not ISO-8601: {text[:40]!r}") from err


@dataclass(frozen=True, slots=True)
class Envelope:
    gw: str
    seq: int
    sent: str
    id: str
    type: str
    body: dict[str, Any] = field(default_factory=dict)
    sig: str = ""
    v: int = PROTOCOL_VERSION

    @classmethod
    def new(
        cls, gw: str, seq: int, type_: MessageType, body: dict[str, Any], sent: datetime
    ) -> Envelope:
        return cls(gw=gw, seq=seq, sent=utc_iso(sent), id=new_ulid(), type=type_.value, body=body)

    def _fields(self) -> dict[str, Any]:
        return {
            "v": self.v,
            "gw": self.gw,
            "seq": self.seq,
            "sent": self.sent,
            "id": self.id,
            "type": self.type,
            "body": self.body,
        }

    def canonical_bytes(self) -> bytes:
        """Sorted keys, no spaces, UTF-8: the exact bytes the signature covers."""
        return json.dumps(
            self._fields(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")

    def signed(self, key: Ed25519PrivateKey) -> Envelope:
        return replace(self, sig=keys.sign(key, self.canonical_bytes()))

    def verify(self, key: keys.AnyPublicKey) -> None:
        try:
            keys.verify(key, self.canonical_bytes(), self.sig)
        except keys.SignatureInvalid as err:
            raise ProtocolError(NakReason.BAD_SIGNATURE, str(err)) from err

    def sent_at(self) -> datetime:
        return parse_time(self.sent, "sent")

    def to_json(self) -> str:
        return json.dumps({**self._fields(), "sig": self.sig}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> Envelope:
        """Parse and shape-check; signature and freshness are the receiver's next steps."""
        if _utf8_size(text) > MAX_MESSAGE_BYTES:
            raise ProtocolError(NakReason.MALFORMED, "message too large")
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as err:
            # RecursionError: "[[[[..." fits 64 KiB yet nests deeper than the parser's stack.
            raise ProtocolError(NakReason.MALFORMED, "not JSON") from err
        if not isinstance(data, dict):
            raise ProtocolError(NakReason.MALFORMED, "envelope must be a JSON object")
        version = data.get("v")
        # True == 1 and 1.0 == 1 in Python; only the JSON integer 1 is version 1.
        if type(version) is not int or version != PROTOCOL_VERSION:
            raise ProtocolError(NakReason.UNSUPPORTED, f"protocol version {version!r}")
        expected: dict[str, type] = {
            "gw": str,
            "seq": int,
            "sent": str,
            "id": str,
            "type": str,
            "body": dict,
            "sig": str,
        }
        for name, kind in expected.items():
            value = data.get(name)
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise ProtocolError(NakReason.MALFORMED, f"{name} must be {kind.__name__}")
        if not is_ulid(data["id"]):
            raise ProtocolError(NakReason.MALFORMED, "id must be a ULID")
        envelope = cls(
            gw=data["gw"],
            seq=data["seq"],
            sent=data["sent"],
            id=data["id"],
            type=data["type"],
            body=data["body"],
            sig=data["sig"],
        )
        envelope.sent_at()
        try:
            envelope.canonical_bytes()
        except (ValueError, RecursionError) as err:
            # A JSON escape like \ud800 parses to a lone surrogate, which has no UTF-8 bytes to
            # verify (nor to store in SQLite): refuse it here, not crash the receiver later.
            raise ProtocolError(NakReason.MALFORMED, "not encodable as UTF-8") from err
        return envelope


def acked_ids(body: dict[str, Any]) -> list[str]:
    """The message ids an `ack` confirms: the hub acks everything one commit stored in one
    envelope (`ids`); a gateway acks a hub message by its `id`. Anything else is ignored."""
    ids = body.get("ids")
    if isinstance(ids, list):
        return [item for item in ids if isinstance(item, str)]
    single = body.get("id")
    return [single] if isinstance(single, str) else []


def _utf8_size(text: str | bytes) -> int:
    """The size on the wire: len() of a str counts characters, UTF-8 needs up to 4 bytes each."""
    if isinstance(text, bytes) or len(text) > MAX_MESSAGE_BYTES:
        return len(text)  # at least one byte per character: too large already, skip encoding
    return len(text.encode("utf-8", "surrogatepass"))


def _alarm_id(body: dict[str, Any]) -> str:
    alarm_id = body.get("alarm_id")
    if not isinstance(alarm_id, str) or not is_ulid(alarm_id):
        raise ProtocolError(NakReason.MALFORMED, "alarm_id must be a ULID")
    return alarm_id


MAX_SOURCE_NAME = 100  # an HA device or entity name, as a person typed it


def _short_text(body: dict[str, Any], name: str, limit: int = 200) -> str:
    value = body.get(name, "")
    if not isinstance(value, str) or len(value) > limit:
        raise ProtocolError(NakReason.MALFORMED, f"{name} must be a string of at most {limit}")
    return value


def parse_alarm_raised(body: dict[str, Any]) -> RaisedAlarm:
    """The body of `alarm.raised`, checked field by field."""
    alarm_id = _alarm_id(body)
    try:
        kind = AlarmKind(str(body.get("kind")))
        severity = Severity(str(body.get("severity")))
    except ValueError as err:
        raise ProtocolError(NakReason.MALFORMED, f"unknown alarm kind or severity: {err}") from err
    source = _short_text(body, "source")
    source_name = _short_text(body, "source_name", MAX_SOURCE_NAME).strip()
    occurred_at = parse_time(body.get("occurred_at"), "occurred_at")
    return RaisedAlarm(alarm_id, kind, severity, occurred_at, source, source_name)


def parse_alarm_event(body: dict[str, Any]) -> AlarmEventBody:
    """The body of `alarm.event`: which alarm, what happened, who did it, when."""
    alarm_id = _alarm_id(body)
    try:
        action = AlarmAction(str(body.get("action")))
    except ValueError as err:
        raise ProtocolError(NakReason.MALFORMED, f"unknown alarm action: {err}") from err
    return AlarmEventBody(
        alarm_id=alarm_id,
        action=action,
        occurred_at=parse_time(body.get("occurred_at"), "occurred_at"),
        actor=_short_text(body, "actor"),
        detail=_short_text(body, "detail", 500),
    )


def parse_alarm_cleared(body: dict[str, Any]) -> AlarmClearedBody:
    """The body of `alarm.cleared`: the condition behind the alarm has gone."""
    return AlarmClearedBody(
        alarm_id=_alarm_id(body),
        occurred_at=parse_time(body.get("occurred_at"), "occurred_at"),
        reason=_short_text(body, "reason"),
    )


# Life services (docs/wire-contract.md, Service requests): their own messages, never alarms.


def parse_service_requested(body: dict[str, Any]) -> ServiceRequestedBody:
    """The body of `service.requested`, checked field by field."""
    count = body.get("count", 1)
    if type(count) is not int or not 1 <= count <= MAX_COUNT:
        raise ProtocolError(NakReason.MALFORMED, f"count must be a whole number 1 to {MAX_COUNT}")
    source = _short_text(body, "source", MAX_SOURCE)
    if not source:
        raise ProtocolError(NakReason.MALFORMED, "source is required")
    return ServiceRequestedBody(
        request_id=_request_id(body),
        service=_enum(ServiceType, body, "service"),
        occurred_at=parse_time(body.get("occurred_at"), "occurred_at"),
        source=source,
        source_name=_short_text(body, "source_name", MAX_NAME).strip(),
        note=_short_text(body, "note", MAX_NOTE).strip(),
        count=count,
    )


def parse_service_event(body: dict[str, Any]) -> ServiceEventBody:
    """The body of `service.event`: a rating only on `rated`, a reason on `cancelled`, and
    only the household's people act here (staff act through `service.step`)."""
    action = _enum(ServiceAction, body, "action")
    actor = _enum(ServiceActor, body, "actor")
    if actor not in HOUSEHOLD_ACTORS:
        raise ProtocolError(NakReason.MALFORMED, "actor must be senior or family")
    rating = None
    if action is ServiceAction.RATED:
        stars = body.get("rating")
        if type(stars) is not int:  # 4.0, "4" and true are not stars
            raise ProtocolError(NakReason.MALFORMED, "rating must be a whole number 1 to 5")
        try:
            rating = Rating(stars, _short_text(body, "comment", MAX_COMMENT))
        except InvalidRating as err:
            raise ProtocolError(NakReason.MALFORMED, f"rating: {err}") from err
    elif "rating" in body or "comment" in body:
        raise ProtocolError(NakReason.MALFORMED, "rating and comment belong to a rated event")
    reason = _short_text(body, "reason", MAX_REASON).strip()
    if action is ServiceAction.CANCELLED and not reason:
        raise ProtocolError(NakReason.MALFORMED, "a cancellation needs a reason")
    return ServiceEventBody(
        request_id=_request_id(body),
        action=action,
        actor=actor,
        occurred_at=parse_time(body.get("occurred_at"), "occurred_at"),
        rating=rating,
        reason=reason,
    )


def parse_service_step(body: dict[str, Any]) -> ServiceStepBody:
    """The body of `service.step`: an assignment names the provider and may promise a window
    (start before end); a cancellation gives its reason."""
    step = _enum(ServiceStep, body, "step")
    staff_name = _short_text(body, "staff_name", MAX_NAME).strip()
    if not staff_name:
        raise ProtocolError(NakReason.MALFORMED, "staff_name is required")
    provider_name = _short_text(body, "provider_name", MAX_NAME).strip()
    start, end = body.get("window_start"), body.get("window_end")
    window_start = None if start is None else parse_time(start, "window_start")
    window_end = None if end is None else parse_time(end, "window_end")
    if step is ServiceStep.ASSIGNED:
        if not provider_name:
            raise ProtocolError(NakReason.MALFORMED, "an assignment names its provider")
        if (window_start is None) != (window_end is None):
            raise ProtocolError(NakReason.MALFORMED, "a window has a start and an end")
        if window_start is not None and window_end is not None and window_start >= window_end:
            raise ProtocolError(NakReason.MALFORMED, "window_start must be before window_end")
    elif provider_name or window_start is not None or window_end is not None:
        raise ProtocolError(NakReason.MALFORMED, "provider and window belong to an assignment")
    reason = _short_text(body, "reason", MAX_REASON).strip()
    if step is ServiceStep.CANCELLED and not reason:
        raise ProtocolError(NakReason.MALFORMED, "a cancellation needs a reason")
    by = _enum(ServiceActor, body, "by") if "by" in body else ServiceActor.STAFF
    return ServiceStepBody(
        request_id=_request_id(body),
        step=step,
        staff_name=staff_name,
        at=parse_time(body.get("at"), "at"),
        provider_name=provider_name,
        window_start=window_start,
        window_end=window_end,
        reason=reason,
        by=by,
        rating=_household_step_rating(body, step, by),
    )


def _household_step_rating(
    body: dict[str, Any], step: ServiceStep, by: ServiceActor
) -> Rating | None:
    """A step `by` the household's people (done at the hub, e.g. on the family page) is a
    cancellation or a confirmation of completed work (`completed`), which may carry their
    rating; staff steps carry none."""
    if by is not ServiceActor.STAFF and step not in (ServiceStep.CANCELLED, ServiceStep.COMPLETED):
        raise ProtocolError(NakReason.MALFORMED, "the household only cancels or confirms")
    if "rating" not in body and "comment" not in body:
        return None
    if by is ServiceActor.STAFF or step is not ServiceStep.COMPLETED:
        raise ProtocolError(NakReason.MALFORMED, "rating and comment belong to a confirmation")
    stars = body.get("rating")
    if type(stars) is not int:  # 4.0, "4" and true are not stars
        raise ProtocolError(NakReason.MALFORMED, "rating must be a whole number 1 to 5")
    try:
        return Rating(stars, _short_text(body, "comment", MAX_COMMENT))
    except InvalidRating as err:
        raise ProtocolError(NakReason.MALFORMED, f"rating: {err}") from err


def service_step_body(step: ServiceStepBody) -> dict[str, Any]:
    """The wire body of a staff step, checked as the gateway will check it, so the hub's
    mistake is a ProtocolError at the hub, not a step every household naks."""
    body = step.to_body()
    parse_service_step(body)
    return body


def _request_id(body: dict[str, Any]) -> str:
    request_id = body.get("request_id")
    if not isinstance(request_id, str) or not is_ulid(request_id):
        raise ProtocolError(NakReason.MALFORMED, "request_id must be a ULID")
    return request_id


def _enum[E: StrEnum](kind: type[E], body: dict[str, Any], name: str) -> E:
    value = body.get(name)
    try:
        if not isinstance(value, str):
            raise ValueError(name)
        return kind(value)
    except ValueError as err:
        shown = str(value)[:40] if isinstance(value, str) else type(value).__name__
        raise ProtocolError(NakReason.MALFORMED, f"unknown {name}: {shown!r}") from err


_LOINC = re.compile(r"^[0-9]{1,7}-[0-9]$")


# Optional parts of a `vital` (docs/wire-contract.md): the resident a monitor is assigned
# to, the monitor's status flags, and the measurement the observation belongs to.
MAX_VITAL_FLAGS = 16
_FLAG = re.compile(r"^[a-z0-9_]{1,40}$")
MAX_READING_ID = 64
_READING_ID = re.compile(r"^[\x21-\x7e]{1,64}$")  # printable ASCII, no spaces


@dataclass(frozen=True, slots=True)
class VitalBody:
    """The body of `vital`: one observation (LOINC code, value, UCUM unit), as measured.

    `resident`: the hub's id of the resident the monitor is assigned to (None: unassigned).
    `flags`: the monitor's status tokens for this measurement ("irregular_pulse", ...).
    `reading`: groups the observations of one measurement (a cuff's systolic, diastolic and
    pulse), None when the sender does not group."""

    code: str
    value: float
    unit: str
    measured_at: datetime
    device: str
    resident: str | None = None
    flags: tuple[str, ...] = ()
    reading: str | None = None

    def to_body(self) -> dict[str, Any]:
        """The wire body; the optional parts only when set, so an unassigned, unflagged
        reading is exactly what an older gateway sends."""
        body: dict[str, Any] = {
            "code": self.code,
            "value": self.value,
            "unit": self.unit,
            "measured_at": utc_iso(self.measured_at),
            "device": self.device,
        }
        if self.resident is not None:
            body["resident"] = self.resident
        if self.flags:
            body["flags"] = list(self.flags)
        if self.reading is not None:
            body["reading"] = self.reading
        return body


def vital_body(
    code: str,
    value: float,
    unit: str,
    measured_at: datetime,
    device: str,
    *,
    resident: str | None = None,
    flags: Iterable[str] = (),
    reading: str | None = None,
) -> dict[str, Any]:
    """The body of a `vital` for the outbox. Checked as the hub will check it, so a sender's
    mistake is a ProtocolError here, not a reading the hub naks and drops later."""
    body = VitalBody(
        code, value, unit, measured_at, device, resident, tuple(flags), reading
    ).to_body()
    parse_vital(body)
    return body


def parse_vital(body: dict[str, Any]) -> VitalBody:
    code = body.get("code")
    if not isinstance(code, str) or not _LOINC.fullmatch(code):
        raise ProtocolError(NakReason.MALFORMED, "code must be a LOINC code like 8867-4")
    value = body.get("value")
    if not _is_number(value):
        raise ProtocolError(NakReason.MALFORMED, "value must be a finite number")
    unit = _short_text(body, "unit", 20)
    if not unit:
        raise ProtocolError(NakReason.MALFORMED, "unit (UCUM) is required")
    resident = body.get("resident")
    if resident is not None and not is_ulid(resident):
        raise ProtocolError(NakReason.MALFORMED, "resident must be the hub's resident id or null")
    reading = body.get("reading")
    if reading is not None and not (isinstance(reading, str) and _READING_ID.fullmatch(reading)):
        raise ProtocolError(
            NakReason.MALFORMED,
            f"reading must be 1 to {MAX_READING_ID} printable ASCII characters or null",
        )
    return VitalBody(
        code=code,
        value=float(value),
        unit=unit,
        measured_at=parse_time(body.get("measured_at"), "measured_at"),
        device=_short_text(body, "device", 100),
        resident=resident,
        flags=_vital_flags(body.get("flags")),
        reading=reading,
    )


def _vital_flags(raw: object) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_VITAL_FLAGS:
        raise ProtocolError(
            NakReason.MALFORMED, f"flags must be a list of at most {MAX_VITAL_FLAGS} tokens"
        )
    for flag in raw:
        if not isinstance(flag, str) or not _FLAG.fullmatch(flag):
            raise ProtocolError(
                NakReason.MALFORMED, "each flag must be a token of a-z, 0-9 and _ (at most 40)"
            )
    return tuple(dict.fromkeys(raw))  # a token said twice is said once, in order


# device.status (gateway -> hub): what the dispatcher needs to judge a call ("valve closed?").

MAX_DEVICES = 200
MAX_DEVICE_ID = 255  # an entity id stands in for a device without one; HA allows 255
MAX_DEVICE_NAME = 100
# kind is a safety role (gateway.safety.roles.Role), state a short word: checked by shape, not
# by list, so a newer gateway's new role or state is stored rather than refused.
_KIND = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_STATE = re.compile(r"^[a-z][a-z0-9_]{0,19}$")


@dataclass(frozen=True, slots=True)
class DeviceReport:
    """One household device: its stable id (HA device id, or entity id without a device),
    the name the installer gave it, its safety role, battery %, last heard, and state."""

    id: str
    name: str
    kind: str
    battery: int | None = None
    last_seen: datetime | None = None
    state: str | None = None  # "open"/"closed" (valves), "on"/"off", "unavailable"

    def to_body(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "battery": self.battery,
            "last_seen": utc_iso(self.last_seen) if self.last_seen else None,
            "state": self.state,
        }


@dataclass(frozen=True, slots=True)
class DeviceStatusBody:
    """The body of `device.status`. `full`: these are all the household's devices, so the
    hub forgets any it has that are not listed (removed from the home)."""

    devices: tuple[DeviceReport, ...]
    full: bool

    def to_body(self) -> dict[str, Any]:
        return {"devices": [device.to_body() for device in self.devices], "full": self.full}


def parse_device_status(body: dict[str, Any]) -> DeviceStatusBody:
    devices = body.get("devices")
    if not isinstance(devices, list) or len(devices) > MAX_DEVICES:
        raise ProtocolError(NakReason.MALFORMED, f"devices must be a list of at most {MAX_DEVICES}")
    full = body.get("full")
    if not isinstance(full, bool):
        raise ProtocolError(NakReason.MALFORMED, "full must be true or false")
    reports = tuple(_device_report(item) for item in devices)
    if len({report.id for report in reports}) != len(reports):
        raise ProtocolError(NakReason.MALFORMED, "a device is listed twice")
    return DeviceStatusBody(reports, full)


def _device_report(item: object) -> DeviceReport:
    if not isinstance(item, dict):
        raise ProtocolError(NakReason.MALFORMED, "each device must be an object")
    device_id = _short_text(item, "id", MAX_DEVICE_ID)
    if not device_id:
        raise ProtocolError(NakReason.MALFORMED, "device id is required")
    kind = item.get("kind")
    if not isinstance(kind, str) or not _KIND.fullmatch(kind):
        raise ProtocolError(NakReason.MALFORMED, "device kind must be a role like gas_valve")
    battery = item.get("battery")
    if battery is not None and (type(battery) is not int or not 0 <= battery <= 100):
        raise ProtocolError(NakReason.MALFORMED, "battery must be an integer 0..100 or null")
    last_seen = item.get("last_seen")
    state = item.get("state")
    if state is not None and (not isinstance(state, str) or not _STATE.fullmatch(state)):
        raise ProtocolError(NakReason.MALFORMED, "state must be a short word or null")
    return DeviceReport(
        id=device_id,
        name=_short_text(item, "name", MAX_DEVICE_NAME),
        kind=kind,
        battery=battery,
        last_seen=None if last_seen is None else parse_time(last_seen, "last_seen"),
        state=state,
    )


# config (hub -> gateway): the heartbeat interval and the residents' vital thresholds.


@dataclass(frozen=True, slots=True)
class VitalBounds:
    """Alarm bounds of one LOINC code, in that code's own unit; either may be open (None)."""

    low: float | None = None
    high: float | None = None

    def to_body(self) -> dict[str, float]:
        bounds = {"low": self.low, "high": self.high}
        return {name: value for name, value in bounds.items() if value is not None}


MAX_RESIDENT_NAME = 80


@dataclass(frozen=True, slots=True)
class ResidentConfig:
    """One resident in a `config`: the hub's id (a ULID), a short name for the installer's
    picker (which monitor is whose), and that resident's own thresholds."""

    id: str
    name: str
    thresholds: dict[str, VitalBounds] = field(default_factory=dict)

    def to_body(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "thresholds": {code: b.to_body() for code, b in sorted(self.thresholds.items())},
        }


@dataclass(frozen=True, slots=True)
class HubConfig:
    """What a `config` says. `thresholds` None: the hub sent none (an older hub), so the
    gateway keeps what it has; an empty dict: the care center set none (any more).
    `residents` likewise: None from a hub that sends none, () for a household without any."""

    heartbeat_interval: float | None = None
    thresholds: dict[str, VitalBounds] | None = None
    residents: tuple[ResidentConfig, ...] | None = None
    # The services the household may ask for; None: the hub sent no list, so every service
    # of the catalogue (the hub's default, and all an older hub knows).
    services: tuple[ServiceType, ...] | None = None


def config_body(
    heartbeat_interval: float,
    thresholds: dict[str, VitalBounds],
    residents: Sequence[ResidentConfig] | None = None,
    services: Sequence[ServiceType] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "heartbeat_interval": heartbeat_interval,
        "thresholds": {code: bounds.to_body() for code, bounds in sorted(thresholds.items())},
    }
    if residents is not None:
        body["residents"] = [resident.to_body() for resident in residents]
    if services is not None:
        body["services"] = sorted(service.value for service in services)
    return body


def parse_config(body: dict[str, Any]) -> tuple[HubConfig, list[str]]:
    """The config and what was wrong with it. Lenient on purpose: a bad entry is skipped,
    never the whole config, so one typo at the care center cannot blind a home's rules."""
    problems: list[str] = []
    interval = body.get("heartbeat_interval")
    if not _is_number(interval) or interval <= 0:
        problems.append(f"heartbeat_interval {interval!r} is not a positive number")
        interval = None
    thresholds = None
    if "thresholds" in body:
        thresholds, problems_of_thresholds = parse_thresholds(body["thresholds"])
        problems += problems_of_thresholds
    residents = None
    if "residents" in body:
        residents, problems_of_residents = parse_residents(body["residents"])
        problems += problems_of_residents
    services = None
    if "services" in body:
        services, problems_of_services = _parse_services(body["services"])
        problems += problems_of_services
    config = HubConfig(
        None if interval is None else float(interval), thresholds, residents, services
    )
    return config, problems


def _parse_services(raw: object) -> tuple[tuple[ServiceType, ...] | None, list[str]]:
    """The entitled services; an unknown one (a newer hub's) is skipped, not the list."""
    if not isinstance(raw, list):
        return None, ["services must be a list"]
    known = {service.value for service in ServiceType}
    services = tuple(ServiceType(s) for s in raw if isinstance(s, str) and s in known)
    problems = [
        f"services[{i}] {s!r} is not a known service"
        for i, s in enumerate(raw)
        if not (isinstance(s, str) and s in known)
    ]
    return services, problems


def parse_residents(raw: object) -> tuple[tuple[ResidentConfig, ...] | None, list[str]]:
    """`[{id, name, thresholds}]` with the entries that make sense, and the problems. A bad
    entry is left out (its readings fall back to the household's thresholds); the problems
    name an entry by its position, never by the resident's name."""
    if not isinstance(raw, list):
        return None, ["residents must be a list"]
    residents: list[ResidentConfig] = []
    problems: list[str] = []
    seen: set[str] = set()
    for number, entry in enumerate(raw, start=1):
        resident, problems_of_entry = _resident_config(entry)
        if resident is not None and resident.id in seen:
            resident, problems_of_entry = None, ["listed twice"]
        problems += [f"resident {number}: {problem}" for problem in problems_of_entry]
        if resident is not None:
            seen.add(resident.id)
            residents.append(resident)
    return tuple(residents), problems


def _resident_config(entry: object) -> tuple[ResidentConfig | None, list[str]]:
    """One entry, or None; a bad threshold inside is skipped like one of the household's."""
    if not isinstance(entry, dict):
        return None, ["must be {id, name, thresholds}"]
    resident_id, name = entry.get("id"), entry.get("name")
    if not isinstance(resident_id, str) or not is_ulid(resident_id):
        return None, ["id must be a ULID"]
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_RESIDENT_NAME:
        return None, [f"name must be text of 1 to {MAX_RESIDENT_NAME} characters"]
    thresholds, problems = parse_thresholds(entry.get("thresholds", {}))
    if thresholds is None:
        # Unreadable as a whole: the entry is left out, so the household's thresholds (which
        # include this resident's) judge the readings, rather than none of the center's.
        return None, problems
    return ResidentConfig(resident_id, name, thresholds), problems


def parse_thresholds(raw: object) -> tuple[dict[str, VitalBounds] | None, list[str]]:
    """`{LOINC code: {low?, high?}}` with the entries that make sense, and the problems."""
    if not isinstance(raw, dict):
        return None, ["thresholds must be an object of LOINC codes"]
    thresholds: dict[str, VitalBounds] = {}
    problems: list[str] = []
    for code, bounds in raw.items():
        problem = _bounds_problem(code, bounds)
        if problem is not None:
            problems.append(f"threshold {str(code)[:20]!r}: {problem}")
            continue
        thresholds[code] = VitalBounds(bounds.get("low"), bounds.get("high"))
    return thresholds, problems


def _bounds_problem(code: object, bounds: object) -> str | None:
    if not isinstance(code, str) or not _LOINC.fullmatch(code):
        return "not a LOINC code"
    if not isinstance(bounds, dict) or set(bounds) - {"low", "high"}:
        return "must be {low, high}"
    low, high = bounds.get("low"), bounds.get("high")
    if any(value is not None and not _is_number(value) for value in (low, high)):
        return "bounds must be finite numbers"
    if _is_number(low) and _is_number(high) and low >= high:
        return "low must be below high"
    return None


def _is_number(value: object) -> TypeIs[int | float]:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer (JSON allows 400 digits) beyond any float
        return False


def widest_bounds(sets: list[dict[str, VitalBounds]]) -> dict[str, VitalBounds]:
    """One set of bounds that raises no alarm at a value any set accepts: per code the
    lowest low and the highest high, and a bound any set leaves open stays open. A code with
    no bound left is dropped. Used for the residents of one household (the gateway cannot
    tell whose reading it is) and for two codes of one vital sign."""
    merged: dict[str, VitalBounds] = {}
    for code in sorted({code for bounds in sets for code in bounds}):
        ranges = [bounds[code] for bounds in sets if code in bounds]
        lows = [r.low for r in ranges]
        highs = [r.high for r in ranges]
        low = None if None in lows else min(value for value in lows if value is not None)
        high = None if None in highs else max(value for value in highs if value is not None)
        if low is not None or high is not None:
            merged[code] = VitalBounds(low, high)
    return merged
