"""The care center's install: the wheel in a fresh venv, started as deploy/systemd says.

The wheel of this repository is installed with its `hub` extra into a venv of the base
interpreter (not editable, not the dev venv), as deploy/systemd/README.md installs it into
/opt/eldercare-hub. The unit file is then read and the hub started the way systemd starts it:
ExecStart with that venv for /opt/eldercare-hub, the StateDirectory= made as a temporary
directory owned by the service's user and named in $STATE_DIRECTORY, the Environment= defaults
overridden by the shipped settings file, WorkingDirectory=, UMask=, and a fresh environment.
Under root the hub runs as an unprivileged user (nobody, standing in for eldercare-hub) inside
a private mount namespace that applies the unit's ProtectSystem=strict (everything read-only
but the state directory), ProtectHome=yes and PrivateTmp=yes, and shows the temporary
directory as /var/lib, so ExecStart's %S is what systemd makes it: whatever the hub needs
outside its state directory shows up as a failure here. Not under root, it runs as the test's
user, with %S the temporary directory.

The venv is kept between runs in the user's cache folder, keyed by pyproject.toml and the
constraints; each run reinstalls the freshly built wheel into it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "systemd" / "eldercare-hub.service"
SETTINGS = ROOT / "deploy" / "systemd" / "eldercare-hub.env"
CONSTRAINTS = ROOT / "requirements" / "constraints.txt"
INSTALL_PREFIX = "/opt/eldercare-hub"  # where deploy/systemd/README.md creates the venv
COMMAND = "eldercare-hub"  # pyproject.toml [project.scripts]
# Bump when the recipe below changes, so cached venvs made the old way are not reused.
RECIPE = "1"
SERVICE_UID = SERVICE_GID = 65534  # nobody / nogroup: the stand-in for User=eldercare-hub
# The trees the unit's ProtectHome=yes and PrivateTmp=yes replace.
HIDDEN_TREES = (Path("/root"), Path("/home"), Path("/tmp"), Path("/var/tmp"))
START_TIMEOUT = 60.0  # seconds for a cold start on a busy 2-core machine


# --- the unit file -----------------------------------------------------------------------------


def parse_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """systemd's INI dialect: repeated keys add up, an empty assignment resets the list."""
    sections: dict[str, dict[str, list[str]]] = {}
    section: dict[str, list[str]] | None = None
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line[0] in "#;"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        if line.startswith("[") and line.endswith("]"):
            section = sections.setdefault(line[1:-1], {})
            continue
        assert section is not None, f"{line!r} outside a section"
        key, equals, value = line.partition("=")
        assert equals, f"not a setting: {line!r}"
        values = section.setdefault(key.strip(), [])
        if value.strip():
            values.append(value.strip())
        else:
            values.clear()
    return sections


SERVICE = parse_unit(UNIT.read_text(encoding="utf-8"))["Service"]


def one(key: str) -> str:
    (value,) = SERVICE[key]
    return value


def read_environment_file(path: Path) -> dict[str, str]:
    """KEY=value lines as systemd reads them; # comments, optional quotes."""
    values: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def expand_command(line: str, env: dict[str, str], specifiers: dict[str, str]) -> list[str]:
    """ExecStart= as systemd turns it into argv: %-specifiers, then words, then ${VAR} (one
    word) and a lone $VAR (split at whitespace)."""

    def specifier(match: re.Match[str]) -> str:
        assert match.group(1) in specifiers, f"specifier %{match.group(1)} not emulated here"
        return specifiers[match.group(1)]

    argv: list[str] = []
    for word in shlex.split(re.sub(r"%(.)", specifier, line)):
        alone = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word)
        if alone:
            argv.extend(env.get(alone.group(1), "").split())
        else:
            argv.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: env[m.group(1)], word))
    return argv


# --- the installed package ---------------------------------------------------------------------


def run(command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """A command to its end; its output becomes the failure message if it fails."""
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{shlex.join(command)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def build_wheel(out: Path) -> Path:
    """The wheel of the working tree, built from a copy: setuptools writes build/ and egg-info
    beside its sources, and a stale build/lib would leak removed modules into the wheel."""
    source = out / "source"
    listing = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT)
    for name in filter(None, listing.split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    wheels = out / "wheels"
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    run([*pip_wheel, "--wheel-dir", str(wheels), str(source)])
    (wheel,) = wheels.glob("eldercare_gateway-*.whl")
    return wheel


def base_python() -> Path:
    """The interpreter the dev venv was made from (the one scripts/bootstrap finds or builds)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    path = Path(sys.base_prefix) / "bin" / version
    assert path.exists(), f"no base interpreter at {path}"
    return path


def venv_cache() -> Path:
    """Outside the repository, one venv per (pyproject.toml, constraints, interpreter)."""
    digest = hashlib.sha256(RECIPE.encode())
    for part in (ROOT / "pyproject.toml", CONSTRAINTS):
        digest.update(part.read_bytes())
    digest.update(str(base_python()).encode())
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "eldercare-gateway"
    return cache / f"hub-service-venv-{digest.hexdigest()[:16]}"


def clean_env() -> dict[str, str]:
    """The environment without the dev venv's traces, so nothing leaks into the install."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(sys.prefix)
    )
    return env


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """One test run at a time fills a cache venv."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The venv prefix that stands for /opt/eldercare-hub, holding this tree's wheel."""
    wheel = build_wheel(tmp_path_factory.mktemp("wheel"))
    venv = venv_cache().resolve()
    done = venv / ".eldercare-complete"
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-input"]
    env = clean_env()
    with locked(venv.with_name(venv.name + ".lock")):
        if done.exists():
            # Same dependencies (same key); only our package is replaced by this build.
            run([*pip, "--no-deps", "--force-reinstall", str(wheel)], env=env)
        else:
            for old in venv.parent.glob("hub-service-venv-*"):
                if old.is_dir():
                    shutil.rmtree(old)
            run([str(base_python()), "-m", "venv", str(venv)], env=env)
            # As deploy/systemd/README.md installs it: the `hub` extra, the tested pins.
            requirement = f"eldercare-gateway[hub] @ {wheel.as_uri()}"
            run([*pip, "-c", str(CONSTRAINTS), requirement], env=env)
            done.touch()
    shown = run(
        [str(venv / "bin" / "python"), "-c", "import hub; print(hub.__file__)"],
        cwd=venv,
        env=env,
    )
    assert Path(shown.strip()).is_relative_to(venv), f"hub imported from {shown}, not the venv"
    return venv


# --- starting it as systemd does ---------------------------------------------------------------


@dataclass
class Service:
    """The hub as the unit runs it, and what a test needs to talk to it."""

    process: subprocess.Popen[bytes]
    port: int
    state_dir: Path  # on this machine
    data_dir: str  # the same as the hub sees it: /var/lib/eldercare-hub under root
    launch: list[str]  # the prefix that runs a command as the service's user, in its view
    env: dict[str, str]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def can_make_mount_namespace() -> str | None:
    """None when `unshare --mount` works here, else why not."""
    if shutil.which("unshare") is None or shutil.which("setpriv") is None:
        return "unshare or setpriv (util-linux) is missing"
    probe = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "true"],
        capture_output=True,
        text=True,
        check=False,
    )
    return None if probe.returncode == 0 else f"unshare --mount failed: {probe.stderr.strip()}"


def sandbox_script(
    hold: Path, mounts: list[tuple[Path, Path, bool]], workdir: str, umask: str
) -> str:
    """sh for a fresh mount namespace: root sets up the unit's view, then becomes the user.

    `mounts` are (path on this machine, path in the view, writable): what the hub needs from
    the hidden trees (this machine's interpreter and the venv live under /root) and the state
    directories' root (%S, /var/lib). Each is held on a bind mount, the hidden trees are
    replaced by empty tmpfs, the held paths are mounted where the view has them, and then all
    but the state directories, /tmp and /var/tmp is made read-only. The command comes as the
    script's arguments."""
    q = shlex.quote
    lines = ["set -eu"]
    for index, (source, _, _) in enumerate(mounts):  # `hold` is seen until /tmp is replaced
        lines.append(f"mkdir -p {q(str(hold / str(index)))}")
        lines.append(f"mount --bind {q(str(source))} {q(str(hold / str(index)))}")
    lines.append("mount -t tmpfs -o mode=0755 tmpfs /root")  # ProtectHome=yes
    for index in range(len(mounts)):  # the new /root holds them while /tmp is replaced
        lines.append(f"mkdir -p /root/.held/{index}")
        lines.append(f"mount --move {q(str(hold / str(index)))} /root/.held/{index}")
    lines.append("[ ! -d /home ] || mount -t tmpfs -o mode=0755 tmpfs /home")
    lines.append("mount -t tmpfs -o mode=1777 tmpfs /tmp")  # PrivateTmp=yes
    lines.append("mount -t tmpfs -o mode=1777 tmpfs /var/tmp")
    for index, (_, target, writable) in enumerate(mounts):
        lines.append(f"mkdir -p {q(str(target))}")
        lines.append(f"mount --move /root/.held/{index} {q(str(target))}")
        if not writable:
            lines.append(f"mount -o remount,bind,ro {q(str(target))}")
    lines.append("rm -r /root/.held")
    lines.append("mount -o remount,ro /root")
    lines.append("[ ! -d /home ] || mount -o remount,ro /home")
    lines.append("mount -o remount,bind,ro /")  # ProtectSystem=strict
    lines.append(f"umask {umask}")
    lines.append(f"cd {q(workdir)}")
    ids = f"--reuid={SERVICE_UID} --regid={SERVICE_GID} --clear-groups --no-new-privs"
    lines.append(f'exec setpriv {ids} -- "$@"')
    return "\n".join(lines)


def under_hidden_tree(path: Path) -> bool:
    return any(path.resolve().is_relative_to(tree) for tree in HIDDEN_TREES)


def service_environment(user: str, home: str, state_dir: Path) -> dict[str, str]:
    """What systemd gives the process: its own variables, Environment=, then EnvironmentFile=
    (the shipped example stands for /etc/eldercare-hub/hub.env), nothing of the caller's."""
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG": "C.UTF-8",  # the system locale systemd passes on (Debian's default)
        "USER": user,
        "LOGNAME": user,
        "HOME": home,
        "SHELL": "/usr/sbin/nologin",
        "STATE_DIRECTORY": str(state_dir),
    }
    for assignments in SERVICE.get("Environment", []):
        for word in shlex.split(assignments):
            name, _, value = word.partition("=")
            env[name] = value
    for name in SERVICE.get("EnvironmentFile", []):
        assert name.lstrip("-") == "/etc/eldercare-hub/hub.env", name
        env.update(read_environment_file(SETTINGS))
    return env


@contextlib.contextmanager
def started(installed: Path, tmp_path: Path) -> Iterator[Service]:
    """The hub as systemd starts eldercare-hub.service, on a free loopback port."""
    as_root = os.geteuid() == 0
    if as_root and (why := can_make_mount_namespace()):
        pytest.skip(f"root without a mount namespace cannot start the hub as a user: {why}")
    state_root = tmp_path / "state"  # what systemd makes below /var/lib, here a temp dir
    state_root.mkdir()
    state_root.chmod(0o755)
    (directory,) = SERVICE["StateDirectory"]
    (state_root / directory).mkdir(mode=int(one("StateDirectoryMode"), 8))
    if as_root:  # the hub sees the temp dir as /var/lib, so %S is what systemd makes it
        os.chown(state_root / directory, SERVICE_UID, SERVICE_GID)
        user, home, seen_root = "nobody", "/nonexistent", Path("/var/lib")
    else:
        user, home, seen_root = os.environ.get("USER", "hub"), str(Path.home()), state_root
    specifiers = {"S": str(seen_root), "%": "%"}
    env = service_environment(user, home, seen_root / directory)
    port = free_port()
    env["HUB_PORT"] = str(port)  # the operator's choice in hub.env; a free one here
    argv = expand_command(one("ExecStart"), env, specifiers)
    assert argv[0] == f"{INSTALL_PREFIX}/bin/{COMMAND}", argv
    argv[0] = str(installed / "bin" / COMMAND)
    (workdir,) = expand_command(one("WorkingDirectory"), env, specifiers)
    umask = one("UMask")
    if as_root:
        needed = [Path(sys.base_prefix).resolve(), installed]
        mounts = [(path, path, False) for path in needed if under_hidden_tree(path)]
        mounts.append((state_root, seen_root, True))
        script = sandbox_script(tmp_path / "hold", mounts, workdir, umask)
        launch = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh"]
    else:
        launch = ["sh", "-c", f'umask {umask} && cd {shlex.quote(workdir)} && exec "$@"', "sh"]
    log = tmp_path / "journal.log"
    with log.open("wb") as journal:
        process = subprocess.Popen([*launch, *argv], env=env, stdout=journal, stderr=journal)
    service = Service(
        process, port, state_root / directory, env["STATE_DIRECTORY"], launch, env, log
    )
    try:
        yield service
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


# --- talking to it ------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    location: str | None
    cookies: list[str]
    body: bytes


def request(
    port: int, method: str, path: str, body: bytes | None = None, cookie: str | None = None
) -> Answer:
    """One request as a browser sends it (Accept: text/html), redirects not followed."""
    headers = {"Accept": "text/html"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if cookie:
        headers["Cookie"] = cookie
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(
            response.status,
            response.getheader("Location"),
            response.msg.get_all("Set-Cookie") or [],
            response.read(),
        )
    finally:
        connection.close()


def wait_until_serving(service: Service) -> Answer:
    """The first answer to GET /dispatch, or the hub's log if it exits or never answers."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            pytest.fail(f"the hub exited with {service.process.returncode}:\n{service.output()}")
        with contextlib.suppress(ConnectionRefusedError):
            return request(service.port, "GET", "/dispatch")
        time.sleep(0.1)
    pytest.fail(
        f"no answer on port {service.port} within {START_TIMEOUT:.0f} s:\n{service.output()}"
    )


def as_service_user(service: Service, installed: Path, *args: str, stdin: str = "") -> str:
    """A shell command an operator runs beside the hub: `runuser -u eldercare-hub -- ...`."""
    command = [str(installed / "bin" / COMMAND), "--data", service.data_dir, *args]
    result = subprocess.run(
        [*service.launch, *command],
        input=stdin,
        capture_output=True,
        text=True,
        env=service.env,
        check=False,
    )
    assert result.returncode == 0, f"{shlex.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


# --- the tests ----------------------------------------------------------------------------------


def test_the_unit_runs_the_hub_unprivileged_restarted_and_confined() -> None:
    """What a reviewer of the unit checks first."""
    user = one("User")
    assert user not in {"root", "0"}
    assert one("Group") not in {"root", "0"}
    assert one("NoNewPrivileges") == "yes"
    assert SERVICE["CapabilityBoundingSet"] == []  # set, and empty: no capability at all
    assert SERVICE.get("AmbientCapabilities", []) == []
    assert one("Restart") == "on-failure"
    assert one("RestartSec") not in {"0", "0s"}  # a pause, not a tight loop
    unit = parse_unit(UNIT.read_text(encoding="utf-8"))["Unit"]
    assert unit["StartLimitIntervalSec"]  # a crash loop ends in `failed`, not forever
    assert unit["StartLimitBurst"]
    # The data directory: created and owned for User= by systemd, private to it, and the
    # directory the hub keeps its database in.
    assert SERVICE["StateDirectory"] == ["eldercare-hub"]
    assert one("StateDirectoryMode") == "0700"
    assert one("UMask") == "0077"
    argv = shlex.split(one("ExecStart"))
    assert argv[0] == f"{INSTALL_PREFIX}/bin/{COMMAND}"
    assert argv[argv.index("--data") + 1] == "%S/eldercare-hub"
    # Confinement: nothing writable but the state directory, no homes, a private /tmp.
    assert one("ProtectSystem") == "strict"
    assert one("ProtectHome") == "yes"
    assert one("PrivateTmp") == "yes"
    assert "ReadWritePaths" not in SERVICE  # the state directory is the only writable path
    # Listening where configured: loopback unless the operator's settings say otherwise.
    assert read_environment_file(SETTINGS)["HUB_HOST"] == "127.0.0.1"
    assert {"--host", "${HUB_HOST}", "--port", "${HUB_PORT}"} <= set(argv)
    # One descriptor per gateway and screen: thousands of households need more than 1024.
    assert int(one("LimitNOFILE")) >= 10_000


@pytest.mark.timeout(600)
def test_systemd_accepts_the_unit_and_rates_it_safe(installed: Path, tmp_path: Path) -> None:
    """`systemd-analyze verify` and its offline security review, on the unit as installed."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    unit = tmp_path / UNIT.name  # verify checks that ExecStart exists: point it at the venv
    unit.write_text(UNIT.read_text(encoding="utf-8").replace(INSTALL_PREFIX, str(installed)))
    verify = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        check=False,
    )
    about_unit = [line for line in verify.stderr.splitlines() if UNIT.name in line]
    assert verify.returncode == 0, verify.stderr
    assert not about_unit, verify.stderr
    # Exposure 0.0 (safe) .. 10.0 (unsafe); --threshold is in tenths. 2.0 is "OK".
    security = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--threshold=20", str(unit)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert security.returncode == 0, security.stdout + security.stderr


@pytest.mark.timeout(600)
def test_the_installed_hub_serves_the_dispatch_screen_as_the_unit_starts_it(
    installed: Path, tmp_path: Path, socket_enabled: None
) -> None:
    with started(installed, tmp_path) as service:
        first = wait_until_serving(service)
        # A browser without a session is sent to sign in; the sign-in page is there.
        assert (first.status, first.location) == (302, "/login?next=/dispatch")
        assert "登录" in request(service.port, "GET", "/login").body.decode()

        # The operator adds a dispatcher with the installed command, as the service's user.
        password = secrets.token_urlsafe(16)
        shown = as_service_user(
            service,
            installed,
            "user",
            "add",
            "li.na",
            "--role",
            "dispatcher",
            "--password-stdin",
            stdin=password + "\n",
        )
        assert "User li.na (dispatcher) created." in shown
        credentials = json.dumps({"username": "li.na", "password": password}).encode()
        signed_in = request(service.port, "POST", "/api/v1/login", body=credentials)
        assert signed_in.status == 200, signed_in.body
        cookie = "; ".join(header.split(";", 1)[0] for header in signed_in.cookies)

        screen = request(service.port, "GET", "/dispatch", cookie=cookie)
        assert screen.status == 200
        assert "<title>调度台 · Eldercare</title>" in screen.body.decode()
        # Its script (package data of hub) and chart library (the `hub` extra) came along.
        for asset in ("/static/dispatch.js", "/vendor/plotly.min.js"):
            answer = request(service.port, "GET", asset, cookie=cookie)
            assert answer.status == 200, asset
            assert answer.body, asset

        # `systemctl stop`: SIGTERM, and a clean exit within TimeoutStopSec.
        service.process.send_signal(signal.SIGTERM)
        stop_timeout = int(one("TimeoutStopSec").removesuffix("s"))
        assert service.process.wait(timeout=stop_timeout) == 0, service.output()

    # The data stayed in the state directory, the user's own and closed to everyone else.
    database = service.state_dir / "hub.sqlite3"
    assert database.is_file(), sorted(p.name for p in service.state_dir.iterdir())
    for path in service.state_dir.iterdir():
        info = path.stat()
        assert info.st_mode & 0o077 == 0, f"{path.name} is open to others"
        assert info.st_uid == (SERVICE_UID if os.geteuid() == 0 else os.geteuid()), path.name


@pytest.mark.timeout(600)
def test_the_installed_command_is_the_hub_command_line(installed: Path) -> None:
    """`eldercare-hub` takes what `python -m hub` takes, and names itself in its usage."""
    env = {**clean_env(), "COLUMNS": "100"}
    installed_help = run([str(installed / "bin" / COMMAND), "--help"], cwd=installed, env=env)
    module_help = run([sys.executable, "-m", "hub", "--help"], cwd=ROOT, env=env)
    assert installed_help.startswith(f"usage: {COMMAND} ")
    assert module_help.startswith("usage: python -m hub ")
    # After the usage lines (wrapped by the name's length) the two are the same text.
    assert installed_help.split("\n\n", 1)[1] == module_help.split("\n\n", 1)[1]
