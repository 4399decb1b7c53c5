"""Metrics as functions of summed per-document columns, for paired comparisons.

Macro metrics are expressed as functions of summed columns too (per-document value and a
"defined" indicator), so one statistic serves the point estimate, the bootstrap and the
permutation test of `compare.py`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from harness.errors import UserInputError
from harness.scoring.document import DocScore
from harness.scoring.metrics import counts_matrix, micro_metrics, per_document_metrics
from harness.scoring.stats import SumStatistic

__all__ = [
    "Array",
    "available_metrics",
    "design",
    "holm",
    "quantiles",
    "rounded",
    "statistic",
]

Array = NDArray[np.float64]
_N_FIELDS = counts_matrix([]).shape[1]
_MICRO: tuple[str, ...] = tuple(micro_metrics(np.zeros(_N_FIELDS), np.array(1.0)))
_PER_DOC: tuple[str, ...] = tuple(per_document_metrics(np.zeros((1, _N_FIELDS))))


def available_metrics() -> tuple[str, ...]:
    return _MICRO + tuple(f"{name}_macro" for name in _PER_DOC)


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values, in the input order (NaN stays NaN, uncounted)."""
    defined = [i for i, p in enumerate(pvalues) if not np.isnan(p)]
    order = sorted(defined, key=lambda i: pvalues[i])
    adjusted = [float("nan")] * len(pvalues)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def design(scores: Sequence[DocScore]) -> Array:
    """Counts, then for each per-document metric its value (0 if undefined) and defined flag."""
    counts = counts_matrix(scores)
    per_doc = per_document_metrics(counts)
    extra = []
    for name in _PER_DOC:
        values = per_doc[name]
        extra += [np.where(np.isnan(values), 0.0, values), (~np.isnan(values)).astype(float)]
    return np.column_stack([counts, *extra]) if scores else np.zeros((0, _N_FIELDS + len(extra)))


def statistic(metric: str) -> SumStatistic:
    if metric in _MICRO:

        def micro(sums: Array, n_docs: Array) -> Array:
            return micro_metrics(sums[..., :_N_FIELDS], n_docs)[metric]

        return micro
    base = metric.removesuffix("_macro")
    if not metric.endswith("_macro") or base not in _PER_DOC:
        raise UserInputError(
            f"--metric: unknown metric {metric!r} (one of {', '.join(available_metrics())})"
        )
    col = _N_FIELDS + 2 * _PER_DOC.index(base)

    def macro(sums: Array, n_docs: Array) -> Array:
        num, den = sums[..., col], sums[..., col + 1]
        out: Array = np.divide(num, den, out=np.full_like(num, np.nan), where=den > 0)
        return out

    return macro


def rounded(x: float) -> float | None:
    return None if np.isnan(x) else round(float(x), 6)


def quantiles(samples: Array, alpha: float) -> tuple[float | None, float | None]:
    finite = samples[np.isfinite(samples)]
    lo, hi = np.quantile(finite, [alpha / 2, 1 - alpha / 2]) if finite.size else (np.nan,) * 2
    return rounded(float(lo)), rounded(float(hi))
