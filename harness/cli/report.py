"""`harness report`: one self-contained HTML report on one or more runs."""

from __future__ import annotations

from pathlib import Path

import click

import harness

__all__ = ["report_command"]

_RUN = click.Path(path_type=Path, exists=True, file_okay=False)


@click.command("report")
@click.argument("runs", nargs=-1, required=True, type=_RUN)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("report.html"),
    show_default=True,
    help="The HTML file to write.",
)
@click.option(
    "--prices",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="YAML/JSON: model -> {input_per_mtok, output_per_mtok}; adds cost.",
)
@click.option(
    "--docs",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    help="Documents [default: each run's documents_source].",
)
@click.option(
    "--gold",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    default=None,
    help="Gold folder [default: each run's gold_source].",
)
@click.option(
    "--intersection", is_flag=True, help="Compare on the documents all runs have in common."
)
def report_command(
    runs: tuple[Path, ...],
    output: Path,
    prices: Path | None,
    docs: Path | None,
    gold: Path | None,
    intersection: bool,
) -> None:
    """Write an HTML report on RUN [RUN ...]; the first run is the baseline.

    Headline metrics with 95% intervals, paired deltas and flipped documents (2+ runs),
    per-document scores, speaker-type confusion, failures, tokens/latency/cost, and every
    document with gold and predicted evidence highlighted. Self-contained: no network.
    A sweep folder stands for its completed cells, in sweep order.
    """

    from harness.report import ReportOptions, write_report  # loads jinja2 and numpy

    folders, notes = harness.runs_to_compare(runs)
    for note in notes:
        click.echo(note, err=True)
    options = ReportOptions(prices=prices, docs=docs, gold=gold, intersection=intersection)
    write_report([folder.path for folder in folders], output, options)
    click.echo(f"wrote {output}")
