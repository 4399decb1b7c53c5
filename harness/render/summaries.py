"""The harness's tables as `Table` values: a run's metrics, a sweep's cells, a comparison.

Each is built once from its data; the terminal gets `to_rich()`, files `to_markdown()`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from harness.render.numbers import DELTA_DIGITS, estimate, interval, number, p_value
from harness.render.table import Column, Table
from harness.runs import Manifest, SummaryCell, SweepSummary
from harness.scoring.metrics import HEADLINE_METRICS, METRIC_ORDER, Metrics

if TYPE_CHECKING:
    from harness.compare import Comparison, MetricDelta, PairComparison

__all__ = [
    "baseline_verdict",
    "comparison_table",
    "run_table",
    "sweep_markdown",
    "sweep_pivot",
    "sweep_table",
]

_ORDER = (*METRIC_ORDER, "claim_f1_macro", "attributed_f1_macro")


def run_table(manifest: Manifest, metrics: Metrics) -> Table:
    """Every metric with its 95% interval; the headline metrics in bold."""
    rows: list[list[str]] = []
    bold: set[int] = set()
    for name in _ORDER:
        value = metrics.metrics.get(name)
        if value is None:
            continue
        if name in HEADLINE_METRICS:
            bold.add(len(rows))
        rows.append([name, number(value.value), interval(value.ci_low, value.ci_high)])
    return Table(
        [Column("metric"), Column("value", numeric=True), Column("95% CI", numeric=True)],
        rows,
        title=f"{manifest.prompt} on {manifest.model} "
        f"({metrics.n_docs} scored documents, mode {manifest.output_mode})",
        bold_rows=frozenset(bold),
    )


def _varying(summary: SweepSummary) -> list[str]:
    """The sampling parameters that differ between the sweep's cells."""
    names = sorted({name for c in summary.cells for name in c.params})
    return [n for n in names if len({json.dumps(c.params.get(n)) for c in summary.cells}) > 1]


def sweep_table(summary: SweepSummary) -> Table:
    """One row per cell, named by its label (what tells it from the others); the folder
    id (with its config hash) last, for finding the cell on disk."""
    columns = [Column("cell"), Column("docs", True)]
    columns += [Column(m, True) for m in summary.metrics]
    columns += [Column("failures"), Column("status"), Column("folder")]
    rows = []
    for c in summary.cells:
        failures = ", ".join(f"{k} {v}" for k, v in sorted(c.failures.items())) or "none"
        rows.append(
            [c.label or c.id, "-" if c.n_docs is None else str(c.n_docs)]
            + [estimate(c.metrics.get(m)) for m in summary.metrics]
            + [failures, c.status, c.folder]
        )
    return Table(columns, rows, title=f"sweep {summary.name} ({len(rows)} cells, 95% CIs)")


def _pooled(cells: list[SummaryCell], metric: str) -> str:
    """One cell: its estimate with the 95% CI. Repeats: their mean, the count and the
    range of the repeats' values (a spread over repeats, not an interval over documents)."""
    values = [c.metrics.get(metric) for c in cells]
    defined = [v.value for v in values if v is not None and v.value is not None]
    if len(cells) == 1:
        return estimate(values[0])
    if not defined:
        return "-"
    mean = sum(defined) / len(defined)
    return f"{number(mean)} ({len(defined)}x, range {interval(min(defined), max(defined))})"


def sweep_pivot(summary: SweepSummary, metric: str) -> Table:
    """`metric` as prompt (x varying parameters) rows by model columns, with 95% CIs."""
    varying = _varying(summary)
    endpoints = list(dict.fromkeys(c.endpoint for c in summary.cells))
    groups: dict[tuple[str, ...], dict[str, list[SummaryCell]]] = {}
    for c in summary.cells:
        key = (c.prompt, *(f"{n}={c.params.get(n)}" for n in varying))
        groups.setdefault(key, {}).setdefault(c.endpoint, []).append(c)
    columns = [Column("prompt"), *(Column(n) for n in varying)]
    models = {c.endpoint: c.model for c in summary.cells}
    columns += [Column(e if models[e] == e else f"{e} ({models[e]})", True) for e in endpoints]
    rows = [
        [key[0], *(part.partition("=")[2] for part in key[1:])]
        + [_pooled(by_endpoint[e], metric) if e in by_endpoint else "" for e in endpoints]
        for key, by_endpoint in groups.items()
    ]
    return Table(columns, rows, title=f"{metric}: prompt x model (95% CIs)")


def sweep_markdown(summary: SweepSummary) -> str:
    """`summary.md`: the cells, then one prompt x model pivot per headline metric."""
    table = sweep_table(summary)
    lines = [
        f"# Sweep {summary.name}",
        "",
        f"{len(table.rows)} cells; headline metrics with 95% bootstrap intervals over documents.",
        "Each cell is a run folder (the `folder` column, under this sweep's folder).",
        "",
        table.to_markdown(),
    ]
    for metric in summary.metrics:
        lines += [
            "",
            f"## {metric}: prompt x model",
            "",
            sweep_pivot(summary, metric).to_markdown(),
        ]
    return "\n".join(lines) + "\n"


def _delta_row(m: MetricDelta) -> list[str]:
    return [
        m.metric,
        number(m.value_a, DELTA_DIGITS),
        number(m.value_b, DELTA_DIGITS),
        number(m.delta, DELTA_DIGITS, signed=True),
        interval(m.ci_low, m.ci_high, DELTA_DIGITS, signed=True),
        p_value(m.p_value),
        p_value(m.p_holm),
    ]


def comparison_table(comparison: Comparison) -> Table:
    """Every pair in one table (the first column names B when there are several), since
    Holm's correction covers them all; rows significant after it in bold."""
    several = len(comparison.pairs) > 1
    columns = [Column("B")] if several else []
    columns += [Column("metric")]
    columns += [Column(name, True) for name in ("A", "B", "B - A", "CI", "p", "p (Holm)")]
    rows: list[list[str]] = []
    bold: set[int] = set()
    for pair in comparison.pairs:
        for m in pair.metrics:
            if m.p_holm is not None and m.p_holm < comparison.alpha:
                bold.add(len(rows))
            rows.append(([pair.label_b or pair.run_b] if several else []) + _delta_row(m))
    first = comparison.pairs[0]
    title = f"A = {first.label_a or first.run_a} ({first.run_a})"
    if not several:
        title = f"B = {first.label_b or first.run_b} ({first.run_b})\n{title}"
    return Table(columns, rows, title=title, bold_rows=frozenset(bold))


def baseline_verdict(pair: PairComparison, model: str, rule: str, baseline: str) -> str:
    """One plain sentence on a model (run B) beside a baseline (run A): the claim F1 delta
    read through its interval, so a newcomer's first table says what it means. `rule` says
    what the baseline does ("taking the first 3 sentences")."""
    m = next((d for d in pair.metrics if d.metric == "claim_f1"), None)
    if m is None or m.delta is None or m.ci_low is None or m.ci_high is None:
        return f"claim F1 is undefined for {model} or {baseline}: nothing to conclude yet."
    scores = f"claim F1 {number(m.value_b)} vs {number(m.value_a)}"
    if m.ci_low > 0:
        return f"{model} finds claims better than {rule} ({scores}): it beats {baseline}."
    if m.ci_high < 0:
        return (
            f"{model} finds claims worse than {rule} ({scores}); "
            f"a model worth using should beat {baseline}."
        )
    return (
        f"{model} and {rule} are not distinguishable on these documents ({scores}, the "
        f"interval of the difference spans 0); a model worth using should clearly beat {baseline}."
    )
