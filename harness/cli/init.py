"""`harness init DIR`: start a project of one's own (see `harness.init_project`)."""

from __future__ import annotations

from pathlib import Path

import click

from harness.project import init_project

__all__ = ["init_command"]


@click.command("init")
@click.argument("folder", type=click.Path(path_type=Path), default=Path("."))
def init_command(folder: Path) -> None:
    """Write a ready project into FOLDER (created; must be empty): a prompt, three example
    Wikinews articles with gold, a sweep file and a README. Then: cd FOLDER && harness run
    """
    files = init_project(folder)
    for path in files:
        click.echo(path)
    click.echo(f"next: cd {folder} && harness run", err=True)
