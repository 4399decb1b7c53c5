"""The harness's tables as `Table` values: a run's metrics, a sweep's cells, a comparison.

Each is built once from its data; the terminal gets `to_rich()`, files `to_markdown()`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from harness.render.numbers import DELTA_DIGITS, estimate, interval, number, p_value
from harness.render.table import Column, Table
from harness.runs import Manifest, SweepSummary
from harness.scoring.metrics import HEADLINE_METRICS, METRIC_ORDER, Metrics

if TYPE_CHECKING:
    from harness.compare import PairComparison

__all__ = ["baseline_verdict", "comparison_table", "run_table", "sweep_table"]

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


def sweep_table(summary: SweepSummary) -> Table:
    """One row per cell; only the sampling parameters that vary get a column."""
    varying = [
        name
        for name in (summary.cells[0].params if summary.cells else {})
        if len({json.dumps(c.params[name]) for c in summary.cells}) > 1
    ]
    columns = [Column(name) for name in ("cell", "prompt", "endpoint", *varying)]
    columns += [Column("repeat", True), Column("docs", True)]
    columns += [Column(m, True) for m in summary.metrics]
    columns += [Column("failures"), Column("status")]
    rows = []
    for c in summary.cells:
        failures = ", ".join(f"{k} {v}" for k, v in sorted(c.failures.items())) or "none"
        rows.append(
            [c.id, c.prompt, c.endpoint, *(str(c.params[n]) for n in varying), str(c.repeat)]
            + ["-" if c.n_docs is None else str(c.n_docs)]
            + [estimate(c.metrics.get(m)) for m in summary.metrics]
            + [failures, c.status]
        )
    return Table(columns, rows, title=f"sweep {summary.name} ({len(rows)} cells, 95% CIs)")


def comparison_table(pair: PairComparison, alpha: float) -> Table:
    """One pair of runs: each metric's A, B, delta with its CI, p and Holm p; the rows
    significant after Holm's correction in bold."""
    columns = [Column("metric")]
    columns += [Column(name, True) for name in ("A", "B", "B - A", "CI", "p", "p (Holm)")]
    rows: list[list[str]] = []
    bold: set[int] = set()
    for index, m in enumerate(pair.metrics):
        if m.p_holm is not None and m.p_holm < alpha:
            bold.add(index)
        rows.append(
            [
                m.metric,
                number(m.value_a, DELTA_DIGITS),
                number(m.value_b, DELTA_DIGITS),
                number(m.delta, DELTA_DIGITS, signed=True),
                interval(m.ci_low, m.ci_high, DELTA_DIGITS, signed=True),
                p_value(m.p_value),
                p_value(m.p_holm),
            ]
        )
    title = f"B = {pair.run_b}\nA = {pair.run_a}"
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
