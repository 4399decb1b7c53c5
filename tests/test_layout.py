"""Tests are laid out like the package: tests/X/ holds the tests of harness/X/."""

from __future__ import annotations

from tests.conftest import REPO


def test_every_test_folder_mirrors_a_package() -> None:
    tests = REPO / "tests"
    folders = {p.parent.relative_to(tests) for p in tests.rglob("test_*.py") if p.parent != tests}
    assert folders, "no test folders found"
    for folder in folders:
        assert (REPO / "harness" / folder / "__init__.py").is_file(), f"tests/{folder}"
        assert (tests / folder / "__init__.py").is_file(), f"tests/{folder}/__init__.py"
