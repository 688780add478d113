"""Config flow against a real hub: enrollment, and every refusal as a translated form error."""

from __future__ import annotations

import json
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER, ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.eldercare.const import DOMAIN
from provisioning import ca
from provisioning.qr import build_enrollment_payload

from ..conftest import ROOT, RunningHub, until
from .conftest import credentials_of

TRANSLATIONS = ROOT / "integrations" / "eldercare" / "translations"


async def _submit(hass: HomeAssistant, hub_url: str, code: str):
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"hub_url": hub_url, "enrollment_code": code}
    )


async def test_user_flow_enrolls_and_creates_the_household_entry(
    hass: HomeAssistant, hub_server: RunningHub
) -> None:
    household = await hub_server.add_household("Chen household", "Lotus Lane 8")
    result = await _submit(hass, hub_server.url, await hub_server.enrollment_code(household.id))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Chen household"
    assert result["data"]["household_id"] == household.id
    assert result["result"].unique_id == result["data"]["gateway_id"]
    await hass.async_block_till_done()
    assert hass.states.get("button.chen_household_call_for_help") is not None


@pytest.mark.parametrize(
    ("kind", "errors"),
    [
        ("expired", {"enrollment_code": "code_expired"}),
        ("unknown", {"enrollment_code": "code_unknown"}),
        ("malformed", {"enrollment_code": "code_malformed"}),
        ("unreachable", {"base": "cannot_connect"}),
        ("not_http", {"base": "cannot_connect"}),
    ],
)
async def test_each_refusal_shows_its_error(
    hass: HomeAssistant, hub_server: RunningHub, kind: str, errors: dict[str, str]
) -> None:
    household = await hub_server.add_household()
    hub_url, code = hub_server.url, "ABCD-EFGH-JKMN"
    if kind == "expired":
        code = await hub_server.enrollment_code(household.id, datetime.now(UTC) - timedelta(days=2))
    elif kind == "malformed":
        code = "hello"
    elif kind == "unreachable":
        hub_url = "http://127.0.0.1:9"
    elif kind == "not_http":
        hub_url = "ftp://127.0.0.1"
    result = await _submit(hass, hub_url, code)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    # The form keeps what was typed, and a good code then succeeds in the same flow.
    good = await hub_server.enrollment_code(household.id)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"hub_url": hub_server.url, "enrollment_code": good}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_used_code_is_a_form_error(hass: HomeAssistant, hub_server: RunningHub) -> None:
    household = await hub_server.add_household()
    code = await hub_server.enrollment_code(household.id)
    await hub_server.context.db(
        hub_server.context.store.redeem_enrollment_code, code, "A" * 43 + "=", "other"
    )
    result = await _submit(hass, hub_server.url, code)
    assert result["errors"] == {"enrollment_code": "code_used"}


async def test_yaml_provisioning_imports_once(hass: HomeAssistant, hub_server: RunningHub) -> None:
    household = await hub_server.add_household("Imported", "Unit 9")
    code = await hub_server.enrollment_code(household.id)
    assert await async_setup_component(
        hass, DOMAIN, {DOMAIN: {"hub_url": hub_server.url, "enrollment_code": code}}
    )
    await hass.async_block_till_done()
    entries = hass.config_entries.async_entries(DOMAIN)
    assert [entry.title for entry in entries] == ["Imported"]


def _keys(tree: dict, prefix: str = "") -> set[str]:
    found = set()
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        found |= _keys(value, path) if isinstance(value, dict) else {path}
    return found


def test_every_text_exists_in_english_and_simplified_chinese() -> None:
    source = json.loads((ROOT / "integrations" / "eldercare" / "strings.json").read_text())
    english = json.loads((TRANSLATIONS / "en.json").read_text())
    chinese = json.loads((TRANSLATIONS / "zh-Hans.json").read_text())
    assert english == source
    assert _keys(chinese) == _keys(english)
    assert all(isinstance(path, str) for path in _keys(chinese))
    assert Path(TRANSLATIONS / "zh-Hans.json").read_text(encoding="utf-8").count("登记码") > 3


async def test_revoked_gateway_asks_for_a_new_code_and_comes_back(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    old = credentials_of(enrolled_entry)
    link_sensor = "sensor.wang_household_care_center_link"
    await until(lambda: hass.states.get(link_sensor).state == "connected")
    await hub_server.context.db(hub_server.context.store.revoke_gateway, old.gateway_id)
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.wang_household_send_test_alarm"}, blocking=True
    )
    await until(lambda: hass.states.get(link_sensor).state == "refused")
    await hass.async_block_till_done()
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == "reauth"

    household_code = await hub_server.enrollment_code(old.household_id)
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"enrollment_code": household_code}
    )
    assert (result["type"], result["reason"]) == ("abort", "reauth_successful")
    await hass.async_block_till_done()
    new = credentials_of(enrolled_entry)
    assert new.gateway_id != old.gateway_id
    assert enrolled_entry.data["identity"] == old.gateway_id  # same entities and device
    # The test alarm queued while refused is still in the outbox and now gets through.
    await until(lambda: hass.states.get(link_sensor).state == "connected", timeout=10)
    alarms = await hub_server.wait_for_open_alarms(2, timeout=10)
    # The revocation stays on the screen for staff beside the test alarm that got through.
    assert sorted(alarm.kind for alarm in alarms) == ["link_lost", "test"]


async def test_reauth_with_another_households_code_is_refused(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    other = await hub_server.add_household("Other household", "Elsewhere 1")
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": "reauth", "entry_id": enrolled_entry.entry_id},
        data=dict(enrolled_entry.data),
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"enrollment_code": await hub_server.enrollment_code(other.id)}
    )
    assert (result["type"], result["reason"]) == ("abort", "wrong_household")
    assert credentials_of(enrolled_entry).household_id != other.id


async def test_qr_text_enrolls_with_a_tls_hub_pinned_to_the_community_ca(
    hass: HomeAssistant, tmp_path: Path, socket_enabled: None
) -> None:
    community = ca.init_ca(tmp_path / "ca", "Test community")
    issued = ca.issue_hub_cert(tmp_path / "ca", ["127.0.0.1"])
    tls = (ca.hub_ssl_context(issued.cert_path, issued.key_path), community.cert_pem)
    hub = RunningHub(tmp_path / "hub-data", tls=tls)
    await hub.start()
    try:
        household = await hub.add_household("Qian household", "Block 5")
        qr = build_enrollment_payload(
            hub.url, community.fingerprint, await hub.enrollment_code(household.id)
        )
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        bad = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"enrollment_code": "eldercare:9?hub=x"}
        )
        assert bad["errors"] == {"enrollment_code": "qr_invalid"}
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"enrollment_code": qr}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["data"]["ca_fingerprint"] == community.fingerprint
        assert "BEGIN CERTIFICATE" in result["data"]["ca_pem"]
        await hass.async_block_till_done()
        entry = hass.config_entries.async_entries(DOMAIN)[0]
        await hass.services.async_call(DOMAIN, "trigger_emergency", {}, blocking=True)
        (alarm,) = await hub.wait_for_open_alarms(1, timeout=10)
        assert alarm.household_name == "Qian household"
        await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await hub.stop()


LINK_SENSOR = "sensor.wang_household_care_center_link"


async def _start_reconfigure(hass: HomeAssistant, entry: ConfigEntry):
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "reconfigure")
    return result


async def _reconfigure(
    hass: HomeAssistant, entry: ConfigEntry, hub_url: str, fingerprint: str = ""
):
    result = await _start_reconfigure(hass, entry)
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"hub_url": hub_url, "ca_fingerprint": fingerprint}
    )


async def _move(hub: RunningHub) -> None:
    """Restart `hub` with its data on another port: the care center's hub at a new address."""
    old = hub.url
    await hub.stop()
    await hub.start(port=0)
    while hub.url == old:  # the OS may hand out the freed port again
        await hub.stop()
        await hub.start(port=0)


def _tls(ca_dir: Path, community: ca.CommunityCa) -> tuple[ssl.SSLContext, bytes]:
    """A hub TLS context with a certificate from `community` for 127.0.0.1, and its CA PEM."""
    issued = ca.issue_hub_cert(ca_dir, ["127.0.0.1"])
    return ca.hub_ssl_context(issued.cert_path, issued.key_path), community.cert_pem


def _identity(hass: HomeAssistant, entry: ConfigEntry) -> tuple[set[str], set[tuple[str, str]]]:
    """The entry's entity ids and device identifiers: what automations and dashboards use."""
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    return {e.entity_id for e in entities}, {i for d in devices for i in d.identifiers}


async def test_reconfigure_moves_to_the_hubs_new_address_keeping_queue_and_entities(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    before = dict(enrolled_entry.data)
    identity = _identity(hass, enrolled_entry)
    await until(lambda: hass.states.get(LINK_SENSOR).state == "connected")
    await _move(hub_server)
    # Pressed while the gateway still points at the old address: queued, not lost.
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.wang_household_send_test_alarm"}, blocking=True
    )
    await until(lambda: enrolled_entry.runtime_data.link.outbox_depth == 1)

    result = await _start_reconfigure(hass, enrolled_entry)
    (url_field,) = (key for key in result["data_schema"].schema if key == "hub_url")
    assert url_field.description == {"suggested_value": before["hub_url"]}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"hub_url": hub_server.url + "/", "ca_fingerprint": ""}
    )
    assert (result["type"], result["reason"]) == ("abort", "reconfigure_successful")
    await hass.async_block_till_done()

    assert enrolled_entry.data == {**before, "hub_url": hub_server.url}
    assert _identity(hass, enrolled_entry) == identity
    await until(lambda: hass.states.get(LINK_SENSOR).state == "connected", timeout=10)
    response = await hass.services.async_call(
        DOMAIN, "trigger_emergency", {}, blocking=True, return_response=True
    )
    alarms = await hub_server.wait_for_open_alarms(2, timeout=10)
    assert sorted(alarm.kind for alarm in alarms) == ["sos", "test"]
    assert response == {"alarm_id": next(a.id for a in alarms if a.kind == "sos")}
    await until(lambda: enrolled_entry.runtime_data.link.outbox_depth == 0)


async def test_reconfigure_check_follows_the_hubs_clock(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub
) -> None:
    # The gateway's clock 10 min behind the hub's: the first hello is stale, the second,
    # sent on the hub's time from the nak, is acked.
    hub_server.context.clock = lambda: datetime.now(UTC) + timedelta(minutes=10)
    result = await _reconfigure(hass, enrolled_entry, hub_server.url)
    assert (result["type"], result["reason"]) == ("abort", "reconfigure_successful")
    assert hub_server.context.rejections["stale"] >= 1
    await hass.async_block_till_done()


@pytest.mark.parametrize("refusal", ["another_hub", "revoked"])
async def test_reconfigure_to_a_hub_that_does_not_know_the_gateway_is_refused(
    hass: HomeAssistant,
    enrolled_entry: MockConfigEntry,
    hub_server: RunningHub,
    tmp_path: Path,
    refusal: str,
) -> None:
    before = dict(enrolled_entry.data)
    # Another care center's hub (its own key and records), or ours after revoking this gateway.
    other = RunningHub(tmp_path / "other-hub-data")
    await other.start()
    try:
        target = other.url
        if refusal == "revoked":
            target = hub_server.url
            await hub_server.context.db(
                hub_server.context.store.revoke_gateway, before["gateway_id"]
            )
        result = await _reconfigure(hass, enrolled_entry, target)
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"base": "unknown_gateway"}
        assert enrolled_entry.data == before
    finally:
        await other.stop()


@pytest.mark.parametrize(
    ("hub_url", "errors"),
    [
        ("http://127.0.0.1:9", {"base": "cannot_connect"}),
        ("ftp://127.0.0.1", {"base": "cannot_connect"}),
        # Refused before any connection is tried (and pytest-socket allows 127.0.0.1 only).
        ("http://192.0.2.1:8080", {"hub_url": "insecure_url"}),
    ],
)
async def test_reconfigure_to_an_unusable_address_shows_its_error(
    hass: HomeAssistant,
    enrolled_entry: MockConfigEntry,
    hub_server: RunningHub,
    hub_url: str,
    errors: dict[str, str],
) -> None:
    before = dict(enrolled_entry.data)
    result = await _reconfigure(hass, enrolled_entry, hub_url)
    assert result["errors"] == errors
    assert enrolled_entry.data == before
    # The form keeps what was typed, and the right address then succeeds in the same flow.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"hub_url": hub_server.url}
    )
    assert (result["type"], result["reason"]) == ("abort", "reconfigure_successful")
    await hass.async_block_till_done()


async def test_reconfigure_from_loopback_http_to_https_needs_the_communitys_fingerprint(
    hass: HomeAssistant, enrolled_entry: MockConfigEntry, hub_server: RunningHub, tmp_path: Path
) -> None:
    community = ca.init_ca(tmp_path / "ca", "Test community")
    stranger = ca.init_ca(tmp_path / "other-ca", "Other community")
    before = dict(enrolled_entry.data)
    # The same hub (data, key, gateways) now serving TLS at a new address.
    await hub_server.stop()
    hub = RunningHub(hub_server.data_dir, tls=_tls(tmp_path / "ca", community))
    await hub.start()
    try:
        result = await _reconfigure(hass, enrolled_entry, hub.url, stranger.fingerprint)
        assert result["errors"] == {"base": "ca_mismatch"}
        # Nothing was pinned for the loopback http hub, so https needs a fingerprint now.
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"hub_url": hub.url, "ca_fingerprint": ""}
        )
        assert result["errors"] == {"ca_fingerprint": "fingerprint_invalid"}
        assert enrolled_entry.data == before
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"hub_url": hub.url, "ca_fingerprint": community.fingerprint}
        )
        assert (result["type"], result["reason"]) == ("abort", "reconfigure_successful")
        await hass.async_block_till_done()
        assert credentials_of(enrolled_entry).ca_fingerprint == community.fingerprint
        assert "BEGIN CERTIFICATE" in credentials_of(enrolled_entry).ca_pem
        await hass.services.async_call(DOMAIN, "trigger_emergency", {}, blocking=True)
        (alarm,) = await hub.wait_for_open_alarms(1, timeout=10)
        assert alarm.household_name == "Wang household"

        # Moving on keeps the pinned CA when the fingerprint is left empty...
        result = await _reconfigure(hass, enrolled_entry, hub.url)
        assert (result["type"], result["reason"]) == ("abort", "reconfigure_successful")
        await hass.async_block_till_done()
        assert credentials_of(enrolled_entry).ca_fingerprint == community.fingerprint
        # ...so a hub whose certificates another CA issued is refused.
        pinned = dict(enrolled_entry.data)
        impostor = RunningHub(tmp_path / "impostor-data", tls=_tls(tmp_path / "other-ca", stranger))
        await impostor.start()
        try:
            result = await _reconfigure(hass, enrolled_entry, impostor.url)
        finally:
            await impostor.stop()
        assert result["errors"] == {"base": "ca_mismatch"}
        assert enrolled_entry.data == pinned
        await hass.config_entries.async_unload(enrolled_entry.entry_id)
    finally:
        await hub.stop()
