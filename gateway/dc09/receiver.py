"""Transport-free DC-09 receiver logic (docs/dc09.md, "gateway.dc09.receiver").

`Dc09Receiver.check` turns the bytes of one frame into an `Outcome`: what to answer (ACK,
NAK, DUH or nothing) and, for an event, the decoded `PanelMessage` the caller must store
durably before it sends the ACK and calls `remember`. The hub wraps it in TCP/UDP servers
(hub/panels); tests and the bench can drive it with bytes alone.

Order of the checks, and why:
1. Frame (CRC, length, header, timestamp syntax): NAK with our time; nothing was understood.
2. Account: unknown, or its key fails -> DUH (resending cannot help). An account that has a
   key but sends in clear -> DUH `plaintext_refused`: without the key nobody may inject events.
3. Encrypted without a timestamp -> NAK (the standard requires one).
4. Already accepted (same fingerprint, remembered) -> ACK again as DUPLICATE: a retransmission
   after a lost ACK, or a replay; nothing is stored twice. This comes before the window check
   so a retransmission whose timestamp aged meanwhile is still answered ACK, not NAK.
5. Timestamp outside [now - past, now + future] -> NAK with our time (the sender fixes its
   clock and resends).
6. Data block malformed -> DUH `data`.
7. NULL (link test) -> IGNORE with an ACK to send and the message set: nothing to store, the
   caller only records the panel as heard.
8. An event -> ACCEPT.

Replay memory: the fingerprint is (account, message id, sequence, timestamp, data), with the
time of occurrence (x-data H) in place of the timestamp when the frame has one. Accepted
fingerprints are remembered for `keep` (10 min) and at most `remember` of them, oldest
dropped first. A timestamped frame older than the window is refused by the window check
anyway, so only the window needs remembering for those; a frame without a timestamp
(allowed in clear) cannot be window-checked, so it is deduplicated by (account, message id,
sequence, data) for `keep` only: a panel's sequence numbers wrap after 9999, and an identical
event under a reused number later on is a new event that must not be swallowed.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from .contact_id import ContactIdEvent
from .errors import DataError, Dc09Error, DecryptError, MissingKeyError
from .frame import Frame, MessageId, ack_for, decode_frame, duh_for, nak
from .sia_dcs import SiaDcsEvent

DEFAULT_PAST = timedelta(seconds=40)
DEFAULT_FUTURE = timedelta(seconds=20)
DEFAULT_REMEMBER = 10_000
DEFAULT_KEEP = timedelta(minutes=10)

# What a receiver is sent only by mistake (a sender's answers): never answered.
_RESPONSES = frozenset({MessageId.ACK, MessageId.NAK, MessageId.DUH, MessageId.RSP})
# The header of a frame whose content could not be read (wrong key, unknown account), for
# the DUH that echoes it; the codec checked CRC, length and header before it gave up.
_ECHO = re.compile(
    r'"\*?[A-Z-]+"(?P<seq>[0-9]{4})(?:R(?P<rcv>[0-9A-Fa-f]{1,6}))?L(?P<line>[0-9A-Fa-f]{1,6})'
    r"(?:#(?P<acct>[0-9A-Fa-f]{3,16}))?\["
)


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ReceiverAccount:
    account: str  # upper-case hex
    key: bytes | None = field(repr=False)  # None: sends in clear; set: must encrypt
    owner: str  # opaque to the receiver (the hub puts the household id here)


@dataclass(frozen=True, slots=True)
class PanelMessage:
    frame: Frame
    account: ReceiverAccount
    contact_id: ContactIdEvent | None  # for ADM-CID
    sia: tuple[SiaDcsEvent, ...]  # for SIA-DCS
    fingerprint: str  # replay / retransmission identity (hex digest)


class Verdict(StrEnum):
    ACCEPT = "accept"  # store durably, then `remember`, then send the response (ACK)
    DUPLICATE = "duplicate"  # accepted before: send the ACK, store nothing
    NAK = "nak"
    DUH = "duh"
    IGNORE = "ignore"  # nothing to store; send the response if any (a NULL poll's ACK)


@dataclass(frozen=True, slots=True)
class Outcome:
    verdict: Verdict
    response: bytes | None  # what to send back (ACK only after the caller stored ACCEPT)
    message: PanelMessage | None  # ACCEPT, DUPLICATE and NULL polls
    reason: str  # "ok", "null", "duplicate", "crc", "length", "framing", "timestamp", ...


class _Lookup:
    """The codec's key callback, remembering which account it was asked about."""

    def __init__(self, accounts: Callable[[str], ReceiverAccount | None]) -> None:
        self._accounts = accounts
        self.account: ReceiverAccount | None = None

    def key_for(self, account: str | None) -> bytes | None:
        self.account = self._accounts(account.upper()) if account else None
        return self.account.key if self.account else None


class Dc09Receiver:
    def __init__(
        self,
        accounts: Callable[[str], ReceiverAccount | None],
        *,
        past: timedelta = DEFAULT_PAST,
        future: timedelta = DEFAULT_FUTURE,
        clock: Callable[[], datetime] = _utcnow,
        remember: int = DEFAULT_REMEMBER,
        keep: timedelta = DEFAULT_KEEP,
    ) -> None:
        self._accounts = accounts
        self._past = past
        self._future = future
        self._clock = clock
        self._limit = remember
        self._keep = keep
        # fingerprint -> when accepted, oldest first
        self._accepted: OrderedDict[str, datetime] = OrderedDict()
        self.counters: Counter[str] = Counter()  # outcomes per reason

    def check(self, raw: bytes) -> Outcome:
        outcome = self._check(raw, self._clock())
        self.counters[outcome.reason] += 1
        return outcome

    def remember(self, message: PanelMessage) -> None:
        """After the caller committed the message: a copy of it is a duplicate from now on."""
        now = self._clock()
        self._accepted[message.fingerprint] = now
        self._accepted.move_to_end(message.fingerprint)
        while len(self._accepted) > self._limit:
            self._accepted.popitem(last=False)
        while self._accepted and now - next(iter(self._accepted.values())) > self._keep:
            self._accepted.popitem(last=False)

    def remembered(self) -> int:
        """How many fingerprints are held (for diagnostics and tests)."""
        return len(self._accepted)

    def _check(self, raw: bytes, now: datetime) -> Outcome:
        decoded = self._decode(raw, now)
        if isinstance(decoded, Outcome):
            return decoded
        frame, account = decoded
        if frame.encrypted and frame.timestamp is None:
            return _refuse(Verdict.NAK, self._nak(frame, now), "timestamp_missing")
        fingerprint = _fingerprint(frame)
        ack = ack_for(frame, now, account.key)
        if self._seen(fingerprint, now):
            message = PanelMessage(frame, account, None, (), fingerprint)
            return Outcome(Verdict.DUPLICATE, ack, message, "duplicate")
        if frame.timestamp is not None and not (
            now - self._past <= frame.timestamp <= now + self._future
        ):
            return _refuse(Verdict.NAK, self._nak(frame, now), "timestamp_window")
        try:
            contact_id, sia = _events(frame)
        except DataError:
            return _refuse(Verdict.DUH, duh_for(frame), "data")
        message = PanelMessage(frame, account, contact_id, sia, fingerprint)
        # A NULL poll has nothing to store: the caller only notes the panel as heard.
        poll = frame.id == MessageId.NULL
        verdict, reason = (Verdict.IGNORE, "null") if poll else (Verdict.ACCEPT, "ok")
        return Outcome(verdict, ack, message, reason)

    def _decode(self, raw: bytes, now: datetime) -> tuple[Frame, ReceiverAccount] | Outcome:
        """The frame and its account, or the refusal: steps 1 and 2 of the module's list."""
        lookup = _Lookup(self._accounts)
        try:
            frame = decode_frame(raw, lookup.key_for)
        except (MissingKeyError, DecryptError) as err:
            # Encrypted and unreadable: for an unknown account that is all it is.
            reason = err.reason if lookup.account is not None else "unknown_account"
            return _refuse(Verdict.DUH, _duh_echo(raw), reason)
        except Dc09Error as err:  # crc, length, framing, timestamp syntax
            return _refuse(Verdict.NAK, nak(now), err.reason)
        if frame.id in _RESPONSES:
            return Outcome(Verdict.IGNORE, None, None, "not_a_request")
        account = self._accounts(frame.account) if frame.account else None
        if account is None:
            return _refuse(Verdict.DUH, duh_for(frame), "unknown_account")
        if account.key is not None and not frame.encrypted:
            return _refuse(Verdict.DUH, duh_for(frame), "plaintext_refused")
        return frame, account

    def _seen(self, fingerprint: str, now: datetime) -> bool:
        accepted = self._accepted.get(fingerprint)
        return accepted is not None and now - accepted <= self._keep

    @staticmethod
    def _nak(frame: Frame, now: datetime) -> bytes:
        return nak(now, receiver=frame.receiver or "0", line=frame.line)


def _refuse(verdict: Verdict, response: bytes, reason: str) -> Outcome:
    return Outcome(verdict, response, None, reason)


def _events(frame: Frame) -> tuple[ContactIdEvent | None, tuple[SiaDcsEvent, ...]]:
    if frame.id == MessageId.ADM_CID:
        return ContactIdEvent.from_data(frame.data)[1], ()
    if frame.id == MessageId.SIA_DCS:
        return None, SiaDcsEvent.from_data(frame.data)[1]
    return None, ()  # NULL: no data to read


def _fingerprint(frame: Frame) -> str:
    # A sender stamps each attempt afresh (it must, to pass the window), so a retransmission
    # after a lost ACK differs in its timestamp. The time of occurrence (x-data H), when the
    # sender gives one, names the event itself: then it stands in for the timestamp.
    occurred = next((x for x in frame.extended if x.startswith("H")), None)
    stamp = occurred or (frame.timestamp.isoformat() if frame.timestamp is not None else "")
    identity = "\n".join(
        (frame.account or "", frame.id.value, f"{frame.sequence:04d}", stamp, frame.data)
    )
    return hashlib.sha256(identity.encode("ascii", "replace")).hexdigest()


def _duh_echo(raw: bytes) -> bytes:
    """A DUH echoing the header of a frame whose content could not be read."""
    match = _ECHO.search(raw.decode("ascii", "replace"))
    if match is None:  # the codec checked the header, so this is not expected
        return duh_for(Frame(MessageId.DUH, 0))
    echo = Frame(
        MessageId.DUH,
        int(match["seq"]),
        line=match["line"].upper(),
        receiver=match["rcv"].upper() if match["rcv"] else None,
        account=match["acct"].upper() if match["acct"] else None,
    )
    return duh_for(echo)
