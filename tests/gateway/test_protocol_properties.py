"""Properties of the wire contract's parsers, checked with generated input (hypothesis).

The hub hands every frame a stranger sends to `Envelope.from_json`, then `verify` and the body
parsers. Whatever arrives, the only failure they may show is a `ProtocolError` (which becomes a
nak); any other exception would escape the hub's handler and drop the connection unexplained.
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gateway.alarms import (
    AlarmAction,
    AlarmClearedBody,
    AlarmEventBody,
    AlarmKind,
    RaisedAlarm,
    Severity,
    utc_iso,
)
from gateway.protocol import (
    MAX_MESSAGE_BYTES,
    PROTOCOL_VERSION,
    Envelope,
    MessageType,
    NakReason,
    ProtocolError,
    VitalBody,
    config_body,
    parse_alarm_cleared,
    parse_alarm_event,
    parse_alarm_raised,
    parse_config,
    parse_vital,
    vital_body,
)
from provisioning import keys

# Modest budgets: the whole file should run in a few seconds, on every commit.
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# One key pair for the module: key generation is not what is under test.
KEY = keys.new_private_key()
OTHER_KEY = keys.new_private_key()
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ENVELOPE_KEYS = ("v", "gw", "seq", "sent", "id", "type", "body", "sig")

# ---------------------------------------------------------------------------------------------
# Strategies

# Text as a hostile peer can send it: JSON escapes reach lone surrogates, which no UTF-8 has.
# (Built from single characters: st.text() quietly leaves surrogates out.)
hostile_text = st.lists(
    st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=40
).map("".join)
# JSON-shaped values; NaN is left out because it is not equal to itself (and not JSON).
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=30),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)
hostile_values = st.recursive(
    st.one_of(json_scalars, hostile_text),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(hostile_text, children, max_size=4)
    ),
    max_leaves=20,
)
ulids = st.text(alphabet=CROCKFORD, min_size=26, max_size=26)
zones = st.sampled_from(
    [
        UTC,
        timezone(timedelta(hours=14)),
        timezone(-timedelta(hours=12)),
        timezone(timedelta(hours=5, minutes=45)),
        timezone(-timedelta(hours=3, minutes=30)),
    ]
)
# Wide but convertible: year 1 at +14:00 cannot be expressed in UTC (tested separately).
wire_times = st.datetimes(
    min_value=datetime(2, 1, 1),  # noqa: DTZ001 - bounds of a strategy that adds the zone
    max_value=datetime(9998, 12, 31),  # noqa: DTZ001
    timezones=zones,
).map(utc_iso)
odd_time_texts = st.one_of(
    st.sampled_from(
        [
            "0001-01-01T00:00:00Z",
            "0001-01-01T00:00:00+14:00",  # before year 1 in UTC: overflows on conversion
            "9999-12-31T23:59:59.999Z",
            "9999-12-31T23:59:59-14:00",  # after year 9999 in UTC
            "2026-11-21T08:30:00",  # no zone
            "2026-11-21T08:30:00+24:00",
            "2026-02-30T00:00:00Z",
            "2026-W47-6T08:30:00Z",  # ISO week date: fromisoformat reads it
            "2026-11-21T08:30:00.123456789Z",
            "2026-11-21 08:30:00+05:45",
            "",
            "now",
        ]
    ),
    st.datetimes(timezones=st.one_of(st.none(), zones)).map(lambda d: d.isoformat()),
    st.text(max_size=40),
)
wrong_types = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=10),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


@st.composite
def envelopes(draw: st.DrawFn) -> Envelope:
    """A well-formed envelope as a gateway or the hub would build it (unsigned)."""
    return Envelope(
        gw=draw(st.one_of(ulids, st.text(min_size=1, max_size=30))),
        seq=draw(st.integers(min_value=0, max_value=2**63 - 1)),
        sent=draw(
            st.one_of(
                wire_times,
                st.sampled_from(["0001-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z"]),
            )
        ),
        id=draw(ulids),
        type=draw(st.one_of(st.sampled_from([t.value for t in MessageType]), st.text(max_size=20))),
        body=draw(st.dictionaries(st.text(max_size=10), json_values, max_size=4)),
    )


# Per key, values a careless or hostile peer may put there (the type may even be right).
ODD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "v": st.sampled_from([True, 1.0, "1", 2, 0, -1, None, False]),
    "gw": hostile_text,
    "seq": st.sampled_from([True, False, 1.0, -1, 2**64, 10**4000, "1"]),
    "sent": st.one_of(odd_time_texts, hostile_text),
    "id": st.one_of(hostile_text, ulids.map(str.lower), ulids.map(lambda u: u[:25] + "U")),
    "type": hostile_text,
    "body": st.dictionaries(hostile_text, hostile_values, max_size=4),
    "sig": hostile_text,
}


@st.composite
def envelope_like_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """A signed envelope's fields with up to three of them dropped, mistyped or odd."""
    fields: dict[str, Any] = json.loads(draw(envelopes()).signed(KEY).to_json())
    for name in draw(st.lists(st.sampled_from(ENVELOPE_KEYS), max_size=3, unique=True)):
        how = draw(st.sampled_from(["drop", "wrong", "odd", "odd"]))
        if how == "drop":
            del fields[name]
        else:
            fields[name] = draw(wrong_types if how == "wrong" else ODD_VALUES[name])
    return fields


def _canonical(value: object) -> str:
    """How a value looks in canonical JSON: 1, 1.0 and True differ here though == says equal."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _parse(text: str | bytes) -> Envelope | ProtocolError:
    """from_json's outcome; any exception but ProtocolError fails the calling property."""
    try:
        return Envelope.from_json(text)
    except ProtocolError as err:
        return err


def _check_parsed(envelope: Envelope) -> None:
    """What the hub relies on once from_json accepted a frame."""
    assert envelope.v == PROTOCOL_VERSION
    assert isinstance(envelope.gw, str)
    assert type(envelope.seq) is int
    assert isinstance(envelope.sent, str)
    assert isinstance(envelope.type, str)
    assert isinstance(envelope.body, dict)
    assert envelope.sent_at().tzinfo is UTC
    # Never signed by OTHER_KEY's owner: verify must refuse, with a nak-able error only.
    with pytest.raises(ProtocolError) as caught:
        envelope.verify(OTHER_KEY.public_key())
    assert caught.value.reason is NakReason.BAD_SIGNATURE


# ---------------------------------------------------------------------------------------------
# from_json: an Envelope or a ProtocolError, whatever the input


@PROPERTY
@given(st.one_of(st.text(), hostile_text))
def test_any_text_parses_or_is_a_protocol_error(text: str) -> None:
    result = _parse(text)
    if isinstance(result, Envelope):
        _check_parsed(result)


@PROPERTY
@given(st.binary(max_size=200))
def test_any_bytes_parse_or_are_a_protocol_error(data: bytes) -> None:
    result = _parse(data)
    if isinstance(result, Envelope):
        _check_parsed(result)


@PROPERTY
@given(hostile_values)
def test_any_json_value_parses_or_is_a_protocol_error(value: object) -> None:
    result = _parse(json.dumps(value))  # ensure_ascii: lone surrogates travel as \udXXX escapes
    if isinstance(result, Envelope):
        _check_parsed(result)


@PROPERTY
@given(envelope_like_dicts())
def test_envelope_keys_of_any_type_parse_or_are_a_protocol_error(data: dict[str, Any]) -> None:
    result = _parse(json.dumps(data))
    if isinstance(result, ProtocolError):
        return
    _check_parsed(result)
    # Accepted means exactly the contract's types: no bool for an int, no 1.0 for version 1.
    assert type(data["v"]) is int
    assert data["v"] == PROTOCOL_VERSION
    assert type(data["seq"]) is int
    assert all(isinstance(data[name], str) for name in ("gw", "sent", "id", "type", "sig"))


@PROPERTY
@given(
    st.sampled_from(["[", '{"a":', '{"v":1,"body":{"x":[']),
    st.integers(min_value=1, max_value=30_000),
    st.booleans(),
)
def test_deep_nesting_is_a_protocol_error_not_a_recursion_error(
    opener: str, depth: int, closed: bool
) -> None:
    closer = {"[": "]", '{"a":': "}", '{"v":1,"body":{"x":[': "]"}[opener]
    text = opener * depth + ("0" + closer * depth if closed else "")
    assert isinstance(_parse(text), (Envelope, ProtocolError))


@FEW
@given(
    st.integers(min_value=MAX_MESSAGE_BYTES - 300, max_value=MAX_MESSAGE_BYTES + 300),
    st.sampled_from(["a", "é", "€", "😀"]),
)
def test_the_size_limit_counts_utf8_bytes_not_characters(size: int, char: str) -> None:
    envelope = Envelope.new("GW", 1, MessageType.HEARTBEAT, {}, datetime.now(UTC))
    overhead = len(envelope.signed(KEY).to_json().encode()) + len(',"pad": ""')
    pad = char * max(0, (size - overhead) // len(char.encode()))
    text = replace(envelope, body={"pad": pad}).signed(KEY).to_json()
    result = _parse(text)
    if len(text.encode()) > MAX_MESSAGE_BYTES:
        assert isinstance(result, ProtocolError)
        assert result.reason is NakReason.MALFORMED
    else:
        assert isinstance(result, Envelope)
        result.verify(KEY.public_key())


@PROPERTY
@given(envelopes(), st.sampled_from(["gw", "type", "body key", "body value"]), hostile_text)
def test_hostile_text_in_any_string_field_is_parsed_or_malformed(
    envelope: Envelope, where: str, text: str
) -> None:
    fields = json.loads(envelope.signed(KEY).to_json())
    if where in ("gw", "type"):
        fields[where] = text
    else:
        fields["body"] = {text: 1} if where == "body key" else {"note": text}
    result = _parse(json.dumps(fields))  # lone surrogates travel as \udXXX escapes
    if isinstance(result, Envelope):
        _check_parsed(result)  # verify, i.e. re-encoding the text, must not blow up


@PROPERTY
@given(envelopes(), odd_time_texts)
def test_odd_sent_times_parse_to_utc_or_are_malformed(envelope: Envelope, sent: str) -> None:
    result = _parse(replace(envelope, sent=sent).signed(KEY).to_json())
    if isinstance(result, ProtocolError):
        assert result.reason is NakReason.MALFORMED
        return
    moment = result.sent_at()
    assert moment.tzinfo is UTC
    assert moment == datetime.fromisoformat(sent)  # the same instant, only expressed in UTC
    result.verify(KEY.public_key())  # the signature covers the text as sent, not the instant


# ---------------------------------------------------------------------------------------------
# Signing: a round trip verifies, any single change does not


@PROPERTY
@given(envelopes())
def test_signed_envelope_round_trips_and_verifies(envelope: Envelope) -> None:
    signed = envelope.signed(KEY)
    parsed = Envelope.from_json(signed.to_json())
    parsed.verify(KEY.public_key())
    assert parsed == signed
    assert parsed.canonical_bytes() == signed.canonical_bytes()
    assert Envelope.from_json(parsed.to_json().encode()) == signed  # bytes frames as well


@st.composite
def mutations(draw: st.DrawFn, fields: dict[str, Any]) -> tuple[str, object]:
    """One field of a wire envelope, changed so that its canonical JSON differs."""
    name = draw(st.sampled_from(["gw", "seq", "sent", "id", "type", "body", "body"]))
    old = fields[name]
    new: object
    if name == "gw":
        new = draw(st.text(min_size=1, max_size=30))
    elif name == "seq":
        new = old + draw(st.integers(min_value=-5, max_value=5).filter(bool))
    elif name == "sent":
        new = draw(wire_times)
    elif name == "id":
        new = draw(ulids)
    elif name == "type":
        new = draw(st.sampled_from([t.value for t in MessageType]))
    else:  # body content: add, change or remove one key
        body = dict(old)
        key = draw(st.sampled_from(sorted(body)) if body else st.text(max_size=10))
        action = draw(st.sampled_from(["set", "drop"])) if body else "set"
        if action == "drop":
            del body[key]
        else:
            body[key] = draw(json_values)
        new = body
    assume(_canonical(new) != _canonical(old))
    return name, new


@PROPERTY
@given(st.data())
def test_any_single_change_breaks_the_signature(data: st.DataObject) -> None:
    signed = data.draw(envelopes()).signed(KEY)
    fields = json.loads(signed.to_json())
    name, new = data.draw(mutations(fields))
    fields[name] = new
    tampered = Envelope.from_json(json.dumps(fields))  # still well-formed: only the sig is wrong
    with pytest.raises(ProtocolError) as caught:
        tampered.verify(KEY.public_key())
    assert caught.value.reason is NakReason.BAD_SIGNATURE


@PROPERTY
@given(envelopes(), st.integers(min_value=0, max_value=63), st.integers(1, 255))
def test_a_changed_or_foreign_signature_is_refused(
    envelope: Envelope, position: int, flip: int
) -> None:
    signed = envelope.signed(KEY)
    raw = bytearray(base64.b64decode(signed.sig))
    raw[position] ^= flip
    bent = replace(signed, sig=base64.b64encode(bytes(raw)).decode())
    for candidate in (
        bent,
        envelope.signed(OTHER_KEY),
        replace(signed, sig=""),
        replace(signed, sig="%%"),
    ):
        with pytest.raises(ProtocolError) as caught:
            candidate.verify(KEY.public_key())
        assert caught.value.reason is NakReason.BAD_SIGNATURE


# ---------------------------------------------------------------------------------------------
# Body parsers: a value or a ProtocolError, whatever the dict


@st.composite
def alarm_like_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """The fields the body parsers read, each valid, missing or of a wrong type."""
    valid: dict[str, Any] = {
        "alarm_id": draw(ulids),
        "kind": draw(st.sampled_from(list(AlarmKind))).value,
        "severity": draw(st.sampled_from(list(Severity))).value,
        "action": draw(st.sampled_from(list(AlarmAction))).value,
        "occurred_at": draw(wire_times),
        "source": draw(st.text(max_size=200)),
        "actor": draw(st.text(max_size=200)),
        "detail": draw(st.text(max_size=500)),
        "reason": draw(st.text(max_size=200)),
    }
    body: dict[str, Any] = {}
    for name, value in valid.items():
        choice = draw(st.sampled_from(["valid", "valid", "valid", "drop", "wrong", "odd"]))
        if choice == "valid":
            body[name] = value
        elif choice == "wrong":
            body[name] = draw(st.one_of(wrong_types, hostile_values))
        elif choice == "odd":
            body[name] = draw(
                st.one_of(
                    odd_time_texts,
                    st.just("x" * 501),
                    st.just(10**5000),  # str() of it raises ValueError past 4300 digits
                    st.just(AlarmKind.SOS),  # a StrEnum where a str is read
                )
            )
    return body


PARSERS = [parse_alarm_raised, parse_alarm_event, parse_alarm_cleared]


@PROPERTY
@given(st.one_of(alarm_like_bodies(), st.dictionaries(hostile_text, hostile_values, max_size=8)))
def test_alarm_body_parsers_give_a_value_or_a_protocol_error(body: dict[str, Any]) -> None:
    for parse in PARSERS:
        try:
            outcome: object = parse(body)
        except ProtocolError as err:
            outcome = err.reason
        assert isinstance(outcome, (RaisedAlarm, AlarmEventBody, AlarmClearedBody)) or (
            outcome is NakReason.MALFORMED
        )


milliseconds = st.datetimes(
    min_value=datetime(2, 1, 1),  # noqa: DTZ001 - bounds of a strategy that adds the zone
    max_value=datetime(9998, 12, 31),  # noqa: DTZ001
    timezones=zones,
).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))


@PROPERTY
@given(
    ulids,
    st.sampled_from(list(AlarmKind)),
    st.sampled_from(list(Severity)),
    st.sampled_from(list(AlarmAction)),
    milliseconds,
    st.text(max_size=200),
)
def test_valid_alarm_bodies_round_trip(
    alarm_id: str,
    kind: AlarmKind,
    severity: Severity,
    action: AlarmAction,
    when: datetime,
    text: str,
) -> None:
    raised = RaisedAlarm(alarm_id, kind, severity, when, text)
    assert parse_alarm_raised(raised.to_body()) == raised
    event = AlarmEventBody(alarm_id, action, when, text, text)
    assert parse_alarm_event(event.to_body()) == event
    cleared = AlarmClearedBody(alarm_id, when, text)
    assert parse_alarm_cleared(cleared.to_body()) == cleared


# ---------------------------------------------------------------------------------------------
# vital: resident, flags and reading, and config's residents

flag_tokens = st.from_regex(r"[a-z0-9_]{1,40}", fullmatch=True)
reading_ids = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1)


@st.composite
def vital_like_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A vital's fields, each valid, missing or odd; the optional ones null or absent too."""
    valid: dict[str, Any] = {
        "code": draw(st.sampled_from(["8867-4", "8480-6", "41653-7"])),
        "value": draw(st.floats(allow_nan=False, allow_infinity=False)),
        "unit": draw(st.sampled_from(["/min", "mm[Hg]", "mg/dL"])),
        "measured_at": draw(wire_times),
        "device": draw(st.text(max_size=100)),
        "resident": draw(st.one_of(st.none(), ulids)),
        "flags": draw(st.one_of(st.none(), st.lists(flag_tokens, max_size=16))),
        "reading": draw(st.one_of(st.none(), reading_ids.filter(lambda r: len(r) <= 64))),
    }
    body: dict[str, Any] = {}
    for name, value in valid.items():
        choice = draw(st.sampled_from(["valid", "valid", "valid", "drop", "wrong", "odd"]))
        if choice == "valid":
            body[name] = value
        elif choice == "wrong":
            body[name] = draw(st.one_of(wrong_types, hostile_values))
        elif choice == "odd":
            body[name] = draw(
                st.one_of(
                    hostile_text,
                    ulids.map(str.lower),
                    st.lists(st.one_of(flag_tokens, hostile_text), max_size=20),
                    st.just("r" * 65),
                    st.just(10**5000),
                )
            )
    return body


@PROPERTY
@given(st.one_of(vital_like_bodies(), st.dictionaries(hostile_text, hostile_values, max_size=8)))
def test_vital_parser_gives_a_value_or_a_malformed(body: dict[str, Any]) -> None:
    try:
        outcome: VitalBody | NakReason = parse_vital(body)
    except ProtocolError as err:
        outcome = err.reason
    if not isinstance(outcome, VitalBody):
        assert outcome is NakReason.MALFORMED
        return
    vital = outcome
    assert vital.resident is None or len(vital.resident) == 26
    assert len(vital.flags) <= 16
    assert len(set(vital.flags)) == len(vital.flags)
    assert all(flag.isascii() and len(flag) <= 40 for flag in vital.flags)
    assert vital.reading is None or 1 <= len(vital.reading) <= 64


@PROPERTY
@given(
    milliseconds,
    st.floats(allow_nan=False, allow_infinity=False),
    st.one_of(st.none(), ulids),
    st.lists(flag_tokens, max_size=16, unique=True),
    st.one_of(st.none(), reading_ids.filter(lambda r: len(r) <= 64)),
)
def test_valid_vital_bodies_round_trip_through_json(
    when: datetime, value: float, resident: str | None, flags: list[str], reading: str | None
) -> None:
    body = vital_body(
        "8867-4", value, "/min", when, "cuff", resident=resident, flags=flags, reading=reading
    )
    vital = parse_vital(json.loads(json.dumps(body)))
    assert vital == VitalBody(
        "8867-4", value, "/min", when.astimezone(UTC), "cuff", resident, tuple(flags), reading
    )
    assert parse_vital(vital.to_body()) == vital


@PROPERTY
@given(
    st.one_of(
        st.lists(
            st.one_of(
                st.fixed_dictionaries(
                    {"id": ulids, "name": st.text(max_size=100)},
                    optional={"thresholds": st.one_of(json_values, hostile_values)},
                ),
                hostile_values,
            ),
            max_size=6,
        ),
        hostile_values,
    )
)
def test_any_residents_in_a_config_parse_leniently(residents: object) -> None:
    """Whatever the residents look like, the config still parses: good entries kept, the
    rest reported, never an exception."""
    config, problems = parse_config({"heartbeat_interval": 60, "residents": residents})
    assert config.heartbeat_interval == 60.0
    if config.residents is None:
        assert problems
        return
    assert len({resident.id for resident in config.residents}) == len(config.residents)
    for resident in config.residents:
        assert 1 <= len(resident.name) <= 80
        again, _ = parse_config(config_body(60.0, {}, [resident]))
        assert again.residents == (resident,)
