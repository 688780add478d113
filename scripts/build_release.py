#!/usr/bin/env python3
"""`make release`: dist/eldercare.zip, the integration as HACS or a person installs it.

The zip's root is what goes into <config>/custom_components/eldercare/ (manifest.json at the
root, as HACS's `zip_release` expects). The household library travels inside it, so a stock
Home Assistant needs nothing else: `gateway` (without the simulators in gateway/sim) and
`provisioning` are copied to vendor/, and their absolute imports (`from gateway.x import y`)
become relative ones, in the library and in the integration alike. Home Assistant installs the
manifest's `requirements` from the package index itself.

The same tree gives the same bytes: sorted entries, fixed timestamps and modes, no caches.
Standard library only, but it parses the integration, so it runs on the project's Python::

    .venv/bin/python scripts/build_release.py [--output dist/eldercare.zip]
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import re
import sys
import zipfile
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "integrations" / "eldercare"
DEFAULT_OUTPUT = ROOT / "dist" / "eldercare.zip"
VENDOR = "vendor"
VENDORED = ("gateway", "provisioning")  # top-level packages copied into vendor/
LEFT_OUT = ("gateway/sim",)  # simulators: tests and `make demo` only
NEVER_IMPORTED = ("gateway.sim", "hub")  # not in the zip, so nothing in it may import them
VENDOR_INIT = b'"""The household library, copied in by scripts/build_release.py."""\n'
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
FILE_MODE = 0o100644  # a regular file, rw-r--r--


class ReleaseError(Exception):
    """The tree cannot be released as it is; the message says where and why."""


def source_files(directory: Path, left_out: tuple[Path, ...] = ()) -> list[Path]:
    """The files under `directory`, sorted, without caches, hidden files or `left_out`."""
    files = []
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if (
            not path.is_file()
            or "__pycache__" in relative.parts
            or any(part.startswith(".") for part in relative.parts)
            or path.suffix in {".pyc", ".pyo"}
            or any(path.is_relative_to(skipped) for skipped in left_out)
        ):
            continue
        files.append(path)
    return files


def relative_module(name: str, package: PurePosixPath) -> str:
    """`from <name> import` as seen from `package` (a folder under the zip root): the
    vendored module as a relative name, e.g. `..protocol` or `.vendor.gateway.alarms`."""
    target = (VENDOR, *name.split("."))
    shared = 0
    while shared < min(len(target), len(package.parts)) and (
        target[shared] == package.parts[shared]
    ):
        shared += 1
    return "." * (len(package.parts) - shared + 1) + ".".join(target[shared:])


def _is_under(name: str, roots: tuple[str, ...]) -> bool:
    return any(name == root or name.startswith(root + ".") for root in roots)


def vendored_imports(source: bytes, arcname: str) -> list[tuple[int, int, str]]:
    """(line, byte column, module) of each `from <vendored module> import`; refuses the
    imports that cannot be made relative and those of what the release leaves out."""
    found = []
    for node in ast.walk(ast.parse(source, filename=arcname)):
        where = f"{arcname}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_under(alias.name, VENDORED + NEVER_IMPORTED):
                    raise ReleaseError(f"{where}: write `from {alias.name} import ...`")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if _is_under(node.module, NEVER_IMPORTED):
                raise ReleaseError(f"{where}: {node.module} is not part of the release")
            if _is_under(node.module, VENDORED):
                found.append((node.lineno, node.col_offset, node.module))
    return found


def relative_imports(source: bytes, arcname: str) -> bytes:
    """`source` with every absolute import of a vendored package made relative."""
    package = PurePosixPath(arcname).parent
    lines = source.splitlines(keepends=True)
    # Last first, so that an edit never moves the offsets of one still to come.
    for lineno, column, module in sorted(vendored_imports(source, arcname), reverse=True):
        line = lines[lineno - 1]  # the column counts bytes, so edit the bytes
        pattern = re.compile(rb"from\s+" + re.escape(module.encode()) + rb"(?=\s)")
        match = pattern.match(line, column)
        if match is None:
            raise ReleaseError(f"{arcname}:{lineno}: cannot find `from {module}` to rewrite")
        new = f"from {relative_module(module, package)}".encode()
        lines[lineno - 1] = line[: match.start()] + new + line[match.end() :]
    return b"".join(lines)


def release_entries() -> dict[str, bytes]:
    """Zip entry name -> content: the integration, then the vendored library."""
    if (INTEGRATION / VENDOR).exists():
        raise ReleaseError(f"{INTEGRATION / VENDOR} would be replaced by the vendored library")
    sources = {path.relative_to(INTEGRATION).as_posix(): path for path in source_files(INTEGRATION)}
    left_out = tuple(ROOT / folder for folder in LEFT_OUT)
    for package in VENDORED:
        for path in source_files(ROOT / package, left_out):
            sources[f"{VENDOR}/{path.relative_to(ROOT).as_posix()}"] = path
    entries = {f"{VENDOR}/__init__.py": VENDOR_INIT}
    for arcname, path in sources.items():
        content = path.read_bytes()
        entries[arcname] = relative_imports(content, arcname) if path.suffix == ".py" else content
    return entries


def write_zip(entries: dict[str, bytes], output: Path) -> None:
    """Write the entries in name order with fixed metadata, replacing `output` at once."""
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    with zipfile.ZipFile(partial, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.create_system = 3  # Unix, so that the mode below is read
            info.external_attr = FILE_MODE << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name], compresslevel=9)
    partial.replace(output)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build dist/eldercare.zip (HACS zip release).")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="the zip to write")
    args = parser.parse_args(argv)
    try:
        entries = release_entries()
    except ReleaseError as err:
        print(f"release: {err}", file=sys.stderr)
        return 1
    write_zip(entries, args.output)
    digest = hashlib.sha256(args.output.read_bytes()).hexdigest()
    size = args.output.stat().st_size
    print(f"{args.output}: {len(entries)} files, {size // 1024} KiB, sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
