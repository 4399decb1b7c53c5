"""`harness compare`: paired deltas between runs, with intervals, tests and flipped documents."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console

import harness
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
    dropped = {run: n for run, n in c.n_dropped.items() if n}
    note = ""
    if c.intersection:
        note = f" (intersection; dropped {dropped})" if dropped else " (intersection; none dropped)"
    return (
        f"{c.n_docs} documents{note}; paired bootstrap {c.resamples} resamples, seed {c.seed}, "
        f"{100 * (1 - c.alpha):g}% CI; permutation p, Holm-corrected across metrics"
    )


def _print(c: Comparison, console: Console) -> None:
    from harness.render.summaries import comparison_table

    console.print(_header(c))
    for pair in c.pairs:
        if pair.scoring_note:
            click.echo(f"warning: {pair.run_b} vs {pair.run_a}: {pair.scoring_note}", err=True)
        console.print(comparison_table(pair, c.alpha).to_rich(title_justify="left"))
        console.print(f"flipped documents: {len(pair.flipped)}")
        for doc in pair.flipped:
            console.print(f"  {doc.doc_id}: {'; '.join(doc.reasons)}", markup=False)


def _markdown(c: Comparison) -> str:
    from harness.render.summaries import comparison_table

    lines = ["# Run comparison", "", _header(c), ""]
    for pair in c.pairs:
        lines += [f"## `{pair.run_b}` vs `{pair.run_a}`", ""]
        lines += [f"**Warning:** {pair.scoring_note}", ""] if pair.scoring_note else []
        lines += [comparison_table(pair, c.alpha).to_markdown()]
        lines += ["", f"Flipped documents: {len(pair.flipped)}", ""]
        lines += [f"- `{d.doc_id}`: {'; '.join(d.reasons)}" for d in pair.flipped]
        lines.append("")
    return "\n".join(lines)


def _chosen(metrics: tuple[str, ...], rules: list[tuple[str, float]]) -> list[str]:
    """The metrics asked for (or the defaults), and every metric a rule gates."""
    from harness.compare import DEFAULT_COMPARE_METRICS

    chosen = list(metrics or DEFAULT_COMPARE_METRICS)
    return chosen + [m for m, _ in rules if m not in chosen]


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
@click.option(
    "--intersection", is_flag=True, help="Compare on the documents all runs have in common."
)
@click.option(
    "--markdown", type=click.Path(path_type=Path, dir_okay=False), help="Also write a report."
)
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
    markdown: Path | None,
    rules: tuple[str, ...],
) -> None:
    """Compare runs B, C, ... with run A, paired by document.

    A sweep folder stands for its completed cells in sweep order: `compare SWEEP` compares
    every cell with the first, `compare RUN SWEEP` every cell with RUN.

    For each metric: the delta with a paired bootstrap CI and a paired permutation test,
    Holm-corrected across the metrics shown; then the documents whose outcome flipped.
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
    _print(comparison, Console(highlight=False))
    if markdown is not None:
        from harness.runs import write_atomic

        write_atomic(markdown, _markdown(comparison))
        click.echo(f"wrote {markdown}")
    failed = harness.regressions(comparison, parsed)
    for line in failed:
        click.echo(f"regression: {line}", err=True)
    if failed:
        sys.exit(1)
