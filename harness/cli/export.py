"""`harness export`: a run's per-document results as Parquet or JSONL."""

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
def export_command(run: Path, fmt: str, output: Path | None) -> None:
    """Export predictions and per-document scores (one row per document)."""
    out = output or run / f"export.{fmt}"
    n_rows = export_run(run, ExportFormat(fmt), out)
    click.echo(f"{out}: {n_rows} rows")
