"""`python -m provisioning`: output for scripts, one-line errors with status 1, no tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from provisioning import ca, qr
from provisioning.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


def _run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    status = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return status, out, err


def _one_error_line(err: str) -> str:
    assert err.startswith("error: ")
    assert err.count("\n") == 1
    assert "Traceback" not in err
    return err


def test_init_prints_the_fingerprint_and_refuses_a_second_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "ca"
    status, out, err = _run(capsys, "init", "--dir", directory, "--name", "Jasmine Court")
    assert status == 0
    fingerprint = out.strip()
    assert fingerprint == ca.pem_fingerprint((directory / "ca.pem").read_bytes())
    assert "Keep ca.key secret" in err

    assert _run(capsys, "fingerprint", "--dir", directory)[1:] == (f"{fingerprint}\n", "")

    status, out, err = _run(capsys, "init", "--dir", directory)
    assert (status, out) == (1, "")
    assert "never overwritten" in _one_error_line(err)


def test_issue_hub_cert_writes_the_pair_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "ca"
    ca.init_ca(directory)
    status, out, err = _run(
        capsys, "issue-hub-cert", "--dir", directory, "--host", "hub.example", "--host", "10.0.0.2"
    )
    assert status == 0
    assert out.splitlines() == [str(directory / "hub.pem"), str(directory / "hub.key")]
    assert "--tls-cert" in err

    status, _, err = _run(capsys, "issue-hub-cert", "--dir", directory, "--host", "hub.example")
    assert status == 1
    assert "move the old hub certificate" in _one_error_line(err)

    prefix = tmp_path / "elsewhere" / "hub-2026"
    prefix.parent.mkdir()
    status, out, _ = _run(
        capsys, "issue-hub-cert", "--dir", directory, "--host", "hub.example", "--out", prefix
    )
    assert status == 0
    assert out.splitlines() == [f"{prefix}.pem", f"{prefix}.key"]


@pytest.mark.parametrize(
    ("with_ca", "argv", "message"),
    [
        (False, ["fingerprint"], "run `python -m provisioning init"),
        (False, ["issue-hub-cert", "--host", "hub.example"], "run `python -m provisioning init"),
        (True, ["issue-hub-cert", "--host", "https://hub.example"], "not a host name"),
        (True, ["enrollment-payload", "--hub", "https://h.example", "--code", "x"], "code"),
        (True, ["enrollment-payload", "--hub", "ftp://h", "--code", "ABCD-EFGH-JKMN"], "https"),
        (True, ["init", "--name", "x" * 65], "1 to 64 characters"),
    ],
)
def test_errors_are_one_line_with_status_1(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    with_ca: bool,
    argv: list[str],
    message: str,
) -> None:
    if with_ca:
        ca.init_ca(tmp_path / "ca")
    status, out, err = _run(capsys, *argv, "--dir", tmp_path / "ca")
    assert (status, out) == (1, "")
    assert message in _one_error_line(err)


def test_enrollment_payload_carries_the_ca_fingerprint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    community = ca.init_ca(tmp_path)
    status, out, _ = _run(
        capsys,
        "enrollment-payload",
        "--dir",
        tmp_path,
        "--hub",
        "https://hub.example:8443",
        "--code",
        "abcd efgh jkmn",
    )
    assert status == 0
    assert qr.parse_enrollment_payload(out) == qr.EnrollmentPayload(
        "https://hub.example:8443", community.fingerprint, "ABCD-EFGH-JKMN"
    )


def test_usage_errors_are_argparse_exits(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["issue-hub-cert", "--dir", "x"])
    assert exit_info.value.code == 2
    assert "--host" in capsys.readouterr().err


def test_python_dash_m_exits_1_with_a_message(tmp_path: Path) -> None:
    ca.init_ca(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "provisioning", "init", "--dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "already holds a community CA" in _one_error_line(result.stderr)
