"""Issue 17: the package's import graph has no circle, lazy imports included.

A circle held apart by imports inside functions works until someone moves one of them, so
the graph is read from the source (module-level and function-level imports; only
`if TYPE_CHECKING:` blocks are left out, since they never run). The same graph shows that
no public module imports the private engine.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "harness"


def _module(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"


def _imports(tree: ast.AST) -> Iterator[str]:
    """Every module an `import` names, skipping `if TYPE_CHECKING:` bodies."""
    for node in ast.iter_child_nodes(tree):
        if _type_checking(node):
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                yield full if full in MODULES else node.module
        yield from _imports(node)


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges[name] = {m for m in _imports(tree) if m in MODULES and m != name}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_checker_sees_a_lazy_circle() -> None:
    source = "def f() -> None:\n    from harness.b import x\n"
    assert list(_imports(ast.parse(source))) == ["harness.b"]
    guarded = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import harness.b\n"
    assert list(_imports(ast.parse(guarded))) == ["typing"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circle() -> None:
    assert cycles(graph()) == []


def test_no_public_module_imports_the_engine() -> None:
    """Only the engine itself and the package's API facade (`harness/__init__.py`, whose
    names load lazily) may import `harness._eval`; the CLI goes through the facade."""
    offenders = {
        name: sorted(m for m in imports if m.startswith("harness._eval"))
        for name, imports in graph().items()
        if not name.startswith("harness._eval") and name != "harness"
    }
    assert {name: found for name, found in offenders.items() if found} == {}
