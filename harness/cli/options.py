"""Options shared by several commands, declared once so their help never drifts apart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from harness.answer_limits import DEPTH_RANGE, SIZE_RANGE, AnswerLimits
from harness.scoring_names import ASSIGNMENTS, DEFAULT_ASSIGNMENT, DEFAULT_MATCHER, MATCHER_NAMES

__all__ = [
    "answer_limit_options",
    "cache_dir_option",
    "cache_options",
    "duration",
    "intersection_option",
    "judge_options",
    "matcher_options",
    "option_group",
    "rescore_matcher_options",
    "sweep_answer_limit_options",
]

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


def option_group(*options: Callable[[F], F]) -> Callable[[F], F]:
    """One decorator for several options, applied so that --help lists them in this order."""

    def apply(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return apply


intersection_option = click.option(
    "--intersection", is_flag=True, help="Compare on the documents all runs have in common."
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


def answer_limit_options(command: F, of_sweep: bool = False) -> F:
    """--max-answer-chars and --max-answer-depth: a longer or deeper answer is `oversize`.
    A run records them (a resume takes them from its manifest); a sweep's default is its
    file's `max_answer_chars` / `max_answer_depth`."""
    defaults = AnswerLimits()
    suffix = " [default: the sweep file's, else {}]" if of_sweep else ""
    chars = click.option(
        "--max-answer-chars",
        type=click.IntRange(*SIZE_RANGE),
        default=None if of_sweep else defaults.max_chars,
        show_default=not of_sweep,
        help="An answer longer than this is failure class oversize, never parsed"
        + suffix.format(defaults.max_chars)
        + ".",
    )
    depth = click.option(
        "--max-answer-depth",
        type=click.IntRange(*DEPTH_RANGE),
        default=None if of_sweep else defaults.max_depth,
        show_default=not of_sweep,
        help="JSON nested deeper than this is failure class oversize"
        + suffix.format(defaults.max_depth)
        + ".",
    )
    return chars(depth(command))


def sweep_answer_limit_options(command: F) -> F:
    """`answer_limit_options` whose defaults are the sweep file's."""
    return answer_limit_options(command, of_sweep=True)


def matcher_options(command: F) -> F:
    """--matcher and --assignment, for commands that score."""
    return _matcher_options(command, rescore=False)


def rescore_matcher_options(command: F) -> F:
    """--matcher and --assignment whose default is the run's own."""
    return _matcher_options(command, rescore=True)


def judge_options(command: F) -> F:
    """--judge-model, --judge-base-url and --judge-api-key-env: the endpoint of the LLM
    judge for `--matcher judge` / `judge+guards` (harness.scoring_names.JudgeSettings)."""
    model = click.option(
        "--judge-model",
        default=None,
        help="Judge model for --matcher judge[+guards]: a model name the judge endpoint "
        "serves, or 'local' (the embedded model).",
    )
    base_url = click.option(
        "--judge-base-url", default=None, help="OpenAI-compatible URL of the judge (not for local)."
    )
    key = click.option(
        "--judge-api-key-env",
        default="OPENAI_API_KEY",
        show_default=True,
        help="Environment variable holding the judge's API key.",
    )
    return model(base_url(key(command)))
