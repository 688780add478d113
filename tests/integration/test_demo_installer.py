"""The demo's installer step (demo/custom_components/demo_installer): the simulated Zigbee
devices get the names a household gives them, so no screen shows ZHA's model ids."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from gateway.sim.household import VirtualHousehold

ROOT = Path(__file__).resolve().parents[2]
VALVE_IEEE = "00:0d:6f:00:0e:c1:00:07"


def _demo_names() -> dict[str, str]:
    text = (ROOT / "demo" / "configuration.yaml").read_text(encoding="utf-8")
    config = yaml.safe_load(text.replace("__", "x"))  # placeholders are filled by demo.py
    return dict(config["demo_installer"]["names"])


def test_every_simulated_zigbee_device_of_the_demo_has_a_chinese_name() -> None:
    names = _demo_names()
    household = VirtualHousehold()
    addresses = {str(device.eui64) for device in household.devices.values()}
    assert addresses == set(names)
    assert all(name and not name.isascii() for name in names.values())


@pytest.fixture
def demo_components(monkeypatch: pytest.MonkeyPatch) -> None:
    import custom_components  # noqa: PLC0415 (tests/conftest.py makes it)

    paths = [*custom_components.__path__, str(ROOT / "demo" / "custom_components")]
    monkeypatch.setattr(custom_components, "__path__", paths)


def _zigbee_device(hass: HomeAssistant, ieee: str, model: str) -> dr.DeviceEntry:
    entry = MockConfigEntry(domain="zha")
    entry.add_to_hass(hass)
    return dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        connections={(dr.CONNECTION_ZIGBEE, ieee)},
        identifiers={("zha", ieee)},
        manufacturer="_TZ3000_gasvalve",
        model=model,
        name=f"_TZ3000_gasvalve {model}",
    )


async def test_a_device_that_pairs_gets_its_household_name(
    hass: HomeAssistant, demo_components: None
) -> None:
    assert await async_setup_component(
        hass, "demo_installer", {"demo_installer": {"names": _demo_names()}}
    )
    device = _zigbee_device(hass, VALVE_IEEE, "TS0001-GV")
    await hass.async_block_till_done()
    named = dr.async_get(hass).async_get(device.id)
    assert named is not None
    assert named.name_by_user == "厨房燃气阀"


async def test_a_name_someone_gave_already_is_kept(
    hass: HomeAssistant, demo_components: None
) -> None:
    device = _zigbee_device(hass, VALVE_IEEE, "TS0001-GV")
    dr.async_get(hass).async_update_device(device.id, name_by_user="总阀")
    other = _zigbee_device(hass, "00:0d:6f:00:0e:c1:00:01", "SmokeSensor-EM")
    assert await async_setup_component(
        hass, "demo_installer", {"demo_installer": {"names": _demo_names()}}
    )
    await hass.async_block_till_done()
    registry = dr.async_get(hass)
    kept, named = registry.async_get(device.id), registry.async_get(other.id)
    assert kept is not None
    assert named is not None
    assert (kept.name_by_user, named.name_by_user) == ("总阀", "客厅烟雾报警器")
