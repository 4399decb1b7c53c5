"""`harness compare`: paired deltas between runs, with intervals, tests and flipped documents."""

from __future__ import annotations

import dataclasses
import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

import harness
from harness.cli.options import intersection_option, option_group
from harness.errors import UserInputError
from harness.resampling import DEFAULT_BOOTSTRAP_SEED, DEFAULT_RESAMPLES

if TYPE_CHECKING:  # harness.compare loads numpy: not for `harness --help`
    from harness.compare import Comparison

__all__ = ["compare_command"]

_RUN = click.Path(path_type=Path, exists=True, file_okay=False)


def _parse_rule(rule: str) -> tuple[str, float]:
    metric, sep, delta = rule.rpartition(":")
    try:
        value = float(delta)
    except ValueError:
        value = -1.0
    if not sep or not metric or value < 0:
        raise UserInputError(f"--fail-on-regression: {rule!r} is not METRIC:DELTA (DELTA >= 0)")
    return metric, value


def _header(c: Comparison) -> str:
    dropped = ", ".join(f"{run} {n}" for run, n in c.n_dropped.items() if n)
    note = ""
    if c.intersection:
        note = (
            f" (intersection; dropped: {dropped})" if dropped else " (intersection; none dropped)"
        )
    return (
        f"{c.n_docs} documents{note}; paired bootstrap {c.resamples} resamples, seed {c.seed}, "
        f"{100 * (1 - c.alpha):g}% CI; permutation p, Holm-corrected across all "
        f"{c.family} comparisons ({len(c.pairs)} pairs x metrics)"
    )


def _print(c: Comparison) -> None:
    from harness.cli.display import wide_console
    from harness.render.summaries import comparison_table

    console = wide_console()
    table = comparison_table(c)
    for line in (_header(c), *(table.title or "").split("\n")):  # a title would wrap
        console.print(line, markup=False, soft_wrap=True)
    console.print(dataclasses.replace(table, title=None).to_rich())
    for pair in c.pairs:
        console.print(f"flipped documents, {pair.label_b}: {len(pair.flipped)}", markup=False)
        for doc in pair.flipped:
            console.print(f"  {doc.doc_id}: {'; '.join(doc.reasons)}", markup=False)


def _markdown(c: Comparison) -> str:
    from harness.render.summaries import comparison_table

    table = comparison_table(c)
    lines = ["# Run comparison", "", _header(c), "", *(table.title or "").split("\n"), ""]
    lines += [*(f"> warning: {w}" for w in c.warnings), ""] if c.warnings else []
    lines += [table.to_markdown(), ""]
    for pair in c.pairs:
        lines += [f"## Flipped documents: `{pair.label_b}` vs `{pair.label_a}`", ""]
        lines += [f"- `{d.doc_id}`: {'; '.join(d.reasons)}" for d in pair.flipped] or ["none"]
        lines.append("")
    return "\n".join(lines)


def _chosen(metrics: tuple[str, ...], rules: list[tuple[str, float]]) -> list[str]:
    """The metrics asked for (or the defaults), and every metric a rule gates."""
    from harness.compare import DEFAULT_COMPARE_METRICS

    chosen = list(metrics or DEFAULT_COMPARE_METRICS)
    return chosen + [m for m, _ in rules if m not in chosen]


@dataclass(frozen=True)
class Output:
    """Where the comparison goes: stdout as `fmt`, and a Markdown file if asked."""

    fmt: str
    markdown: Path | None


def _write(c: Comparison, output: Output) -> None:
    """Warnings to stderr, the comparison to stdout as asked, and the Markdown file if asked."""
    for warning in c.warnings:
        click.echo(f"warning: {warning}", err=True)
    if output.fmt == "json":
        click.echo(c.model_dump_json(indent=2))
    elif output.fmt == "markdown":
        click.echo(_markdown(c))
    else:
        _print(c)
    if output.markdown is not None:
        from harness.runs import write_atomic

        write_atomic(output.markdown, _markdown(c))
        click.echo(f"wrote {output.markdown}", err=True)


_output_option_group = option_group(
    click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "markdown", "json"]),
        default="table",
        show_default=True,
        help="What stdout gets: rich tables, a Markdown report, or the comparison as JSON.",
    ),
    click.option("--json", is_flag=True, help="Same as --format json."),
    click.option(
        "--markdown",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Also write the Markdown report to this file.",
    ),
)


def _output_options(command: Callable[..., None]) -> Callable[..., None]:
    """--format, --json and --markdown, handed to the command as one `Output`."""

    @functools.wraps(command)
    def wrapper(*args: object, fmt: str, json: bool, markdown: Path | None, **kw: object) -> None:
        command(*args, output=Output("json" if json else fmt, markdown), **kw)

    return _output_option_group(wrapper)


@click.command("compare")
@click.argument("runs", nargs=-1, required=True, type=_RUN)
@click.option(
    "--metric",
    "metrics",
    multiple=True,
    help="Metric to compare (repeatable) [default: headline metrics and claim_f1_macro].",
)
@click.option(
    "--resamples", type=click.IntRange(min=1), default=DEFAULT_RESAMPLES, show_default=True
)
@click.option("--seed", type=int, default=DEFAULT_BOOTSTRAP_SEED, show_default=True)
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.05)
@intersection_option
@_output_options
@click.option(
    "--fail-on-regression",
    "rules",
    multiple=True,
    metavar="METRIC:DELTA",
    help="Exit 1 if METRIC dropped by more than DELTA with Holm p < alpha (repeatable).",
)
def compare_command(
    runs: tuple[Path, ...],
    metrics: tuple[str, ...],
    resamples: int,
    seed: int,
    alpha: float,
    intersection: bool,
    output: Output,
    rules: tuple[str, ...],
) -> None:
    """Compare runs B, C, ... with run A, paired by document.

    A sweep folder stands for its completed cells in sweep order: `compare SWEEP` compares
    every cell with the first, `compare RUN SWEEP` every cell with RUN.

    For each metric: the delta with a paired bootstrap CI and a paired permutation test,
    Holm-corrected across every pair and metric shown (one family); then the documents
    whose outcome flipped. Scoring settings that differ from A's are named in a warning.
    Warnings and notes go to stderr, so --json and --format markdown stay clean on stdout.
    """
    parsed = [_parse_rule(rule) for rule in rules]
    chosen = _chosen(metrics, parsed)
    folders, notes = harness.runs_to_compare(runs)
    for note in notes:
        click.echo(note, err=True)
    if len(folders) < 2:
        raise UserInputError(
            "compare: give at least two runs (RUN_A RUN_B [RUN_C ...]) or a sweep folder "
            "with two completed cells"
        )
    comparison = harness.compare_runs(
        folders[0],
        folders[1:],
        metrics=chosen,
        resamples=resamples,
        seed=seed,
        intersection=intersection,
        alpha=alpha,
    )
    _write(comparison, output)
    failed = harness.regressions(comparison, parsed)
    for line in failed:
        click.echo(f"regression: {line}", err=True)
    if failed:
        sys.exit(1)
