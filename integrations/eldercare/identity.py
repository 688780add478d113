"""Who the household's gateway is in Home Assistant, as the parts that name it need it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Household:
    # What entities and the device are keyed on: the first gateway id of this household's
    # entry, kept when a new enrollment (reauth) gives the gateway a new id.
    identity: str
    name: str  # the household's name at the care center
