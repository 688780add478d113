"""The sections' command-line flags, the same whether `python -m bench` runs every section or
`python -m bench.SECTION` runs one: the runner prefixes a section's flags (`--dc09-events`),
a section run alone does not (`--events`); both store them under one name (`dc09_events`)."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable
from typing import Any


class Options:
    """One section's group of flags: `--{prefix}{name}`, stored as `{dest}{field}` where the
    field is the flag's name in snake case unless given."""

    def __init__(self, parser: argparse.ArgumentParser, title: str, prefix: str, dest: str) -> None:
        self._group = parser.add_argument_group(title)
        self._prefix = prefix
        self._dest = dest

    def add(self, name: str, *, field: str | None = None, **kwargs: Any) -> None:
        if field is not None and "action" not in kwargs:
            kwargs.setdefault("metavar", name.replace("-", "_").upper())  # not the field's
        dest = self._dest + (field or name.replace("-", "_"))
        self._group.add_argument(f"--{self._prefix}{name}", dest=dest, **kwargs)


def plan_from[P](plan: type[P], args: argparse.Namespace, dest: str) -> P:
    """`plan` (a dataclass) with each field that has a flag stored as `{dest}{field}`; the
    others keep their defaults."""
    assert dataclasses.is_dataclass(plan)
    given = {
        field.name: getattr(args, dest + field.name)
        for field in dataclasses.fields(plan)
        if hasattr(args, dest + field.name)
    }
    return plan(**given)


def parser(module: str, description: str | None) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog=f"python -m {module}",
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def run_alone(
    module: str,
    description: str | None,
    add_arguments: Callable[[argparse.ArgumentParser, str], None],
    run: Callable[[argparse.Namespace], bool],
    failure: str,
) -> None:
    """`python -m bench.SECTION`: the section's flags without their prefix; exit status 1 with
    `failure` when its own checks failed."""
    options = parser(module, description)
    add_arguments(options, "")
    if not run(options.parse_args()):
        sys.exit(failure)
