"""Agreement of a scoring rule with human yes/no judgements: AUC, threshold, kappa.

Pure numpy/scipy. Pairs from one document are correlated (same article, often the same
gold claim), so every interval resamples documents and the threshold is fitted on one
set of documents and judged on another: a threshold tuned and scored on the same pairs
would flatter the matcher.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.stats import rankdata

from harness.annotation.agreement import cohen_kappa
from harness.render.numbers import estimate
from harness.scoring.stats import DEFAULT_BOOTSTRAP_SEED

__all__ = [
    "Interval",
    "auc_with_ci",
    "best_f1_threshold",
    "bool_kappa",
    "doc_bootstrap",
    "held_out",
    "kappa_with_ci",
    "roc_auc",
]

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]
CALIBRATION_RESAMPLES = 1000


@dataclass(frozen=True)
class Interval:
    """An estimate with its 95% interval; printed by `harness.render` like any metric."""

    value: float | None
    ci_low: float | None
    ci_high: float | None

    def __str__(self) -> str:
        return estimate(self)


def roc_auc(scores: Floats, labels: Bools) -> float | None:
    """P(score of a random positive > score of a random negative), ties counted half."""
    positives = int(labels.sum())
    negatives = labels.size - positives
    if positives == 0 or negatives == 0:
        return None
    ranks = rankdata(scores)
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def bool_kappa(a: Bools, b: Bools) -> float | None:
    """Cohen's kappa of two yes/no sequences (the annotation module's definition)."""
    return cohen_kappa([str(x) for x in a], [str(x) for x in b])


def doc_bootstrap(
    statistic: Callable[[NDArray[np.intp]], float | None],
    groups: Sequence[str],
    resamples: int = CALIBRATION_RESAMPLES,
    seed: int = DEFAULT_BOOTSTRAP_SEED,
) -> Interval:
    """`statistic(all pair indices)` with a 95% percentile interval from resampling whole
    documents: each replicate draws documents with replacement and takes all their pairs."""
    point = statistic(np.arange(len(groups)))
    if point is None:
        return Interval(None, None, None)
    keys = np.asarray(groups)
    members = [np.flatnonzero(keys == name) for name in sorted(set(groups))]
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        drawn = rng.integers(0, len(members), size=len(members))
        value = statistic(np.concatenate([members[d] for d in drawn]))
        if value is not None:
            values.append(value)
    if not values:
        return Interval(point, None, None)
    low, high = np.quantile(values, [0.025, 0.975])
    return Interval(point, float(low), float(high))


def auc_with_ci(scores: Floats, labels: Bools, groups: Sequence[str]) -> Interval:
    """ROC AUC with a document-bootstrap interval."""
    return doc_bootstrap(lambda i: roc_auc(scores[i], labels[i]), groups)


def kappa_with_ci(a: Bools, b: Bools, groups: Sequence[str]) -> Interval:
    """Cohen's kappa with a document-bootstrap interval."""
    return doc_bootstrap(lambda i: bool_kappa(a[i], b[i]), groups)


def best_f1_threshold(scores: Floats, labels: Bools) -> float | None:
    """The score cut (inclusive, as scoring uses it) with the highest F1 on these pairs.

    Ties go to the higher cut: of two equally good rules, the stricter one.
    """
    if not labels.any():
        return None
    best, best_f1 = None, -1.0
    for cut in np.unique(scores):
        said_yes = scores >= cut
        true_pos = int((said_yes & labels).sum())
        f1 = 2 * true_pos / (int(said_yes.sum()) + int(labels.sum()))
        if f1 >= best_f1:
            best, best_f1 = float(cut), f1
    return best


def held_out(doc_id: str, salt: str = "calibration") -> bool:
    """Whether a document is in the held-out half (a stable hash: same split every run)."""
    return hashlib.sha256(f"{salt}:{doc_id}".encode()).digest()[0] % 2 == 1
