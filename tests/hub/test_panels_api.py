"""Panel accounts over HTTP and from the shell (docs/hub-api.md, "Alarm panels"): who may
manage them, what is refused, the audit trail, and the key that never comes back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hub.__main__ import main
from hub.app import open_store
from hub.policy import Role
from hub.web.access import CSRF_HEADER

from ..conftest import RunningHub, cookie_session

KEY_HEX = "00112233445566778899AABBCCDDEEFF"


async def _call(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    csrf: str,
    payload: dict[str, Any] | None = None,
) -> tuple[int, dict[str, Any], str]:
    async with session.request(method, url, json=payload, headers={CSRF_HEADER: csrf}) as answer:
        text = await answer.text()
        return answer.status, await answer.json(), text


async def test_supervisors_add_list_read_and_delete_panels(hub_server: RunningHub) -> None:
    household = await hub_server.add_household("Li household", "Block 7")
    url = hub_server.url + "/api/v1/panels"
    async with cookie_session() as session:
        csrf = await hub_server.sign_in(session, Role.SUPERVISOR)
        status, body, text = await _call(
            session,
            "POST",
            url,
            csrf,
            {"account": "abc123", "household_id": household.id, "key": KEY_HEX, "label": "hall"},
        )
        assert status == 201, text
        panel = body["panel"]
        assert (panel["account"], panel["household_id"], panel["label"]) == (
            "ABC123",
            household.id,
            "hall",
        )
        assert (panel["encrypted"], panel["last_heard"]) == (True, None)
        assert "key" not in panel
        assert KEY_HEX.lower() not in text.lower()
        status, body, _ = await _call(
            session, "POST", url, csrf, {"account": "1234", "household_id": household.id}
        )
        assert (status, body["panel"]["encrypted"]) == (201, False)

        status, body, text = await _call(session, "GET", url, csrf)
        assert status == 200
        assert [p["account"] for p in body["panels"]] == ["1234", "ABC123"]
        assert KEY_HEX.lower() not in text.lower()
        status, body, _ = await _call(session, "GET", url + "/abc123", csrf)
        assert (status, body["panel"]["account"], body["events"]) == (200, "ABC123", [])

        status, body, _ = await _call(session, "DELETE", url + "/ABC123", csrf)
        assert (status, body["panel"]["account"]) == (200, "ABC123")
        status, _, _ = await _call(session, "DELETE", url + "/ABC123", csrf)
        assert status == 404
        status, body, _ = await _call(session, "GET", url, csrf)
        assert [p["account"] for p in body["panels"]] == ["1234"]
    entries = await hub_server.context.db(hub_server.context.store.audit.entries)
    changes = [(e.subject, e.detail) for e in entries if e.action == "registry_change"]
    assert changes == [
        ("panel:ABC123", "deleted"),
        ("panel:1234", f"created: household {household.id}, in clear"),
        ("panel:ABC123", f"created: household {household.id}, encrypted"),
    ]
    assert all(e.actor.startswith("staff:supervisor-") for e in entries if e.action != "login")
    assert KEY_HEX.lower() not in repr(entries).lower()


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.FAMILY])
async def test_dispatchers_and_families_may_not(hub_server: RunningHub, role: Role) -> None:
    household = await hub_server.add_household()
    url = hub_server.url + "/api/v1/panels"
    async with cookie_session() as session:
        family_of = household.id if role == Role.FAMILY else None
        csrf = await hub_server.sign_in(session, role, household_id=family_of)
        payload = {"account": "1234", "household_id": household.id}
        for method, path, body in (
            ("GET", "", None),
            ("POST", "", payload),
            ("GET", "/1234", None),
            ("DELETE", "/1234", None),
        ):
            status, answer, _ = await _call(session, method, url + path, csrf, body)
            assert (status, answer["error"]) == (403, "forbidden"), (method, path)
    assert await hub_server.context.db(hub_server.context.store.panels.accounts) == []


@pytest.mark.parametrize(
    ("payload", "complaint"),
    [
        ({"account": "12"}, "3 to 16 hex digits"),
        ({"account": "12345678901234567"}, "3 to 16 hex digits"),
        ({"account": "12G4"}, "3 to 16 hex digits"),
        ({"account": 1234}, "3 to 16 hex digits"),
        ({"key": "0011"}, "16, 24 or 32 bytes"),
        ({"key": "not hex at all, no"}, "hex digits"),
        ({"key": "short", "key_format": "text"}, "16, 24 or 32 bytes"),
        ({"key": KEY_HEX, "key_format": "base64"}, "key_format"),
        ({"household_id": "01NOPE"}, "no household"),
        ({"household_id": None}, "household_id is required"),
        ({"label": "x" * 201}, "label"),
        ({"colour": "red"}, "unknown fields: colour"),
    ],
)
async def test_bad_input_is_a_clear_refusal(
    hub_server: RunningHub, payload: dict[str, Any], complaint: str
) -> None:
    household = await hub_server.add_household()
    async with cookie_session() as session:
        csrf = await hub_server.sign_in(session, Role.ADMIN)
        full = {"account": "1234", "household_id": household.id, **payload}
        status, body, _ = await _call(
            session, "POST", hub_server.url + "/api/v1/panels", csrf, full
        )
    assert (status, body["error"]) == (400, "bad_request")
    assert complaint in body["message"]
    assert "0011" not in body["message"]  # the key is not echoed


async def test_an_account_in_use_is_refused(hub_server: RunningHub) -> None:
    household = await hub_server.add_household()
    url = hub_server.url + "/api/v1/panels"
    async with cookie_session() as session:
        csrf = await hub_server.sign_in(session, Role.SUPERVISOR)
        payload = {"account": "beef", "household_id": household.id}
        assert (await _call(session, "POST", url, csrf, payload))[0] == 201
        status, body, _ = await _call(session, "POST", url, csrf, {**payload, "account": "BEEF"})
    assert (status, body["message"]) == (400, "account BEEF is in use already")


async def test_a_text_key_is_stored_as_its_bytes(hub_server: RunningHub) -> None:
    household = await hub_server.add_household()
    async with cookie_session() as session:
        csrf = await hub_server.sign_in(session, Role.SUPERVISOR)
        payload = {
            "account": "AA01",
            "household_id": household.id,
            "key": "0123456789abcdef",
            "key_format": "text",
        }
        status, body, _ = await _call(
            session, "POST", hub_server.url + "/api/v1/panels", csrf, payload
        )
    assert (status, body["panel"]["encrypted"]) == (201, True)
    stored = await hub_server.context.db(hub_server.context.store.panels.get, "AA01")
    assert stored is not None
    assert stored.key == b"0123456789abcdef"


def test_panel_add_from_the_shell(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data", str(tmp_path)]
    assert main([*data, "household", "add", "Wu household", "Block 9"]) == 0
    household_id = capsys.readouterr().out.strip()
    assert (
        main([*data, "panel-add", "12ab", household_id, "--key", KEY_HEX, "--label", "hall"]) == 0
    )
    assert capsys.readouterr().out.strip() == (
        f"Panel 12AB reports for household {household_id} (encrypted)."
    )
    assert main([*data, "panel-add", "12ab", household_id]) == 1
    assert "in use already" in capsys.readouterr().err
    assert main([*data, "panel-add", "77", household_id]) == 1
    assert "3 to 16 hex digits" in capsys.readouterr().err
    assert main([*data, "panel-add", "7777", household_id, "--key", "00"]) == 1
    assert "16, 24 or 32 bytes" in capsys.readouterr().err
    assert main([*data, "panel-add", "7777", "01NOPE"]) == 1
    assert "no household 01NOPE" in capsys.readouterr().err
    store = open_store(tmp_path)
    try:
        (panel,) = store.panels.accounts()
        assert (panel.account, panel.label, panel.key) == ("12AB", "hall", bytes.fromhex(KEY_HEX))
        (entry,) = store.audit.entries()
        assert (entry.action, entry.subject) == ("registry_change", "panel:12AB")
        assert entry.actor.startswith("shell")
        assert KEY_HEX not in entry.detail
    finally:
        store.close()


def test_a_backup_holds_the_panel_accounts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data", str(tmp_path / "live")]
    assert main([*data, "household", "add", "Wu household", "Block 9"]) == 0
    household_id = capsys.readouterr().out.strip()
    assert main([*data, "panel-add", "12AB", household_id, "--key", KEY_HEX]) == 0
    backup_file = tmp_path / "hub.backup"
    assert main([*data, "backup", str(backup_file)]) == 0
    assert main(["--data", str(tmp_path / "other"), "restore", str(backup_file)]) == 0
    store = open_store(tmp_path / "other")
    try:
        (panel,) = store.panels.accounts()
        assert (panel.account, panel.household_id, panel.key) == (
            "12AB",
            household_id,
            bytes.fromhex(KEY_HEX),
        )
    finally:
        store.close()
