"""The sweep summary: one row per cell, headline metrics with 95% bootstrap intervals.

Always rebuilt from the cells' run folders (manifest.json, metrics.json), never from
memory, so an interrupted, resumed or partly failed sweep summarises what is on disk.
"""

from __future__ import annotations

from harness.render.summaries import sweep_markdown
from harness.runs import RunFolder, SummaryCell, SweepFolder, SweepSummary
from harness.runs.sweep_folder import cell_outcome
from harness.scoring.metrics import HEADLINE_METRICS
from harness.sweep import Cell, SweepFile, cell_labels

__all__ = ["build_summary", "write_summary"]


def build_summary(sweep: SweepFile, folder: SweepFolder, cells: list[Cell]) -> SweepSummary:
    """From the cells' folders on disk (manifest.json, metrics.json), never from memory."""
    labels = cell_labels(cells)
    rows = [
        SummaryCell.model_validate(
            {
                "id": cell.id,
                "label": labels[cell.id],
                "prompt": cell.prompt,
                "endpoint": cell.endpoint,
                "model": sweep.endpoints[cell.endpoint].model,
                "params": cell.params.model_dump(),
                "repeat": cell.repeat,
                "folder": folder.cell_ref(cell.id),
                **cell_outcome(RunFolder(folder.cell(cell.id)), list(HEADLINE_METRICS)),
            }
        )
        for cell in cells
    ]
    return SweepSummary(name=sweep.name, metrics=list(HEADLINE_METRICS), cells=rows)


def write_summary(folder: SweepFolder, summary: SweepSummary) -> None:
    folder.write_summary(summary, sweep_markdown(summary))
