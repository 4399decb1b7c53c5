"""Same seed, same intervals: the bootstrap's values are pinned across refactors.

`tests/data/bootstrap/pinned_metrics.json` was written by the code before the bootstrap
was made linear in the number of documents (one product per chunk of resamples instead
of one per metric); any change to the random stream, the chunking or the formulas shows
here as a changed interval. Corpora are synthetic count rows with empty documents and
documents without pairs, so NaN accuracies and macro values take part.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from harness.scoring.metrics import FIELDS, aggregate_counts

PINNED = Path(__file__).parent / "data" / "bootstrap" / "pinned_metrics.json"
# name -> (documents, resamples, seed): one chunk, many chunks, odd sizes, a single document
CASES: dict[str, tuple[int, int, int]] = {
    "one_doc": (1, 50, 1),
    "small": (7, 300, 11),
    "odd_chunks": (3001, 777, 5),
    "many_chunks": (20000, 2000, 20240601),
}


def pinned_counts(n: int) -> np.ndarray:
    """`n` count rows, consistent enough to exercise every metric and its edge cases."""
    rng = np.random.default_rng(n)
    col = {name: np.zeros(n) for name in FIELDS}
    col["n_pred"] = rng.integers(0, 21, n).astype(float)
    col["n_gold"] = rng.integers(0, 21, n).astype(float)
    col["n_gold_required"] = np.floor(col["n_gold"] * rng.random(n))
    col["n_pred_grounded"] = np.floor(col["n_pred"] * rng.random(n))
    col["matched"] = np.floor(np.minimum(col["n_pred"], col["n_gold"]) * rng.random(n))
    col["matched_required"] = np.minimum(col["matched"], col["n_gold_required"])
    col["attributed"] = np.floor(col["matched"] * rng.random(n))
    col["attributed_required"] = np.minimum(col["attributed"], col["matched_required"])
    for name in ("speaker_type", "quote_type", "via", "cue"):
        pairs = np.floor(col["matched"] * rng.random(n))
        col[f"{name}_pairs"] = pairs
        col[f"{name}_ok"] = np.floor(pairs * rng.random(n))
    col["valid"] = (rng.random(n) > 0.1).astype(float)
    col["valid_first_attempt"] = col["valid"] * (rng.random(n) > 0.3)
    return np.stack([col[name] for name in FIELDS], axis=1)


@pytest.mark.parametrize("name", list(CASES))
def test_intervals_are_the_pinned_ones(name: str) -> None:
    n, resamples, seed = CASES[name]
    expected = json.loads(PINNED.read_text(encoding="utf-8"))[name]
    got = aggregate_counts(pinned_counts(n), {"parse": 1}, resamples=resamples, seed=seed)
    dumped = got.model_dump(mode="json")
    # Metrics added after the file was written are not pinned; every pinned one must be equal.
    assert {name: dumped["metrics"].get(name) for name in expected["metrics"]} == expected[
        "metrics"
    ]
    assert {k: v for k, v in dumped.items() if k != "metrics"} == {
        k: v for k, v in expected.items() if k != "metrics"
    }


def test_pinned_corpora_reach_the_edge_cases() -> None:
    """The pinned values would prove little if no metric were ever undefined."""
    counts = pinned_counts(CASES["many_chunks"][0])
    assert (counts[:, FIELDS.index("n_pred")] == 0).any()
    assert (counts[:, FIELDS.index("matched")] == 0).any()
    assert (counts[:, FIELDS.index("cue_pairs")] == 0).any()
