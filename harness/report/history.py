"""`harness report --history RESULTS_DIR`: every run in a results folder, oldest first.

One row per run (sweep cells included) with its headline metrics and their intervals
straight from its metrics.json, a chart per headline metric over time, and a link to each
run's own report, written beside the history page so the folder of pages moves as one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from markupsafe import Markup

from harness import __version__
from harness.errors import UserInputError
from harness.report.charts import PALETTE, Interval, history_chart
from harness.report.render import ReportOptions, build_report, environment
from harness.runs import Manifest, RunFolder, write_atomic
from harness.scoring.metrics import HEADLINE_METRICS, Metrics

__all__ = ["HistoryRow", "build_history", "find_runs", "write_history"]


@dataclass(frozen=True)
class HistoryRow:
    path: Path
    name: str  # the run's path inside the results folder
    manifest: Manifest
    metrics: Metrics | None
    link: str | None  # relative URL of the run's report


def find_runs(results: Path) -> list[Path]:
    """Run folders directly under `results` and the cells of its sweeps."""
    if not results.is_dir():
        raise UserInputError(f"{results}: --history: not a folder")
    found = [p.parent for p in results.glob("*/manifest.json")]
    found += [p.parent for p in results.glob("sweeps/*/cells/*/manifest.json")]
    return sorted(found)


def _link_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "__", name) + ".html"


def _rows(results: Path, reports: str | None) -> list[HistoryRow]:
    rows = []
    for path in find_runs(results):
        folder = RunFolder.open(path)
        metrics = folder.read_metrics() if (path / "metrics.json").is_file() else None
        name = path.relative_to(results).as_posix()
        link = f"{reports}/{_link_name(name)}" if reports and metrics else None
        rows.append(HistoryRow(path, name, folder.read_manifest(), metrics, link))
    rows.sort(key=lambda r: (r.manifest.started_at, r.name))
    return rows


def _charts(rows: Sequence[HistoryRow]) -> list[tuple[str, Markup]]:
    charts = []
    for name in HEADLINE_METRICS:
        points = []
        for k, row in enumerate(rows):
            m = row.metrics.metrics.get(name) if row.metrics else None
            color = PALETTE[k % len(PALETTE)]
            label = f"{k + 1} {row.name}"
            if m is None:
                points.append(Interval(label, color, None, None, None))
            else:
                points.append(Interval(label, color, m.value, m.ci_low, m.ci_high))
        charts.append((name, history_chart(name, points)))
    return charts


def build_history(results: Path, reports: str | None = None) -> tuple[str, list[HistoryRow]]:
    """The history page's HTML and its rows; `reports` is the folder the links point into."""
    rows = _rows(results, reports)
    if not rows:
        raise UserInputError(f"{results}: --history: no run folders (no */manifest.json)")
    html = (
        environment()
        .get_template("history.html.j2")
        .render(
            results=str(results),
            rows=rows,
            headline=HEADLINE_METRICS,
            charts=_charts(rows),
            version=__version__,
            generated=datetime.now(UTC).isoformat(timespec="seconds"),
        )
    )
    return html, rows


def write_history(
    results: Path, out: Path, options: ReportOptions | None = None, run_reports: bool = True
) -> list[HistoryRow]:
    """Write the history page to `out` and, with `run_reports`, each run's report beside it
    in `<out stem>-runs/` (the links' target). Returns the rows written."""
    folder = f"{out.stem}-runs" if run_reports else None
    html, rows = build_history(results, folder)
    if folder is not None:
        (out.parent / folder).mkdir(parents=True, exist_ok=True)
        for row in rows:
            if row.link is not None:
                write_atomic(out.parent / row.link, build_report([row.path], options))
    write_atomic(out, html)
    return rows
