"""`harness report`: one self-contained HTML report on one or more runs."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

import harness
from harness.cli.options import intersection_option, option_group

if TYPE_CHECKING:  # harness.report loads jinja2 and numpy: not for `harness --help`
    from harness.report import ReportOptions

__all__ = ["report_command"]

_RUN = click.Path(path_type=Path, exists=True, file_okay=False)


_options = option_group(
    click.option(
        "--prices",
        type=click.Path(path_type=Path, exists=True, dir_okay=False),
        default=None,
        help="YAML/JSON: model -> {input_per_mtok, output_per_mtok}; adds cost.",
    ),
    click.option(
        "--docs",
        type=click.Path(path_type=Path, exists=True),
        default=None,
        help="Documents [default: each run's documents_source].",
    ),
    click.option(
        "--gold",
        type=click.Path(path_type=Path, exists=True, file_okay=False),
        default=None,
        help="Gold folder [default: each run's gold_source].",
    ),
    intersection_option,
    click.option(
        "--prompts-dir",
        type=click.Path(path_type=Path, file_okay=False),
        default=Path("prompts"),
        show_default=True,
        help="Where the runs' prompt texts are read from (checked against their hashes).",
    ),
)


def _report_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options in `_options`, handed to the command as one `ReportOptions` (the value
    `write_report` and `write_history` take), declared once for both."""

    @functools.wraps(command)
    def wrapper(
        *args: object,
        prices: Path | None,
        docs: Path | None,
        gold: Path | None,
        intersection: bool,
        prompts_dir: Path,
        **kw: object,
    ) -> None:
        from harness.report import ReportOptions

        chosen = ReportOptions(
            prices=prices, docs=docs, gold=gold, intersection=intersection, prompts_dir=prompts_dir
        )
        command(*args, options=chosen, **kw)

    return _options(wrapper)


@click.command("report")
@click.argument("runs", nargs=-1, type=_RUN)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("report.html"),
    show_default=True,
    help="The HTML file to write.",
)
@_report_options
@click.option(
    "--history",
    type=_RUN,
    default=None,
    help="Instead of RUNs: one row per run in this results folder, with a report for each.",
)
def report_command(
    runs: tuple[Path, ...], output: Path, options: ReportOptions, history: Path | None
) -> None:
    """Write an HTML report on RUN [RUN ...]; the first run is the baseline.

    Headline metrics with 95% intervals, paired deltas and flipped documents (2+ runs),
    per-document scores, speaker-type confusion, failures, tokens/latency/cost, and every
    document with gold and predicted evidence highlighted. Self-contained: no network.
    A sweep folder stands for its completed cells, in sweep order. With --history
    RESULTS_DIR: metrics over time, one row per run, each linked to its own report.
    """
    if history is not None:
        if runs:
            raise click.UsageError("give either RUN folders or --history RESULTS_DIR, not both")
        _history(history, output, options)
        return
    if not runs:
        raise click.UsageError("give at least one RUN folder (or --history RESULTS_DIR)")
    from harness.render.summaries import sweep_pivot
    from harness.report import size_warning, write_report

    summaries = [
        harness.SweepFolder(p).read_summary() for p in runs if harness.SweepFolder.holds_sweep(p)
    ]
    pivots = tuple(sweep_pivot(s, m) for s in summaries for m in s.metrics)
    folders, notes = harness.runs_to_compare(runs)
    for note in notes:
        click.echo(note, err=True)
    paths = [folder.path for folder in folders]
    html = write_report(paths, output, dataclasses.replace(options, pivots=pivots))
    click.echo(f"wrote {output} ({len(html.encode('utf-8')) / 1e6:.1f} MB)")
    warning = size_warning(html)
    if warning:
        click.echo(warning, err=True)


def _history(results: Path, output: Path, options: ReportOptions) -> None:
    """`--history RESULTS_DIR`: one row per run, each linked to its own report."""
    from harness.report import write_history

    rows = write_history(results, output, options)
    linked = sum(row.link is not None for row in rows)
    click.echo(f"wrote {output}: {len(rows)} runs, {linked} run reports in {output.stem}-runs/")
