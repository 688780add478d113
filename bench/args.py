"""The sections' command-line flags, the same whether `python -m bench` runs every section or
`python -m bench.SECTION` runs one: the runner prefixes a section's flags (`--dc09-events`),
a section run alone does not (`--events`); both store them under one name (`dc09_events`)."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Flag:
    """A flag for one field of a section's plan (a dataclass): its type and default are the
    field's (a bool is a switch, None a text)."""

    name: str  # --{prefix}{name}
    help: str | None = None
    field: str | None = None  # the plan's field, when it is not the name in snake case
    metavar: str | None = None


class Options:
    """One section's group of flags: `--{prefix}{name}`, stored as `{dest}{field}` where the
    field is the flag's name in snake case unless given."""

    def __init__(self, parser: argparse.ArgumentParser, title: str, prefix: str, dest: str) -> None:
        self._group = parser.add_argument_group(title)
        self._prefix = prefix
        self._dest = dest

    def add(
        self, name: str, *, field: str | None = None, dest: str | None = None, **kwargs: Any
    ) -> None:
        flag = f"--{self._prefix}{name}"
        if "action" not in kwargs:
            kwargs.setdefault("metavar", flag[2:].replace("-", "_").upper())  # not the dest's
        stored = (self._dest if dest is None else dest) + (field or name.replace("-", "_"))
        self._group.add_argument(flag, dest=stored, **kwargs)

    def plan(self, defaults: object, flags: Iterable[Flag], dest: str | None = None) -> None:
        """A flag per entry of `flags`, for the fields of the plan `defaults`."""
        for flag in flags:
            default = getattr(defaults, flag.field or flag.name.replace("-", "_"))
            kwargs: dict[str, Any] = {"help": flag.help}
            if isinstance(default, bool):
                kwargs["action"] = "store_true"
            else:
                kwargs.update(type=str if default is None else type(default), default=default)
            if flag.metavar is not None:
                kwargs["metavar"] = flag.metavar
            self.add(flag.name, field=flag.field, dest=dest, **kwargs)


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
