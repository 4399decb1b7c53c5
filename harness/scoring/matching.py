"""One-to-one matching of predicted to gold claims within a document.

Similarity of a (predicted, gold) pair:

* both evidences grounded: ``w * span_f1 + (1 - w) * statement_f1`` with ``w = 0.75``, where
  span_f1 is the character-overlap F1 of the two grounded spans (2|A∩B| / (|A|+|B|)) and
  statement_f1 the token F1 of the two statements. Evidence dominates because it is
  verifiable; the statement term separates two claims drawn from the same sentence.
* otherwise: statement_f1 alone.

Pairs below the threshold are inadmissible: their similarity is set to 0 before the
assignment maximising total similarity is found with the Hungarian algorithm (scipy's
linear_sum_assignment), so two sub-threshold pairs can never outbid one admissible pair;
pairs still below the threshold are discarded afterwards.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

from harness.scoring.grounding import Grounding
from harness.scoring.text import tokens

Array: TypeAlias = NDArray[np.float64]

__all__ = [
    "DEFAULT_MATCH_THRESHOLD",
    "EVIDENCE_WEIGHT",
    "ClaimView",
    "Match",
    "assign",
    "assign_many_to_one",
    "match_claims",
    "similarity",
    "similarity_matrix",
    "span_f1",
    "token_f1",
]

DEFAULT_MATCH_THRESHOLD = 0.5
EVIDENCE_WEIGHT = 0.75


@dataclass(frozen=True, slots=True)
class ClaimView:
    """What matching needs from a claim: its grounded evidence and its statement's tokens.

    The tokens are found once per claim, not once per (predicted, gold) pair: matching
    compares every pair, and re-tokenising dominated scoring time.
    """

    grounding: Grounding
    statement_tokens: tuple[str, ...]
    statement: str = field(default="", compare=False)  # raw text, for non-lexical matchers

    @classmethod
    def of(cls, grounding: Grounding, statement: str) -> ClaimView:
        return cls(grounding, tuple(tokens(statement)), statement)


@dataclass(frozen=True, slots=True)
class Match:
    predicted: int
    gold: int
    similarity: float


def span_f1(a: Grounding, b: Grounding) -> float:
    """Character-overlap F1 of two grounded spans; 0 when either is not grounded."""
    if not (a.found and b.found):
        return 0.0
    overlap = max(0, min(a.end, b.end) - max(a.start, b.start))
    total = (a.end - a.start) + (b.end - b.start)
    return 2 * overlap / total if total else 0.0


def token_f1(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Bag-of-words F1 between two token sequences."""
    return _counts_f1(Counter(a), len(a), Counter(b), len(b))


def _counts_f1(a: Counter[str], len_a: int, b: Counter[str], len_b: int) -> float:
    if not len_a or not len_b:
        return 0.0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    common = sum(min(n, large[token]) for token, n in small.items() if token in large)
    # F1 of bags: 2PR/(P+R) with P = common/len_a, R = common/len_b simplifies to this.
    return 2 * common / (len_a + len_b)


def similarity(predicted: ClaimView, gold: ClaimView) -> float:
    statement = token_f1(predicted.statement_tokens, gold.statement_tokens)
    if predicted.grounding.found and gold.grounding.found:
        span = span_f1(predicted.grounding, gold.grounding)
        return EVIDENCE_WEIGHT * span + (1 - EVIDENCE_WEIGHT) * statement
    return statement


def _span_f1_matrix(
    predicted: list[ClaimView], gold: list[ClaimView]
) -> tuple[Array, NDArray[np.bool_]]:
    """`span_f1` of every pair, and whether both sides of the pair are grounded."""
    p, g = _spans(predicted), _spans(gold)
    ps, pe, gs, ge = p[:, 0], p[:, 1], g[:, 0], g[:, 1]
    overlap = np.clip(
        np.minimum(pe[:, None], ge[None, :]) - np.maximum(ps[:, None], gs[None, :]), 0, None
    )
    total = (pe - ps)[:, None] + (ge - gs)[None, :]
    grounded = (p[:, 2] > 0)[:, None] & (g[:, 2] > 0)[None, :]
    span: Array = np.divide(
        2 * overlap, total, out=np.zeros(overlap.shape), where=grounded & (total > 0)
    )
    return span, grounded


def _spans(views: list[ClaimView]) -> NDArray[np.int64]:
    """(claims, 3) array of start, end, found."""
    rows = [(v.grounding.start, v.grounding.end, v.grounding.found) for v in views]
    return np.array(rows, dtype=np.int64).reshape(len(views), 3)


def _token_f1_matrix(predicted: list[ClaimView], gold: list[ClaimView]) -> Array:
    """`token_f1` of every pair. Only tokens on both sides can be in common, so the count
    matrices span just those (a few words), built by one bincount, not per token."""
    shared = {t for v in predicted for t in v.statement_tokens}
    shared &= {t for v in gold for t in v.statement_tokens}
    column = {token: i for i, token in enumerate(shared)}
    common = np.zeros((len(predicted), len(gold)))
    if column:
        pc, gc = _shared_counts(predicted, column), _shared_counts(gold, column)
        # sum over tokens of min(a, b) = sum over k >= 1 of [a >= k][b >= k]: one product
        # of 0/1 matrices per repeat level (a token seldom occurs twice in a statement).
        # Sums of small integers, so exact in float64.
        for k in range(1, int(min(pc.max(), gc.max())) + 1):
            common += (pc >= k).astype(np.float64) @ (gc >= k).astype(np.float64).T
    pl = np.array([len(v.statement_tokens) for v in predicted])
    gl = np.array([len(v.statement_tokens) for v in gold])
    nonempty = (pl > 0)[:, None] & (gl > 0)[None, :]
    lengths = pl[:, None] + gl[None, :]
    statement: Array = np.divide(2 * common, lengths, out=np.zeros(common.shape), where=nonempty)
    return statement


def _shared_counts(views: list[ClaimView], column: dict[str, int]) -> NDArray[np.int64]:
    """(claims, shared tokens) occurrence counts."""
    cells = [
        row * len(column) + column[t]
        for row, view in enumerate(views)
        for t in view.statement_tokens
        if t in column
    ]
    counts = np.bincount(cells, minlength=len(views) * len(column))
    return counts.reshape(len(views), len(column))


def similarity_matrix(predicted: list[ClaimView], gold: list[ClaimView]) -> Array:
    """`similarity` for every (predicted, gold) pair at once, as a (P, G) array.

    Same formula as `similarity`, vectorised: scoring compares every pair, and the
    per-pair Python version dominated the cost of scoring a document. Counts are exact
    integers, so the values are bit-identical to the per-pair formula's.
    """
    span, grounded = _span_f1_matrix(predicted, gold)
    statement = _token_f1_matrix(predicted, gold)
    result: Array = np.where(
        grounded, EVIDENCE_WEIGHT * span + (1 - EVIDENCE_WEIGHT) * statement, statement
    )
    return result


def match_claims(
    predicted: list[ClaimView], gold: list[ClaimView], threshold: float = DEFAULT_MATCH_THRESHOLD
) -> list[Match]:
    """Best one-to-one assignment; only pairs with similarity >= threshold are kept."""
    if not predicted or not gold:
        return []
    return assign(similarity_matrix(predicted, gold), threshold)


def assign(scores: NDArray[np.float64], threshold: float) -> list[Match]:
    """Best one-to-one assignment of a (predicted, gold) similarity matrix from any matcher."""
    if scores.size == 0:
        return []
    from scipy.optimize import linear_sum_assignment  # slow to import; only scoring needs it

    admissible = np.where(scores >= threshold, scores, 0.0)
    rows, cols = linear_sum_assignment(admissible, maximize=True)
    return [
        Match(int(r), int(c), float(scores[r, c]))
        for r, c in zip(rows, cols, strict=True)
        if scores[r, c] >= threshold
    ]


def assign_many_to_one(scores: NDArray[np.float64], threshold: float) -> list[Match]:
    """Every claim, predicted or gold, paired with its most similar counterpart when that
    similarity is >= threshold; a claim may be the best match of several others.

    This is "found in the other set" in both directions (FEVERFact's Focus and Coverage):
    a model that splits one gold claim in two has both halves found, and the gold claim is
    found once (scoring counts distinct claims on each side, see docs/metrics.md)."""
    if scores.size == 0:
        return []
    best_gold, best_predicted = scores.argmax(axis=1), scores.argmax(axis=0)
    pairs = {(i, int(j)) for i, j in enumerate(best_gold)} | {
        (int(i), j) for j, i in enumerate(best_predicted)
    }
    return [Match(i, j, float(scores[i, j])) for i, j in sorted(pairs) if scores[i, j] >= threshold]
