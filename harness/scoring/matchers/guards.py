"""Guards: a pair whose numbers, dates, negation or hedging differ is not the same claim.

Every similarity (lexical or embedding) rates "5 people died" and "50 people died" as
near-identical, yet a fact-checker would never accept one for the other. A guard looks
only at these four features of the two statements and, on a conflict, sets the pair's
similarity to 0; any matcher can be wrapped (`--matcher embedding+guards`).

Conflict rules (deliberately conservative, so a split claim is not punished):

- numbers (digits, number words, scale words such as "million"): both statements have
  some and neither set contains the other ("5 died" vs "5 died, 10 hurt" is fine);
- dates (month and weekday names, yesterday/today/tomorrow): same subset rule; years are
  numbers;
- negation (not, n't, no, never, nobody, nothing, none, neither, nor, without, deny...):
  one statement is negated and the other is not;
- hedges (may, might, could, possibly, reportedly, allegedly, likely, ...): one statement
  is hedged and the other is not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from harness.scoring.grounding import NormalisedDocument
from harness.scoring.matchers.base import Matcher, Similarity
from harness.scoring.matching import ClaimView
from harness.scoring.text import normalise

__all__ = ["Features", "GuardedMatcher", "conflict", "features"]

_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
} | {"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70"}
_NUMBER_WORDS |= {"eighty": "80", "ninety": "90", "dozen": "12", "half": "0.5"}
_SCALES = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_DATE_WORDS = {
    *_MONTHS,
    *["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
    "yesterday",
    "today",
    "tomorrow",
}
_NEGATIONS = {
    *["not", "no", "never", "nobody", "nothing", "none", "neither", "nor", "without", "cannot"],
    *["deny", "denies", "denied", "denying", "refuse", "refuses", "refused"],
}
_HEDGES = {
    *[
        "may",
        "might",
        "could",
        "possibly",
        "possible",
        "probably",
        "likely",
        "unlikely",
        "perhaps",
        "maybe",
    ],
    *["reportedly", "allegedly", "alleged", "apparently", "suspected", "unconfirmed"],
    *["believe", "believes", "believed"],
}
_NUMBER_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[a-z]+")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


@dataclass(frozen=True, slots=True)
class Features:
    numbers: frozenset[str]
    dates: frozenset[str]
    negated: bool
    hedged: bool


@lru_cache(maxsize=100_000)
def features(statement: str) -> Features:
    """What the guards compare, from the normalised statement."""
    text = normalise(statement)
    words = _WORD.findall(text)
    numbers = _numbers(text)
    # "May" is a month only before a day number ("may 5") or after "in" ("in may").
    dates = {
        w
        for i, w in enumerate(words)
        if w in _DATE_WORDS and (w != "may" or (i > 0 and words[i - 1] == "in"))
    }
    if re.search(r"\bmay \d", text):
        dates.add("may")
    negated = any(w in _NEGATIONS or w.endswith("n't") for w in words)
    modal_may = "may" in words and "may" not in dates
    hedged = modal_may or any(w in _HEDGES and w != "may" for w in words)
    return Features(frozenset(numbers), frozenset(dates), negated, hedged)


def _numbers(text: str) -> set[str]:
    """Numbers as values: "185,000" = "185 thousand" = "185000"; "five" = "5"; a scale word
    with no number before it ("millions of") is kept as the word; "percent" is ignored."""
    found: set[str] = set()
    previous: float | None = None
    for token in _NUMBER_TOKEN.findall(text):
        token = token[:-1] if token[:-1] in _SCALES and token.endswith("s") else token
        if token in _SCALES:
            if previous is None:
                found.add(token)
            else:
                found.discard(_value(previous))
                found.add(_value(previous * _SCALES[token]))
            previous = None
            continue
        previous = _as_number(token)
        if previous is not None:
            found.add(_value(previous))
        elif token[0].isdigit():
            found.add(token)
    return found


def _as_number(token: str) -> float | None:
    if token[0].isdigit():
        try:
            return float(token.replace(",", ""))
        except ValueError:  # "1.2.3": a version or a date, compared as written (caller)
            return None
    word = _NUMBER_WORDS.get(token)
    return None if word is None else float(word)


def _value(number: float) -> str:
    return f"{number:.6f}".rstrip("0").rstrip(".")


def _incompatible(a: frozenset[str], b: frozenset[str]) -> bool:
    return bool(a) and bool(b) and not (a <= b or b <= a)


def conflict(a: str, b: str) -> str | None:
    """The first guard two statements trip ("numbers", "dates", "negation", "hedge")."""
    fa, fb = features(a), features(b)
    if _incompatible(fa.numbers, fb.numbers):
        return "numbers"
    if _incompatible(fa.dates, fb.dates):
        return "dates"
    if fa.negated != fb.negated:
        return "negation"
    if fa.hedged != fb.hedged:
        return "hedge"
    return None


@dataclass(frozen=True)
class GuardedMatcher:
    """Another matcher, with every guarded pair's similarity set to 0."""

    inner: Matcher

    @property
    def name(self) -> str:
        return f"{self.inner.name}+guards"

    def similarity(
        self,
        predicted: Sequence[ClaimView],
        gold: Sequence[ClaimView],
        document: NormalisedDocument,
    ) -> Similarity:
        scores = np.array(self.inner.similarity(predicted, gold, document), dtype=float)
        for i, p in enumerate(predicted):
            for j, g in enumerate(gold):
                if scores[i, j] > 0 and conflict(p.statement, g.statement) is not None:
                    scores[i, j] = 0.0
        return scores
