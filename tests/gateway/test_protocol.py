"""The wire contract: signed envelopes, and typed errors for anything malformed."""

import json
from datetime import UTC, datetime

import pytest

from gateway.alarms import AlarmKind, RaisedAlarm
from gateway.protocol import (
    MAX_DEVICES,
    MAX_MESSAGE_BYTES,
    DeviceReport,
    DeviceStatusBody,
    Envelope,
    HubConfig,
    MessageType,
    NakReason,
    ProtocolError,
    ResidentConfig,
    VitalBody,
    VitalBounds,
    config_body,
    parse_alarm_raised,
    parse_config,
    parse_device_status,
    parse_time,
    parse_vital,
    vital_body,
    widest_bounds,
)
from gateway.services.catalogue import ServiceType
from gateway.ulid import is_ulid, new_ulid
from provisioning import keys

NOW = datetime(2026, 11, 21, 8, 30, 0, 123000, tzinfo=UTC)


def _signed(key=None) -> tuple[Envelope, object]:
    key = key or keys.new_private_key()
    alarm = RaisedAlarm.new(AlarmKind.SOS, "button", occurred_at=NOW)
    envelope = Envelope.new("GW1", 1, MessageType.ALARM_RAISED, alarm.to_body(), NOW).signed(key)
    return envelope, key


def test_envelope_round_trips_and_verifies() -> None:
    envelope, key = _signed()
    parsed = Envelope.from_json(envelope.to_json())
    assert parsed == envelope
    parsed.verify(key.public_key())
    assert parsed.sent == "2026-11-21T08:30:00.123Z"
    body = parse_alarm_raised(parsed.body)
    assert body.kind is AlarmKind.SOS
    assert body.occurred_at == NOW


def test_tampered_body_fails_the_signature() -> None:
    envelope, key = _signed()
    data = json.loads(envelope.to_json())
    data["body"]["kind"] = "test"
    tampered = Envelope.from_json(json.dumps(data))
    with pytest.raises(ProtocolError) as caught:
        tampered.verify(key.public_key())
    assert caught.value.reason is NakReason.BAD_SIGNATURE


def test_canonical_bytes_ignore_key_order_and_whitespace() -> None:
    envelope, key = _signed()
    data = json.loads(envelope.to_json())
    shuffled = json.dumps(dict(reversed(list(data.items()))), indent=3)
    Envelope.from_json(shuffled).verify(key.public_key())


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", NakReason.MALFORMED),
        ("{not json", NakReason.MALFORMED),
        ("[1, 2]", NakReason.MALFORMED),
        ('{"v": 2}', NakReason.UNSUPPORTED),
        ('{"v": 1, "gw": "x"}', NakReason.MALFORMED),
        (b"\xff\xfe", NakReason.MALFORMED),
        ("x" * 70000, NakReason.MALFORMED),
    ],
)
def test_malformed_frames_are_typed_errors(text: str | bytes, reason: NakReason) -> None:
    with pytest.raises(ProtocolError) as caught:
        Envelope.from_json(text)
    assert caught.value.reason is reason


def test_field_types_are_checked() -> None:
    envelope, _ = _signed()
    for field, bad in [
        ("seq", "1"),
        ("seq", True),
        ("id", "not-a-ulid"),
        ("sent", "yesterday"),
        ("body", []),
        ("sent", "2026-11-21T08:30:00"),
    ]:
        data = json.loads(envelope.to_json())
        data[field] = bad
        with pytest.raises(ProtocolError):
            Envelope.from_json(json.dumps(data))


@pytest.mark.parametrize(
    "change",
    [{"alarm_id": "x"}, {"kind": "party"}, {"severity": "meh"}, {"occurred_at": 5}, {"source": 7}],
)
def test_alarm_body_is_checked(change: dict) -> None:
    body = {**RaisedAlarm.new(AlarmKind.FIRE, "smoke").to_body(), **change}
    with pytest.raises(ProtocolError):
        parse_alarm_raised(body)


def test_ulids_sort_by_time_and_are_unique() -> None:
    earlier = new_ulid(now_ms=1_700_000_000_000)
    later = new_ulid(now_ms=1_700_000_000_001)
    assert earlier < later
    assert is_ulid(earlier)
    assert len({new_ulid() for _ in range(1000)}) == 1000


@pytest.mark.parametrize(
    "text",
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-13-01T00:00:00Z", "yesterday"],
)
def test_times_that_cannot_be_read_are_malformed_not_a_crash(text: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_time(text, "occurred_at")
    assert caught.value.reason is NakReason.MALFORMED


VALVE = DeviceReport("4f1c0d2e9a", "Kitchen gas valve", "gas_valve", 87, NOW, "closed")


def test_device_status_round_trips() -> None:
    status = DeviceStatusBody((VALVE, DeviceReport("binary_sensor.smoke", "Smoke", "smoke")), True)
    body = status.to_body()
    assert body["devices"][0] == {
        "id": "4f1c0d2e9a",
        "name": "Kitchen gas valve",
        "kind": "gas_valve",
        "battery": 87,
        "last_seen": "2026-11-21T08:30:00.123Z",
        "state": "closed",
    }
    assert body["devices"][1]["battery"] is None
    assert parse_device_status(json.loads(json.dumps(body))) == status


@pytest.mark.parametrize(
    "change",
    [
        {"id": ""},
        {"id": "x" * 256},
        {"id": 5},
        {"name": "n" * 101},
        {"kind": "Gas Valve"},
        {"kind": None},
        {"battery": 101},
        {"battery": -1},
        {"battery": 50.5},
        {"battery": True},
        {"battery": "80"},
        {"last_seen": "yesterday"},
        {"last_seen": "2026-11-21T08:00:00"},  # no time zone
        {"state": "a very long state word"},
        {"state": "OPEN"},
        {"state": 1},
    ],
)
def test_device_status_fields_are_checked(change: dict) -> None:
    device = {**VALVE.to_body(), **change}
    with pytest.raises(ProtocolError) as caught:
        parse_device_status({"devices": [device], "full": True})
    assert caught.value.reason is NakReason.MALFORMED


@pytest.mark.parametrize(
    "body",
    [
        {"devices": [VALVE.to_body()]},  # full is required: it decides what the hub forgets
        {"devices": [VALVE.to_body()], "full": 1},
        {"devices": {}, "full": True},
        {"devices": ["x"], "full": True},
        {"devices": [VALVE.to_body(), VALVE.to_body()], "full": True},
        {"devices": [VALVE.to_body()] * (MAX_DEVICES + 1), "full": False},
    ],
)
def test_device_status_shape_is_checked(body: dict) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_device_status(body)
    assert caught.value.reason is NakReason.MALFORMED


def test_device_status_of_the_largest_household_fits_a_frame_with_ascii_names() -> None:
    devices = tuple(
        DeviceReport(f"{n:032x}", f"Device {n:03d}", "water_leak", 100, NOW, "unavailable")
        for n in range(MAX_DEVICES)
    )
    envelope = Envelope.new(
        "GW1", 1, MessageType.DEVICE_STATUS, DeviceStatusBody(devices, True).to_body(), NOW
    ).signed(keys.new_private_key())
    assert len(envelope.to_json().encode()) < MAX_MESSAGE_BYTES


def test_config_carries_thresholds_and_bad_entries_are_skipped_not_fatal() -> None:
    body = {
        "heartbeat_interval": 60.0,
        "thresholds": {
            "8867-4": {"low": 45, "high": 120},
            "8480-6": {"high": 160.0},
            "nonsense": {"low": 1},
            "8462-4": {"low": 90, "high": 60},  # inverted
            "8310-5": {"low": "35"},
            "2708-6": {"low": float("nan")},
            "41653-7": {"min": 70},
            "59408-5": [90],
            "9279-1": {"low": True},
        },
    }
    config, problems = parse_config(body)
    assert config == HubConfig(
        60.0, {"8867-4": VitalBounds(45, 120), "8480-6": VitalBounds(None, 160.0)}
    )
    assert len(problems) == 7
    assert parse_config(config_body(60.0, config.thresholds or {}))[0] == config


def test_config_without_thresholds_is_not_a_config_without_bounds() -> None:
    # An older hub says nothing about thresholds: the gateway keeps what it has.
    assert parse_config({"heartbeat_interval": 30}) == (HubConfig(30.0, None), [])
    assert parse_config({"heartbeat_interval": 30, "thresholds": {}})[0].thresholds == {}
    config, problems = parse_config({"heartbeat_interval": True, "thresholds": []})
    assert config == HubConfig(None, None)
    assert len(problems) == 2


def test_widest_bounds_alarm_on_no_value_any_set_accepts() -> None:
    grandma = {"8867-4": VitalBounds(50, 100), "8480-6": VitalBounds(None, 150)}
    grandpa = {"8867-4": VitalBounds(45, 110), "8480-6": VitalBounds(95, 170)}
    assert widest_bounds([grandma, grandpa]) == {
        "8867-4": VitalBounds(45, 110),
        "8480-6": VitalBounds(None, 170),  # grandma's low is open, so the merged one is
    }
    # A code only one resident has is theirs; bounds that leave nothing out are dropped.
    assert widest_bounds([grandma, {}]) == grandma
    assert widest_bounds([{"8867-4": VitalBounds(None, 90)}, {"8867-4": VitalBounds(100)}]) == {}
    assert widest_bounds([]) == {}


# vital: resident, flags, reading

RESIDENT = new_ulid()


def test_vital_body_round_trips_with_its_resident_flags_and_reading() -> None:
    body = vital_body(
        "8867-4",
        88,
        "/min",
        NOW,
        "Omron HEM-7361T",
        resident=RESIDENT,
        flags=["irregular_pulse", "body_movement"],
        reading="cuff-42",
    )
    assert body == {
        "code": "8867-4",
        "value": 88,
        "unit": "/min",
        "measured_at": "2026-11-21T08:30:00.123Z",
        "device": "Omron HEM-7361T",
        "resident": RESIDENT,
        "flags": ["irregular_pulse", "body_movement"],
        "reading": "cuff-42",
    }
    vital = parse_vital(json.loads(json.dumps(body)))
    assert vital == VitalBody(
        "8867-4",
        88.0,
        "/min",
        NOW,
        "Omron HEM-7361T",
        RESIDENT,
        ("irregular_pulse", "body_movement"),
        "cuff-42",
    )
    assert vital.to_body() == {**body, "value": 88.0}


def test_an_unassigned_unflagged_vital_is_what_older_gateways_send() -> None:
    body = vital_body("8310-5", 36.8, "Cel", NOW, "thermometer")
    assert set(body) == {"code", "value", "unit", "measured_at", "device"}
    vital = parse_vital(body)
    assert (vital.resident, vital.flags, vital.reading) == (None, (), None)
    # null stands for absent, as a sender that always writes the keys may send them.
    assert parse_vital({**body, "resident": None, "flags": None, "reading": None}) == vital
    assert parse_vital({**body, "flags": []}) == vital


def test_a_flag_said_twice_is_kept_once() -> None:
    body = vital_body("8867-4", 70, "/min", NOW, "cuff", flags=["irregular_pulse"] * 2)
    assert parse_vital(body).flags == ("irregular_pulse",)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"resident": "Wang Fang"}, "resident"),
        ({"resident": RESIDENT.lower()}, "resident"),
        ({"resident": 7}, "resident"),
        ({"flags": "irregular_pulse"}, "flags"),
        ({"flags": ["Irregular_Pulse"]}, "flag"),
        ({"flags": ["irregular_pulse\n"]}, "flag"),  # `$` alone would let a newline through
        ({"reading": "r1\n"}, "reading"),
        ({"code": "8867-4\n"}, "code"),
        ({"flags": ["irregular pulse"]}, "flag"),
        ({"flags": [""]}, "flag"),
        ({"flags": ["x" * 41]}, "flag"),
        ({"flags": [1]}, "flag"),
        ({"flags": [f"f{n}" for n in range(17)]}, "flags"),
        ({"reading": ""}, "reading"),
        ({"reading": "r" * 65}, "reading"),
        ({"reading": "a b"}, "reading"),
        ({"reading": "读数"}, "reading"),
        ({"reading": 12}, "reading"),
    ],
)
def test_a_malformed_resident_flag_or_reading_is_a_malformed_vital(
    change: dict, message: str
) -> None:
    body = {**vital_body("8867-4", 70, "/min", NOW, "cuff"), **change}
    with pytest.raises(ProtocolError) as caught:
        parse_vital(body)
    assert caught.value.reason is NakReason.MALFORMED
    assert message in caught.value.detail


def test_the_builder_refuses_what_the_hub_would_nak() -> None:
    with pytest.raises(ProtocolError, match="flag"):
        vital_body("8867-4", 70, "/min", NOW, "cuff", flags=["Irregular pulse!"])
    with pytest.raises(ProtocolError, match="value"):
        vital_body("8867-4", float("nan"), "/min", NOW, "cuff")
    assert vital_body("8867-4", 70, "/min", NOW, "cuff", reading="r" * 64)["reading"] == "r" * 64
    many = [f"flag_{n}" for n in range(16)]
    assert vital_body("8867-4", 70, "/min", NOW, "cuff", flags=many)["flags"] == many


# config: residents


def test_config_carries_each_residents_own_thresholds_and_round_trips() -> None:
    grandma = ResidentConfig(new_ulid(), "Wang Fang", {"8867-4": VitalBounds(50, 100)})
    grandpa = ResidentConfig(new_ulid(), "王建国", {})
    body = config_body(60.0, {"8867-4": VitalBounds(50, 100)}, [grandma, grandpa])
    assert body["residents"] == [
        {"id": grandma.id, "name": "Wang Fang", "thresholds": {"8867-4": {"low": 50, "high": 100}}},
        {"id": grandpa.id, "name": "王建国", "thresholds": {}},
    ]
    config, problems = parse_config(json.loads(json.dumps(body)))
    assert problems == []
    assert config.residents == (grandma, grandpa)
    # An older hub's config has no residents: None, not "nobody lives here".
    assert "residents" not in config_body(60.0, {})
    assert parse_config(config_body(60.0, {}))[0].residents is None
    assert parse_config({**config_body(60.0, {}), "residents": []})[0].residents == ()


def test_a_bad_resident_entry_is_skipped_not_the_config_and_problems_name_no_one() -> None:
    good = new_ulid()
    twice = new_ulid()
    residents = [
        {"id": good, "name": "Wang Fang", "thresholds": {"8867-4": {"low": 50}}},
        "Wang Jun",
        {"id": "not-a-ulid", "name": "Li Na"},
        {"id": new_ulid(), "name": "Zhao Min" * 11},  # 88 characters
        {"id": new_ulid(), "name": ""},
        {"id": new_ulid(), "name": "Sun Li", "thresholds": [90]},
        {"id": twice, "name": "Qian Wei"},
        {"id": twice, "name": "Qian Wei"},
        # A bad threshold is skipped inside an entry that is otherwise fine.
        {"id": new_ulid(), "name": "Zhou Yu", "thresholds": {"8480-6": {"low": 9, "high": 1}}},
    ]
    config, problems = parse_config({"heartbeat_interval": 60, "residents": residents})
    assert config.residents is not None
    assert [(r.name, r.thresholds) for r in config.residents] == [
        ("Wang Fang", {"8867-4": VitalBounds(50, None)}),
        ("Qian Wei", {}),
        ("Zhou Yu", {}),
    ]
    assert config.residents[0].id == good
    assert len(problems) == 7
    assert all(problem.startswith("resident ") for problem in problems)
    for name in ("Wang", "Li Na", "Zhao", "Sun Li", "Qian", "Zhou"):
        assert not any(name in problem for problem in problems)
    config, problems = parse_config({"heartbeat_interval": 60, "residents": {"a": 1}})
    assert config.residents is None
    assert problems == ["residents must be a list"]


def test_an_integer_beyond_any_float_is_malformed_not_a_crash() -> None:
    """JSON integers have no size limit (Python reads 4,300 digits): math.isfinite of one
    past 1.8e308 raises OverflowError, which must not escape a parser."""
    huge = json.loads("1" + "0" * 400)
    with pytest.raises(ProtocolError, match="finite"):
        parse_vital({**vital_body("8867-4", 70, "/min", NOW, "cuff"), "value": huge})
    config, problems = parse_config(
        {"heartbeat_interval": huge, "thresholds": {"8867-4": {"low": huge}}}
    )
    assert config == HubConfig(None, {})
    assert len(problems) == 2


def test_config_services_list_is_optional_and_lenient() -> None:
    """No `services`: every service (the default, and all an older hub sends); a list names
    the entitled ones; an unknown name (a newer hub's) is skipped with a problem, not the list."""
    assert parse_config(config_body(60.0, {}))[0].services is None
    body = config_body(60.0, {}, services=[ServiceType.REPAIR, ServiceType.DRAIN])
    assert body["services"] == ["drain", "repair"]
    assert parse_config(body) == (
        HubConfig(60.0, {}, None, (ServiceType.DRAIN, ServiceType.REPAIR)),
        [],
    )
    config, problems = parse_config({**body, "services": ["repair", "teleport", 3]})
    assert config.services == (ServiceType.REPAIR,)
    assert len(problems) == 2
    assert parse_config({**body, "services": "repair"}) == (
        HubConfig(60.0, {}, None, None),
        ["services must be a list"],
    )
    assert parse_config({**body, "services": []})[0].services == ()
