"""scripts/bootstrap on a simulated fresh machine: no Python 3.13, no pyenv versions, build packages
missing, and tools that talk on standard output the way Debian's and pyenv's do.

The first `make test` on a fresh machine once failed because apt-get's "Selecting previously
unselected package ..." became part of the interpreter path the script computed. These tests run
the script's interpreter search and build path with stubs first on PATH and an otherwise bare
PATH, and hold it to its contract: `--python-only` prints exactly one line, a usable interpreter.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOOTSTRAP = ROOT / "scripts" / "bootstrap"
PY_VERSION = "3.13.5"

# What the script may use from the machine; anything else (a python3.13, a real pyenv) is absent.
UTILITIES = (
    "bash", "sh", "env", "grep", "awk", "sed", "sort", "cat", "cp", "mv", "rm", "mkdir", "mktemp",
    "tar", "xz", "head", "tail", "cut", "sha256sum", "id", "nproc", "tee", "dirname", "basename",
    "make", "chmod", "ls", "touch", "tr", "sleep", "echo", "printf",
)  # fmt: skip

# Debian's and pyenv's chatter, as they print it on standard output.
APT_INSTALL_CHATTER = """\
Selecting previously unselected package {pkg}:amd64.
(Reading database ... 5%(Reading database ... 100%
(Reading database ... 61234 files and directories currently installed.)
Preparing to unpack .../{pkg}_1.23-3_amd64.deb ...
Unpacking {pkg}:amd64 (1.23-3) ...
Setting up {pkg}:amd64 (1.23-3) ...
Processing triggers for man-db (2.11.2-2) ..."""

APT_SOURCE_CHATTER = """\
Reading package lists...
NOTICE: 'python3.13' packaging is maintained in the 'Git' version control system at:
Please use:
to retrieve the latest (possibly unreleased) updates to the package.
Need to get 22.9 MB of source archives.
Get:1 http://mirror.invalid/debian trixie/main python3.13 {v}-2 (tar) [22.9 MB]
Fetched 22.9 MB in 0s (141 MB/s)
Download complete and in download only mode"""


def _script(path: Path, body: str) -> None:
    path.write_text("#!/usr/bin/env bash\nset -eu\n" + body, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@dataclass
class FreshMachine:
    """A bare PATH, stub apt-get/dpkg-query/sudo (and pyenv when asked), an empty PYENV_ROOT."""

    root: Path
    with_pyenv: bool

    @property
    def stubs(self) -> Path:
        return self.root / "stubs"

    @property
    def pyenv_root(self) -> Path:
        return self.root / "pyenv"

    @property
    def installed(self) -> Path:
        return self.root / "dpkg-installed"

    @property
    def calls(self) -> Path:
        return self.root / "calls"

    def build(self) -> None:
        base = self.root / "base-bin"
        for directory in (self.stubs, base, self.pyenv_root, self.root / "home"):
            directory.mkdir(parents=True)
        for name in UTILITIES:
            found = shutil.which(name)
            assert found, f"the test machine lacks {name}"
            (base / name).symlink_to(found)
        sources = self.root / "apt" / "sources.list.d"
        sources.mkdir(parents=True)
        (sources / "debian.sources").write_text(
            "Types: deb\nURIs: http://mirror.invalid/debian\nSuites: bookworm\n", encoding="utf-8"
        )
        self.installed.write_text("build-essential\n", encoding="utf-8")
        self._tarball()
        real_python = sys.executable
        _script(
            self.stubs / "dpkg-query",
            f"""pkg="${{@: -1}}"
if grep -qx "$pkg" {self.installed}; then printf 'install ok installed'; exit 0; fi
echo "dpkg-query: no packages found matching $pkg" >&2; exit 1
""",
        )
        install_chatter = APT_INSTALL_CHATTER.replace("{pkg}", "${p}")
        source_chatter = APT_SOURCE_CHATTER.replace("{v}", PY_VERSION)
        _script(
            self.stubs / "apt-get",
            f"""echo "apt-get $*" >> {self.calls}
case " $* " in
  *" update "*)
    echo "Hit:1 http://mirror.invalid/debian bookworm InRelease"
    echo "Reading package lists...";;
  *" install "*)
    for p in "$@"; do
      case "$p" in -*|install) continue;; esac
      cat <<CHATTER
{install_chatter}
CHATTER
      echo "$p" >> {self.installed}
    done;;
  *" source "*)
    case "$*" in *"python3.13={PY_VERSION}-"*) echo "E: no such version" >&2; exit 100;; esac
    cat <<'CHATTER'
{source_chatter}
CHATTER
    cp {self.root / "upstream.tar.xz"} "python3.13_{PY_VERSION}.orig.tar.xz";;
esac
""",
        )
        _script(self.stubs / "sudo", 'exec "$@"\n')
        if self.with_pyenv:
            _script(
                self.stubs / "pyenv",
                f"""echo "pyenv $*" >> {self.calls}
[ "$1" = install ] || exit 1
test -s "$PYENV_ROOT/cache/Python-{PY_VERSION}.tar.xz"
echo "Downloading Python-{PY_VERSION}.tar.xz..."
echo "Installing Python-{PY_VERSION}..."
mkdir -p "$PYENV_ROOT/versions/{PY_VERSION}/bin"
printf '#!/bin/sh\\nexec {real_python} "$@"\\n' > "$PYENV_ROOT/versions/{PY_VERSION}/bin/python3"
chmod +x "$PYENV_ROOT/versions/{PY_VERSION}/bin/python3"
echo "Installed Python-{PY_VERSION} to $PYENV_ROOT/versions/{PY_VERSION}"
""",
            )

    def _tarball(self) -> None:
        """An upstream tree whose configure and make talk and install a working python3."""
        tree = self.root / "upstream" / f"Python-{PY_VERSION}"
        tree.mkdir(parents=True)
        _script(
            tree / "configure",
            """prefix=""
for a in "$@"; do case "$a" in --prefix=*) prefix="${a#--prefix=}";; esac; done
echo "checking build system type... x86_64-pc-linux-gnu"
echo "checking for gcc... gcc"
printf 'PREFIX=%s\\n' "$prefix" > Makefile
cat Makefile.in >> Makefile
echo "config.status: creating Makefile"
""",
        )
        (tree / "Makefile.in").write_text(
            "all:\n\t@echo 'gcc -c Python/ceval.c -o Python/ceval.o'\n"
            "install:\n\t@echo 'Installing collected packages: setuptools, pip'\n"
            "\tmkdir -p $(PREFIX)/bin\n"
            f"\tprintf '#!/bin/sh\\nexec {sys.executable} \"$$@\"\\n' > $(PREFIX)/bin/python3\n"
            "\tchmod +x $(PREFIX)/bin/python3\n",
            encoding="utf-8",
        )
        with tarfile.open(self.root / "upstream.tar.xz", "w:xz") as archive:
            archive.add(tree, arcname=tree.name)

    def run_python_only(self) -> subprocess.CompletedProcess[str]:
        return self.run("--python-only")

    def run(self, mode: str) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": f"{self.stubs}:{self.root / 'base-bin'}",
            "HOME": str(self.root / "home"),
            "PYENV_ROOT": str(self.pyenv_root),
            "APT_SOURCES_DIR": str(self.root / "apt" / "sources.list.d"),
            "LANG": "C.UTF-8",
        }
        return subprocess.run(
            ["bash", str(BOOTSTRAP), mode],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


@pytest.fixture(params=[True, False], ids=["pyenv", "no-pyenv"])
def fresh_machine(tmp_path: Path, request: pytest.FixtureRequest) -> FreshMachine:
    machine = FreshMachine(tmp_path, with_pyenv=request.param)
    machine.build()
    return machine


def test_fresh_machine_gets_exactly_one_usable_interpreter(fresh_machine: FreshMachine) -> None:
    result = fresh_machine.run_python_only()

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, f"standard output must be the interpreter path alone, got {lines!r}"
    python = Path(lines[0])
    assert python == fresh_machine.pyenv_root / "versions" / PY_VERSION / "bin" / "python3"
    assert os.access(python, os.X_OK)
    probe = subprocess.run(
        [str(python), "-c", "import sys; print(sys.version_info >= (3, 13, 2))"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == "True"
    # It really went the build path: the missing build package was installed, the source fetched.
    calls = fresh_machine.calls.read_text(encoding="utf-8")
    assert "libgdbm-dev" in calls
    assert "source --download-only --tar-only python3.13" in calls
    # The tools' chatter still reaches the person watching, on standard error.
    assert "Selecting previously unselected package libgdbm-dev" in result.stderr
    assert "Need to get 22.9 MB of source archives." in result.stderr


def test_second_run_finds_the_built_interpreter_without_building(
    fresh_machine: FreshMachine,
) -> None:
    first = fresh_machine.run_python_only()
    assert first.returncode == 0, first.stderr
    fresh_machine.calls.unlink()

    second = fresh_machine.run_python_only()

    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert not fresh_machine.calls.exists(), "nothing is installed or built the second time"


# Debian's packages beside the interpreter: the browser tests' and the demo speaker's.
DEBIAN_PACKAGES = ("chromium", "fonts-wqy-microhei", "libturbojpeg0", "espeak-ng", "ffmpeg")


def test_fresh_machine_gets_the_browser_and_the_demo_speakers_packages(tmp_path: Path) -> None:
    machine = FreshMachine(tmp_path, with_pyenv=False)
    machine.build()

    result = machine.run("--debian-packages-only")

    assert result.returncode == 0, result.stderr
    assert result.stdout == "", "the tools' chatter goes to standard error"
    installed = machine.installed.read_text(encoding="utf-8").split()
    assert [pkg for pkg in DEBIAN_PACKAGES if pkg not in installed] == []
    assert "Selecting previously unselected package espeak-ng" in result.stderr

    machine.calls.unlink()
    again = machine.run("--debian-packages-only")

    assert again.returncode == 0, again.stderr
    assert not machine.calls.exists(), "nothing is installed the second time"
