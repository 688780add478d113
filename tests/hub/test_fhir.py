"""FHIR R4 export of vitals, checked against an independent FHIR model (fhir.resources).

fhir.resources has no R4 package since 7.0; its R4B package is the R4 model for Observation and
Bundle (R4B changed neither), and it checks structure, types, cardinality and required fields.
It does not check profiles or code bindings (it accepts any `status`), so the vital-signs
profile's rules are asserted here by hand.
"""

from __future__ import annotations

import json
import logging
import math
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.protocol import VitalBody
from gateway.ulid import new_ulid
from hub.core.storage import HubStore
from hub.reports import fhir
from hub.reports.fhir import PatientRef, VitalRecord

PATIENT = PatientRef("resident-7", "Zhao Min")
HOUSEHOLD = "01HHOUSEHOLD0000000000000A"
GATEWAY = "01HGATEWAY00000000000000AB"
MEASURED = datetime(2026, 11, 21, 8, 30, 15, 250000, tzinfo=UTC)
RECEIVED = MEASURED + timedelta(seconds=2)
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
PROFILE = "http://hl7.org/fhir/StructureDefinition/"


def _record(
    code: str,
    value: float,
    unit: str,
    *,
    measured_at: datetime = MEASURED,
    received_at: datetime = RECEIVED,
    device: str = "Yuwell YE670A",
    record_id: str | None = None,
    household_id: str = HOUSEHOLD,
    resident_id: str | None = None,
    flags: tuple[str, ...] = (),
) -> VitalRecord:
    return VitalRecord(
        id=record_id or new_ulid(),
        household_id=household_id,
        gateway_id=GATEWAY,
        code=code,
        value=value,
        unit=unit,
        measured_at=measured_at,
        device=device,
        received_at=received_at,
        resident_id=resident_id,
        flags=flags,
    )


def _json(data: dict[str, Any]) -> dict[str, Any]:
    """Through real JSON: proves the dict is JSON-ready, with no NaN or Infinity in it."""
    return json.loads(json.dumps(data, allow_nan=False))


def _valid_observation(resource: dict[str, Any]) -> Observation:
    """The FHIR model accepts it, and it carries what the vital-signs profile requires."""
    model = Observation.model_validate(_json(resource))
    assert resource["resourceType"] == "Observation"
    assert resource["status"] == "final"
    assert {"system": CATEGORY, "code": "vital-signs"}.items() <= resource["category"][0]["coding"][
        0
    ].items()
    codings = resource["code"]["coding"]
    assert codings
    assert all(coding["system"] == "http://loinc.org" for coding in codings)
    assert resource["subject"]["reference"] == f"Patient/{PATIENT.id}"
    assert model.effectiveDateTime is not None
    assert ("valueQuantity" in resource) != ("component" in resource)
    for quantity in _quantities(resource):
        assert quantity["system"] == "http://unitsofmeasure.org"
        assert quantity["code"]
        assert quantity["unit"]
        assert math.isfinite(quantity["value"])
    return model


def _quantities(resource: dict[str, Any]) -> list[dict[str, Any]]:
    if "valueQuantity" in resource:
        return [resource["valueQuantity"]]
    return [component["valueQuantity"] for component in resource["component"]]


def _codes(codeable: dict[str, Any]) -> list[str]:
    return [coding["code"] for coding in codeable["coding"]]


def _profiles(resource: dict[str, Any]) -> list[str]:
    return resource.get("meta", {}).get("profile", [])


def _only(records: list[VitalRecord]) -> dict[str, Any]:
    exported = fhir.observations(records, PATIENT)
    assert len(exported) == 1
    _valid_observation(exported[0])
    return exported[0]


# Every mapped code


@pytest.mark.parametrize(
    ("code", "value", "unit", "unit_text", "codes", "profile"),
    [
        ("8867-4", 72.0, "/min", "beats/minute", ["8867-4"], "heartrate"),
        ("2708-6", 97.0, "%", "%", ["2708-6", "59408-5"], "oxygensat"),
        ("59408-5", 95.0, "%", "%", ["2708-6", "59408-5"], "oxygensat"),
        ("8310-5", 36.6, "Cel", "°C", ["8310-5"], "bodytemp"),
        ("8310-5", 98.2, "[degF]", "°F", ["8310-5"], "bodytemp"),
        ("41653-7", 105.0, "mg/dL", "mg/dL", ["41653-7"], None),
        ("41653-7", 5.8, "mmol/L", "mmol/L", ["41653-7"], None),
        ("29463-7", 61.5, "kg", "kg", ["29463-7"], "bodyweight"),
        ("29463-7", 135.6, "[lb_av]", "lb", ["29463-7"], "bodyweight"),
    ],
)
def test_each_mapped_code_is_a_valid_vital_signs_observation(
    code: str, value: float, unit: str, unit_text: str, codes: list[str], profile: str | None
) -> None:
    record = _record(code, value, unit)
    resource = _only([record])
    assert resource["id"] == record.id
    assert _codes(resource["code"]) == codes
    assert resource["valueQuantity"] == {
        "value": value,
        "unit": unit_text,
        "system": "http://unitsofmeasure.org",
        "code": unit,
    }
    assert _profiles(resource) == ([PROFILE + profile] if profile else [])
    assert resource["effectiveDateTime"] == "2026-11-21T08:30:15.250Z"
    assert resource["issued"] == "2026-11-21T08:30:17.250Z"
    assert resource["device"] == {"display": "Yuwell YE670A"}
    assert resource["subject"] == {"reference": "Patient/resident-7", "display": "Zhao Min"}


def test_spo2_carries_both_loinc_codings_in_one_observation() -> None:
    resource = _only([_record("2708-6", 98.0, "%")])
    assert _codes(resource["code"]) == ["2708-6", "59408-5"]
    assert all(coding["display"] for coding in resource["code"]["coding"])


def test_a_profile_is_claimed_only_in_the_unit_it_requires() -> None:
    resource = _only([_record("8867-4", 1.2, "/s")])  # heartrate fixes /min
    assert _profiles(resource) == [PROFILE + "vitalsigns"]
    assert resource["valueQuantity"]["code"] == "/s"
    assert resource["valueQuantity"]["value"] == 1.2


# Blood pressure


def test_systolic_and_diastolic_of_one_reading_become_one_panel() -> None:
    diastolic = _record("8462-4", 78.0, "mm[Hg]", received_at=RECEIVED + timedelta(seconds=1))
    systolic = _record("8480-6", 128.0, "mm[Hg]")
    resource = _only([diastolic, systolic])  # order of arrival does not matter
    assert _codes(resource["code"]) == ["85354-9"]
    assert _profiles(resource) == [PROFILE + "bp"]
    assert "valueQuantity" not in resource
    parts = {_codes(part["code"])[0]: part["valueQuantity"] for part in resource["component"]}
    assert parts == {
        "8480-6": {
            "value": 128.0,
            "unit": "mmHg",
            "system": "http://unitsofmeasure.org",
            "code": "mm[Hg]",
        },
        "8462-4": {
            "value": 78.0,
            "unit": "mmHg",
            "system": "http://unitsofmeasure.org",
            "code": "mm[Hg]",
        },
    }
    assert resource["id"] == f"{systolic.id}-{diastolic.id}"
    assert resource["effectiveDateTime"] == "2026-11-21T08:30:15.250Z"
    # The panel was complete when its later half arrived.
    assert resource["issued"] == "2026-11-21T08:30:18.250Z"


def test_a_lone_systolic_is_exported_alone_not_dropped() -> None:
    systolic = _record("8480-6", 141.0, "mm[Hg]")
    # Same moment, another device: not its partner.
    other = _record("8462-4", 90.0, "mm[Hg]", device="Omron HEM-7361T")
    exported = fhir.observations([systolic, other], PATIENT)
    assert len(exported) == 2
    for resource in exported:
        _valid_observation(resource)
        assert "component" not in resource
        assert _profiles(resource) == [PROFILE + "vitalsigns"]
    by_code = {_codes(resource["code"])[0]: resource for resource in exported}
    assert set(by_code) == {"8480-6", "8462-4"}
    assert by_code["8480-6"]["valueQuantity"]["value"] == 141.0
    assert by_code["8480-6"]["id"] == systolic.id


def test_halves_at_different_times_are_not_paired() -> None:
    systolic = _record("8480-6", 120.0, "mm[Hg]")
    diastolic = _record("8462-4", 80.0, "mm[Hg]", measured_at=MEASURED + timedelta(minutes=5))
    exported = fhir.observations([systolic, diastolic], PATIENT)
    assert [_codes(resource["code"]) for resource in exported] == [["8480-6"], ["8462-4"]]


def test_two_readings_at_one_moment_make_two_panels() -> None:
    records = [
        _record("8480-6", 120.0, "mm[Hg]"),
        _record("8462-4", 80.0, "mm[Hg]"),
        _record("8480-6", 124.0, "mm[Hg]"),
        _record("8462-4", 82.0, "mm[Hg]"),
        _record("8480-6", 126.0, "mm[Hg]"),
    ]
    exported = fhir.observations(records, PATIENT)
    assert sorted(len(_quantities(resource)) for resource in exported) == [1, 2, 2]
    assert sum(len(_quantities(resource)) for resource in exported) == len(records)


# The monitor's flags


def test_an_irregular_pulse_is_a_note_a_clinician_reads_beside_the_value() -> None:
    resource = _only([_record("8867-4", 92.0, "/min", flags=("irregular_pulse",))])
    model = Observation.model_validate(_json(resource))
    assert model.note is not None
    assert [note.text for note in model.note] == [
        "Monitor reported: Irregular pulse detected [irregular_pulse]"
    ]
    assert "interpretation" not in resource  # no range judgement is claimed


def test_a_panels_flags_are_its_halves_flags_once_and_unknown_tokens_read_plainly() -> None:
    flags = ("cuff_too_loose", "body_movement")
    systolic = _record("8480-6", 150.0, "mm[Hg]", flags=flags)
    diastolic = _record("8462-4", 95.0, "mm[Hg]", flags=(*flags, "new_sensor_code_7"))
    resource = _only([systolic, diastolic])
    assert resource["note"] == [
        {
            "text": "Monitor reported: Cuff fit too loose [cuff_too_loose]; Body movement"
            " during measurement [body_movement]; new sensor code 7 [new_sensor_code_7]"
        }
    ]
    unflagged = _only([_record("8867-4", 70.0, "/min")])
    assert "note" not in unflagged  # FHIR has no empty arrays


def test_records_of_two_residents_are_refused() -> None:
    records = [
        _record("8867-4", 70.0, "/min", resident_id="01HRESIDENTA00000000000000"),
        _record("8867-4", 71.0, "/min"),  # unattributed: may go with either
        _record("8867-4", 72.0, "/min", resident_id="01HRESIDENTB00000000000000"),
    ]
    with pytest.raises(ValueError, match="more than one resident"):
        fhir.observations(records, PATIENT)
    assert len(fhir.observations(records[:2], PATIENT)) == 2


# Times, unknown codes, guards


def test_effective_time_is_the_measurement_even_when_received_days_later() -> None:
    measured = datetime(2026, 11, 18, 23, 59, 59, 999000, tzinfo=UTC)
    record = _record("8867-4", 66.0, "/min", measured_at=measured, received_at=MEASURED)
    resource = _only([record])
    assert resource["effectiveDateTime"] == "2026-11-18T23:59:59.999Z"
    assert resource["issued"] == "2026-11-21T08:30:15.250Z"


def test_a_local_measurement_time_is_exported_in_utc() -> None:
    beijing = MEASURED.astimezone(timezone(timedelta(hours=8)))
    resource = _only([_record("8867-4", 70.0, "/min", measured_at=beijing)])
    assert resource["effectiveDateTime"] == "2026-11-21T08:30:15.250Z"


def test_an_unknown_code_is_still_a_valid_vital_signs_observation() -> None:
    resource = _only([_record("55423-8", 4312.0, "{steps}")])
    assert _codes(resource["code"]) == ["55423-8"]
    assert "meta" not in resource  # nothing known about it: no profile claim
    assert resource["valueQuantity"]["code"] == "{steps}"


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_value_that_is_not_finite_is_skipped_and_logged_without_the_value(
    bad: float, caplog: pytest.LogCaptureFixture
) -> None:
    systolic = _record("8480-6", bad, "mm[Hg]", record_id="01HBADVA1VE000000000000000")
    diastolic = _record("8462-4", 77.0, "mm[Hg]", record_id="01HG00DVA1VE00000000000000")
    with caplog.at_level(logging.WARNING, logger="hub.reports.fhir"):
        exported = fhir.observations([systolic, diastolic], PATIENT)
    # The diastolic half survives on its own.
    assert [_codes(resource["code"]) for resource in exported] == [["8462-4"]]
    _valid_observation(exported[0])
    assert systolic.id in caplog.text
    assert "not finite" in caplog.text
    for text in ("nan", "inf"):
        assert text not in caplog.text.lower()


def test_the_same_record_twice_is_exported_once(caplog: pytest.LogCaptureFixture) -> None:
    record = _record("8867-4", 72.0, "/min")
    with caplog.at_level(logging.WARNING, logger="hub.reports.fhir"):
        exported = fhir.observations([record, record], PATIENT)
    assert len(exported) == 1
    assert "listed twice" in caplog.text
    assert "72" not in caplog.text


def test_records_of_two_households_are_refused() -> None:
    records = [_record("8867-4", 72.0, "/min"), _record("8867-4", 70.0, "/min", household_id="X")]
    with pytest.raises(ValueError, match="household"):
        fhir.observations(records, PATIENT)


def test_nothing_personal_beyond_the_patient_reference() -> None:
    records = [_record("8480-6", 120.0, "mm[Hg]"), _record("8462-4", 80.0, "mm[Hg]")]
    text = json.dumps(fhir.bundle(fhir.observations(records, PATIENT), timestamp=MEASURED))
    assert HOUSEHOLD not in text
    assert GATEWAY not in text
    assert text.count("Zhao Min") == 1


def test_a_patient_without_display_name_is_a_bare_reference() -> None:
    resource = fhir.observations([_record("8867-4", 72.0, "/min")], PatientRef("p1"))[0]
    assert resource["subject"] == {"reference": "Patient/p1"}


def test_inputs_that_cannot_be_exported_are_refused_early() -> None:
    with pytest.raises(ValueError, match="FHIR id"):
        PatientRef("has space")
    with pytest.raises(ValueError, match="FHIR id"):
        PatientRef("p1\n")
    with pytest.raises(ValueError, match="time zone"):
        _record("8867-4", 72.0, "/min", measured_at=datetime(2026, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="time zone"):
        fhir.bundle([], timestamp=datetime(2026, 1, 1))  # noqa: DTZ001


def test_an_empty_device_name_is_left_out() -> None:
    resource = _only([_record("8867-4", 72.0, "/min", device="")])
    assert "device" not in resource


def test_a_stored_row_becomes_a_record(tmp_path: Path) -> None:
    """Through the real table: what record_vital stores is what VitalRecord.from_row reads."""
    store = HubStore(tmp_path / "hub.sqlite3")
    try:
        household = store.create_household("Zhao", "Unit 4")
        code = store.mint_enrollment_code(household.id, MEASURED)
        gateway = store.redeem_enrollment_code(code, "KEY", "gw", MEASURED)
        message_id = new_ulid()
        resident = store.registry.add_resident(household.id, "Zhao Min", MEASURED)
        vital = VitalBody(
            "8867-4",
            72.0,
            "/min",
            MEASURED,
            "Yuwell",
            resident=resident.id,
            flags=("irregular_pulse",),
            reading="r-9",
        )
        store.record_vital(gateway, message_id, vital, RECEIVED)
        rows = list(store.db.query("SELECT * FROM vitals"))
    finally:
        store.close()
    record = VitalRecord.from_row(rows[0])
    assert record.id == message_id
    assert record.household_id == household.id
    assert record.measured_at == MEASURED
    assert record.received_at == RECEIVED
    assert (record.code, record.value, record.unit, record.device) == (
        "8867-4",
        72.0,
        "/min",
        "Yuwell",
    )
    assert (record.resident_id, record.flags, record.reading_id) == (
        resident.id,
        ("irregular_pulse",),
        "r-9",
    )


# Bundle


def test_bundle_is_a_valid_collection_with_unique_stable_full_urls() -> None:
    records = [
        _record("8480-6", 120.0, "mm[Hg]"),
        _record("8462-4", 80.0, "mm[Hg]"),
        _record("2708-6", 97.0, "%"),
        _record("8310-5", 36.8, "Cel", measured_at=MEASURED - timedelta(hours=1)),
    ]
    resources = fhir.observations(records, PATIENT)
    exported = fhir.bundle(resources, timestamp=MEASURED)
    Bundle.model_validate(_json(exported))
    assert exported["type"] == "collection"
    assert exported["timestamp"] == "2026-11-21T08:30:15.250Z"
    urls = [entry["fullUrl"] for entry in exported["entry"]]
    assert len(set(urls)) == len(urls) == 3
    assert all(url.startswith("urn:uuid:") for url in urls)
    assert [entry["resource"] for entry in exported["entry"]] == resources
    # Oldest measurement first.
    assert _codes(resources[0]["code"]) == ["8310-5"]
    # The same vitals exported again keep their fullUrls.
    again = fhir.bundle(fhir.observations(reversed(records), PATIENT), timestamp=RECEIVED)
    assert [entry["fullUrl"] for entry in again["entry"]] == urls


def test_an_empty_bundle_is_valid() -> None:
    exported = fhir.bundle([], timestamp=MEASURED)
    Bundle.model_validate(_json(exported))
    assert "entry" not in exported


def test_a_bundle_refuses_the_same_resource_twice() -> None:
    resource = fhir.observations([_record("8867-4", 72.0, "/min")], PATIENT)[0]
    with pytest.raises(ValueError, match="twice"):
        fhir.bundle([resource, resource], timestamp=MEASURED)


# Any valid records


_UNITS = {
    "8867-4": ["/min"],
    "2708-6": ["%"],
    "59408-5": ["%"],
    "8480-6": ["mm[Hg]"],
    "8462-4": ["mm[Hg]"],
    "8310-5": ["Cel", "[degF]"],
    "41653-7": ["mg/dL", "mmol/L"],
    "29463-7": ["kg", "[lb_av]"],
    "9279-1": ["/min"],
}
_MOMENTS = [MEASURED + timedelta(minutes=minutes) for minutes in (0, 1, 90)]


_MOMENT = st.one_of(
    st.sampled_from(_MOMENTS),  # few moments, so BP halves of separate readings meet
    st.datetimes(
        min_value=datetime(2000, 1, 1),  # noqa: DTZ001
        max_value=datetime(2100, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
)
_DEVICE = st.sampled_from(["Yuwell YE670A", "Omron HEM-7361T", ""])
_VALUE = st.floats(allow_nan=False, allow_infinity=False)
_DELAY = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=9))
_FLAGS = st.lists(
    st.one_of(
        st.sampled_from(["irregular_pulse", "body_movement", "improper_position"]),
        st.from_regex(r"[a-z0-9_]{1,40}", fullmatch=True),
    ),
    max_size=4,
).map(tuple)


@st.composite
def _single(draw: st.DrawFn) -> list[VitalRecord]:
    """Any one record: a mapped code in one of its units, or any LOINC-shaped code."""
    known = st.sampled_from(sorted(_UNITS)).flatmap(
        lambda code: st.tuples(st.just(code), st.sampled_from(_UNITS[code]))
    )
    unknown = st.tuples(
        st.from_regex(r"[0-9]{1,7}-[0-9]", fullmatch=True), st.sampled_from(["1", "{count}"])
    )
    code, unit = draw(st.one_of(known, known, unknown))
    measured = draw(_MOMENT)
    received = measured + draw(_DELAY)
    value = draw(_VALUE)
    device = draw(_DEVICE)
    flags = draw(_FLAGS)
    return [
        _record(
            code,
            value,
            unit,
            measured_at=measured,
            received_at=received,
            device=device,
            flags=flags,
        )
    ]


@st.composite
def _blood_pressure(draw: st.DrawFn) -> list[VitalRecord]:
    """Both halves of one reading, as a gateway sends them."""
    measured, device = draw(_MOMENT), draw(_DEVICE)
    return [
        _record(
            code,
            draw(_VALUE),
            "mm[Hg]",
            measured_at=measured,
            received_at=measured + draw(_DELAY),
            device=device,
        )
        for code in ("8480-6", "8462-4")
    ]


_RECORDS = (
    st.lists(st.one_of(_single(), _blood_pressure()), max_size=15)
    .map(lambda groups: [record for group in groups for record in group])
    .flatmap(st.permutations)
)


@settings(max_examples=150, deadline=None)
@given(_RECORDS)
def test_any_valid_records_give_a_valid_bundle_with_every_value_once(
    records: list[VitalRecord],
) -> None:
    resources = fhir.observations(records, PATIENT)
    Bundle.model_validate(_json(fhir.bundle(resources, timestamp=MEASURED)))
    for resource in resources:
        _valid_observation(resource)
    exported = [
        (quantity["value"], quantity["code"])
        for resource in resources
        for quantity in _quantities(resource)
    ]
    assert len(exported) == len(records)
    assert sorted(exported) == sorted((record.value, record.unit) for record in records)
    # Each record's id stands in exactly one Observation id (a panel joins two ULIDs by '-').
    exported_ids = [part for resource in resources for part in resource["id"].split("-")]
    assert sorted(exported_ids) == sorted(record.id for record in records)
