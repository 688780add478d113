"""A stock Home Assistant: `pip install homeassistant==<pin>` in a fresh virtualenv, nothing of
ours in it, run as `python -m homeassistant` and driven over its REST API like a browser would.

The virtualenv is made once per HA version in a cache folder outside the repository
($XDG_CACHE_HOME or ~/.cache, eldercare-tests/stock-ha-<version>) and copied for each run, so
what HA installs during a run (its own integrations' packages, our manifest's requirements)
never reaches the cached one: every run starts from the same stock install.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
POLL = 0.5  # seconds between looks at a condition
# Loopback only: never through an HTTP proxy named in the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def pinned_ha_version() -> str:
    pin = re.search(r"^homeassistant==(\S+)", (ROOT / "requirements/ha.txt").read_text(), re.M)
    assert pin is not None, "requirements/ha.txt pins no homeassistant"
    return pin[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(
    condition: Callable[[], Any], what: str, timeout: float, log: Callable[[], str]
) -> Any:
    """Poll until `condition()` is truthy and return it; fail naming `what`, with the log."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}\n{log()}")
        time.sleep(POLL)
    return result


def _cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "eldercare-tests"


def _base_python() -> Path:
    """The interpreter our own venv was made from (a venv of a venv would not be stock)."""
    return Path(getattr(sys, "_base_executable", sys.executable))


def stock_venv(version: str) -> Path:
    """The cached stock virtualenv, made first if it is missing (several minutes, once)."""
    cached = _cache_root() / f"stock-ha-{version}"
    marker = cached / "eldercare-stock-ha"  # written last: a venv without it is unfinished
    if marker.is_file() and (cached / "bin" / "python").exists():
        return cached
    partial = cached.with_name(f"{cached.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    # -I: neither $PYTHONPATH nor the current folder (this repository's egg-info) is seen.
    _run([str(_base_python()), "-I", "-m", "venv", str(partial)])
    pip = [str(partial / "bin" / "python"), "-I", "-m", "pip"]
    _run([*pip, "install", f"homeassistant=={version}"])
    (partial / marker.name).write_text(f"homeassistant=={version}\n")
    shutil.rmtree(cached, ignore_errors=True)  # an unfinished one from an interrupted run
    try:
        partial.rename(cached)
    except OSError:  # another run finished first: use its copy
        shutil.rmtree(partial, ignore_errors=True)
    return cached


def copy_venv(cached: Path, target: Path) -> Path:
    """A private copy of the cached virtualenv to install into, its files hard links (a full
    copy of some 600 MB takes minutes on a busy disk). A run never writes into a linked file:
    uv, which HA installs with, removes a package's files before it installs another version
    and puts files in place by rename; Python writes bytecode by rename. Across file systems,
    a full copy."""
    link = ["cp", "-al", str(cached), str(target)]
    if subprocess.run(link, capture_output=True, check=False).returncode != 0:
        shutil.rmtree(target, ignore_errors=True)
        _run(["cp", "-a", str(cached), str(target)])
    return target


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"


def installed(venv: Path, distribution: str) -> bool:
    """Whether `distribution` is installed in the virtualenv."""
    check = f"import importlib.metadata as m; m.version({distribution!r})"
    command = [str(venv / "bin" / "python"), "-I", "-c", check]
    return subprocess.run(command, capture_output=True, check=False).returncode == 0


class HomeAssistantProcess:
    """`python -m homeassistant -c CONFIG` of the given virtualenv, as if it were activated."""

    def __init__(self, venv: Path, config: Path, port: int, output: Path) -> None:
        self.venv = venv
        self.config = config
        self.port = port
        self.output = output
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
        # HA installs requirements with uv, which installs into $VIRTUAL_ENV: this one.
        env["VIRTUAL_ENV"] = str(self.venv)
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        with self.output.open("wb") as output:
            self.process = subprocess.Popen(
                [str(self.venv / "bin" / "python"), "-m", "homeassistant", "-c", str(self.config)],
                cwd=self.config,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def stop(self) -> None:
        """SIGTERM (HA shuts down in order), SIGKILL if it is still there after a while."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log(self) -> str:
        """What HA printed and logged, for a failure message."""
        texts = []
        for path in (self.output, self.config / "home-assistant.log"):
            if path.exists():
                lines = path.read_text(errors="replace").splitlines()[-200:]
                texts.append(f"--- {path.name} (last {len(lines)} lines) ---\n" + "\n".join(lines))
        return "\n".join(texts) or "(Home Assistant wrote no log)"

    def alive(self) -> bool:
        """True while it runs; a failure with its log once it has exited."""
        assert self.process is not None, "not started"
        if (code := self.process.poll()) is not None:
            raise AssertionError(f"Home Assistant exited ({code})\n{self.log()}")
        return True


def http(
    method: str,
    url: str,
    *,
    body: dict[str, Any] | None = None,
    form: dict[str, str] | None = None,
    token: str | None = None,
    timeout: float = 30,
) -> tuple[int, Any]:
    """(status, decoded JSON or text) of one request; connection failures are status 0."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with _DIRECT.open(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, None
    text = raw.decode(errors="replace")
    try:
        return status, json.loads(text)
    except json.JSONDecodeError:
        return status, text
