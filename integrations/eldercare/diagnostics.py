"""Diagnostics: what support needs, with secrets, identity, health and family data redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntry

from .arc import ArcChannel
from .health_monitor import HealthMonitor
from .runtime import EldercareConfigEntry

# Keys whose values identify people or carry health data: alarm sources and details can hold
# a vital-sign reading or a device named after a person.
TO_REDACT = {
    "private_key",
    "household_name",
    "title",
    "source",
    "source_name",
    "detail",
    "staff",  # the care center's staff member and responder: people
    "responder",
    "actor",
    "acked_by",
    "name",
    "phone",
    "notify_service",
    "call_number",
    "vital_ranges",
    "key",  # the ARC's encryption key
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: EldercareConfigEntry
) -> dict[str, Any]:
    runtime = entry.runtime_data
    link = runtime.link
    safety = runtime.safety
    valves = safety.valve_state()
    return {
        "entry": async_redact_data(entry.as_dict(), TO_REDACT),
        "link": {
            "state": link.state.value,
            "refusal": link.refusal,
            "outbox_depth": link.outbox_depth,
        },
        "roles": {
            entity_id: {"role": mapped.role.value, "automatic": mapped.automatic}
            for entity_id, mapped in safety.inventory.entities.items()
        },
        "remotes": {
            device: {"role": remote.role.value, "automatic": remote.automatic}
            for device, remote in safety.inventory.remotes.items()
        },
        "supervised_devices": len(safety.inventory.supervised_devices()),
        "alarms": async_redact_data(safety.alarms_as_dict(), TO_REDACT),
        "valves": {"closing": valves.closing, "confirmed_closed": valves.confirmed_closed},
        "next_deadline": (d.isoformat() if (d := safety.next_deadline()) else None),
        "alarm_receiving_centre": _arc_diagnostics(runtime.arc),
        "health_monitors": [_monitor_diagnostics(monitor) for monitor in runtime.monitors],
    }


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: EldercareConfigEntry, device: DeviceEntry
) -> dict[str, Any]:
    """A health monitor's device: its own part of the household's diagnostics."""
    for subentry_id in device.config_entries_subentries.get(entry.entry_id, ()):
        if subentry_id is not None and (monitor := entry.runtime_data.monitors.get(subentry_id)):
            return _monitor_diagnostics(monitor)
    return await async_get_config_entry_diagnostics(hass, entry)


def _arc_diagnostics(arc: ArcChannel) -> dict[str, Any] | None:
    """Whether the ARC hears the household: the receiver in use, counters, what waits."""
    status = arc.status
    if status is None:
        return None
    return {
        "receiver": str(status.receiver) if status.receiver else None,
        "up": status.up,
        "last_ack_at": status.last_ack_at.isoformat() if status.last_ack_at else None,
        "depth": status.depth,
        "clock_offset": status.clock_offset,
        "counts": {
            name: getattr(status, name)
            for name in ("sent", "acked", "naks", "duhs", "timeouts", "failovers", "refused")
        },
    }


def _monitor_diagnostics(monitor: HealthMonitor) -> dict[str, Any]:
    """How the monitor's connections went; no reading and no resident (health data)."""
    return {
        "profile": monitor.identity.profile.value,
        "model": {k: v for k, v in monitor.info.items() if k != "serial"},
        "battery": monitor.battery,
        "assigned": monitor.resident is not None,
        "last_sequence": monitor.last_sequence,
        "counts": dict(monitor.counts),
    }
