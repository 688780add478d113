"""Diagnostics: what support needs, with secrets and household identity redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .runtime import EldercareConfigEntry

TO_REDACT = {"private_key", "household_name", "title"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: EldercareConfigEntry
) -> dict[str, Any]:
    link = entry.runtime_data.link
    return {
        "entry": async_redact_data(entry.as_dict(), TO_REDACT),
        "link": {
            "state": link.state.value,
            "refusal": link.refusal,
            "outbox_depth": link.outbox_depth,
        },
    }
