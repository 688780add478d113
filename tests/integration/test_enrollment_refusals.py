"""Enrollment that cannot go through: provisioning from configuration.yaml and enrolling again
(reauth) against a real hub that refuses the code or does not answer. Nothing half-done is
kept, and the installer reads why, in English or in Chinese."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from homeassistant.config_entries import SOURCE_IMPORT, SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.eldercare.const import DOMAIN

from ..conftest import RunningHub
from .conftest import credentials_of
from .translated import texts

UNREACHABLE = "http://127.0.0.1:9"


async def _code(hub: RunningHub, kind: str) -> str:
    household = await hub.add_household("Zhou household", "Peony Road 12")
    if kind == "expired":
        return await hub.enrollment_code(household.id, datetime.now(UTC) - timedelta(days=2))
    code = await hub.enrollment_code(household.id)
    if kind == "used":
        await hub.context.db(hub.context.store.redeem_enrollment_code, code, "A" * 43 + "=", "x")
    return code


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("unreachable", "cannot_connect"),
        ("expired", "code_expired"),
        ("used", "code_used"),
        ("unknown", "code_unknown"),
    ],
)
async def test_yaml_provisioning_that_is_refused_creates_nothing_and_says_why(
    hass: HomeAssistant, hub_server: RunningHub, kind: str, reason: str
) -> None:
    code = "ABCD-EFGH-JKMN" if kind == "unknown" else await _code(hub_server, kind)
    hub_url = UNREACHABLE if kind == "unreachable" else hub_server.url
    provisioned = {"hub_url": hub_url, "enrollment_code": code}
    # Home Assistant starts with the appliance image's configuration.yaml.
    assert await async_setup_component(hass, DOMAIN, {DOMAIN: provisioned})
    await hass.async_block_till_done()
    assert hass.config_entries.async_entries(DOMAIN) == []
    # What that import flow ended with, as the log and the frontend tell it.
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_IMPORT}, data=provisioned
    )
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, reason)
    await texts(hass, "config", f"abort.{reason}")


async def _reauth(hass: HomeAssistant, entry: MockConfigEntry) -> dict:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_REAUTH, "entry_id": entry.entry_id}, data=dict(entry.data)
    )
    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "reauth_confirm")
    assert result["description_placeholders"]["household"] == "Wang household"
    return dict(result)


async def test_reauth_with_a_wrong_code_shows_its_error_and_a_right_one_then_works(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    before = credentials_of(enrolled_entry)
    result = await _reauth(hass, enrolled_entry)
    for code, errors in (
        ("ABCD-EFGH-JKMN", {"enrollment_code": "code_unknown"}),
        ("hello", {"enrollment_code": "code_malformed"}),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"enrollment_code": code}
        )
        assert (result["type"], result["errors"]) == (FlowResultType.FORM, errors)
        await texts(hass, "config", f"error.{errors['enrollment_code']}")
    assert credentials_of(enrolled_entry) == before

    code = await hub_server.enrollment_code(before.household_id)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"enrollment_code": code}
    )
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "reauth_successful")
    await hass.async_block_till_done()
    assert credentials_of(enrolled_entry).gateway_id != before.gateway_id


async def test_reauth_while_the_hub_is_down_asks_to_check_the_network(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    before = dict(enrolled_entry.data)
    result = await _reauth(hass, enrolled_entry)
    await hub_server.stop()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"enrollment_code": "ABCD-EFGH-JKMN"}
    )
    assert (result["type"], result["errors"]) == (FlowResultType.FORM, {"base": "cannot_connect"})
    assert dict(enrolled_entry.data) == before
    message = await texts(hass, "config", "error.cannot_connect")
    assert "network" in message["en"]
