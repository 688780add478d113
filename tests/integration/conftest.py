"""Fixtures for the eldercare integration inside a real (test) Home Assistant."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.eldercare.const import DOMAIN
from gateway.link import GatewayCredentials

from ..conftest import RunningHub


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load integrations/eldercare as a custom integration in every test here."""


@pytest.fixture
async def core_services(hass: HomeAssistant) -> None:
    """HA's core actions (homeassistant.update_entity), always loaded in a real instance."""
    assert await async_setup_component(hass, "homeassistant", {})


@pytest.fixture
async def enrolled_entry(
    hass: HomeAssistant, hub_server: RunningHub, core_services: None
) -> MockConfigEntry:
    """A loaded eldercare entry whose gateway really enrolled with the test hub."""
    household = await hub_server.add_household("Wang household", "Jasmine Court 3-2-501")
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "hub_url": hub_server.url,
            "enrollment_code": await hub_server.enrollment_code(household.id),
        },
    )
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert entry.state is ConfigEntryState.LOADED
    return entry


def travel(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    """Move the frozen clock on and fire what became due, as time passing would."""
    freezer.tick(delta)
    async_fire_time_changed(hass, dt_util.utcnow())


def credentials_of(entry: MockConfigEntry) -> GatewayCredentials:
    return GatewayCredentials.from_dict(dict(entry.data))
