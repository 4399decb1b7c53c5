"""The lazily loaded command table says what the commands say, and lists every command."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import click
import pytest

import harness.cli
from harness.cli.lazy import COMMANDS
from tests.conftest import HARNESS, REPO, cli_env


@pytest.mark.parametrize("name", sorted(COMMANDS))
@pytest.mark.parametrize("limit", [30, 45, 80, 1000])
def test_listed_help_is_the_commands_own(name: str, limit: int) -> None:
    entry = COMMANDS[name]
    command = entry.load()
    assert command.get_short_help_str(limit) == entry.shortened(limit)
    assert not command.hidden


def _top_level_commands() -> set[click.Command]:
    """Every click command defined in harness.cli's modules that no group holds."""
    found: set[click.Command] = set()
    for info in pkgutil.iter_modules(harness.cli.__path__):
        module = importlib.import_module(f"harness.cli.{info.name}")
        found |= {v for v in vars(module).values() if isinstance(v, click.Command)}
    held = {
        sub for group in found if isinstance(group, click.Group) for sub in group.commands.values()
    }
    return found - held - {harness.cli.cli}


def test_every_command_is_in_the_table() -> None:
    listed = {entry.load() for entry in COMMANDS.values()}
    assert _top_level_commands() == listed


def test_top_level_help_imports_no_command() -> None:
    probe = (
        "import sys; sys.argv = ['harness', '--help']\n"
        "from harness.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('harness', 'pydantic', 'rich', 'jinja2', 'yaml', 'openai'))), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Commands:" in done.stdout and "serve-scripted" in done.stdout, done.stderr
    loaded = done.stderr.strip().splitlines()[-1].split(",")
    assert loaded == ["harness", "harness.cli", "harness.cli.lazy", "harness.errors"]


def test_an_unknown_command_is_a_usage_error() -> None:
    done = subprocess.run(
        [*HARNESS, "nosuch"],
        cwd=REPO,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "No such command 'nosuch'" in done.stderr
