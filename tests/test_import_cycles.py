"""No import circle inside the household library, the integration or the hub.

Read from the source with `ast`, nothing imported: module A -> module B when A imports B or a
name from it (relative or absolute, at any level of the file, `TYPE_CHECKING` blocks included:
a circle of types is still a circle of ideas). A package's `__init__` counts as the module
`pkg`. Strongly connected components of that graph are the circles.

Twice: between modules, and between the parts of each tree (a sub-package such as
`gateway.safety` or `hub.panels` as one part, a top-level module as another), where a
sub-package that imports a module which imports it back is a circle too.

None is allowed: a circle that comes back fails with the modules that make it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Package roots: (folder, the dotted name of its modules).
TREES = (
    (ROOT / "gateway", "gateway"),
    (ROOT / "hub", "hub"),
    (ROOT / "integrations" / "eldercare", "eldercare"),
)


def modules() -> dict[str, Path]:
    found = {}
    for folder, package in TREES:
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path
    return found


def _targets(name: str, path: Path, tree: ast.Module, known: dict[str, Path]) -> Iterator[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            bases = [alias.name for alias in node.names]
            yield from (b for b in bases if b in known)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                base = node.module or ""
            for alias in node.names:
                child = f"{base}.{alias.name}"
                if child in known:
                    yield child  # `from pkg import module`
                elif base in known:
                    yield base


def import_graph() -> dict[str, set[str]]:
    known = modules()
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        graph[name] = {t for t in _targets(name, path, tree, known) if t != name}
    return graph


def part_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph between parts: a module's part is its tree and first name below it."""

    def part(module: str) -> str:
        return ".".join(module.split(".")[:2])

    parts: dict[str, set[str]] = {}
    for source, targets in graph.items():
        parts.setdefault(part(source), set()).update(
            part(t) for t in targets if part(t) != part(source)
        )
    return parts


def circles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """Tarjan's strongly connected components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[frozenset[str]] = set()

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.add(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_checker_finds_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == {frozenset("abc")}
    assert circles({"a": {"b"}, "b": set()}) == set()


def test_no_import_circle_between_modules() -> None:
    found = sorted(sorted(c) for c in circles(import_graph()))
    assert found == [], f"import circles: {found}"


def test_no_circle_between_the_parts_of_a_tree() -> None:
    found = sorted(sorted(c) for c in circles(part_graph(import_graph())))
    assert found == [], f"circles between parts: {found}"
