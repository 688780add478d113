"""Alarm kinds ↔ Contact ID and SIA codes (docs/dc09.md, "Kinds and codes")."""

from __future__ import annotations

import pytest

from gateway.alarms import AlarmKind
from gateway.dc09 import (
    CANCEL,
    MANUAL_TEST,
    PERIODIC_TEST,
    REPORT_CODES,
    ReportCode,
    kind_of_contact_id,
    kind_of_sia,
)


def test_every_kind_has_a_code() -> None:
    assert set(REPORT_CODES) == set(AlarmKind)


def test_table_of_the_doc() -> None:
    table = {
        kind: (code.contact_id, code.sia_alarm, code.sia_restore)
        for kind, code in REPORT_CODES.items()
    }
    assert table == {
        AlarmKind.SOS: (101, "QA", "QH"),
        AlarmKind.FALL: (100, "MA", "MH"),
        AlarmKind.FIRE: (111, "FA", "FH"),
        AlarmKind.GAS: (151, "GA", "GH"),
        AlarmKind.WATER_LEAK: (154, "WA", "WH"),
        AlarmKind.VITALS: (100, "MA", "MH"),
        AlarmKind.INACTIVITY: (654, "NA", "NS"),
        AlarmKind.DOOR: (134, "BA", "BH"),
        AlarmKind.DEVICE_OFFLINE: (381, "UY", "UJ"),
        AlarmKind.BATTERY_LOW: (384, "XT", "XR"),
        AlarmKind.VALVE_FAILED: (151, "GA", "GH"),
        AlarmKind.LINK_LOST: (350, "YC", "YK"),
        AlarmKind.TEST: (601, "RX", "RX"),
    }


def test_special_codes() -> None:
    assert (PERIODIC_TEST.contact_id, PERIODIC_TEST.sia_alarm) == (602, "RP")
    assert (MANUAL_TEST.contact_id, MANUAL_TEST.sia_alarm) == (601, "RX")
    assert (CANCEL.contact_id, CANCEL.sia_alarm) == (406, "OC")
    assert REPORT_CODES[AlarmKind.TEST] == MANUAL_TEST


def test_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        REPORT_CODES[AlarmKind.SOS] = ReportCode(1, "AA", "AB")  # type: ignore[index]


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (100, AlarmKind.SOS),
        (101, AlarmKind.SOS),
        (102, AlarmKind.INACTIVITY),
        (109, AlarmKind.SOS),
        (110, AlarmKind.FIRE),
        (111, AlarmKind.FIRE),
        (119, AlarmKind.FIRE),
        (120, AlarmKind.SOS),
        (129, AlarmKind.SOS),
        (130, AlarmKind.DOOR),
        (134, AlarmKind.DOOR),
        (139, AlarmKind.DOOR),
        (140, None),
        (147, AlarmKind.DEVICE_OFFLINE),
        (150, None),
        (151, AlarmKind.GAS),
        (154, AlarmKind.WATER_LEAK),
        (158, None),
        (162, AlarmKind.GAS),
        (300, None),
        (301, None),
        (302, AlarmKind.BATTERY_LOW),
        (309, AlarmKind.BATTERY_LOW),
        (350, AlarmKind.LINK_LOST),
        (359, AlarmKind.LINK_LOST),
        (380, AlarmKind.DEVICE_OFFLINE),
        (381, AlarmKind.DEVICE_OFFLINE),
        (384, AlarmKind.BATTERY_LOW),
        (389, AlarmKind.DEVICE_OFFLINE),
        (401, None),
        (406, None),
        (570, None),
        (601, None),
        (602, None),
        (654, AlarmKind.INACTIVITY),
        (0, None),
        (999, None),
    ],
)
def test_kind_of_contact_id(code: int, kind: AlarmKind | None) -> None:
    assert kind_of_contact_id(code) == kind


def test_every_sent_contact_id_reads_back_as_an_alarm() -> None:
    for kind, code in REPORT_CODES.items():
        read = kind_of_contact_id(code.contact_id)
        assert (read is None) == (kind is AlarmKind.TEST), kind


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("QA", (AlarmKind.SOS, False)),
        ("QH", (AlarmKind.SOS, True)),
        ("MA", (AlarmKind.SOS, False)),
        ("MH", (AlarmKind.SOS, True)),
        ("PA", (AlarmKind.SOS, False)),
        ("FA", (AlarmKind.FIRE, False)),
        ("FH", (AlarmKind.FIRE, True)),
        ("GA", (AlarmKind.GAS, False)),
        ("GH", (AlarmKind.GAS, True)),
        ("WA", (AlarmKind.WATER_LEAK, False)),
        ("NA", (AlarmKind.INACTIVITY, False)),
        ("NS", (AlarmKind.INACTIVITY, True)),
        ("BA", (AlarmKind.DOOR, False)),
        ("BH", (AlarmKind.DOOR, True)),
        ("UY", (AlarmKind.DEVICE_OFFLINE, False)),
        ("UJ", (AlarmKind.DEVICE_OFFLINE, True)),
        ("XT", (AlarmKind.BATTERY_LOW, False)),
        ("XR", (AlarmKind.BATTERY_LOW, True)),
        ("YC", (AlarmKind.LINK_LOST, False)),
        ("YK", (AlarmKind.LINK_LOST, True)),
        ("RX", (None, False)),
        ("RP", (None, False)),
        ("OC", (None, False)),
        ("ZZ", (None, False)),
        ("", (None, False)),
    ],
)
def test_kind_of_sia(code: str, expected: tuple[AlarmKind | None, bool]) -> None:
    assert kind_of_sia(code) == expected


def test_every_sent_sia_code_reads_back_as_an_alarm_or_restore() -> None:
    for kind, code in REPORT_CODES.items():
        if kind is AlarmKind.TEST:
            continue
        alarm, restore = kind_of_sia(code.sia_alarm), kind_of_sia(code.sia_restore)
        assert alarm[0] is not None, kind
        assert alarm[1] is False, kind
        assert restore == (alarm[0], True), kind
        # Contact ID and SIA read the same kind back.
        assert alarm[0] == kind_of_contact_id(code.contact_id), kind
