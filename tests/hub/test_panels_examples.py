"""The example sender (dc09_examples) checked against pysiaalarm, a DC-09 receiver written by
others: if both read our frames and we read theirs, the sender is a fair yardstick for the
hub's listener (and it shares no code with gateway.dc09)."""

from __future__ import annotations

from datetime import UTC, datetime

from pysiaalarm import SIAAccount
from pysiaalarm.event import SIAEvent

from . import dc09_examples as panel

TEXT_KEY = "0123456789ABCDEF"  # pysiaalarm takes the typed characters as the key bytes


def _read(raw: bytes, account: SIAAccount) -> SIAEvent:
    return SIAEvent.from_line(raw.decode("ascii").strip(), {account.account_id: account})


def test_the_crc_is_crc16_arc() -> None:
    assert panel.crc16_arc(b"123456789") == 0xBB3D  # the catalogued check value


def test_pysiaalarm_reads_the_standard_example_and_we_read_its_ack() -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    event = _read(panel.standard_example(now), SIAAccount("78919"))
    assert event.valid_message
    assert (event.code, event.sequence, event.receiver, event.line) == ("FA", "0002", "R1", "L232")
    assert event.x_data == "S123Main St., 55123"
    assert event.timestamp == now
    reply = panel.parse_reply(event.create_response())
    assert (reply.id, reply.sequence, reply.account, reply.crc_ok, reply.length_ok) == (
        "ACK",
        2,
        "78919",
        True,
        True,
    )


def test_pysiaalarm_reads_contact_id() -> None:
    event = _read(panel.contact_id("1234"), SIAAccount("1234"))
    assert event.valid_message
    assert (event.event_qualifier, event.event_type) == ("1", "101")


def test_encryption_both_ways() -> None:
    now = datetime.now(UTC)
    raw = panel.message(
        "SIA-DCS", 3, "AAA", "#AAA|Nri1/QA15", now=now, key=TEXT_KEY.encode(), receiver="1"
    )
    event = _read(raw, SIAAccount("AAA", TEXT_KEY))
    assert event.valid_message
    assert (event.code, event.ri) == ("QA", "1")
    # pysiaalarm's *ACK pads with 0 and no `|`; the example reader takes both forms.
    reply = panel.parse_reply(event.create_response(), TEXT_KEY.encode())
    assert (reply.id, reply.encrypted, reply.sequence, reply.crc_ok) == ("ACK", True, 3, True)
    assert reply.timestamp is not None
