"""The installer's ARC form, checked into the sender's settings with errors that say what to fix."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gateway.arc.options import DEFAULT_PORT, ArcOptions, ArcOptionsError
from gateway.arc.settings import ReceiverAddress, ReportFormat, Transport

GOOD = {
    "enabled": True,
    "format": "SIA-DCS",
    "account": "12ab",
    "receiver_number": "1",
    "line_number": "2",
    "primary": "127.0.0.1:12345",
    "primary_transport": "udp",
    "backup": "arc-backup.example",
    "backup_transport": "tcp",
    "key": "000102030405060708090a0b0c0d0e0f",
    "key_format": "hex",
    "supervision_interval": 90,
    "test_interval": 12,
}


def test_a_complete_form_becomes_settings() -> None:
    settings = ArcOptions.from_dict(GOOD).settings()
    assert settings is not None
    assert settings.receivers == (
        ReceiverAddress("127.0.0.1", 12345, Transport.UDP),
        ReceiverAddress("arc-backup.example", DEFAULT_PORT, Transport.TCP),
    )
    assert (settings.account, settings.format) == ("12AB", ReportFormat.SIA_DCS)
    assert (settings.receiver_number, settings.line_number) == ("1", "2")
    assert settings.key == bytes(range(16))
    assert settings.supervision_interval == 90
    assert settings.test_interval == timedelta(hours=12)


def test_off_means_no_settings_and_zero_turns_timers_off() -> None:
    assert ArcOptions.from_dict({**GOOD, "enabled": False}).settings() is None
    settings = ArcOptions.from_dict(
        {**GOOD, "supervision_interval": 0, "test_interval": 0, "key": "", "backup": ""}
    ).settings()
    assert settings is not None
    assert (settings.supervision_interval, settings.test_interval, settings.key) == (
        None,
        None,
        None,
    )
    assert len(settings.receivers) == 1


@pytest.mark.parametrize(
    ("change", "field", "error"),
    [
        ({"account": "12"}, "account", "invalid_account"),
        ({"account": "12G4"}, "account", "invalid_account"),
        ({"line_number": "1234567"}, "line_number", "invalid_number"),
        ({"format": "XML"}, "format", "invalid_format"),
        ({"primary": ""}, "primary", "invalid_address"),
        ({"primary": "host:70000"}, "primary", "invalid_address"),
        ({"backup": "host:port"}, "backup", "invalid_address"),
        ({"primary_transport": "sctp"}, "primary_transport", "invalid_transport"),
        ({"key": "0011"}, "key", "invalid_key"),
        ({"key": "zz" * 16}, "key", "invalid_key"),
        ({"key": "短密钥短密钥短密钥短密钥短密钥短密", "key_format": "text"}, "key", "invalid_key"),
    ],
)
def test_each_mistake_names_its_field(change: dict[str, str], field: str, error: str) -> None:
    with pytest.raises(ArcOptionsError) as caught:
        ArcOptions.from_dict({**GOOD, **change}).settings()
    assert (caught.value.field, caught.value.error) == (field, error)


def test_a_text_key_is_its_characters() -> None:
    settings = ArcOptions.from_dict(
        {**GOOD, "key": "0123456789ABCDEF01234567", "key_format": "text"}
    ).settings()
    assert settings is not None
    assert settings.key == b"0123456789ABCDEF01234567"


def test_ipv6_receiver() -> None:
    settings = ArcOptions.from_dict({**GOOD, "primary": "[::1]:9000"}).settings()
    assert settings is not None
    assert settings.receivers[0].host == "::1"
    assert settings.receivers[0].port == 9000
