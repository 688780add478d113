"""Remotes whose presses are only events: which commands are presses, one press counted once,
and which remotes are SOS or fall buttons by their names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.safety.remotes import PRESS_GAP, PressDebouncer, is_press
from gateway.safety.roles import Role, infer_remote_role

ON_OFF, LEVEL, IAS_ZONE, IAS_ACE, POLL_CONTROL = 0x0006, 0x0008, 0x0500, 0x0501, 0x0020
T0 = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("command", "cluster"),
    [
        ("toggle", ON_OFF),
        ("on", ON_OFF),
        ("off", ON_OFF),  # a long press on the SONOFF button
        ("move_with_on_off", LEVEL),
        ("remote_button_short_press", None),  # quirk-made commands carry no cluster
        ("1_single", 0xFC00),
    ],
)
def test_commands_a_press_sends(command: str, cluster: int | None) -> None:
    assert is_press(command, cluster)


@pytest.mark.parametrize(
    ("command", "cluster"),
    [
        ("attribute_updated", ON_OFF),  # a report, not a person
        ("checkin", POLL_CONTROL),
        ("stop", LEVEL),
        ("stop_with_on_off", LEVEL),
        ("release", 0xFC00),
        ("remote_button_long_release", None),
        ("emergency", IAS_ACE),  # the fob's panel entity carries it
        ("arm", IAS_ACE),
        ("status_change_notification", IAS_ZONE),
        ("", ON_OFF),
        (None, ON_OFF),
        (42, ON_OFF),  # garbage in an event is not a press, and no crash
    ],
)
def test_not_presses(command: object, cluster: int | None) -> None:
    assert not is_press(command, cluster)


def test_a_burst_of_commands_is_one_press_and_a_later_press_counts() -> None:
    presses = PressDebouncer()
    assert presses.new_press("remote-1", T0)
    assert not presses.new_press("remote-1", T0 + timedelta(milliseconds=300))
    # A hold keeps extending the burst.
    assert not presses.new_press("remote-1", T0 + timedelta(seconds=2))
    assert presses.new_press("remote-1", T0 + timedelta(seconds=2) + PRESS_GAP)
    # Another remote's press is its own.
    assert presses.new_press("remote-2", T0 + timedelta(seconds=2, milliseconds=1))


@pytest.mark.parametrize(
    ("labels", "role"),
    [
        (("Bedside SOS button", "WB01"), Role.SOS),
        (("", "床头紧急按钮", "WB01"), Role.SOS),
        (("Panic pendant",), Role.SOS),
        (("Fall alert remote",), Role.FALL),
        (("跌倒报警",), Role.FALL),
        (("Living room remote", "eWeLink", "WB01"), None),
        ((), None),
    ],
)
def test_remote_role_from_its_names(labels: tuple[str, ...], role: Role | None) -> None:
    assert infer_remote_role(labels) is role
