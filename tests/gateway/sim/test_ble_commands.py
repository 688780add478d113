"""The Bluetooth part of the simulator's control language (`measure ...`, `ble ...`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from gateway.ble.blood_pressure import PressureUnit, decode_blood_pressure
from gateway.ble.plx import decode_plx_spot_check
from gateway.ble.temperature import TemperatureUnit, decode_temperature
from gateway.ble.weight import WeightUnit, decode_weight
from gateway.sim.commands import HELP, CommandError, run_command
from gateway.sim.household import VirtualHousehold


@pytest.fixture
async def household() -> AsyncIterator[VirtualHousehold]:
    home = VirtualHousehold()
    yield home
    home.close()


async def test_measure_commands_take_readings(household: VirtualHousehold) -> None:
    ble = household.ble
    assert "pulse 92" in run_command(household, "measure bp 165/100 pulse 92 irregular")
    run_command(household, "measure bp 16.8/12.1 kpa")
    first, second = (decode_blood_pressure(p) for p in ble.bp.pending)
    assert (first.systolic, first.diastolic, first.pulse_rate) == (165, 100, 92)
    assert first.status is not None
    assert first.status.irregular_pulse
    assert (second.systolic, second.unit) == (16.8, PressureUnit.KPA)

    run_command(household, "measure spo2 91 pulse 88")
    spot = decode_plx_spot_check(ble.oximeter.pending[0])
    assert (spot.spo2, spot.pulse_rate) == (91, 88)

    assert "record 4" in run_command(household, "measure glucose 11.2")
    assert "mg/dL" in run_command(household, "measure glucose 200 mg/dl")
    assert ble.glucose.last_sequence == 5

    run_command(household, "measure temp 38.6")
    run_command(household, "measure temp 101.5 F")
    temperatures = [decode_temperature(p) for p in ble.thermometer.pending]
    assert [(t.value, t.unit) for t in temperatures] == [
        (38.6, TemperatureUnit.CELSIUS),
        (101.5, TemperatureUnit.FAHRENHEIT),
    ]

    run_command(household, "measure weight 62.5")
    run_command(household, "measure weight 138 lb")
    weights = [decode_weight(p) for p in ble.scale.pending]
    assert [(w.weight, w.unit) for w in weights] == [(62.5, WeightUnit.KG), (138, WeightUnit.LB)]

    run_command(household, "measure hr 130")
    assert ble.hr.bpm == 130
    assert ble.hr.advertising
    run_command(household, "measure hr off")
    assert ble.hr.bpm is None
    assert all(d.advertising for n, d in ble.devices.items() if n != "hr")


async def test_ble_misbehaviour_commands(household: VirtualHousehold) -> None:
    assert "after 1" in run_command(household, "ble drop bp 1")
    assert household.ble.bp.gatt._misbehaviour.drop_after == 1
    run_command(household, "ble garbage thermometer")
    assert household.ble.thermometer.gatt._misbehaviour.garbage
    run_command(household, "ble short scale")
    assert household.ble.scale.gatt._misbehaviour.short


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("measure", "measure bp SYSTOLIC/DIASTOLIC"),
        ("measure bp 165", "measure bp SYSTOLIC/DIASTOLIC"),
        ("measure bp 165/100 pulse", "measure bp SYSTOLIC/DIASTOLIC"),
        ("measure bp 165/100 bar", "measure bp SYSTOLIC/DIASTOLIC"),
        ("measure spo2 91", "measure spo2 PERCENT pulse N"),
        ("measure glucose lots", "measure glucose VALUE"),
        ("measure glucose 11 mmol", "measure glucose VALUE"),
        ("measure temp 38.6 k", "measure temp VALUE"),
        ("measure hr fast", "measure hr BPM"),
        ("measure hr 900", "measure hr BPM"),
        ("measure weight", "measure weight VALUE"),
        ("ble drop bp", "ble drop DEVICE AFTER"),
        ("ble drop bp many", "AFTER is a number"),
        ("ble garbage toaster", "no Bluetooth device 'toaster'"),
        ("ble", "ble drop DEVICE AFTER"),
    ],
)
async def test_bad_bluetooth_commands_say_what_is_right(
    household: VirtualHousehold, text: str, message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        run_command(household, text)


def test_help_lists_the_bluetooth_commands() -> None:
    assert "measure bp" in HELP
    assert "ble drop DEVICE AFTER" in HELP
