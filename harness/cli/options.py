"""Options shared by several commands, declared once so their help never drifts apart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

__all__ = ["cache_dir_option", "cache_options"]

F = TypeVar("F", bound=Callable[..., object])

cache_dir_option = click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Response cache folder [default: $CLAIM_HARNESS_CACHE_DIR or the user cache dir].",
)
_no_cache_option = click.option(
    "--no-cache", is_flag=True, help="Neither read nor write the response cache."
)


def cache_options(command: F) -> F:
    """--cache-dir and --no-cache, for commands that call models."""
    return cache_dir_option(_no_cache_option(command))
