"""The SIA DCS data block of a `SIA-DCS` frame: `#ACCT|Nri1/QA15` (SIA DC-03 levels 2/3).

After `#ACCT|` comes `N` (new event; tolerated when missing), then `/`-separated fields:
`id<user>`, `ri<area>`, `ti<HH:MM>` and events `<CODE><zone>`. An `id`/`ri` applies to the
events after it, so `Nri1/BA3/ri2/BA4` is zone 3 of area 1 and zone 4 of area 2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .credentials import ACCOUNT_PATTERN
from .errors import DataError

_PREFIX = re.compile(r"(?:#(?P<account>[0-9A-Fa-f]{3,16})\|)?N?")
_EVENT = re.compile(r"(?P<code>[A-Z]{2})(?P<zone>[0-9]{1,4})?")
_USER = re.compile(r"id(?P<value>[0-9]{1,4})")
_AREA = re.compile(r"ri(?P<value>[0-9]{1,4})")
_TIME = re.compile(r"ti[0-9]{2}:[0-9]{2}(?::[0-9]{2})?")  # panel-local time: read, not used
_CODE = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True, slots=True)
class SiaDcsEvent:
    code: str  # two uppercase letters, e.g. "QA"
    zone: int | None = None  # the address after the code (0..9999), None when absent
    area: int | None = None  # "ri" (partition), None when absent
    user: int | None = None  # "id", None when absent

    def to_data(self, account: str) -> str:
        """`#1234|Nri1/QA15`; ValueError when a field does not fit."""
        if not ACCOUNT_PATTERN.fullmatch(account):
            raise ValueError(f"account must be 3-16 hex digits: {account!r}")
        if not _CODE.fullmatch(self.code):
            raise ValueError(f"SIA code must be two uppercase letters: {self.code!r}")
        for value in (self.zone, self.area, self.user):
            if value is not None and not 0 <= value <= 9999:
                raise ValueError(f"SIA field out of range: {self}")
        user = f"id{self.user}/" if self.user is not None else ""
        area = f"ri{self.area}/" if self.area is not None else ""
        zone = str(self.zone) if self.zone is not None else ""
        return f"#{account.upper()}|N{user}{area}{self.code}{zone}"

    @classmethod
    def from_data(cls, data: str) -> tuple[str | None, tuple[SiaDcsEvent, ...]]:
        """(account or None when the `#ACCT|` prefix is absent, events); DataError if malformed."""
        prefix = _PREFIX.match(data)
        assert prefix is not None  # every part of the prefix is optional
        account = prefix["account"].upper() if prefix["account"] else None
        body = data[prefix.end() :]
        area: int | None = None
        user: int | None = None
        events: list[SiaDcsEvent] = []
        for field in body.split("/") if body else []:
            if match := _EVENT.fullmatch(field):
                zone = int(match["zone"]) if match["zone"] else None
                events.append(cls(match["code"], zone, area, user))
            elif match := _AREA.fullmatch(field):
                area = int(match["value"])
            elif match := _USER.fullmatch(field):
                user = int(match["value"])
            elif not _TIME.fullmatch(field):
                raise DataError(f"SIA DCS field not understood: {field!r} in {data!r}")
        if not events:
            raise DataError(f"no SIA event code in {data!r}")
        return account, tuple(events)
