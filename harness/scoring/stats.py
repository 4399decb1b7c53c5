"""Resampling statistics over documents: bootstrap weights, paired intervals and tests.

Documents, not claims, are the unit of resampling: claims within an article are
correlated (same writer, same topic), so resampling claims would give intervals that
are too narrow. A fixed seed makes every interval reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
from numpy.typing import NDArray

from harness.resampling import DEFAULT_BOOTSTRAP_SEED, DEFAULT_RESAMPLES

__all__ = [
    "DEFAULT_BOOTSTRAP_SEED",
    "DEFAULT_RESAMPLES",
    "SumStatistic",
    "bootstrap_weights",
    "paired_bootstrap_deltas",
    "paired_permutation_pvalue",
]


_CHUNK_CELLS = 1_000_000  # ~8 MB per array per chunk, whatever the corpus size


def iter_bootstrap_weights(
    n_docs: int, resamples: int, seed: int, chunk_rows: int | None = None
) -> Iterator[NDArray[np.float64]]:
    """The rows of `bootstrap_weights`, `chunk_rows` at a time.

    Each replicate draws `n_docs` document indices uniformly with replacement and counts
    them (one `bincount` per chunk: several times faster than `multinomial`). Chunks hold
    about a million cells, so memory stays flat however many documents; the values do not
    depend on the chunking (the generator's stream is consumed in the same order).
    """
    rng = np.random.default_rng(seed)
    chunk_rows = chunk_rows or max(1, min(250, _CHUNK_CELLS // max(n_docs, 1)))
    for start in range(0, resamples, chunk_rows):
        rows = min(chunk_rows, resamples - start)
        if n_docs == 0:
            yield np.zeros((rows, 0))
            continue
        drawn = rng.integers(0, n_docs, size=(rows, n_docs))
        drawn += np.arange(rows)[:, None] * n_docs
        counts = np.bincount(drawn.ravel(), minlength=rows * n_docs)
        yield counts.reshape(rows, n_docs).astype(np.float64)


def bootstrap_weights(n_docs: int, resamples: int, seed: int) -> NDArray[np.float64]:
    """(resamples, n_docs) multiplicities: row b says how often each doc is drawn in replicate b.

    Weighted sums with these rows equal sums over resampled documents, so a whole
    bootstrap is one matrix product instead of `resamples` Python loops. Identical to the
    concatenated chunks of `iter_bootstrap_weights` (same seed, same values).
    """
    chunks = list(iter_bootstrap_weights(n_docs, resamples, seed))
    return np.concatenate(chunks) if chunks else np.zeros((0, n_docs))


SumStatistic = Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]]
"""statistic(sums, n_docs): a metric of count sums `(..., fields)` over `n_docs` `(...)`."""


def paired_bootstrap_deltas(
    counts_a: NDArray[np.float64],
    counts_b: NDArray[np.float64],
    statistic: SumStatistic,
    resamples: int,
    seed: int,
) -> NDArray[np.float64]:
    """Replicates of statistic(B) - statistic(A) over the same resampled documents.

    `counts_a` and `counts_b` are (n_docs, fields) with row i the same document in both
    runs; replicate b draws the documents once (`bootstrap_weights`) and applies the same
    multiplicities to both runs, so the document-to-document variation cancels.
    """
    if counts_a.shape != counts_b.shape:
        raise ValueError(f"paired counts differ in shape: {counts_a.shape} vs {counts_b.shape}")
    weights = bootstrap_weights(counts_a.shape[0], resamples, seed)
    n_docs = weights.sum(axis=1)
    deltas: NDArray[np.float64] = statistic(weights @ counts_b, n_docs) - statistic(
        weights @ counts_a, n_docs
    )
    return deltas


def paired_permutation_pvalue(
    counts_a: NDArray[np.float64],
    counts_b: NDArray[np.float64],
    statistic: SumStatistic,
    resamples: int,
    seed: int,
) -> float:
    """Two-sided p-value of a paired randomisation test of statistic(B) - statistic(A).

    Under the null the two runs are exchangeable within each document, so each replicate
    swaps every document's A and B counts with probability 1/2 and recomputes the delta;
    p = (1 + #{|delta*| >= |delta_obs|}) / (1 + R). Replicates with an undefined delta
    (NaN) are dropped from both counts; an undefined observed delta gives NaN.
    """
    if counts_a.shape != counts_b.shape:
        raise ValueError(f"paired counts differ in shape: {counts_a.shape} vs {counts_b.shape}")
    n = counts_a.shape[0]
    n_docs = np.full(resamples, float(n))
    observed = float(
        statistic(counts_b.sum(axis=0), np.array(float(n)))
        - statistic(counts_a.sum(axis=0), np.array(float(n)))
    )
    if np.isnan(observed):
        return float("nan")
    rng = np.random.default_rng(seed)
    swap = rng.integers(0, 2, size=(resamples, n)).astype(np.float64)
    keep = 1.0 - swap
    deltas = statistic(swap @ counts_a + keep @ counts_b, n_docs) - statistic(
        keep @ counts_a + swap @ counts_b, n_docs
    )
    defined = deltas[~np.isnan(deltas)]
    # A relative tolerance, so a replicate equal to the observed delta up to rounding counts.
    extreme = np.abs(defined) >= abs(observed) - 1e-9 * max(1.0, abs(observed))
    return float((1 + int(extreme.sum())) / (1 + defined.size))
