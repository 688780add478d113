"""Stored vital signs as HL7 FHIR R4 resources: Observations and a collection Bundle.

Pure: records in, JSON-ready dicts out. No storage, no web, no clock unless `bundle` is asked
for its timestamp without one. The care center hands the result to an EHR or a family-doctor
system, so the shapes follow the FHIR R4 vital-signs profiles
(http://hl7.org/fhir/R4/observation-vitalsigns.html).

Nothing personal leaves here beyond the Patient reference and its display name: household and
gateway ids stay inside the hub, and log lines name a record by id and code, never by value.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import zip_longest
from typing import Any

from gateway.alarms import utc_iso
from gateway.vital_signs import (
    BODY_HEIGHT,
    BODY_MASS_INDEX,
    BODY_TEMPERATURE,
    BODY_WEIGHT,
    DIASTOLIC,
    GLUCOSE_MASS,
    HEAD_CIRCUMFERENCE,
    HEART_RATE,
    LOINC_CODES,
    RESPIRATORY_RATE,
    SPO2,
    SPO2_PULSE_OXIMETRY,
    SYSTOLIC,
    LoincCode,
)

_LOGGER = logging.getLogger(__name__)

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
PROFILE_BASE = "http://hl7.org/fhir/StructureDefinition/"
GENERIC_PROFILE = "vitalsigns"  # the base profile every vital-signs profile derives from

# Not a reading of its own: FHIR's grouping of a systolic and a diastolic taken together.
BP_PANEL = "85354-9"

_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
# fullUrls are derived from the Observation id, so exporting the same vitals twice gives the
# same urn:uuid and a receiver can recognise the resource again. Fixed for this project.
_FULL_URL_NAMESPACE = uuid.UUID("7d41337a-e40c-4860-bd0c-c620eeb7c12a")

_LOINC_DISPLAY: dict[str, str] = {
    code: loinc.display for code, loinc in LOINC_CODES.items() if loinc.display is not None
} | {BP_PANEL: "Blood pressure panel with all children optional"}

_UNIT_TEXT: dict[str, str] = {
    "%": "%",
    "mm[Hg]": "mmHg",
    "Cel": "°C",
    "[degF]": "°F",
    "kg": "kg",
    "g": "g",
    "[lb_av]": "lb",
    "mg/dL": "mg/dL",
    "mmol/L": "mmol/L",
    "cm": "cm",
    "[in_i]": "in",
    "kg/m2": "kg/m2",
}
# "/min" reads differently by what is counted.
_RATE_TEXT: dict[str, str] = {
    HEART_RATE.code: "beats/minute",
    RESPIRATORY_RATE.code: "breaths/minute",
}


@dataclass(frozen=True, slots=True)
class _Concept:
    """How one kind of reading is coded, and which vital-signs profile it can claim."""

    codes: tuple[str, ...]  # LOINC codings of one Observation.code, primary first
    text: str
    profile: str | None = None  # profile name under PROFILE_BASE
    # Units the profile requires (its binding on valueQuantity.code); a reading in another
    # unit is still exported, but without a conformance claim it could not keep.
    units: frozenset[str] = frozenset()


def _concept(
    codes: tuple[LoincCode, ...], text: str, profile: str | None = None, *units: str
) -> _Concept:
    return _Concept(tuple(loinc.code for loinc in codes), text, profile, frozenset(units))


# Keyed by each of a concept's codes: whichever of them the gateway sent finds it.
_CONCEPTS: dict[str, _Concept] = {
    code: concept
    for concept in (
        _concept((HEART_RATE,), "Heart rate", "heartrate", "/min"),
        # The oxygensat profile wants 2708-6; 59408-5 says it came from a pulse oximeter. Both
        # are codings of the same reading, whichever of the two the gateway sent.
        _concept((SPO2, SPO2_PULSE_OXIMETRY), "Oxygen saturation", "oxygensat", "%"),
        _concept((BODY_TEMPERATURE,), "Body temperature", "bodytemp", "Cel", "[degF]"),
        _concept((BODY_WEIGHT,), "Body weight", "bodyweight", "kg", "g", "[lb_av]"),
        # Glucose is in no vital-signs profile, so it claims none. Its category is vital-signs
        # rather than laboratory: it is the resident's own glucometer reading, taken beside BP
        # and SpO2 and watched by the same "vitals" alarm, with no specimen or laboratory
        # behind it, and the care center's `category=vital-signs` query should return all home
        # readings. 41653-7 is mass/volume; a mmol/L reading keeps the code the product uses
        # and its own value and unit (no conversion, which would invent precision).
        _concept((GLUCOSE_MASS,), "Blood glucose"),
        # Members of the R4 vital-signs table that gateways may send one day.
        _concept((RESPIRATORY_RATE,), "Respiratory rate", "resprate", "/min"),
        _concept((BODY_HEIGHT,), "Body height", "bodyheight", "cm", "[in_i]"),
        _concept((HEAD_CIRCUMFERENCE,), "Head circumference", "headcircum", "cm", "[in_i]"),
        _concept((BODY_MASS_INDEX,), "Body mass index", "bmi", "kg/m2"),
        # A systolic or diastolic value without its partner: its own Observation under the
        # generic vital-signs profile (both codes are in its value set); the bp profile needs
        # both.
        _concept((SYSTOLIC,), "Systolic blood pressure", GENERIC_PROFILE),
        _concept((DIASTOLIC,), "Diastolic blood pressure", GENERIC_PROFILE),
    )
    for code in concept.codes
}


@dataclass(frozen=True, slots=True)
class VitalRecord:
    """One stored vital (a row of the hub's `vitals` table), typed."""

    id: str  # the message id (a ULID)
    household_id: str
    gateway_id: str
    code: str  # LOINC
    value: float
    unit: str  # UCUM
    measured_at: datetime  # the device's time, aware
    device: str
    received_at: datetime  # the hub's time, aware
    resident_id: str | None = None  # the resident the hub attributed it to, if any
    flags: tuple[str, ...] = ()  # the monitor's status tokens ("irregular_pulse", ...)
    reading_id: str | None = None  # groups the observations of one measurement

    def __post_init__(self) -> None:
        for name in ("measured_at", "received_at"):
            moment: datetime = getattr(self, name)
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise ValueError(f"{name} must carry a time zone")

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> VitalRecord:
        """A row as stored: times as ISO-8601 text (UTC with Z)."""
        return cls(
            id=str(row["id"]),
            household_id=str(row["household_id"]),
            gateway_id=str(row["gateway_id"]),
            code=str(row["code"]),
            value=float(row["value"]),
            unit=str(row["unit"]),
            measured_at=datetime.fromisoformat(str(row["measured_at"])),
            device=str(row["device"]),
            received_at=datetime.fromisoformat(str(row["received_at"])),
            resident_id=row.get("resident_id"),
            flags=tuple(json.loads(row.get("flags") or "[]")),
            reading_id=row.get("reading_id"),
        )


@dataclass(frozen=True, slots=True)
class PatientRef:
    """The resident the vitals belong to, as the receiving system knows them."""

    id: str  # the FHIR Patient id at the receiver
    display: str | None = None

    def __post_init__(self) -> None:
        if not _FHIR_ID.fullmatch(self.id):
            raise ValueError("patient id must be a FHIR id: 1-64 of A-Z a-z 0-9 - .")
        if self.display is not None and not self.display.strip():
            raise ValueError("patient display must not be blank; leave it out instead")


def observations(records: Iterable[VitalRecord], patient: PatientRef) -> list[dict[str, Any]]:
    """FHIR R4 Observations of one resident's vitals, ordered by measurement time.

    Each record is exported exactly once: a systolic and a diastolic taken together become one
    blood-pressure panel, everything else its own Observation. Records that cannot be exported
    (a value that is not finite, an id listed twice) are skipped with a logged reason.
    """
    readings = _pair_blood_pressure(_exportable(records))
    readings.sort(key=lambda reading: (reading[0].measured_at, reading[0].id))
    return [_observation(reading, patient) for reading in readings]


def bundle(
    resources: Sequence[Mapping[str, Any]], *, timestamp: datetime | None = None
) -> dict[str, Any]:
    """A Bundle of type `collection` holding `resources` (as `observations` returns them).

    `collection`, not `searchset`: this is an export handed to another system, not the answer
    of a FHIR server to a search, so there is no search mode, total or self link to give.
    """
    moment = timestamp if timestamp is not None else datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("timestamp must carry a time zone")
    entries = [
        {"fullUrl": full_url(resource), "resource": dict(resource)} for resource in resources
    ]
    if len({entry["fullUrl"] for entry in entries}) != len(entries):
        # bdl-7: a fullUrl is unique within a Bundle.
        raise ValueError("the same resource is listed twice")
    result: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": utc_iso(moment),
    }
    if entries:  # FHIR JSON has no empty arrays
        result["entry"] = entries
    return result


def full_url(resource: Mapping[str, Any]) -> str:
    """A stable urn:uuid for a resource: its type and id, hashed (UUID v5)."""
    name = f"{resource['resourceType']}/{resource['id']}"
    return f"urn:uuid:{uuid.uuid5(_FULL_URL_NAMESPACE, name)}"


# Selection and pairing


def _exportable(records: Iterable[VitalRecord]) -> list[VitalRecord]:
    kept: list[VitalRecord] = []
    seen: set[str] = set()
    households: set[str] = set()
    for record in records:
        if not math.isfinite(record.value):
            # The hub refuses these at the door; one here means a bug or a hand-edited row.
            _LOGGER.warning(
                "vital %s (%s) not exported: value is not finite", record.id, record.code
            )
            continue
        if record.id in seen:
            # The same stored message twice (the hub dedupes by id): export it once.
            _LOGGER.warning("vital %s (%s) listed twice: exported once", record.id, record.code)
            continue
        seen.add(record.id)
        households.add(record.household_id)
        kept.append(record)
    if len(households) > 1:
        # One Patient per export: vitals of another household must never reach this resident.
        raise ValueError("records of more than one household cannot belong to one resident")
    if len({record.resident_id for record in kept} - {None}) > 1:
        # Nor those of another resident of the same household.
        raise ValueError("records attributed to more than one resident cannot be one patient's")
    return kept


def _pair_blood_pressure(records: list[VitalRecord]) -> list[tuple[VitalRecord, ...]]:
    """Singles, and (systolic, diastolic) pairs of one measurement.

    Gateways send the two values of one BP reading as two records with the same measured_at
    and device. Several of each at the same moment pair up in id order; a value left without
    a partner is exported alone rather than dropped: it was measured and the resident's
    care team should see it.
    """
    readings: list[tuple[VitalRecord, ...]] = []
    halves: dict[str, defaultdict[tuple[str, datetime, str], list[VitalRecord]]] = {
        SYSTOLIC.code: defaultdict(list),
        DIASTOLIC.code: defaultdict(list),
    }
    for record in records:
        if record.code in halves:
            key = (record.gateway_id, record.measured_at, record.device)
            halves[record.code][key].append(record)
        else:
            readings.append((record,))
    for key in halves[SYSTOLIC.code].keys() | halves[DIASTOLIC.code].keys():
        systolic = sorted(halves[SYSTOLIC.code].get(key, []), key=lambda record: record.id)
        diastolic = sorted(halves[DIASTOLIC.code].get(key, []), key=lambda record: record.id)
        for high, low in zip_longest(systolic, diastolic):
            if high is not None and low is not None:
                readings.append((high, low))
            else:
                readings.append((high or low,))
    return readings


# Resources


def _observation(reading: tuple[VitalRecord, ...], patient: PatientRef) -> dict[str, Any]:
    if len(reading) == 2:
        return _blood_pressure_panel(reading[0], reading[1], patient)
    return _single(reading[0], patient)


def _single(record: VitalRecord, patient: PatientRef) -> dict[str, Any]:
    concept = _CONCEPTS.get(record.code)
    if concept is None:
        # Any other LOINC code: a vital-signs Observation with that code and no profile claim,
        # since nothing is known about what it measures. Never an error.
        concept = _Concept((record.code,), "")
    profile = concept.profile
    if concept.units and record.unit not in concept.units:
        profile = GENERIC_PROFILE
    return _resource(
        reading=(record,),
        patient=patient,
        profile=profile,
        code=_codeable(concept.codes, concept.text),
        result={"valueQuantity": _quantity(record)},
    )


def _blood_pressure_panel(
    systolic: VitalRecord, diastolic: VitalRecord, patient: PatientRef
) -> dict[str, Any]:
    in_mmhg = systolic.unit == diastolic.unit == "mm[Hg]"  # the bp profile fixes the unit
    components = [
        {
            "code": _codeable((half.code,), _CONCEPTS[half.code].text),
            "valueQuantity": _quantity(half),
        }
        for half in (systolic, diastolic)
    ]
    return _resource(
        reading=(systolic, diastolic),
        patient=patient,
        profile="bp" if in_mmhg else GENERIC_PROFILE,
        code=_codeable((BP_PANEL,), "Blood pressure"),
        result={"component": components},
    )


def _resource(
    *,
    reading: tuple[VitalRecord, ...],
    patient: PatientRef,
    profile: str | None,
    code: dict[str, Any],
    result: dict[str, Any],
) -> dict[str, Any]:
    first = reading[0]
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": _fhir_id([record.id for record in reading]),
    }
    if profile is not None:
        resource["meta"] = {"profile": [PROFILE_BASE + profile]}
    resource |= {
        "status": "final",
        "category": [_vital_signs_category()],
        "code": code,
        "subject": _subject(patient),
        # The device's time of measurement: a reading buffered offline for days is still
        # about the moment it was taken. `issued` says when the hub had it (the later half,
        # for a panel: only then was the reading complete).
        "effectiveDateTime": utc_iso(first.measured_at),
        "issued": utc_iso(max(record.received_at for record in reading)),
    }
    if first.device.strip():  # FHIR strings are never empty
        resource["device"] = {"display": first.device}
    flags = list(dict.fromkeys(flag for record in reading for flag in record.flags))
    if flags:
        resource["note"] = [{"text": _flags_text(flags)}]
    return resource | result


# The monitor's status flags (Bluetooth health profiles: blood pressure measurement status,
# PLX and glucose annunciations) go to `note`, not `interpretation`. `interpretation` is bound
# (extensible) to HL7's ObservationInterpretation codes, which judge the value against a
# reference range (H, L, A, ...); these flags say how the measurement went (the cuff was loose,
# the arm moved, the pulse was irregular), which no code there means, so a coded
# interpretation would either misuse a code or invent a code system for a bound element. A
# note is an Annotation (text required, nothing else), valid in R4 and R4B, and a clinician
# reads it where the value is shown. Each flag keeps its wire token in brackets for machines.
_FLAG_TEXT: dict[str, str] = {
    "irregular_pulse": "Irregular pulse detected",
    "body_movement": "Body movement during measurement",
    "cuff_too_loose": "Cuff fit too loose",
    "improper_position": "Improper measurement position",
    "pulse_rate_out_of_range": "Pulse rate out of the monitor's range",
    "pulse_rate_above_range": "Pulse rate above the monitor's range",
    "pulse_rate_below_range": "Pulse rate below the monitor's range",
    "device_clock_wrong": "Monitor clock was wrong; time of receipt at home used",
}


def _flags_text(flags: list[str]) -> str:
    described = [f"{_FLAG_TEXT.get(flag, flag.replace('_', ' '))} [{flag}]" for flag in flags]
    return "Monitor reported: " + "; ".join(described)


def _vital_signs_category() -> dict[str, Any]:
    # A fresh dict each time: callers may edit one resource without touching the others.
    return {
        "coding": [
            {"system": OBSERVATION_CATEGORY, "code": "vital-signs", "display": "Vital Signs"}
        ],
        "text": "Vital Signs",
    }


def _subject(patient: PatientRef) -> dict[str, str]:
    subject = {"reference": f"Patient/{patient.id}"}
    if patient.display is not None:
        subject["display"] = patient.display
    return subject


def _codeable(codes: tuple[str, ...], text: str) -> dict[str, Any]:
    codings = []
    for code in codes:
        coding = {"system": LOINC, "code": code}
        if code in _LOINC_DISPLAY:
            coding["display"] = _LOINC_DISPLAY[code]
        codings.append(coding)
    codeable: dict[str, Any] = {"coding": codings}
    if text:
        codeable["text"] = text
    return codeable


def _quantity(record: VitalRecord) -> dict[str, Any]:
    # The wire contract says units are UCUM, so the unit is the UCUM code as sent.
    text = _RATE_TEXT.get(record.code, "/min") if record.unit == "/min" else None
    return {
        "value": record.value,
        "unit": text or _UNIT_TEXT.get(record.unit, record.unit),
        "system": UCUM,
        "code": record.unit,
    }


def _fhir_id(record_ids: list[str]) -> str:
    """The stored ids (ULIDs) as they are, joined by '-' for a panel. ULIDs hold no '-', so
    a panel's id never equals a single record's. An id outside FHIR's [A-Za-z0-9-.]{1,64}
    (not expected from the hub) becomes a digest of itself instead."""
    joined = "-".join(record_ids)
    if _FHIR_ID.fullmatch(joined):
        return joined
    return "sha256-" + hashlib.sha256(joined.encode("utf-8")).hexdigest()[:40]
