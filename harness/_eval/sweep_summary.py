"""The sweep summary: one row per cell, headline metrics with 95% bootstrap intervals.

Always rebuilt from the cells' run folders (manifest.json, metrics.json), never from
memory, so an interrupted, resumed or partly failed sweep summarises what is on disk.
"""

from __future__ import annotations

import json

from harness.runs import RunFolder, SummaryCell, SweepFolder, SweepSummary
from harness.scoring.metrics import HEADLINE_METRICS, MetricValue
from harness.sweep import Cell, SweepFile

__all__ = ["build_summary", "summary_rows", "write_summary"]


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


def _fmt(value: MetricValue | None) -> str:
    if value is None or value.value is None:
        return "-"
    if value.ci_low is None or value.ci_high is None:
        return f"{value.value:.3f}"
    return f"{value.value:.3f} [{value.ci_low:.2f}, {value.ci_high:.2f}]"


def summary_rows(summary: SweepSummary) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of the summary table; only parameters that vary get a column."""
    varying = [
        name
        for name in (summary.cells[0].params if summary.cells else {})
        if len({json.dumps(c.params[name]) for c in summary.cells}) > 1
    ]
    headers = ["cell", "prompt", "endpoint", *varying, "repeat", "docs", *summary.metrics]
    headers += ["failures", "status"]
    rows = []
    for c in summary.cells:
        failures = ", ".join(f"{k} {v}" for k, v in sorted(c.failures.items())) or "none"
        rows.append(
            [c.id, c.prompt, c.endpoint, *(str(c.params[n]) for n in varying), str(c.repeat)]
            + ["-" if c.n_docs is None else str(c.n_docs)]
            + [_fmt(c.metrics.get(m)) for m in summary.metrics]
            + [failures, c.status]
        )
    return headers, rows


def _numeric(header: str, summary: SweepSummary) -> bool:
    return header in ("repeat", "docs") or header in summary.metrics


def write_summary(folder: SweepFolder, summary: SweepSummary) -> None:
    headers, rows = summary_rows(summary)
    lines = [
        f"# Sweep {summary.name}",
        "",
        f"{len(rows)} cells; headline metrics with 95% bootstrap intervals over documents.",
        f"Each cell is a run folder under `{SweepFolder.CELLS}/`.",
        "",
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---:" if _numeric(h, summary) else "---" for h in headers) + "|",
    ]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    folder.write_summary(summary, "\n".join(lines) + "\n")
