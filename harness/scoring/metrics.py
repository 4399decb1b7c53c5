"""Corpus metrics from per-document counts, micro and macro, with bootstrap intervals.

Every metric is a function of `DocCounts` summed over documents (micro) or averaged per
document (macro). Functions take arrays so one definition serves the point estimate and
every bootstrap replicate. Formulas and edge cases are spelled out in docs/metrics.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from harness.scoring.document import DocCounts, DocScore
from harness.scoring.stats import (
    DEFAULT_BOOTSTRAP_SEED,
    DEFAULT_RESAMPLES,
    iter_bootstrap_weights,
)

__all__ = [
    "HEADLINE_METRICS",
    "METRIC_ORDER",
    "MetricValue",
    "Metrics",
    "aggregate",
    "aggregate_counts",
    "counts_matrix",
    "counts_row",
    "per_document_metrics",
]

Array = NDArray[np.float64]
FIELDS: tuple[str, ...] = tuple(DocCounts.model_fields)
_IX = {name: i for i, name in enumerate(FIELDS)}
HEADLINE_METRICS = (
    "claim_f1",
    "attributed_f1",
    "speaker_accuracy",
    "grounding_rate",
    "schema_valid_rate",
)


def _col(s: Array, name: str) -> Array:
    return s[..., _IX[name]]


def _ratio(num: Array, den: Array, empty: float | Array) -> Array:
    """num/den, with `empty` where the denominator is zero."""
    out = np.divide(num, den, out=np.zeros_like(num, dtype=float), where=den > 0)
    return np.where(den > 0, out, empty)


def _f1(p: Array, r: Array) -> Array:
    total = p + r
    return np.divide(2 * p * r, total, out=np.zeros_like(total), where=total > 0)


def _metrics_from(
    s: Array, empty_precision: float | Array, empty_recall: float, empty_accuracy: float
) -> dict[str, Array]:
    n_pred, n_req = _col(s, "n_pred"), _col(s, "n_gold_required")
    matched = _col(s, "matched")
    out: dict[str, Array] = {}
    for prefix, tp_pred, tp_gold in (
        ("claim", matched, _col(s, "matched_required")),
        ("attributed", _col(s, "attributed"), _col(s, "attributed_required")),
    ):
        p = _ratio(tp_pred, n_pred, empty_precision)
        r = _ratio(tp_gold, n_req, empty_recall)
        out[f"{prefix}_precision"], out[f"{prefix}_recall"], out[f"{prefix}_f1"] = p, r, _f1(p, r)
    out["speaker_accuracy"] = _ratio(_col(s, "attributed"), matched, empty_accuracy)
    for name in ("speaker_type", "quote_type", "via", "via_innermost", "cue"):
        out[f"{name}_accuracy"] = _ratio(
            _col(s, f"{name}_ok"), _col(s, f"{name}_pairs"), empty_accuracy
        )
    out["grounding_rate"] = _ratio(_col(s, "n_pred_grounded"), n_pred, empty_accuracy)
    return out


def micro_metrics(sums: Array, n_docs: Array) -> dict[str, Array]:
    """Metrics of summed counts; `sums` is (..., fields), `n_docs` the matching doc counts."""
    # An accuracy over no pairs is undefined (NaN -> reported as null, and dropped from
    # the bootstrap samples), not 0: a corpus without quote types has no quote accuracy.
    out = _metrics_from(sums, empty_precision=0.0, empty_recall=1.0, empty_accuracy=np.nan)
    out["schema_valid_rate"] = _ratio(_col(sums, "valid"), n_docs, 0.0)
    out["first_attempt_valid_rate"] = _ratio(_col(sums, "valid_first_attempt"), n_docs, 0.0)
    return out


def per_document_metrics(counts: Array) -> dict[str, Array]:
    """Per-document values (NaN where undefined) used for macro averages and paired tests.

    A document with no predictions has precision 1 when it has no required gold, else 0.
    """
    empty_p = np.where(_col(counts, "n_gold_required") > 0, 0.0, 1.0)
    return _metrics_from(counts, empty_precision=empty_p, empty_recall=1.0, empty_accuracy=np.nan)


_MACRO = (
    "claim_precision",
    "claim_recall",
    "claim_f1",
    "attributed_precision",
    "attributed_recall",
    "attributed_f1",
)
"""Metrics also reported as a mean of per-document values (`<name>_macro`)."""

METRIC_ORDER = (
    *_MACRO,
    "speaker_accuracy",
    "speaker_type_accuracy",
    "quote_type_accuracy",
    "via_accuracy",
    "via_innermost_accuracy",
    "cue_accuracy",
    "grounding_rate",
    "schema_valid_rate",
    "first_attempt_valid_rate",
)
"""The order in which every table (terminal, Markdown, HTML) lists the micro metrics."""


class MetricValue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    value: float | None
    ci_low: float | None
    ci_high: float | None


class Metrics(BaseModel):
    """The `metrics.json` of a run."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    n_docs: int
    metrics: dict[str, MetricValue]
    failures: dict[str, int]
    bootstrap: dict[str, int | float]


def counts_row(score: DocScore) -> list[float]:
    return [float(getattr(score.counts, f)) for f in FIELDS]


def counts_matrix(scores: Sequence[DocScore]) -> Array:
    return np.array([[getattr(s.counts, f) for f in FIELDS] for s in scores], dtype=float).reshape(
        len(scores), len(FIELDS)
    )


def _interval(samples: Array, alpha: float) -> tuple[float | None, float | None]:
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return None, None
    lo, hi = np.quantile(finite, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def _value(x: Array) -> float | None:
    v = float(x)
    return None if np.isnan(v) else round(v, 6)


def aggregate(
    scores: Sequence[DocScore],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_BOOTSTRAP_SEED,
    alpha: float = 0.05,
) -> Metrics:
    """Micro and macro metrics with percentile bootstrap CIs over documents."""
    failures: dict[str, int] = {}
    for s in scores:
        if s.failure is not None:
            failures[s.failure] = failures.get(s.failure, 0) + 1
    return aggregate_counts(
        counts_matrix(scores), failures, resamples=resamples, seed=seed, alpha=alpha
    )


def aggregate_counts(
    counts: Array,
    failures: dict[str, int],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_BOOTSTRAP_SEED,
    alpha: float = 0.05,
) -> Metrics:
    """`aggregate` from the (documents, DocCounts fields) matrix alone: large runs stream
    their scores to disk and keep only these rows."""
    n = counts.shape[0]
    columns = _summed_columns(counts)
    boot_parts = [
        _sum_metrics(weights @ columns, np.full(weights.shape[0], float(n)))
        for weights in iter_bootstrap_weights(n, resamples, seed)
    ]
    boot = {name: np.concatenate([p[name] for p in boot_parts]) for name in boot_parts[0]}
    point = {k: v[0] for k, v in _sum_metrics(np.ones((1, n)) @ columns, np.array([n])).items()}
    table: dict[str, tuple[Array, Array]] = {k: (point[k], boot[k]) for k in point}
    values = {}
    for name, (estimate, samples) in table.items():
        lo, hi = _interval(samples, alpha) if n else (None, None)
        values[name] = MetricValue(
            value=_value(estimate) if n else None,
            ci_low=None if lo is None else round(lo, 6),
            ci_high=None if hi is None else round(hi, 6),
        )
    return Metrics(
        n_docs=n,
        metrics=values,
        failures=dict(sorted(failures.items())),
        bootstrap={"resamples": resamples, "seed": seed, "alpha": alpha},
    )


def _summed_columns(counts: Array) -> Array:
    """(documents, columns): the count fields, then per macro metric its defined per-document
    values (0 where undefined), then whether it is defined (1/0).

    Every replicate's micro sums and macro numerators and denominators are then one product
    `weights @ columns` per chunk of replicates: the weights chunk is read once, not once
    per macro metric, and nothing per document is rebuilt per chunk (that made the
    bootstrap grow faster than the corpus: chunks hold fewer replicates as documents grow).
    """
    per_doc = per_document_metrics(counts)
    values = [per_doc[name] for name in _MACRO]
    defined = [~np.isnan(v) for v in values]
    return np.column_stack(
        [counts, *(np.where(d, v, 0.0) for d, v in zip(defined, values, strict=True))]
        + [d.astype(float) for d in defined]
    )


def _sum_metrics(sums: Array, n_docs: Array) -> dict[str, Array]:
    """Micro and macro metrics of `(replicates, columns)` sums of `_summed_columns`; a
    macro mean over no defined documents is NaN."""
    fields, k = len(FIELDS), len(_MACRO)
    out = micro_metrics(sums[:, :fields], n_docs)
    num, den = sums[:, fields : fields + k], sums[:, fields + k :]
    macro = np.divide(num, den, out=np.full_like(num, np.nan), where=den > 0)
    for i, name in enumerate(_MACRO):
        out[f"{name}_macro"] = macro[:, i]
    return out


MetricFn = Callable[[Array, Array], dict[str, Array]]
