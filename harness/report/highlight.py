"""Evidence spans in the *raw* document text, and the text cut into highlighted segments.

Grounding (`harness.scoring.grounding.ground`) returns offsets in the normalised text.
`TextMap` rebuilds the normalisation one character cluster at a time, remembering where
each normalised character came from, so the very span the scorer found (exact or fuzzy)
is highlighted in the original text. If the rebuilt text differs from `normalise(raw)`
(an exotic Unicode composition across clusters), it falls back to a case-insensitive,
whitespace-, quote- and dash-tolerant regex search of the evidence in the raw text.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from harness.scoring.grounding import NormalisedDocument, ground
from harness.scoring.text import normalise

__all__ = ["Segment", "TextMap", "evidence_spans", "locate", "segments"]

_QUOTES = "'\u2018\u2019\u201a\u201b\u2032`"
_DQUOTES = '"\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb'
_DASHES = "-\u2013\u2014\u2012\u2212"


def _clusters(raw: str) -> list[tuple[int, int]]:
    """(start, end) of each base character with its combining marks."""
    out: list[tuple[int, int]] = []
    for i, ch in enumerate(raw):
        if out and unicodedata.combining(ch):
            out[-1] = (out[-1][0], i + 1)
        else:
            out.append((i, i + 1))
    return out


class TextMap:
    """Normalised-text offsets -> raw-text offsets for one document."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.document = NormalisedDocument(raw)
        chars: list[str] = []
        origin: list[tuple[int, int]] = []
        pending_space: tuple[int, int] | None = None
        for start, end in _clusters(raw):
            piece = raw[start:end]
            if piece.isspace():
                if chars and pending_space is None:
                    pending_space = (start, end)
                continue
            folded = normalise(piece)
            if not folded:
                continue  # deleted (soft hyphen)
            if pending_space is not None:
                chars.append(" ")
                origin.append(pending_space)
                pending_space = None
            chars.extend(folded)
            origin.extend([(start, end)] * len(folded))
        self.origin = origin
        self.ok = "".join(chars) == self.document.text

    def to_raw(self, start: int, end: int) -> tuple[int, int] | None:
        if not self.ok or not 0 <= start < end <= len(self.origin):
            return None
        return self.origin[start][0], self.origin[end - 1][1]


def _pattern(evidence: str) -> re.Pattern[str] | None:
    words = evidence.split()
    if not words:
        return None
    parts = []
    for word in words:
        out = []
        for ch in word:
            if ch in _QUOTES:
                out.append(f"[{re.escape(_QUOTES)}]")
            elif ch in _DQUOTES:
                out.append(f"[{re.escape(_DQUOTES)}]")
            elif ch in _DASHES:
                out.append(f"[{re.escape(_DASHES)}]")
            elif ch == "\u00ad":
                continue
            else:
                out.append(re.escape(ch) + "\u00ad?")
        parts.append("".join(out))
    return re.compile(r"\s+".join(parts), re.IGNORECASE)


def locate(evidence: str, text: TextMap, threshold: float) -> tuple[int, int] | None:
    """Raw-text span of `evidence` as the scorer grounds it, or None if not in the text."""
    found = ground(evidence, text.document, threshold)
    if not found.found:
        return None
    span = text.to_raw(found.start, found.end)
    if span is not None:
        return span
    pattern = _pattern(evidence)
    match = pattern.search(text.raw) if pattern else None
    return (match.start(), match.end()) if match else None


def evidence_spans(
    evidences: Sequence[str], text: TextMap, threshold: float, skip: frozenset[int] = frozenset()
) -> dict[int, tuple[int, int]]:
    """Raw-text span of every evidence that grounds (index -> span); indices in `skip`
    (evidence the scorer found ungrounded) are left out so a highlight never contradicts it."""
    spans = {}
    for i, evidence in enumerate(evidences):
        if i not in skip and (span := locate(evidence, text, threshold)) is not None:
            spans[i] = span
    return spans


@dataclass(frozen=True)
class Segment:
    text: str
    gold: tuple[int, ...]
    predicted: tuple[int, ...]

    @property
    def css(self) -> str:
        if self.gold and self.predicted:
            return "hl-both"
        return "hl-gold" if self.gold else "hl-pred" if self.predicted else ""

    @property
    def title(self) -> str:
        parts = [f"gold G{i + 1}" for i in self.gold] + [
            f"predicted P{i + 1}" for i in self.predicted
        ]
        return ", ".join(parts)


def segments(
    raw: str,
    gold_spans: Sequence[tuple[int, tuple[int, int]]],
    pred_spans: Sequence[tuple[int, tuple[int, int]]],
) -> list[Segment]:
    """Cut `raw` at every span boundary; each piece knows which gold/predicted claims cover it."""
    cuts = {0, len(raw)}
    for _, (start, end) in (*gold_spans, *pred_spans):
        cuts.update((max(0, start), min(len(raw), end)))
    bounds = sorted(cuts)
    out = []
    for start, end in itertools.pairwise(bounds):
        if start >= end:
            continue
        gold = tuple(i for i, (s, e) in gold_spans if s <= start and end <= e)
        pred = tuple(i for i, (s, e) in pred_spans if s <= start and end <= e)
        out.append(Segment(raw[start:end], gold, pred))
    return out
