"""Issue 17: the size rule on harness/, so it cannot creep back.

A module over 300 lines or a function over 50 is a room that grew two jobs; the developers'
guide asks for smaller ones, and a test says so when one is written rather than in a later
clean-up. Lines are counted as the before-stop hook counts them: a module's physical lines, a
function from its `def` line (decorators not included) to its last line.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "harness"
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 50

# Known to break the rule (empty since the issue-14 merge split _eval/run.py and
# endpoints/client.py). Keep it explicit: a new entry needs a reason here, and a stale one
# fails below.
ALLOWED: set[str] = set()


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def oversized(path: Path, root: Path = REPO) -> list[tuple[str, int]]:
    """The module and the functions in `path` over the limits, with their line counts."""
    source = path.read_text(encoding="utf-8")
    name = path.relative_to(root).as_posix()
    found = []
    if (lines := len(source.splitlines())) > MAX_MODULE_LINES:
        found.append((name, lines))
    for node in _functions(ast.parse(source)):
        assert node.end_lineno is not None
        if (lines := node.end_lineno - node.lineno + 1) > MAX_FUNCTION_LINES:
            found.append((f"{name}:{node.name}", lines))
    return found


def test_no_module_or_function_over_the_limit() -> None:
    found = [row for path in sorted(PACKAGE.rglob("*.py")) for row in oversized(path)]
    over = [f"{name} ({lines} lines)" for name, lines in found if name not in ALLOWED]
    assert not over, (
        f"over {MAX_MODULE_LINES} lines per module or {MAX_FUNCTION_LINES} per function: "
        f"{'; '.join(over)}; split it (docs/architecture.md names each module's job)"
    )


def test_the_allow_list_names_only_what_is_still_too_big() -> None:
    found = {name for path in sorted(PACKAGE.rglob("*.py")) for name, _ in oversized(path)}
    stale = sorted(ALLOWED - found)
    assert not stale, f"now within the limits, remove from ALLOWED: {', '.join(stale)}"


def test_the_rule_counts_what_it_claims(tmp_path: Path) -> None:
    """A function of 51 lines and a module of 301 are caught; 50 and 300 are not."""
    body = "".join(f"    x{i} = {i}\n" for i in range(49))
    fits = f"def fits():\n{body}"  # 50 lines
    grows = f"async def grows():\n{body}    return x0\n"  # 51 lines
    module = tmp_path / "probe.py"
    module.write_text(fits + grows + "\n" * (MAX_MODULE_LINES - 101), encoding="utf-8")
    assert oversized(module, tmp_path) == [("probe.py:grows", 51)]
    module.write_text(fits + fits.replace("fits", "also_fits") + "\n" * 200, encoding="utf-8")
    assert oversized(module, tmp_path) == []
    module.write_text(fits + grows + "\n" * (MAX_MODULE_LINES - 100), encoding="utf-8")
    assert oversized(module, tmp_path) == [("probe.py", 301), ("probe.py:grows", 51)]
