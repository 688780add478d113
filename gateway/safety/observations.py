"""What the host tells the safety engine: things seen in the home, in host-neutral terms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..alarms import AlarmAction, AlarmKind
from ..vital_signs import VitalSign
from .roles import Role


@dataclass(frozen=True, slots=True)
class DetectorChanged:
    """A detector's reading: True active, False quiet, None unavailable or unknown.

    `name` describes the detector in the alarm's source; `source_name` is what the household
    calls the device (its name in the host), for the care center's screens."""

    entity_id: str
    role: Role
    active: bool | None
    name: str = ""
    source_name: str = ""


@dataclass(frozen=True, slots=True)
class Pressed:
    """An emergency press from any source: a button, a fob, an event, an action."""

    source: str
    kind: AlarmKind = AlarmKind.SOS
    source_name: str = ""  # what the household calls the button, fob or action


@dataclass(frozen=True, slots=True)
class CancelPressed:
    source: str


@dataclass(frozen=True, slots=True)
class TestRequested:
    source: str
    source_name: str = ""


@dataclass(frozen=True, slots=True)
class Activity:
    """Evidence the resident is up and about (motion, a door, a button, a reading)."""

    source: str


@dataclass(frozen=True, slots=True)
class ValveChanged:
    """A valve's state as the host shows it: closed True/False, None when unknown."""

    entity_id: str
    closed: bool | None


@dataclass(frozen=True, slots=True)
class ValveCommandDone:
    entity_id: str
    ok: bool


@dataclass(frozen=True, slots=True)
class ValveRead:
    """The valve's state right after a fresh read from the device (None: the read failed)."""

    entity_id: str
    closed: bool | None


@dataclass(frozen=True, slots=True)
class VitalReading:
    """A measured value as the sensor or monitor gave it: `unit` as it came (UCUM or Home
    Assistant's spelling, '' for the engine's own unit), converted by the vitals rule.
    `resident`: the hub's id of the resident the monitor is assigned to, None if unassigned."""

    entity_id: str
    sign: VitalSign
    value: float
    unit: str = ""
    resident: str | None = None
    source_name: str = ""  # what the household calls the sensor or monitor


@dataclass(frozen=True, slots=True)
class DeviceHeard:
    """The device sent something: a report, a status, a reply.

    `at` is when, if the host learns of it later (it polls a "last seen" time); else now.
    """

    device: str
    name: str
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class BatteryLevel:
    device: str
    name: str
    percent: float


@dataclass(frozen=True, slots=True)
class FamilyAnswered:
    alarm_id: str
    member: int


@dataclass(frozen=True, slots=True)
class StaffDetails:
    """What a care-center step says besides its action: who took it, who goes, how soon."""

    staff: str = ""  # the staff member, by the name the care center shows
    responder: str = ""  # dispatched: who goes ("社区护士 刘芳")
    eta_minutes: int | None = None  # dispatched: in how many minutes they will be there
    at: datetime | None = None  # when staff took the step, on the care center's clock


@dataclass(frozen=True, slots=True)
class AlarmUpdate:
    """A lifecycle step from outside the rules: staff at the hub, or a local action."""

    alarm_id: str
    action: AlarmAction
    actor: str
    detail: str = ""
    from_hub: bool = False  # staff steps came from the hub; local ones go to it
    staff: StaffDetails | None = None  # a care-center step's details


@dataclass(frozen=True, slots=True)
class HubReceived:
    """The care center acknowledged receipt of the alarm."""

    alarm_id: str


type Observation = (
    DetectorChanged
    | Pressed
    | CancelPressed
    | TestRequested
    | Activity
    | ValveChanged
    | ValveCommandDone
    | ValveRead
    | VitalReading
    | DeviceHeard
    | BatteryLevel
    | FamilyAnswered
    | AlarmUpdate
    | HubReceived
)
