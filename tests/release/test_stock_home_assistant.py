"""The release zip in a stock Home Assistant, as a user installs it (issue 17).

`pip install homeassistant==<pin>` in a fresh virtualenv with nothing of ours, the zip unpacked
into <config>/custom_components/eldercare, `python -m homeassistant`; then, over HA's REST API,
the owner account from onboarding and the eldercare config flow against a real hub process on
127.0.0.1. HA installs the manifest's requirements from the package index itself. The first run
makes the stock virtualenv (several minutes); later runs copy the cached one.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

from gateway.alarms import AlarmKind

from .hub_process import HubProcess
from .stock_ha import (
    HomeAssistantProcess,
    copy_venv,
    free_port,
    http,
    installed,
    pinned_ha_version,
    stock_venv,
    wait_for,
)

# Generous: a cold first start installs the packages of HA's own default integrations, and the
# first eldercare flow installs the manifest's requirements, all from the package index.
HA_START_TIMEOUT = 1200.0
REQUIREMENTS_TIMEOUT = 900.0
LINK_TIMEOUT = 120.0
HUB_START_TIMEOUT = 60.0

# Headless and lean: no default_config, no frontend of our asking (HA still sets up its own
# default integrations); the HTTP API on loopback, and what onboarding and config flows need.
CONFIGURATION = """\
homeassistant:
  name: Stock HA release test
  time_zone: UTC
  country: CN
http:
  server_host: 127.0.0.1
  server_port: {port}
api:
config:
onboarding:
logger:
  default: warning
  logs:
    homeassistant.util.package: info  # "Attempting install of PyNaCl==..."
    custom_components.eldercare: info
"""
OWNER_PASSWORD = "a long owner password"
HOUSEHOLD = "Stock HA household"  # the hub's name for it, which the entry takes as its title


def _owner_token(ha: HomeAssistantProcess) -> str:
    """Onboarding's first step, as the browser does it: the owner account, then a token."""
    client_id = f"{ha.url}/"
    owner = {
        "client_id": client_id,
        "name": "Owner",
        "username": "owner",
        "password": OWNER_PASSWORD,
        "language": "en",
    }
    status, created = http("POST", f"{ha.url}/api/onboarding/users", body=owner)
    assert status == 200, created
    grant = {"grant_type": "authorization_code", "code": created["auth_code"]}
    status, tokens = http("POST", f"{ha.url}/auth/token", form={**grant, "client_id": client_id})
    assert status == 200, tokens
    return str(tokens["access_token"])


def _entity(ha: HomeAssistantProcess, token: str, pattern: str) -> dict[str, Any] | None:
    status, states = http("GET", f"{ha.url}/api/states", token=token)
    assert status == 200, states
    return next((s for s in states if re.fullmatch(pattern, s["entity_id"])), None)


def _entry_state(ha: HomeAssistantProcess, token: str, entry_id: str) -> str | None:
    url = f"{ha.url}/api/config/config_entries/entry?domain=eldercare"
    status, entries = http("GET", url, token=token)
    assert status == 200, entries
    return next((e["state"] for e in entries if e["entry_id"] == entry_id), None)


@pytest.fixture
def venv(tmp_path: Path) -> Iterator[Path]:
    """A copy of the cached stock virtualenv for this test alone; removed after (it is big)."""
    copy = copy_venv(stock_venv(pinned_ha_version()), tmp_path / "venv")
    yield copy
    shutil.rmtree(copy)


@pytest.mark.timeout(HA_START_TIMEOUT + REQUIREMENTS_TIMEOUT + 1200)
def test_a_stock_home_assistant_sets_up_the_release_zip(
    venv: Path, release_zip: Path, tmp_path: Path, socket_enabled: None
) -> None:
    with zipfile.ZipFile(release_zip) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        archive.extractall(tmp_path / "config" / "custom_components" / "eldercare")
    requirements = [Requirement(text).name for text in manifest["requirements"]]
    # Stock: nothing of ours, and none of what the manifest asks HA to install.
    present = [r for r in [*requirements, "eldercare-gateway"] if installed(venv, r)]
    assert present == [], f"not a stock HA: delete {stock_venv(pinned_ha_version())}"

    port = free_port()
    (tmp_path / "config" / "configuration.yaml").write_text(CONFIGURATION.format(port=port))
    hub = HubProcess(tmp_path / "hub-data", tmp_path / "hub-output.log")
    household_id = hub.command("household", "add", HOUSEHOLD, "1 Release Road")
    code = hub.command("enrollment-code", household_id)
    ha = HomeAssistantProcess(venv, tmp_path / "config", port, tmp_path / "ha-output.log")
    try:
        hub.start()
        wait_for(hub.answers, "the hub to answer", HUB_START_TIMEOUT, hub.log)
        ha.start()
        wait_for(
            lambda: ha.alive() and http("GET", f"{ha.url}/api/onboarding")[0] == 200,
            "Home Assistant to answer",
            HA_START_TIMEOUT,
            ha.log,
        )
        token = _owner_token(ha)

        # Add integration -> Eldercare Gateway: HA installs the requirements, then the form.
        flows = f"{ha.url}/api/config/config_entries/flow"
        start = {"handler": "eldercare", "show_advanced_options": False}
        status, form = http("POST", flows, body=start, token=token, timeout=REQUIREMENTS_TIMEOUT)
        assert (status, form and form.get("step_id")) == (200, "user"), form
        assert [r for r in requirements if not installed(venv, r)] == []
        answers = {"hub_url": hub.url, "enrollment_code": code}
        status, done = http("POST", f"{flows}/{form['flow_id']}", body=answers, token=token)
        assert (status, done["type"], done["title"]) == (200, "create_entry", HOUSEHOLD), done
        entry_id = done["result"]["entry_id"]
        wait_for(
            lambda: _entry_state(ha, token, entry_id) == "loaded",
            "the entry to load",
            LINK_TIMEOUT,
            ha.log,
        )

        # The care center sees the household's gateway: enrolled, its link up.
        wait_for(
            lambda: hub.metric("eldercare_hub_gateways_connected") == 1,
            "the gateway's link at the hub",
            LINK_TIMEOUT,
            lambda: ha.log() + hub.log(),
        )
        assert hub.rows("SELECT household_id FROM gateways WHERE revoked_at IS NULL") == [
            (household_id,)
        ]
        link = wait_for(
            lambda: _entity(ha, token, r"sensor\..*care_center_link"),
            "the care-center link sensor",
            LINK_TIMEOUT,
            ha.log,
        )
        wait_for(
            lambda: (
                (_entity(ha, token, re.escape(link["entity_id"])) or {}).get("state") == "connected"
            ),
            "the link sensor to read connected",
            LINK_TIMEOUT,
            ha.log,
        )

        # Call for help in HA: the alarm reaches the care center.
        button = _entity(ha, token, r"button\..*call_for_help")
        assert button is not None
        press = {"entity_id": button["entity_id"]}
        status, _ = http("POST", f"{ha.url}/api/services/button/press", body=press, token=token)
        assert status == 200
        sql = "SELECT household_id, kind FROM alarms"
        wait_for(lambda: hub.rows(sql), "the alarm at the hub", LINK_TIMEOUT, hub.log)
        assert hub.rows(sql) == [(household_id, AlarmKind.SOS.value)]
    except BaseException:
        print(ha.log())
        print(hub.log())
        raise
    finally:
        ha.stop()
        hub.stop()
