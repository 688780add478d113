"""The Contact ID data block of an `ADM-CID` frame: `#ACCT|QEEE GG ZZZ` (SIA DC-05 digits).

Q qualifier (1 new, 3 restore, 6 status), EEE event code, GG group/partition, ZZZ zone/user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

from .credentials import ACCOUNT_PATTERN
from .errors import DataError

# Decimal digits only: hex event digits (A-F) are legal in DC-05's DTMF alphabet but are not
# Contact ID events we could interpret, so they are refused rather than guessed at.
_DATA = re.compile(
    r"(?:#(?P<account>[0-9A-Fa-f]{3,16})\|)?"
    r"(?P<qualifier>[136])(?P<code>[0-9]{3}) (?P<group>[0-9]{2}) (?P<zone>[0-9]{3})"
)


class Qualifier(IntEnum):
    NEW = 1  # new event / opening
    RESTORE = 3  # restore / closing
    STATUS = 6  # previously reported, still present (status)


@dataclass(frozen=True, slots=True)
class ContactIdEvent:
    qualifier: Qualifier
    code: int  # 0..999 (event code)
    group: int = 1  # partition 0..99
    zone: int = 0  # zone or user 0..999

    def to_data(self, account: str) -> str:
        """`#1234|1101 01 015`; ValueError when a field does not fit its digits."""
        if not ACCOUNT_PATTERN.fullmatch(account):
            raise ValueError(f"account must be 3-16 hex digits: {account!r}")
        if not (0 <= self.code <= 999 and 0 <= self.group <= 99 and 0 <= self.zone <= 999):
            raise ValueError(f"Contact ID field out of range: {self}")
        qualifier = Qualifier(self.qualifier)
        return (
            f"#{account.upper()}|{qualifier.value}{self.code:03d} {self.group:02d} {self.zone:03d}"
        )

    @classmethod
    def from_data(cls, data: str) -> tuple[str | None, ContactIdEvent]:
        """(account or None when the `#ACCT|` prefix is absent, event); DataError if malformed."""
        match = _DATA.fullmatch(data)
        if match is None:
            raise DataError(f"not a Contact ID block: {data!r}")
        account = match["account"]
        event = cls(
            qualifier=Qualifier(int(match["qualifier"])),
            code=int(match["code"]),
            group=int(match["group"]),
            zone=int(match["zone"]),
        )
        return (account.upper() if account else None), event
