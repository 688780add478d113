"""What Python source imports, read with the AST (nothing is imported to find out).

An import counts where it runs: `if TYPE_CHECKING:` blocks are skipped, and each import
remembers the function it sits in, so an import next to `homeassistant.components.<domain>`
inside one function can be told apart from one the module always runs.
`importlib.util.find_spec("name")` counts as an import of `name` (the hub finds plotly so).
"""

from __future__ import annotations

import ast
import importlib.metadata
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

HA_COMPONENTS = "homeassistant.components."


@dataclass(frozen=True)
class Import:
    module: str  # absolute dotted name; relative imports resolved
    names: tuple[str, ...]  # what `from module import ...` took ((): a plain import)
    scope: str  # "" at module level, else the function's qualified name


class _Collector(ast.NodeVisitor):
    def __init__(self, package: str) -> None:
        self.package = package  # the package the file belongs to, for relative imports
        self.scope: list[str] = []
        self.found: list[Import] = []

    def _add(self, module: str, names: tuple[str, ...] = ()) -> None:
        self.found.append(Import(module, names, ".".join(self.scope)))

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        ):
            for statement in node.orelse:
                self.visit(statement)
            return
        self.generic_visit(node)

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level:
            base = self.package.split(".")[: len(self.package.split(".")) - node.level + 1]
            module = ".".join([*base, module] if module else base)
        self._add(module, tuple(alias.name for alias in node.names))

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        argument = node.args[0] if node.args else None
        if name == "find_spec" and isinstance(argument, ast.Constant):
            self._add(str(argument.value))
        self.generic_visit(node)


def module_name(path: Path, root: Path) -> str:
    """`gateway/link/client.py` under `root` -> `gateway.link.client` (a package: its name)."""
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path) -> list[Import]:
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    collector = _Collector(package)
    collector.visit(ast.parse(path.read_bytes(), filename=str(path)))
    return collector.found


def python_files(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Dotted module name -> file, for every module of `packages` below `root`."""
    return {
        module_name(path, root): path
        for package in packages
        for path in sorted((root / package).rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def import_closure(start: Iterable[str], modules: dict[str, Path], root: Path) -> set[str]:
    """The modules of `modules` that importing `start` runs: the ones imported (also as
    `from package import module`), and every parent package's __init__."""
    seen: set[str] = set()
    todo = list(start)
    while todo:
        name = todo.pop()
        if name in seen or name not in modules:
            continue
        seen.add(name)
        todo.extend(name.rsplit(".", depth)[0] for depth in range(1, name.count(".") + 1))
        for found in imports_of(modules[name], root):
            todo.append(found.module)
            todo.extend(f"{found.module}.{taken}" for taken in found.names)
    return seen


def is_third_party(module: str, first_party: Iterable[str]) -> bool:
    top = module.partition(".")[0]
    return bool(top) and top not in sys.stdlib_module_names and top not in set(first_party)


@cache
def _distributions_of_modules() -> Mapping[str, list[str]]:
    return importlib.metadata.packages_distributions()


def distribution(module: str) -> str:
    """The installed distribution (canonical name) a top-level module comes from."""
    top = module.partition(".")[0]
    found = {canonicalize_name(d) for d in _distributions_of_modules().get(top, [])}
    assert len(found) == 1, f"module {top!r} comes from {sorted(found) or 'no distribution'}"
    return found.pop()


def requirement_closure(names: Iterable[str]) -> set[str]:
    """The installed distributions `names` bring in, following their runtime requirements."""
    seen: set[str] = set()
    todo = [canonicalize_name(name) for name in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for text in importlib.metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(requirement.name))
    return seen
