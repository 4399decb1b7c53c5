"""Assemble the runs, the comparison and the views, and render one self-contained HTML file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from harness import __version__
from harness.compare import DEFAULT_COMPARE_METRICS, Comparison, compare_runs
from harness.errors import UserInputError
from harness.failures import FailureClass
from harness.render import Table
from harness.report.charts import PALETTE, Interval, ci_chart, delta_chart, heat_style
from harness.report.data import (
    DOC_METRICS,
    SPEAKER_TYPES,
    Corpus,
    RunData,
    load_corpus,
    load_prices,
    load_run,
)
from harness.report.explore import csp_hash, embed_json, explore_data
from harness.report.prompt_texts import prompt_diffs, prompt_texts
from harness.report.views import doc_views, verdicts
from harness.runs import RunFolder, write_atomic
from harness.scoring.metrics import HEADLINE_METRICS, METRIC_ORDER

__all__ = [
    "METRIC_ORDER",
    "SIZE_WARNING_BYTES",
    "STATIC_DOCS",
    "ReportOptions",
    "build_report",
    "environment",
    "size_warning",
    "write_report",
]

# Document-runs rendered as HTML for readers without JavaScript (at least 10 documents);
# the rest live only in the embedded JSON, so the file grows by the data, not by markup.
STATIC_DOCS = 200
# Above this a report opens slowly (parsing the data alone takes seconds) and many mail
# and CI artefact viewers refuse it; measured by bench/report_size.py.
SIZE_WARNING_BYTES = 40_000_000


@dataclass(frozen=True)
class ReportOptions:
    prices: Path | None = None
    docs: Path | None = None
    gold: Path | None = None
    intersection: bool = False
    prompts_dir: Path = Path("prompts")
    pivots: tuple[Table, ...] = ()  # a sweep's prompt x model tables (render/summaries.py)


def environment() -> jinja2.Environment:
    """The report templates' environment: autoescaped, strict, with the number filters."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("harness.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = lambda x, d=3: "n/a" if x is None else f"{x:.{d}f}"
    env.filters["signed"] = lambda x: "n/a" if x is None else f"{x:+.3f}"
    env.filters["pval"] = lambda x: "n/a" if x is None else f"{x:.3g}"
    env.globals["heat_style"] = heat_style
    return env


def _metric_names(runs: Sequence[RunData]) -> list[str]:
    present: dict[str, None] = {}
    for run in runs:
        present.update(dict.fromkeys(run.metrics.metrics))
    ordered = [m for m in METRIC_ORDER if m in present]
    return ordered + sorted(m for m in present if m not in ordered)


def _best(runs: Sequence[RunData], names: Sequence[str]) -> dict[str, set[str]]:
    """Per metric, the labels of the runs with the highest value (ties share)."""
    out: dict[str, set[str]] = {}
    for name in names:
        values = {r.label: v.value for r in runs if (v := r.metrics.metrics.get(name))}
        defined = {k: v for k, v in values.items() if v is not None}
        if len(runs) > 1 and defined:
            top = max(defined.values())
            out[name] = {k for k, v in defined.items() if v == top}
    return out


def _headline_chart(runs: Sequence[RunData]) -> Any:
    rows = []
    for name in HEADLINE_METRICS:
        items = []
        for r in runs:
            m = r.metrics.metrics.get(name)
            if m is None:
                items.append(Interval(r.label, r.color, None, None, None))
            else:
                items.append(Interval(r.label, r.color, m.value, m.ci_low, m.ci_high))
        rows.append((name, items))
    return ci_chart(rows)


def _delta_charts(comparison: Comparison) -> list[Any]:
    charts = []
    for pair in comparison.pairs:
        rows = []
        for m in pair.metrics:
            significant = m.p_holm is not None and m.p_holm < comparison.alpha
            color = "#777"
            if significant and m.delta is not None:
                color = "#1a7f37" if m.delta > 0 else "#cf222e"
            note = f"p={m.p_holm:.3g}" if m.p_holm is not None else ""
            rows.append(Interval(m.metric, color, m.delta, m.ci_low, m.ci_high, note))
        charts.append(delta_chart(rows))
    return charts


def _corpus_for(
    manifest_docs: str, manifest_gold: str, options: ReportOptions, cache: dict[Any, Corpus]
) -> Corpus:
    docs = options.docs or Path(manifest_docs)
    gold = options.gold or Path(manifest_gold)
    if (docs, gold) not in cache:
        cache[(docs, gold)] = load_corpus(docs, gold)
    return cache[(docs, gold)]


def _fault(kind: str) -> str:
    try:
        return FailureClass(kind).fault.value
    except ValueError:
        return "-"  # not_run


def _script() -> str:
    return (resources.files("harness.report") / "templates" / "report.js").read_text("utf-8")


def size_warning(html: str) -> str | None:
    """A one-line warning when the report is too big for a browser to open comfortably."""
    size = len(html.encode("utf-8"))
    if size <= SIZE_WARNING_BYTES:
        return None
    return (
        f"warning: the report is {size / 1e6:.0f} MB (over {SIZE_WARNING_BYTES / 1e6:.0f} MB); "
        "browsers open it slowly: report fewer runs, or split the documents"
    )


def _load_runs(paths: Sequence[Path], options: ReportOptions) -> list[RunData]:
    """Each run with its corpus (read once per documents/gold pair), label and colour."""
    prices = load_prices(options.prices) if options.prices else None
    cache: dict[Any, Corpus] = {}
    runs = []
    for i, path in enumerate(paths):
        manifest = RunFolder.open(path).read_manifest()
        corpus = _corpus_for(manifest.documents_source, manifest.gold_source, options, cache)
        run = load_run(path, chr(ord("A") + i) if i < 26 else f"R{i + 1}", corpus, prices)
        run.color = PALETTE[i % len(PALETTE)]
        runs.append(run)
    return runs


def _comparison(
    paths: Sequence[Path], options: ReportOptions
) -> tuple[Comparison | None, str | None]:
    """The paired comparison of every run with the first, or why there is none."""
    if len(paths) < 2:
        return None, None
    try:
        comparison = compare_runs(
            RunFolder.open(paths[0]),
            [RunFolder.open(p) for p in paths[1:]],
            metrics=DEFAULT_COMPARE_METRICS,
            intersection=options.intersection,
        )
    except UserInputError as exc:
        return None, str(exc)
    return comparison, None


def build_report(paths: Sequence[Path], options: ReportOptions | None = None) -> str:
    """The HTML text of the report on `paths` (the first run is the baseline)."""
    options = options or ReportOptions()
    if not paths:
        raise UserInputError("report: give at least one run")
    runs = _load_runs(paths, options)
    comparison, comparison_error = _comparison(paths, options)
    labels = {str(r.path): r.label for r in runs}
    failures = {r.label: r.metrics.failures for r in runs}
    names = _metric_names(runs)
    failure_kinds = sorted({k for r in runs for k in r.metrics.failures})
    order = list(dict.fromkeys(d for r in runs for d in r.scores))
    script = _script()
    data = embed_json(explore_data(runs, order))
    texts = prompt_texts(runs, options.prompts_dir)
    context = {
        "version": __version__,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "runs": runs,
        "labels": labels,
        "headline": HEADLINE_METRICS,
        "metric_names": names,
        "best": _best(runs, names),
        "headline_chart": _headline_chart(runs),
        "comparison": comparison,
        "comparison_error": comparison_error,
        "verdicts": verdicts(comparison, labels, failures) if comparison else [],
        "delta_charts": _delta_charts(comparison) if comparison else [],
        "doc_metrics": DOC_METRICS,
        "docs": doc_views(runs, order[: max(10, STATIC_DOCS // len(runs))]),
        "n_docs": len(order),
        "prompts": texts,
        "prompt_diffs": prompt_diffs(texts),
        "data": data,
        "script": Markup(script),
        "script_sources": Markup(" ".join(csp_hash(t) for t in (script, str(data)))),
        "speaker_types": SPEAKER_TYPES,
        "failure_kinds": [(k, _fault(k)) for k in failure_kinds],
        "prices": options.prices is not None,
        "pivots": options.pivots,
    }
    return environment().get_template("report.html.j2").render(context)


def write_report(paths: Sequence[Path], out: Path, options: ReportOptions | None = None) -> str:
    """Write the report to `out`; returns its text (the CLI reports its size)."""
    html = build_report(paths, options)
    write_atomic(out, html)
    return html
