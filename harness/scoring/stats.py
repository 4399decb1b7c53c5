"""Resampling statistics over documents: bootstrap weights, paired intervals and tests.

Documents, not claims, are the unit of resampling: claims within an article are
correlated (same writer, same topic), so resampling claims would give intervals that
are too narrow. A fixed seed makes every interval reproducible.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["DEFAULT_BOOTSTRAP_SEED", "DEFAULT_RESAMPLES", "bootstrap_weights"]

DEFAULT_RESAMPLES = 2000
DEFAULT_BOOTSTRAP_SEED = 20240601


def bootstrap_weights(n_docs: int, resamples: int, seed: int) -> NDArray[np.float64]:
    """(resamples, n_docs) multiplicities: row b says how often each doc is drawn in replicate b.

    Weighted sums with these rows equal sums over resampled documents, so a whole
    bootstrap is one matrix product instead of `resamples` Python loops.
    """
    if n_docs == 0:
        return np.zeros((resamples, 0))
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n_docs, np.full(n_docs, 1.0 / n_docs), size=resamples)
    return draws.astype(np.float64)
