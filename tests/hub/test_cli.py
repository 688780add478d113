"""The hub's shell commands an operator uses: households, codes, revocation, heartbeat."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from hub.__main__ import main
from hub.app import open_store
from hub.infra.passwords import verify_password
from provisioning import keys


def _enrolled_gateway(data: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["--data", str(data), "household", "add", "Wu household", "Block 9"]) == 0
    household_id = capsys.readouterr().out.strip()
    assert main(["--data", str(data), "enrollment-code", household_id]) == 0
    code = capsys.readouterr().out.strip()
    public_key = keys.public_key_to_text(keys.new_private_key().public_key())
    store = open_store(data)
    try:
        return store.redeem_enrollment_code(code, public_key, "gw").id
    finally:
        store.close()


def test_revoke_and_heartbeat_change_the_gateway_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway_id = _enrolled_gateway(tmp_path, capsys)
    assert main(["--data", str(tmp_path), "heartbeat", gateway_id, "20"]) == 0
    assert main(["--data", str(tmp_path), "revoke", gateway_id]) == 0
    assert "is revoked" in capsys.readouterr().out
    store = open_store(tmp_path)
    gateway = store.gateway(gateway_id)
    store.close()
    assert gateway is not None
    assert (gateway.revoked, gateway.heartbeat_seconds) == (True, 20)


def test_unknown_ids_and_too_short_heartbeats_are_clear_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--data", str(tmp_path), "revoke", "01NOPE"]) == 1
    assert "no gateway 01NOPE" in capsys.readouterr().err
    assert main(["--data", str(tmp_path), "enrollment-code", "01NOPE"]) == 1
    assert "no household 01NOPE" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--data", str(tmp_path), "heartbeat", "01NOPE", "5"])
    assert "at least 20 s" in capsys.readouterr().err


def test_user_accounts_from_the_shell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = ["--data", str(tmp_path)]
    assert main([*data, "user", "add", "li.na", "--role", "dispatcher", "--display", "李娜"]) == 0
    shown = capsys.readouterr().out
    password = shown.rsplit("Password (shown once): ", 1)[1].strip()
    store = open_store(tmp_path)
    try:
        found = store.accounts.password_hash("li.na")
        assert found is not None
        assert found[0].display_name == "李娜"
        assert verify_password(password, found[1])
    finally:
        store.close()
    monkeypatch.setattr("sys.stdin", io.StringIO("too short\n"))
    assert main([*data, "user", "password", "li.na", "--password-stdin"]) == 1
    assert "at least" in capsys.readouterr().err
    assert main([*data, "user", "add", "wang", "--role", "family"]) == 1  # needs a household
    assert "household" in capsys.readouterr().err
    assert main([*data, "user", "disable", "li.na"]) == 0
    assert main([*data, "user", "disable", "nobody"]) == 1
    store = open_store(tmp_path)
    try:
        assert store.accounts.password_hash("li.na") is None  # disabled: cannot sign in
    finally:
        store.close()
