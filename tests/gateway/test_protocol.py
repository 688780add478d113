"""The wire contract: signed envelopes, and typed errors for anything malformed."""

import json
from datetime import UTC, datetime

import pytest

from gateway.alarms import AlarmKind, RaisedAlarm
from gateway.protocol import (
    Envelope,
    MessageType,
    NakReason,
    ProtocolError,
    parse_alarm_raised,
    parse_time,
)
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
