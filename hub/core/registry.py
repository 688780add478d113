"""The care center's registry: where each household is, who lives there, whom to call, and
what its devices last reported. Synchronous SQL, run on the hub's database thread."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlite_utils

from gateway.alarms import utc_iso
from gateway.ulid import new_ulid

from ..infra.sql import Transaction, one

MAX_TEXT = 200
MAX_NOTES = 2000
MAX_LIST_ITEMS = 30


class RegistryError(ValueError):
    """Input the registry refuses; str() says which field and why (shown to staff)."""


@dataclass(frozen=True, slots=True)
class HouseholdDetails:
    id: str
    name: str
    address: str
    building: str = ""
    unit: str = ""
    grid_area: str = ""
    notes: str = ""


@dataclass(frozen=True, slots=True)
class Threshold:
    """Alarm bounds for one vital sign (LOINC code); either may be open."""

    low: float | None = None
    high: float | None = None


@dataclass(frozen=True, slots=True)
class Resident:
    id: str
    household_id: str
    name: str
    birth_year: int | None = None
    conditions: tuple[str, ...] = ()
    medications: tuple[str, ...] = ()
    allergies: tuple[str, ...] = ()
    mobility: str = ""
    thresholds: dict[str, Threshold] = field(default_factory=dict)

    def age(self, today: datetime) -> int | None:
        return today.year - self.birth_year if self.birth_year else None

    def medical(self) -> dict[str, Any]:
        """The medical part: showing it to staff is an audited view."""
        return {
            "conditions": list(self.conditions),
            "medications": list(self.medications),
            "allergies": list(self.allergies),
            "mobility": self.mobility,
        }

    def thresholds_body(self) -> dict[str, dict[str, float]]:
        """As the gateway's `config` carries them."""
        return {code: _bounds(bounds) for code, bounds in sorted(self.thresholds.items())}


@dataclass(frozen=True, slots=True)
class Contact:
    id: str
    household_id: str
    position: int
    name: str
    phone: str
    relation: str = ""


@dataclass(frozen=True, slots=True)
class DeviceState:
    """One device as the gateway last reported it."""

    id: str
    name: str
    kind: str
    battery: int | None
    last_seen: str | None
    state: str | None
    updated_at: str


def _bounds(threshold: Threshold) -> dict[str, float]:
    bounds = {"low": threshold.low, "high": threshold.high}
    return {name: value for name, value in bounds.items() if value is not None}


class RegistryStore:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    # Households

    def household(self, household_id: str) -> HouseholdDetails | None:
        row = one(
            self.db,
            "SELECT id, name, address, building, unit, grid_area, notes FROM households"
            " WHERE id = ?",
            household_id,
        )
        return HouseholdDetails(**row) if row else None

    def households(self) -> list[HouseholdDetails]:
        rows = self.db.query(
            "SELECT id, name, address, building, unit, grid_area, notes FROM households"
            " ORDER BY grid_area, name, id"
        )
        return [HouseholdDetails(**row) for row in rows]

    def update_household(self, household_id: str, **changes: str) -> HouseholdDetails:
        """Change any of name, address, building, unit, grid_area, notes. KeyError if unknown."""
        allowed = {"name", "address", "building", "unit", "grid_area", "notes"}
        unknown = set(changes) - allowed
        if unknown:
            raise RegistryError(f"unknown household fields: {', '.join(sorted(unknown))}")
        for name, value in changes.items():
            _text(value, name, MAX_NOTES if name == "notes" else MAX_TEXT, required=name == "name")
        if changes:
            assignments = ", ".join(f"{name} = ?" for name in changes)
            cursor = self.db.execute(
                f"UPDATE households SET {assignments} WHERE id = ?",  # noqa: S608 (names checked)
                [*changes.values(), household_id],
            )
            if cursor.rowcount == 0:
                raise KeyError(f"no household {household_id}")
        household = self.household(household_id)
        if household is None:
            raise KeyError(f"no household {household_id}")
        return household

    # Residents

    def add_resident(self, household_id: str, name: str, now: datetime, **details: Any) -> Resident:
        if self.household(household_id) is None:
            raise KeyError(f"no household {household_id}")
        resident = _resident(new_ulid(), household_id, name, details)
        moment = utc_iso(now)
        self.db.table("residents").insert(
            {**_resident_row(resident), "created_at": moment, "updated_at": moment}
        )
        return resident

    def update_resident(self, resident_id: str, now: datetime, **details: Any) -> Resident:
        current = self.resident(resident_id)
        if current is None:
            raise KeyError(f"no resident {resident_id}")
        merged = {
            "birth_year": current.birth_year,
            "conditions": list(current.conditions),
            "medications": list(current.medications),
            "allergies": list(current.allergies),
            "mobility": current.mobility,
            "thresholds": current.thresholds_body(),
        }
        name = details.pop("name", current.name)
        merged.update(details)
        resident = _resident(resident_id, current.household_id, name, merged)
        self.db.table("residents").update(
            resident_id, {**_resident_row(resident), "updated_at": utc_iso(now)}
        )
        return resident

    def resident(self, resident_id: str) -> Resident | None:
        row = one(self.db, "SELECT * FROM residents WHERE id = ?", resident_id)
        return _resident_of_row(row) if row else None

    def residents(self, household_id: str) -> list[Resident]:
        rows = self.db.query(
            "SELECT * FROM residents WHERE household_id = ? ORDER BY created_at, id",
            [household_id],
        )
        return [_resident_of_row(row) for row in rows]

    # Contacts

    def set_contacts(self, household_id: str, contacts: list[dict[str, str]]) -> list[Contact]:
        """Replace the household's contacts; the list's order is the calling order."""
        if self.household(household_id) is None:
            raise KeyError(f"no household {household_id}")
        if len(contacts) > MAX_LIST_ITEMS:
            raise RegistryError(f"at most {MAX_LIST_ITEMS} contacts")
        checked = [
            Contact(
                id=new_ulid(),
                household_id=household_id,
                position=position,
                name=_text(entry.get("name"), "contact name", MAX_TEXT, required=True),
                phone=_phone(entry.get("phone")),
                relation=_text(entry.get("relation", ""), "relation", MAX_TEXT),
            )
            for position, entry in enumerate(contacts, start=1)
        ]
        with Transaction(self.db.conn):
            self.db.execute("DELETE FROM contacts WHERE household_id = ?", [household_id])
            for contact in checked:
                self.db.table("contacts").insert(
                    {
                        "id": contact.id,
                        "household_id": household_id,
                        "position": contact.position,
                        "name": contact.name,
                        "relation": contact.relation,
                        "phone": contact.phone,
                    }
                )
        return checked

    def contacts(self, household_id: str) -> list[Contact]:
        rows = self.db.query(
            "SELECT id, household_id, position, name, phone, relation FROM contacts"
            " WHERE household_id = ? ORDER BY position",
            [household_id],
        )
        return [Contact(**row) for row in rows]

    # Devices (from the gateway's device.status)

    def record_devices(
        self, household_id: str, devices: list[DeviceState], now: datetime, *, full: bool = False
    ) -> None:
        """Upsert what the gateway reported. A `full` report is the whole inventory: devices
        it does not list have left the home and are forgotten; a partial one keeps them."""
        if full:
            listed = [device.id for device in devices]
            self.db.execute(
                "DELETE FROM devices WHERE household_id = ?"  # noqa: S608 (placeholders only)
                f" AND id NOT IN ({', '.join('?' * len(listed))})",
                [household_id, *listed],
            )
        for device in devices:
            self.db.table("devices").upsert(
                {
                    "household_id": household_id,
                    "id": device.id,
                    "name": device.name,
                    "kind": device.kind,
                    "battery": device.battery,
                    "last_seen": device.last_seen,
                    "state": device.state,
                    "updated_at": utc_iso(now),
                },
                pk=("household_id", "id"),
            )

    def devices(self, household_id: str) -> list[DeviceState]:
        rows = self.db.query(
            "SELECT id, name, kind, battery, last_seen, state, updated_at FROM devices"
            " WHERE household_id = ? ORDER BY kind, name, id",
            [household_id],
        )
        return [DeviceState(**row) for row in rows]


# Validation: staff type these in forms; refuse clearly instead of storing junk.


def _text(value: object, what: str, limit: int, *, required: bool = False) -> str:
    if not isinstance(value, str):
        raise RegistryError(f"{what} must be text")
    value = value.strip()
    if required and not value:
        raise RegistryError(f"{what} is required")
    if len(value) > limit:
        raise RegistryError(f"{what} is longer than {limit} characters")
    return value


def _phone(value: object) -> str:
    phone = _text(value, "phone", 40, required=True)
    digits = phone.replace(" ", "").replace("-", "")
    if not (digits.lstrip("+").isdigit() and 3 <= len(digits.lstrip("+")) <= 20):
        raise RegistryError("phone must be digits, optionally with +, spaces or dashes")
    return phone


def _text_list(value: object, what: str) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise RegistryError(f"{what} must be a list of texts")
    if len(value) > MAX_LIST_ITEMS:
        raise RegistryError(f"{what}: at most {MAX_LIST_ITEMS} entries")
    return tuple(item for item in (_text(v, what, MAX_TEXT) for v in value) if item)


def _birth_year(value: object) -> int | None:
    if value is None or value == "":
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1900 <= value <= 2100:
        raise RegistryError("birth year must be a year like 1942")
    return value


def _thresholds(value: object) -> dict[str, Threshold]:
    if not isinstance(value, dict):
        raise RegistryError("thresholds must map LOINC codes to {low, high}")
    thresholds = {}
    for code, bounds in value.items():
        if not isinstance(code, str) or not code.replace("-", "").isdigit():
            raise RegistryError(f"threshold code {code!r} is not a LOINC code")
        if not isinstance(bounds, dict) or set(bounds) - {"low", "high"}:
            raise RegistryError(f"threshold {code} must be {{low, high}}")
        low, high = (_bound(bounds.get(name), code) for name in ("low", "high"))
        if low is not None and high is not None and low >= high:
            raise RegistryError(f"threshold {code}: low must be below high")
        thresholds[code] = Threshold(low, high)
    return thresholds


def _bound(value: object, code: str) -> float | None:
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise RegistryError(f"threshold {code}: bounds must be numbers")
    return float(value)


def _resident(
    resident_id: str, household_id: str, name: object, details: dict[str, Any]
) -> Resident:
    known = {"birth_year", "conditions", "medications", "allergies", "mobility", "thresholds"}
    unknown = set(details) - known
    if unknown:
        raise RegistryError(f"unknown resident fields: {', '.join(sorted(unknown))}")
    return Resident(
        id=resident_id,
        household_id=household_id,
        name=_text(name, "name", MAX_TEXT, required=True),
        birth_year=_birth_year(details.get("birth_year")),
        conditions=_text_list(details.get("conditions", []), "conditions"),
        medications=_text_list(details.get("medications", []), "medications"),
        allergies=_text_list(details.get("allergies", []), "allergies"),
        mobility=_text(details.get("mobility", ""), "mobility", MAX_TEXT),
        thresholds=_thresholds(details.get("thresholds", {})),
    )


def _resident_row(resident: Resident) -> dict[str, Any]:
    return {
        "id": resident.id,
        "household_id": resident.household_id,
        "name": resident.name,
        "birth_year": resident.birth_year,
        "conditions": json.dumps(list(resident.conditions), ensure_ascii=False),
        "medications": json.dumps(list(resident.medications), ensure_ascii=False),
        "allergies": json.dumps(list(resident.allergies), ensure_ascii=False),
        "mobility": resident.mobility,
        "thresholds": json.dumps(resident.thresholds_body(), ensure_ascii=False),
    }


def _resident_of_row(row: dict[str, Any]) -> Resident:
    thresholds = {
        code: Threshold(bounds.get("low"), bounds.get("high"))
        for code, bounds in json.loads(row["thresholds"]).items()
    }
    return Resident(
        id=row["id"],
        household_id=row["household_id"],
        name=row["name"],
        birth_year=row["birth_year"],
        conditions=tuple(json.loads(row["conditions"])),
        medications=tuple(json.loads(row["medications"])),
        allergies=tuple(json.loads(row["allergies"])),
        mobility=row["mobility"],
        thresholds=thresholds,
    )
