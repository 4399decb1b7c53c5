"""`lexical`: today's rule (0.75 x evidence-span Dice + 0.25 x statement token F1).

A thin adapter over `harness.scoring.matching.similarity_matrix`, which stays the one
definition of the rule, so scores with this matcher are byte-identical to the scores
written before matchers were pluggable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harness.scoring.grounding import NormalisedDocument
from harness.scoring.matchers.base import Similarity
from harness.scoring.matching import ClaimView, similarity_matrix

__all__ = ["LexicalMatcher"]


@dataclass(frozen=True)
class LexicalMatcher:
    name: str = "lexical"

    def similarity(
        self,
        predicted: Sequence[ClaimView],
        gold: Sequence[ClaimView],
        document: NormalisedDocument,
    ) -> Similarity:
        return similarity_matrix(list(predicted), list(gold))
