"""The log says once that the care center cannot be reached and once that it is back, however
many times the link retries in between (quality-scale rule log-when-unavailable)."""

from __future__ import annotations

import asyncio
import logging

import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.eldercare import link_log
from gateway.link import LinkState

from ..conftest import RunningHub, until

LOST = "cannot be reached"
BACK = "is reachable again"


def _said(caplog: pytest.LogCaptureFixture, text: str) -> int:
    return sum(text in record.getMessage() for record in caplog.records)


async def test_care_center_outage_is_logged_once_and_its_end_once(
    hass: HomeAssistant,
    enrolled_entry: MockConfigEntry,
    hub_server: RunningHub,
    caplog: pytest.LogCaptureFixture,
) -> None:
    link = enrolled_entry.runtime_data.link
    await until(lambda: link.state is LinkState.CONNECTED)
    caplog.set_level(logging.INFO, logger=link_log.__name__)

    await hub_server.stop()
    await until(lambda: link.state is LinkState.DISCONNECTED)
    states = [LinkState.DISCONNECTED]
    remove = link.add_state_listener(states.append)
    await until(lambda: states.count(LinkState.CONNECTING) >= 2, timeout=10)  # it retried
    assert _said(caplog, LOST) == 1
    assert hub_server.url in caplog.text  # which care center, for the installer

    await hub_server.start()
    await until(lambda: link.state is LinkState.CONNECTED, timeout=15)
    remove()
    assert (_said(caplog, LOST), _said(caplog, BACK)) == (1, 1)


async def test_unloading_the_gateway_is_not_an_outage(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    link = enrolled_entry.runtime_data.link
    await until(lambda: link.state is LinkState.CONNECTED)
    caplog.set_level(logging.INFO, logger=link_log.__name__)
    assert await hass.config_entries.async_unload(enrolled_entry.entry_id)
    await asyncio.sleep(0)
    assert _said(caplog, LOST) == 0
