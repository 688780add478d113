"""Codec-level interop with pysiaalarm 3.2.2, an independent DC-09 receiver (PyPI), and the
standard's own examples.

pysiaalarm takes the key string's ASCII bytes as the AES key, so its key "0123456789ABCDEF"
is our key b"0123456789ABCDEF". It reads a frame without the LF and the CR.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from pysiaalarm.account import SIAAccount
from pysiaalarm.event import NAKEvent, SIAEvent

from gateway.dc09 import (
    ContactIdEvent,
    Frame,
    MessageId,
    Qualifier,
    SiaDcsEvent,
    decode_frame,
    encode_frame,
)

from ...hub.dc09_examples import wrap

KEYS = [
    None,
    "0123456789ABCDEF",  # AES-128
    "0123456789ABCDEF01234567",  # AES-192
    "0123456789ABCDEF0123456789ABCDEF",  # AES-256
]
MOMENT = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def key_bytes(key: str | None) -> bytes | None:
    return key.encode("ascii") if key is not None else None


def their_view(raw: bytes, key: str | None, timeband: tuple[int, int] | None = None) -> SIAEvent:
    """pysiaalarm's reading of our frame."""
    assert raw.startswith(b"\n")
    assert raw.endswith(b"\r")
    accounts = {"1234": SIAAccount("1234", key, allowed_timeband=timeband)}
    return SIAEvent.from_line(raw.decode("ascii")[1:-1], accounts)


def our_frame(message_id: MessageId, data: str, key: str | None, sequence: int = 42) -> Frame:
    return Frame(
        id=message_id,
        sequence=sequence,
        line="3",
        receiver="2",
        account="1234",
        data=data,
        timestamp=MOMENT,
        encrypted=key is not None,
    )


# --- pysiaalarm reads what we send ----------------------------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_contact_id_read_by_pysiaalarm(key: str | None) -> None:
    data = ContactIdEvent(Qualifier.NEW, 101, group=2, zone=15).to_data("1234")
    event = their_view(encode_frame(our_frame(MessageId.ADM_CID, data, key), key_bytes(key)), key)
    assert event.valid_message  # their CRC agrees with ours
    assert event.encrypted is (key is not None)
    assert event.account == "1234"
    assert event.sequence == "0042"
    assert (event.receiver, event.line) == ("R2", "L3")
    assert (event.event_qualifier, event.event_type) == ("1", "101")
    assert (event.partition, event.ri) == ("02", "015")
    assert event.code == "QA"  # their mapping of Contact ID 1 101
    assert event.timestamp == MOMENT


@pytest.mark.parametrize("key", KEYS)
def test_contact_id_restore_read_by_pysiaalarm(key: str | None) -> None:
    data = ContactIdEvent(Qualifier.RESTORE, 111, group=1, zone=7).to_data("1234")
    event = their_view(encode_frame(our_frame(MessageId.ADM_CID, data, key), key_bytes(key)), key)
    assert event.valid_message
    assert (event.event_qualifier, event.event_type, event.ri) == ("3", "111", "007")
    assert event.code == "FH"


@pytest.mark.parametrize("key", KEYS)
def test_sia_dcs_read_by_pysiaalarm(key: str | None) -> None:
    data = SiaDcsEvent("QA", 15, area=2).to_data("1234")
    event = their_view(encode_frame(our_frame(MessageId.SIA_DCS, data, key), key_bytes(key)), key)
    assert event.valid_message
    assert event.account == "1234"
    assert event.sequence == "0042"
    assert event.code == "QA"
    assert event.ri == "2"
    assert event.message == "15"  # they keep the zone after the code as "message"
    assert event.timestamp == MOMENT


@pytest.mark.parametrize("key", KEYS)
def test_sia_dcs_without_zone_read_by_pysiaalarm(key: str | None) -> None:
    data = SiaDcsEvent("RP").to_data("1234")
    event = their_view(encode_frame(our_frame(MessageId.SIA_DCS, data, key), key_bytes(key)), key)
    assert event.valid_message
    assert event.code == "RP"
    assert event.timestamp == MOMENT


@pytest.mark.parametrize("key", KEYS)
def test_null_read_by_pysiaalarm(key: str | None) -> None:
    event = their_view(encode_frame(our_frame(MessageId.NULL, "", key), key_bytes(key)), key)
    assert event.valid_message
    assert event.sequence == "0042"
    assert event.code == "RP"  # their reading of a link test
    assert event.timestamp == MOMENT


def test_many_random_pads_read_by_pysiaalarm() -> None:
    # Our pad is random: every length and character must suit their regex.
    key = KEYS[1]
    for zone in range(40):
        data = SiaDcsEvent("BA", zone * 37, area=zone % 3).to_data("1234")
        raw = encode_frame(our_frame(MessageId.SIA_DCS, data, key, sequence=zone), key_bytes(key))
        event = their_view(raw, key)
        assert event.valid_message
        assert (event.code, event.message, event.ri) == ("BA", str(zone * 37), str(zone % 3))


# --- we read what pysiaalarm answers --------------------------------------------------------


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("message_id", [MessageId.ADM_CID, MessageId.SIA_DCS, MessageId.NULL])
def test_we_read_their_ack(key: str | None, message_id: MessageId) -> None:
    data = {
        MessageId.ADM_CID: "#1234|1101 02 015",
        MessageId.SIA_DCS: "#1234|Nri2/QA15",
        MessageId.NULL: "",
    }[message_id]
    sent = our_frame(message_id, data, key, sequence=9876)
    before = datetime.now(UTC).replace(microsecond=0)
    response = their_view(encode_frame(sent, key_bytes(key)), key).create_response()
    ack = decode_frame(response, lambda _account: key_bytes(key))
    assert ack.id is MessageId.ACK
    assert (ack.sequence, ack.receiver, ack.line, ack.account) == (9876, "2", "3", "1234")
    assert ack.encrypted is (key is not None)
    if key is None:
        assert ack.timestamp is None
    else:
        # Their encrypted ACK carries their clock (zero pad, no "|").
        assert ack.timestamp is not None
        assert before <= ack.timestamp <= datetime.now(UTC) + timedelta(seconds=1)


@pytest.mark.parametrize("key", KEYS)
def test_we_read_their_nak_for_a_stale_timestamp(key: str | None) -> None:
    sent = replace(
        our_frame(MessageId.ADM_CID, "#1234|1101 02 015", key),
        timestamp=datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1),
    )
    event = their_view(encode_frame(sent, key_bytes(key)), key, timeband=(40, 20))
    nak = decode_frame(event.create_response())
    assert nak.id is MessageId.NAK
    assert (nak.sequence, nak.account, nak.encrypted) == (0, None, False)
    assert nak.timestamp is not None
    assert abs(nak.timestamp - datetime.now(UTC)) < timedelta(seconds=5)


def test_we_read_their_plain_nak_event() -> None:
    nak = decode_frame(NAKEvent().create_response())
    # pysiaalarm writes L before R: "NAK"0000L0R0A0[]_timestamp.
    assert (nak.id, nak.sequence, nak.line, nak.receiver, nak.account) == (
        MessageId.NAK,
        0,
        "0",
        "0",
        None,
    )
    assert nak.timestamp is not None
    assert abs(nak.timestamp - datetime.now(UTC)) < timedelta(seconds=5)


@pytest.mark.parametrize("key", KEYS)
def test_we_read_their_duh(key: str | None) -> None:
    # An SIA code they do not know (JJ) makes them answer DUH, always in clear.
    sent = our_frame(MessageId.SIA_DCS, "#1234|NJJ1", key, sequence=5)
    duh = decode_frame(their_view(encode_frame(sent, key_bytes(key)), key).create_response())
    assert duh.id is MessageId.DUH
    assert (duh.sequence, duh.account, duh.encrypted) == (5, "1234", False)


# --- the standard's examples, built by hand -------------------------------------------------

SIA_EXAMPLE = '"SIA-DCS"0002R1L232#78919[#78919|NFA129][S123Main St., 55123]_11:10:00,10-12-2019'
CID_EXAMPLE = '"ADM-CID"0001L0#1234[#1234|1101 01 015]'


def test_standard_sia_dcs_example() -> None:
    raw = wrap(SIA_EXAMPLE)
    frame = decode_frame(raw)
    assert frame == Frame(
        id=MessageId.SIA_DCS,
        sequence=2,
        line="232",
        receiver="1",
        account="78919",
        data="#78919|NFA129",
        extended=("S123Main St., 55123",),
        timestamp=datetime(2019, 10, 12, 11, 10, 0, tzinfo=UTC),
    )
    assert SiaDcsEvent.from_data(frame.data) == ("78919", (SiaDcsEvent("FA", 129),))
    assert encode_frame(frame) == raw
    # pysiaalarm reads the same bytes the same way.
    event = SIAEvent.from_line(raw.decode()[1:-1], {"78919": SIAAccount("78919", None, None)})
    assert event.valid_message
    assert (event.code, event.message, event.x_data) == ("FA", "129", "S123Main St., 55123")
    assert event.timestamp == frame.timestamp


def test_standard_contact_id_example() -> None:
    raw = wrap(CID_EXAMPLE)
    frame = decode_frame(raw)
    assert frame == Frame(
        id=MessageId.ADM_CID,
        sequence=1,
        line="0",
        receiver=None,
        account="1234",
        data="#1234|1101 01 015",
    )
    assert ContactIdEvent.from_data(frame.data) == (
        "1234",
        ContactIdEvent(Qualifier.NEW, 101, group=1, zone=15),
    )
    assert encode_frame(frame) == raw
    event = SIAEvent.from_line(raw.decode()[1:-1], {"1234": SIAAccount("1234", None, None)})
    assert event.valid_message
    assert (event.event_qualifier, event.event_type, event.partition, event.ri) == (
        "1",
        "101",
        "01",
        "015",
    )
