"""Options shared by several commands, declared once so their help never drifts apart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from harness.scoring_names import ASSIGNMENTS, DEFAULT_ASSIGNMENT, DEFAULT_MATCHER, MATCHER_NAMES

__all__ = ["cache_dir_option", "cache_options", "matcher_options", "rescore_matcher_options"]

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


def _matcher_options(command: F, rescore: bool) -> F:
    keep = " [default: the run's]." if rescore else "."
    matcher = click.option(
        "--matcher",
        type=click.Choice(MATCHER_NAMES),
        default=None if rescore else DEFAULT_MATCHER,
        show_default=not rescore,
        help="Claim matcher (docs/metrics.md, 'Matchers')" + keep,
    )
    assignment = click.option(
        "--assignment",
        type=click.Choice(ASSIGNMENTS),
        default=None if rescore else DEFAULT_ASSIGNMENT,
        show_default=not rescore,
        help="many-to-one: a gold claim split over several predictions is found once and "
        "no half is a false positive" + keep,
    )
    return matcher(assignment(command))


def matcher_options(command: F) -> F:
    """--matcher and --assignment, for commands that score."""
    return _matcher_options(command, rescore=False)


def rescore_matcher_options(command: F) -> F:
    """--matcher and --assignment whose default is the run's own."""
    return _matcher_options(command, rescore=True)
