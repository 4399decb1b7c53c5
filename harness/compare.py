"""Paired comparison of runs scored on the same documents and gold.

Each run after the first is compared with the first (the baseline). For every metric the
delta B - A gets a paired bootstrap interval (the same resampled documents for both runs)
and a paired permutation test, Holm-corrected across the whole family of comparisons
(every pair x every metric: with a sweep's ten cells that is nine pairs, and correcting
per pair would let one of them look significant by chance); documents whose outcome
flipped (`flips.py`) are listed so a reader can see what moved. Scoring settings
(thresholds, matcher) that differ from the baseline's are named in `warnings`, since the
delta then mixes a model change with a scoring change. Macro metrics are expressed as
functions of summed columns too (per-document value and a "defined" indicator), so one
statistic serves the point estimate, the bootstrap and the permutation test.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict

from harness.errors import UserInputError
from harness.flips import FLIP_THRESHOLD, FlippedDoc, flipped_documents
from harness.paired import Array, available_metrics, design, holm, quantiles, rounded, statistic
from harness.render.numbers import DELTA_DIGITS, number, p_value
from harness.resampling import DEFAULT_BOOTSTRAP_SEED, DEFAULT_RESAMPLES
from harness.runs import RunFolder, SweepFolder
from harness.scoring.document import DocScore, ScoringConfig
from harness.scoring.metrics import HEADLINE_METRICS
from harness.scoring.stats import (
    SumStatistic,
    paired_bootstrap_deltas,
    paired_permutation_pvalue,
)

__all__ = [
    "DEFAULT_COMPARE_METRICS",
    "FLIP_THRESHOLD",
    "Comparison",
    "FlippedDoc",
    "MetricDelta",
    "PairComparison",
    "available_metrics",
    "compare_runs",
    "flipped_documents",
    "holm",
    "regressions",
    "run_label",
    "runs_to_compare",
    "scoring_note",
]

DEFAULT_COMPARE_METRICS: tuple[str, ...] = (*HEADLINE_METRICS, "claim_f1_macro")


class MetricDelta(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    metric: str
    value_a: float | None
    value_b: float | None
    delta: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    p_holm: float | None


class PairComparison(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    run_a: str
    run_b: str
    label_a: str = ""  # a sweep cell's label, else the folder's name
    label_b: str = ""
    metrics: list[MetricDelta]
    flipped: list[FlippedDoc]
    scoring_note: str | None = None  # set when the two runs were scored differently


class Comparison(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    n_docs: int
    intersection: bool
    n_dropped: dict[str, int]
    resamples: int
    seed: int
    alpha: float
    family: int = 0  # the number of tests Holm's correction covers (pairs x metrics)
    warnings: list[str] = []
    pairs: list[PairComparison]


def _load(folder: RunFolder) -> tuple[str, dict[str, DocScore]]:
    manifest = folder.read_manifest()
    scores = folder.read_scores()
    if not scores:
        raise UserInputError(f"{folder.path}: the run has no scores.jsonl (did it finish?)")
    return manifest.gold_hash, {s.doc_id: s for s in scores}


def run_label(folder: RunFolder) -> str:
    """A sweep cell's label from its sweep's summary; otherwise the folder's name."""
    return SweepFolder.label_of(folder.path) or folder.path.name


def _common_docs(
    runs: list[tuple[RunFolder, str, dict[str, DocScore]]], intersection: bool
) -> list[str]:
    base_path, base_gold, base_docs = runs[0]
    common = set(base_docs)
    for folder, gold, docs in runs[1:]:
        if not intersection and set(docs) != set(base_docs):
            raise UserInputError(
                f"{folder.path}: scored on different documents than {base_path.path} "
                f"({len(set(docs) - set(base_docs))} extra, {len(set(base_docs) - set(docs))} "
                "missing); pass --intersection to compare on the common ones"
            )
        if not intersection and gold != base_gold:
            raise UserInputError(
                f"{folder.path}: scored against different gold than {base_path.path} "
                f"(gold_hash {gold} vs {base_gold}); pass --intersection to compare anyway"
            )
        common &= set(docs)
    ids = sorted(common)
    if not ids:
        raise UserInputError(f"{base_path.path}: the runs have no scored document in common")
    for folder, _, docs in runs[1:]:  # a cheap check that the gold of common docs agrees
        for doc_id in ids:
            a, b = base_docs[doc_id].counts, docs[doc_id].counts
            if (a.n_gold, a.n_gold_required) != (b.n_gold, b.n_gold_required):
                raise UserInputError(
                    f"{folder.path}: document {doc_id} has different gold than in "
                    f"{base_path.path} (n_gold {b.n_gold} vs {a.n_gold})"
                )
    return ids


_Raw = tuple[str, float, float, Array, float]  # metric, A, B, bootstrap deltas, p


def _raw_deltas(
    design_a: Array, design_b: Array, statistics: dict[str, SumStatistic], resamples: int, seed: int
) -> list[_Raw]:
    """Each metric's values, paired bootstrap deltas of B - A and permutation p."""
    n = np.array(float(len(design_a)))
    rows: list[_Raw] = []
    for name, stat in statistics.items():
        value_a = float(stat(design_a.sum(axis=0), n))
        value_b = float(stat(design_b.sum(axis=0), n))
        boot = paired_bootstrap_deltas(design_a, design_b, stat, resamples, seed)
        p = paired_permutation_pvalue(design_a, design_b, stat, resamples, seed)
        rows.append((name, value_a, value_b, boot, p))
    return rows


def _delta(raw: _Raw, p_holm: float, alpha: float) -> MetricDelta:
    name, value_a, value_b, boot, p = raw
    lo, hi = quantiles(boot, alpha)
    return MetricDelta(
        metric=name,
        value_a=rounded(value_a),
        value_b=rounded(value_b),
        delta=rounded(value_b - value_a),
        ci_low=lo,
        ci_high=hi,
        p_value=rounded(p),
        p_holm=rounded(p_holm),
    )


def compare_runs(
    a: RunFolder,
    others: list[RunFolder],
    metrics: Sequence[str] = DEFAULT_COMPARE_METRICS,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_BOOTSTRAP_SEED,
    intersection: bool = False,
    alpha: float = 0.05,
) -> Comparison:
    """Compare every run in `others` with `a` on `metrics` (see the module docstring)."""
    if not others:
        raise UserInputError("compare: give at least two runs")
    statistics = {m: statistic(m) for m in dict.fromkeys(metrics)}
    runs = [(f, *_load(f)) for f in (a, *others)]
    ids = _common_docs(runs, intersection)
    base = [runs[0][2][i] for i in ids]
    design_a = design(base)
    raw = [
        _raw_deltas(design_a, design([docs[i] for i in ids]), statistics, resamples, seed)
        for _, _, docs in runs[1:]
    ]
    adjusted = iter(holm([row[4] for rows in raw for row in rows]))  # the whole family
    scoring_a = a.read_manifest().scoring
    pairs = [
        PairComparison(
            run_a=str(a.path),
            run_b=str(folder.path),
            label_a=run_label(a),
            label_b=run_label(folder),
            metrics=[_delta(row, next(adjusted), alpha) for row in rows],
            flipped=flipped_documents(base, [docs[i] for i in ids]),
            scoring_note=scoring_note(scoring_a, folder.read_manifest().scoring),
        )
        for (folder, _, docs), rows in zip(runs[1:], raw, strict=True)
    ]
    return Comparison(
        n_docs=len(ids),
        intersection=intersection,
        n_dropped={str(f.path): len(docs) - len(ids) for f, _, docs in runs},
        resamples=resamples,
        seed=seed,
        alpha=alpha,
        family=sum(len(rows) for rows in raw),
        warnings=[f"{p.label_b or p.run_b}: {p.scoring_note}" for p in pairs if p.scoring_note],
        pairs=pairs,
    )


def scoring_note(a: ScoringConfig, b: ScoringConfig) -> str | None:
    """What differs between two runs' scoring (matcher, assignment, thresholds), or None:
    such deltas mix the model's change with the scorer's, so the reader must be told."""
    differs = [
        f"{name} {getattr(a, name)} vs {getattr(b, name)}"
        for name in ScoringConfig.model_fields
        if getattr(a, name) != getattr(b, name)
    ]
    if not differs:
        return None
    return (
        f"scored differently ({'; '.join(differs)}): the deltas mix the model with the "
        "scorer; `harness rescore` one run to match the other"
    )


def runs_to_compare(paths: Sequence[Path]) -> tuple[list[RunFolder], list[str]]:
    """The run folders these paths stand for, and a note for every sweep cell left out.

    A sweep folder (`summary.json` beside `cells/`) stands for its completed cells in sweep
    order, so `compare SWEEP` compares every cell with the first one and `compare RUN SWEEP`
    compares every cell with RUN. Cells that did not complete are left out, with a note.
    """
    folders: list[RunFolder] = []
    notes: list[str] = []
    for path in paths:
        if not SweepFolder.holds_sweep(path):
            folders.append(RunFolder.open(path))
            continue
        cells, left_out = SweepFolder(path).completed_cells()
        folders += cells
        notes += left_out
    return folders, notes


def regressions(comparison: Comparison, rules: Sequence[tuple[str, float]]) -> list[str]:
    """One line per (pair, rule) where the metric dropped by more than DELTA, significantly."""
    found = []
    for pair in comparison.pairs:
        by_name = {m.metric: m for m in pair.metrics}
        for metric, max_drop in rules:
            m = by_name[metric]
            if m.delta is None or m.p_holm is None:
                continue
            if m.delta < -max_drop and m.p_holm < comparison.alpha:
                found.append(
                    f"{pair.run_b}: {metric} dropped by {number(-m.delta, DELTA_DIGITS)} "
                    f"(> {max_drop}) vs {pair.run_a}, Holm p = {p_value(m.p_holm)} "
                    f"< {comparison.alpha}"
                )
    return found
