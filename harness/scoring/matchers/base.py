"""The matcher seam: (predicted claims, gold claims, document) -> similarity matrix.

Whether a predicted claim "is" a gold claim decides every number the harness prints, so
the rule is a replaceable part. A matcher only scores pairs; the assignment (Hungarian
one-to-one, or many-to-one) and the threshold stay in `harness.scoring.matching` and
`ScoringConfig`, so switching matcher never changes how scores become counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from harness.scoring.grounding import NormalisedDocument
from harness.scoring.matching import ClaimView

__all__ = ["Matcher", "Similarity"]

Similarity = NDArray[np.float64]
"""A (predicted, gold) array of similarities in [0, 1]; higher means more alike."""


class Matcher(Protocol):
    """Scores every (predicted, gold) pair of one document."""

    @property
    def name(self) -> str: ...

    def similarity(
        self,
        predicted: Sequence[ClaimView],
        gold: Sequence[ClaimView],
        document: NormalisedDocument,
    ) -> Similarity: ...
