"""The sweep summary: one row per cell, headline metrics with 95% bootstrap intervals.

Always rebuilt from the cells' run folders (manifest.json, metrics.json), never from
memory, so an interrupted, resumed or partly failed sweep summarises what is on disk.
"""

from __future__ import annotations

from harness.render.summaries import sweep_table
from harness.runs import RunFolder, SummaryCell, SweepFolder, SweepSummary
from harness.scoring.metrics import HEADLINE_METRICS
from harness.sweep import Cell, SweepFile

__all__ = ["build_summary", "write_summary"]


def build_summary(sweep: SweepFile, folder: SweepFolder, cells: list[Cell]) -> SweepSummary:
    """From the cells' folders on disk (manifest.json, metrics.json), never from memory."""
    rows = []
    for cell in cells:
        run = RunFolder(folder.cell(cell.id))
        status, error = "not run", None
        if run.has_manifest():
            manifest = run.read_manifest()
            status, error = manifest.status, manifest.error
        metrics = run.read_metrics() if run.has_metrics() else None
        rows.append(
            SummaryCell(
                id=cell.id,
                prompt=cell.prompt,
                endpoint=cell.endpoint,
                model=sweep.endpoints[cell.endpoint].model,
                params=cell.params.model_dump(),
                repeat=cell.repeat,
                folder=folder.cell_ref(cell.id),
                status=status,
                n_docs=metrics.n_docs if metrics else None,
                metrics={
                    k: v
                    for k, v in (metrics.metrics if metrics else {}).items()
                    if k in HEADLINE_METRICS
                },
                failures=metrics.failures if metrics else {},
                error=error,
            )
        )
    return SweepSummary(name=sweep.name, metrics=list(HEADLINE_METRICS), cells=rows)


def write_summary(folder: SweepFolder, summary: SweepSummary) -> None:
    table = sweep_table(summary)
    lines = [
        f"# Sweep {summary.name}",
        "",
        f"{len(table.rows)} cells; headline metrics with 95% bootstrap intervals over documents.",
        f"Each cell is a run folder under `{SweepFolder.CELLS}/`.",
        "",
        table.to_markdown(),
    ]
    folder.write_summary(summary, "\n".join(lines) + "\n")
