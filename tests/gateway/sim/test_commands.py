"""The control language of the simulated household (used by the demo's CLI and HTTP endpoint)."""

from __future__ import annotations

import pytest

from gateway.sim.commands import CommandError, run_command
from gateway.sim.household import VirtualHousehold


@pytest.fixture
async def household() -> VirtualHousehold:
    home = VirtualHousehold()
    home.air.permit_joins(60)
    home.join_all()
    yield home
    home.close()


async def test_commands_change_the_devices(household: VirtualHousehold) -> None:
    assert run_command(household, "smoke on") == "smoke on"
    assert household.smoke.zone_status & 0x0001
    run_command(household, "door open")
    assert household.door.zone_status & 0x0001
    run_command(household, "battery 5 door")
    assert household.door.battery_percent == 5
    assert household.door.zone_status & 0x0008  # low-battery bit
    run_command(household, "jam valve")
    assert household.valve.jammed
    run_command(household, "silent sos")
    assert not household.sos.reachable
    run_command(household, "wake sos")
    assert household.sos.reachable


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty command"),
        ("fly away", "unknown command"),
        ("smoke maybe", "expected on or off"),
        ("battery lots", "percentage"),
        ("battery 10 gas", "mains powered"),
        ("silent toaster", "no device 'toaster'"),
        ("press elevator", "press sos | press fob"),
    ],
)
async def test_bad_commands_say_what_is_wrong(
    household: VirtualHousehold, text: str, message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        run_command(household, text)


async def test_device_memory_survives_a_restart(household: VirtualHousehold) -> None:
    household.smoke.restore({"zone_state": 1, "zone_id": 3, "cie_addr": "00:21:2e:ff:ff:00:00:01"})
    again = VirtualHousehold()
    again.restore(household.memory())
    assert again.smoke.enrolled
    assert not again.gas.enrolled
    again.close()


async def test_the_service_remote_keys_send_tuya_presses(household: VirtualHousehold) -> None:
    sent: list[tuple[int, int, bytes]] = []
    household.air.to_coordinator = lambda frame: sent.append(  # type: ignore[method-assign]
        (frame.src_ep, frame.cluster_id, frame.payload)
    )
    assert run_command(household, "press remote 2") == "remote key 2 pressed"
    assert run_command(household, "press remote 4 long") == "remote key 4 pressed (long)"
    assert run_command(household, "press meal") == "remote key 3 (meal) pressed"
    assert run_command(household, "press callback") == "remote key 4 (callback) pressed"
    # Tuya's press command 0xFD on the key's On/Off cluster, client to server, as the product.
    assert [(ep, cluster, payload[0], payload[2:]) for ep, cluster, payload in sent] == [
        (2, 0x0006, 0x01, b"\xfd\x00"),
        (4, 0x0006, 0x01, b"\xfd\x02"),
        (3, 0x0006, 0x01, b"\xfd\x00"),
        (4, 0x0006, 0x01, b"\xfd\x00"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("press remote", "key from 1 to 4"),
        ("press remote 5", "press remote 1-4"),
        ("press remote 2 twice", "press remote 1-4"),
        ("press drain", "press sos | press fob"),  # not on the remote's default keys
    ],
)
async def test_bad_remote_presses_say_what_is_wrong(
    household: VirtualHousehold, text: str, message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        run_command(household, text)
