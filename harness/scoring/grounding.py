"""Ground a claim's evidence in its document: where does the quoted passage occur?

A prediction whose evidence is not in the article is an invented quote, the failure that
fact-checkers fear most. Grounding is exact after normalisation, else fuzzy (the best
aligned substring, via rapidfuzz) above a threshold. The span found is what matching
compares, so paraphrased statements still match when they cite the same passage.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz import fuzz

from harness.scoring.text import normalise

__all__ = ["DEFAULT_FUZZY_THRESHOLD", "Grounding", "GroundingKind", "NormalisedDocument", "ground"]

DEFAULT_FUZZY_THRESHOLD = 90.0
_MIN_FUZZY_CHARS = 12


class GroundingKind(StrEnum):
    EXACT = "exact"
    FUZZY = "fuzzy"
    NOT_FOUND = "not_found"


@dataclass(frozen=True, slots=True)
class Grounding:
    """Where the evidence sits in the normalised document text; `start`/`end` are -1 if absent."""

    kind: GroundingKind
    start: int
    end: int
    score: float

    @property
    def found(self) -> bool:
        return self.kind is not GroundingKind.NOT_FOUND


_NOT_FOUND = Grounding(GroundingKind.NOT_FOUND, -1, -1, 0.0)


class NormalisedDocument:
    """A document's text normalised once, so every claim in it is grounded cheaply."""

    __slots__ = ("text",)

    def __init__(self, raw_text: str) -> None:
        self.text = normalise(raw_text)


def ground(
    evidence: str, document: NormalisedDocument, threshold: float = DEFAULT_FUZZY_THRESHOLD
) -> Grounding:
    """Locate `evidence` in `document`: exact match first, then the best fuzzy alignment."""
    needle = normalise(evidence)
    if not needle:
        return _NOT_FOUND
    start = document.text.find(needle)
    if start >= 0:
        return Grounding(GroundingKind.EXACT, start, start + len(needle), 100.0)
    if len(needle) < _MIN_FUZZY_CHARS:
        return _NOT_FOUND
    if len(needle) > len(document.text):
        # partial_ratio would align the *document* inside the evidence and score 100 for
        # "whole document + invented text"; compare the two whole strings instead.
        score = fuzz.ratio(needle, document.text, score_cutoff=threshold)
        if not score:
            return _NOT_FOUND
        return Grounding(GroundingKind.FUZZY, 0, len(document.text), score)
    alignment = fuzz.partial_ratio_alignment(needle, document.text, score_cutoff=threshold)
    if alignment is None:
        return _NOT_FOUND
    return Grounding(GroundingKind.FUZZY, alignment.dest_start, alignment.dest_end, alignment.score)
