"""The transport-free DC-09 receiver: every rule of docs/dc09.md, with an injected clock."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from gateway.dc09.contact_id import ContactIdEvent, Qualifier
from gateway.dc09.frame import Frame, MessageId, decode_frame, encode_frame
from gateway.dc09.receiver import Dc09Receiver, Outcome, ReceiverAccount, Verdict
from gateway.dc09.sia_dcs import SiaDcsEvent

from ...hub.dc09_examples import header, seal, wrap

NOW = datetime(2026, 11, 22, 8, 30, 0, tzinfo=UTC)
KEY = bytes(range(16))
OTHER_KEY = bytes(range(1, 17))
CLEAR = ReceiverAccount("1234", None, "household-clear")
SECRET = ReceiverAccount("ABC123", KEY, "household-secret")
SOS = "#1234|1101 01 015"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def receiver(clock: Clock) -> Dc09Receiver:
    accounts = {account.account: account for account in (CLEAR, SECRET)}
    return Dc09Receiver(accounts.get, clock=clock)


def frame(
    data: str = SOS,
    *,
    sequence: int = 7,
    account: str = "1234",
    message_id: MessageId = MessageId.ADM_CID,
    timestamp: datetime | None = NOW,
    key: bytes | None = None,
) -> bytes:
    return encode_frame(
        Frame(
            message_id,
            sequence,
            line="1",
            receiver="2",
            account=account,
            data=data,
            timestamp=timestamp,
            encrypted=key is not None,
        ),
        key,
    )


def answer(outcome: Outcome, key: bytes | None = None) -> Frame:
    assert outcome.response is not None
    return decode_frame(outcome.response, lambda _account: key)


def test_an_event_is_accepted_with_an_ack_echoing_the_frame(receiver: Dc09Receiver) -> None:
    outcome = receiver.check(frame())
    assert (outcome.verdict, outcome.reason) == (Verdict.ACCEPT, "ok")
    assert outcome.message is not None
    assert outcome.message.account == CLEAR
    assert outcome.message.contact_id == ContactIdEvent(Qualifier.NEW, 101, 1, 15)
    assert outcome.message.sia == ()
    ack = answer(outcome)
    assert (ack.id, ack.sequence, ack.receiver, ack.line, ack.account) == (
        MessageId.ACK,
        7,
        "2",
        "1",
        "1234",
    )
    assert not ack.encrypted


def test_sia_dcs_events_are_read(receiver: Dc09Receiver) -> None:
    outcome = receiver.check(
        frame("#1234|Nri1/QA15/BA3", message_id=MessageId.SIA_DCS, timestamp=None)
    )
    assert outcome.verdict == Verdict.ACCEPT
    assert outcome.message is not None
    assert outcome.message.sia == (SiaDcsEvent("QA", 15, 1), SiaDcsEvent("BA", 3, 1))
    assert outcome.message.contact_id is None


def test_an_encrypted_event_is_accepted_with_an_encrypted_ack(receiver: Dc09Receiver) -> None:
    outcome = receiver.check(frame(account="ABC123", key=KEY))
    assert outcome.verdict == Verdict.ACCEPT
    ack = answer(outcome, KEY)
    assert (ack.id, ack.encrypted, ack.account, ack.timestamp) == (
        MessageId.ACK,
        True,
        "ABC123",
        NOW,
    )


@pytest.mark.parametrize(
    ("offset", "verdict"),
    [
        (timedelta(seconds=-40), Verdict.ACCEPT),
        (timedelta(seconds=-41), Verdict.NAK),
        (timedelta(seconds=20), Verdict.ACCEPT),
        (timedelta(seconds=21), Verdict.NAK),
        (timedelta(0), Verdict.ACCEPT),
    ],
)
def test_the_timestamp_window_is_minus_40_to_plus_20_seconds(
    receiver: Dc09Receiver, offset: timedelta, verdict: Verdict
) -> None:
    outcome = receiver.check(frame(timestamp=NOW + offset))
    assert outcome.verdict == verdict
    if verdict == Verdict.NAK:
        assert outcome.reason == "timestamp_window"
        nak = answer(outcome)
        # Our time, so the sender can correct its clock; and nothing to store.
        assert (nak.id, nak.timestamp, nak.sequence) == (MessageId.NAK, NOW, 0)
        assert outcome.message is None


def test_the_window_applies_to_encrypted_frames_too(receiver: Dc09Receiver, clock: Clock) -> None:
    clock.now = NOW + timedelta(minutes=5)
    outcome = receiver.check(frame(account="ABC123", key=KEY))
    assert (outcome.verdict, outcome.reason) == (Verdict.NAK, "timestamp_window")


def test_encrypted_without_a_timestamp_is_nakked(receiver: Dc09Receiver) -> None:
    # The codec will not build this, so it is put together by hand.
    body = header("ADM-CID", 3, "ABC123", encrypted=True) + seal(KEY, "#ABC123|1101 01 015]")
    outcome = receiver.check(wrap(body))
    assert (outcome.verdict, outcome.reason) == (Verdict.NAK, "timestamp_missing")
    assert answer(outcome).id == MessageId.NAK


def _corrupt_crc(raw: bytes) -> bytes:
    crc = int(raw[1:5], 16)
    return raw[:1] + f"{crc ^ 1:04X}".encode() + raw[5:]


def _wrong_length(raw: bytes) -> bytes:
    """The length field off by one, with a CRC that is right for the body."""
    body = raw[9:-1].decode()
    good = wrap(body)
    length = int(good[5:9], 16) + 1
    return good[:5] + f"{length:04X}".encode() + good[9:]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (_corrupt_crc(frame()), "crc"),
        (_wrong_length(frame()), "length"),
        (b"hello\r", "framing"),
        (b"\n", "framing"),
        (wrap('"ADM-CID"0007L1#1234[#1234|1101 01 015]_99:00:00,01-01-2026'), "timestamp"),
        (wrap('"XYZ"0007L1#1234[]'), "framing"),
        ("\n0000 ü\r".encode(), "framing"),
    ],
    ids=["crc", "length", "garbage", "empty", "bad-timestamp", "unknown-id", "not-ascii"],
)
def test_what_cannot_be_read_is_nakked_with_our_time(
    receiver: Dc09Receiver, raw: bytes, reason: str
) -> None:
    outcome = receiver.check(raw)
    assert (outcome.verdict, outcome.reason, outcome.message) == (Verdict.NAK, reason, None)
    nak = answer(outcome)
    assert (nak.id, nak.timestamp, nak.account) == (MessageId.NAK, NOW, None)


def test_unknown_accounts_get_duh_echoing_the_header(receiver: Dc09Receiver) -> None:
    outcome = receiver.check(frame("#9999|1101 01 015", account="9999"))
    assert (outcome.verdict, outcome.reason) == (Verdict.DUH, "unknown_account")
    duh = answer(outcome)
    assert (duh.id, duh.sequence, duh.account, duh.line, duh.receiver) == (
        MessageId.DUH,
        7,
        "9999",
        "1",
        "2",
    )


def test_an_unknown_encrypted_account_gets_duh_too(receiver: Dc09Receiver) -> None:
    outcome = receiver.check(frame(account="FEED", key=KEY, sequence=42))
    assert (outcome.verdict, outcome.reason) == (Verdict.DUH, "unknown_account")
    duh = answer(outcome)
    assert (duh.id, duh.sequence, duh.account) == (MessageId.DUH, 42, "FEED")


def test_a_frame_without_an_account_gets_duh(receiver: Dc09Receiver) -> None:
    raw = wrap('"ADM-CID"0005L0[#1234|1101 01 015]')
    outcome = receiver.check(raw)
    assert (outcome.verdict, outcome.reason) == (Verdict.DUH, "unknown_account")


def test_an_account_with_a_key_refuses_clear_text(receiver: Dc09Receiver) -> None:
    # Without the key nobody may inject events into an encrypted account.
    outcome = receiver.check(frame("#ABC123|1101 01 015", account="ABC123"))
    assert (outcome.verdict, outcome.reason) == (Verdict.DUH, "plaintext_refused")
    assert answer(outcome).id == MessageId.DUH


def test_a_wrong_key_gets_duh(receiver: Dc09Receiver) -> None:
    outcome = receiver.check(frame(account="ABC123", key=OTHER_KEY, sequence=9))
    assert (outcome.verdict, outcome.reason) == (Verdict.DUH, "decrypt")
    duh = answer(outcome)
    assert (duh.sequence, duh.account, duh.encrypted) == (9, "ABC123", False)


def test_encrypted_frames_of_a_clear_account_get_duh(receiver: Dc09Receiver) -> None:
    outcome = receiver.check(frame(key=KEY))
    assert (outcome.verdict, outcome.reason) == (Verdict.DUH, "no_key")


@pytest.mark.parametrize(
    ("message_id", "data"),
    [
        (MessageId.ADM_CID, "#1234|1101 1 15"),
        (MessageId.ADM_CID, ""),
        (MessageId.SIA_DCS, "#1234|N"),
        (MessageId.SIA_DCS, "#1234|Nri1/??15"),
    ],
)
def test_malformed_data_gets_duh(receiver: Dc09Receiver, message_id: MessageId, data: str) -> None:
    outcome = receiver.check(frame(data, message_id=message_id))
    assert (outcome.verdict, outcome.reason) == (Verdict.DUH, "data")


def test_a_null_poll_is_acked_and_names_the_panel(receiver: Dc09Receiver) -> None:
    outcome = receiver.check(frame("", message_id=MessageId.NULL, sequence=11))
    assert (outcome.verdict, outcome.reason) == (Verdict.IGNORE, "null")
    assert outcome.message is not None
    assert outcome.message.account == CLEAR
    ack = answer(outcome)
    assert (ack.id, ack.sequence) == (MessageId.ACK, 11)


def test_an_encrypted_null_poll_gets_an_encrypted_ack(receiver: Dc09Receiver) -> None:
    outcome = receiver.check(frame("", message_id=MessageId.NULL, account="ABC123", key=KEY))
    assert outcome.reason == "null"
    assert answer(outcome, KEY).encrypted


def test_responses_sent_to_a_receiver_are_ignored(receiver: Dc09Receiver) -> None:
    outcome = receiver.check(frame("", message_id=MessageId.ACK))
    assert (outcome.verdict, outcome.response, outcome.message) == (
        Verdict.IGNORE,
        None,
        None,
    )


def test_an_accepted_frame_again_is_a_duplicate_acked_again(receiver: Dc09Receiver) -> None:
    raw = frame()
    first = receiver.check(raw)
    # Until the caller stored and remembered it, a copy is still to be stored (the store
    # dedupes durably, so two copies racing are still stored once).
    assert receiver.check(raw).verdict == Verdict.ACCEPT
    assert first.message is not None
    receiver.remember(first.message)
    again = receiver.check(raw)
    assert (again.verdict, again.reason) == (Verdict.DUPLICATE, "duplicate")
    assert again.message is not None
    assert again.message.fingerprint == first.message.fingerprint
    assert answer(again).id == MessageId.ACK


def test_a_duplicate_is_acked_even_when_its_timestamp_aged(
    receiver: Dc09Receiver, clock: Clock
) -> None:
    raw = frame(account="ABC123", key=KEY)
    outcome = receiver.check(raw)
    assert outcome.message is not None
    receiver.remember(outcome.message)
    clock.now = NOW + timedelta(seconds=90)  # a retransmission or replay, out of the window
    assert receiver.check(raw).verdict == Verdict.DUPLICATE
    clock.now = NOW + timedelta(minutes=11)  # forgotten: the window check refuses it
    assert receiver.check(raw).reason == "timestamp_window"


def test_a_restamped_retransmission_with_its_time_of_occurrence_is_a_duplicate(
    receiver: Dc09Receiver, clock: Clock
) -> None:
    """Our gateway's sender stamps every attempt afresh and says when the event happened
    (x-data H): a retry after a lost ACK is the same event, however it is stamped."""

    def attempt(stamp: datetime, occurred: str = "08:29:58,11-22-2026") -> bytes:
        sent = Frame(
            MessageId.ADM_CID,
            7,
            account="1234",
            data=SOS,
            extended=(f"H{occurred}",),
            timestamp=stamp,
        )
        return encode_frame(sent)

    first = receiver.check(attempt(NOW))
    assert first.message is not None
    receiver.remember(first.message)
    clock.now = NOW + timedelta(seconds=12)
    assert receiver.check(attempt(clock.now)).verdict == Verdict.DUPLICATE
    later_event = attempt(clock.now, occurred="08:30:10,11-22-2026")
    assert receiver.check(later_event).verdict == Verdict.ACCEPT


def test_another_sequence_or_timestamp_is_a_new_event(receiver: Dc09Receiver) -> None:
    outcome = receiver.check(frame())
    assert outcome.message is not None
    receiver.remember(outcome.message)
    assert receiver.check(frame(sequence=8)).verdict == Verdict.ACCEPT
    later = NOW + timedelta(seconds=1)
    assert receiver.check(frame(timestamp=later)).verdict == Verdict.ACCEPT


def test_frames_without_a_timestamp_are_deduplicated_for_ten_minutes(
    receiver: Dc09Receiver, clock: Clock
) -> None:
    raw = frame(timestamp=None)
    outcome = receiver.check(raw)
    assert outcome.message is not None
    receiver.remember(outcome.message)
    clock.now = NOW + timedelta(minutes=10)
    assert receiver.check(raw).verdict == Verdict.DUPLICATE
    # The panel's sequence wrapped: the same event under the same number is new again.
    clock.now = NOW + timedelta(minutes=10, seconds=1)
    assert receiver.check(raw).verdict == Verdict.ACCEPT


def test_the_memory_is_bounded_oldest_first(clock: Clock) -> None:
    receiver = Dc09Receiver({"1234": CLEAR}.get, clock=clock, remember=3)
    frames = [frame(sequence=number, timestamp=None) for number in range(1, 5)]
    for raw in frames:
        outcome = receiver.check(raw)
        assert outcome.message is not None
        receiver.remember(outcome.message)
    assert receiver.remembered() == 3
    assert receiver.check(frames[0]).verdict == Verdict.ACCEPT  # the oldest was dropped
    assert [receiver.check(raw).verdict for raw in frames[1:]] == [Verdict.DUPLICATE] * 3


def test_expired_fingerprints_are_dropped(receiver: Dc09Receiver, clock: Clock) -> None:
    first = receiver.check(frame(sequence=1, timestamp=None))
    assert first.message is not None
    receiver.remember(first.message)
    clock.now = NOW + timedelta(minutes=11)
    second = receiver.check(frame(sequence=2, timestamp=None))
    assert second.message is not None
    receiver.remember(second.message)
    assert receiver.remembered() == 1


def test_counters_count_each_reason(receiver: Dc09Receiver) -> None:
    accepted = receiver.check(frame())
    assert accepted.message is not None
    receiver.remember(accepted.message)
    receiver.check(frame())
    receiver.check(_corrupt_crc(frame()))
    receiver.check(frame("#9999|1101 01 015", account="9999"))
    receiver.check(frame(timestamp=NOW - timedelta(minutes=2), sequence=2))
    receiver.check(frame("", message_id=MessageId.NULL))
    receiver.check(b"garbage")
    assert receiver.counters == Counter(
        {
            "ok": 1,
            "duplicate": 1,
            "crc": 1,
            "unknown_account": 1,
            "timestamp_window": 1,
            "null": 1,
            "framing": 1,
        }
    )


def test_keys_stay_out_of_reprs() -> None:
    assert KEY.hex() not in repr(SECRET)
    assert repr(KEY) not in repr(SECRET)
