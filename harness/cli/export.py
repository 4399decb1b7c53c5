"""`harness export`: a run's (or a sweep's) per-document results as Parquet or JSONL."""

from __future__ import annotations

from pathlib import Path

import click

from harness.export import ExportFormat, export_run

__all__ = ["export_command"]


@click.command("export")
@click.argument("run", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in ExportFormat]),
    default=ExportFormat.PARQUET.value,
    show_default=True,
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="Output file [default: RUN/export.<format>].",
)
@click.option(
    "--gold",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    default=None,
    help="Gold folder [default: the run's, from its manifest].",
)
def export_command(run: Path, fmt: str, output: Path | None, gold: Path | None) -> None:
    """Export one row per document, sorted by document id: every per-document metric and
    count, the predicted and the gold claims as nested lists (matched or not, with each
    attribution check), tokens and latency. A sweep folder exports every cell's rows,
    with the cell's label in `cell`."""
    out = output or run / f"export.{fmt}"
    n_rows = export_run(run, ExportFormat(fmt), out, gold)
    click.echo(f"{out}: {n_rows} rows")
