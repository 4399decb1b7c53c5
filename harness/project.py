"""A project of one's own: `harness init DIR` writes a folder `harness run` evaluates.

The folder holds what `harness run` looks for by default (`prompts/`, `seeds/`, `gold/`)
so the first command needs no option: a copy of the packaged default prompt (to edit),
three English Wikinews articles (CC BY 2.5, with their attribution) and their gold, a
sweep file and a five-line README. The example files ship in `harness/project_data`; the
prompt is copied from the packaged prompts, so it is never a second copy in the package.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from harness.errors import UserInputError
from harness.prompts import PACKAGED_PROMPTS

__all__ = ["PROJECT_DATA", "PROJECT_PROMPT", "init_project"]

PROJECT_DATA = Path(__file__).parent / "project_data"
PROJECT_PROMPT = ("extract", "v2")  # the CLI's default prompt


def init_project(path: str | Path) -> list[Path]:
    """Write a ready project into `path` (created; it must be empty if it exists) and
    return the files written. Nothing is written if the folder is not usable."""
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise UserInputError(f"{target}: init: not a folder")
    if target.is_dir() and any(target.iterdir()):
        raise UserInputError(f"{target}: init: the folder is not empty (nothing was written)")
    name, version = PROJECT_PROMPT
    try:
        shutil.copytree(PROJECT_DATA, target, dirs_exist_ok=True)
        shutil.copytree(PACKAGED_PROMPTS / name / version, target / "prompts" / name / version)
    except OSError as exc:
        raise UserInputError(f"{target}: init: {exc.strerror or exc}") from exc
    return sorted(p for p in target.rglob("*") if p.is_file())
