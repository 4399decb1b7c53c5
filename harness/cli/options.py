"""Options shared by several commands, declared once so their help never drifts apart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

__all__ = ["cache_dir_option", "cache_options", "duration"]

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


def duration(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """Option callback: `90s`, `30m`, `12h`, `7d`, `2w` (a bare number is seconds) -> seconds."""
    from harness.endpoints.cache import parse_duration

    if value is None:
        return None
    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from exc
    if seconds <= 0:
        raise click.BadParameter(f"{value!r}: must be longer than 0", ctx, param)
    return seconds


_cache_ttl_option = click.option(
    "--cache-ttl",
    metavar="DURATION",
    callback=duration,
    help="Do not reuse cached answers older than this (e.g. 7d, 12h); they are requested "
    "again and replaced [default: no limit].",
)


def cache_options(command: F) -> F:
    """--cache-dir, --no-cache and --cache-ttl, for commands that call models."""
    return cache_dir_option(_no_cache_option(_cache_ttl_option(command)))
