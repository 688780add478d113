"""What a household's gateways are told in `config` (docs/wire-contract.md) besides the
heartbeat interval: the residents' vital-sign thresholds."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.protocol import MAX_RESIDENT_NAME, ResidentConfig, VitalBounds, widest_bounds
from gateway.services.catalogue import ServiceType

from ..core.context import HubContext


@dataclass(frozen=True, slots=True)
class HouseholdConfig:
    """What a household's gateways get in `config` besides the heartbeat interval."""

    thresholds: dict[str, VitalBounds]
    residents: tuple[ResidentConfig, ...]
    services: tuple[ServiceType, ...] | None = None  # None: every service (the default)


async def household_config(hub: HubContext, household_id: str) -> HouseholdConfig:
    """The residents' thresholds as one set (docs/wire-contract.md, `config`), for readings
    of no known resident: no resident's own normal value may raise an alarm. And each
    resident with their own, for the monitors assigned to them."""
    residents = await hub.db(hub.store.registry.residents, household_id)
    services = await hub.db(hub.store.services.entitlement, household_id)
    own = [
        {code: VitalBounds(t.low, t.high) for code, t in resident.thresholds.items()}
        for resident in residents
    ]
    return HouseholdConfig(
        thresholds=widest_bounds(own),
        residents=tuple(
            # The name is for the installer's picker only: short, as the contract wants.
            ResidentConfig(resident.id, resident.name[:MAX_RESIDENT_NAME], thresholds)
            for resident, thresholds in zip(residents, own, strict=True)
        ),
        services=services,
    )
