"""Agreement between two annotations of the same documents, with a scoring matcher.

Claims pair up as in scoring: the chosen matcher's similarity (lexical unless told),
Hungarian one-to-one at the threshold; annotation B plays the predictions, A the gold.

Claim F1 is symmetric (2·matched / (n_a + n_b)); speaker agreement counts matched pairs
whose speakers match under either side's aliases; cue agreement, matched pairs whose cues
match under the scoring rule; via agreement, matched pairs with the same reporting chain;
Cohen's kappa corrects speaker_type and quote_type agreement on matched pairs for chance.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from harness.claims import GoldClaim, GoldDocument, GoldField
from harness.corpus import read_gold_file
from harness.errors import UserInputError
from harness.scoring.grounding import NormalisedDocument, ground
from harness.scoring.matchers import Matcher
from harness.scoring.matchers.lexical import LexicalMatcher
from harness.scoring.matching import DEFAULT_MATCH_THRESHOLD, ClaimView, Match, assign
from harness.scoring.speakers import cue_matches, speaker_matches, via_matches

__all__ = ["Agreement", "agree", "cohen_kappa"]


def cohen_kappa(a: list[str], b: list[str]) -> float | None:
    """Cohen's kappa of two label sequences; None when undefined (no pairs)."""
    n = len(a)
    if n == 0:
        return None
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    count_a, count_b = Counter(a), Counter(b)
    expected = sum(count_a[label] * count_b[label] for label in count_a) / (n * n)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


@dataclass(frozen=True)
class Agreement:
    documents: int
    claims_a: int
    claims_b: int
    matched: int
    speaker_agree: int
    speaker_type_kappa: float | None
    quote_type_kappa: float | None
    cue_pairs: int = 0
    cue_agree: int = 0
    via_pairs: int = 0
    via_agree: int = 0

    @property
    def claim_f1(self) -> float:
        total = self.claims_a + self.claims_b
        return 2 * self.matched / total if total else 1.0

    @property
    def speaker_agreement(self) -> float | None:
        return self.speaker_agree / self.matched if self.matched else None

    @property
    def cue_agreement(self) -> float | None:
        return self.cue_agree / self.cue_pairs if self.cue_pairs else None

    @property
    def via_agreement(self) -> float | None:
        return self.via_agree / self.via_pairs if self.via_pairs else None


def _views(gold: GoldDocument, document: NormalisedDocument) -> list[ClaimView]:
    return [ClaimView.of(ground(c.evidence, document), c.statement) for c in gold.claims]


def _pairs(
    a: GoldDocument, b: GoldDocument, document: NormalisedDocument, matcher: Matcher, cut: float
) -> list[Match]:
    views_a, views_b = _views(a, document), _views(b, document)
    if not views_a or not views_b:
        return []
    return assign(matcher.similarity(views_b, views_a, document), cut)


@dataclass
class _Counts:
    """What two annotators agree on, summed over the matched claim pairs of every file."""

    speakers: int = 0
    cue_pairs: int = 0
    cues: int = 0
    via_pairs: int = 0
    vias: int = 0
    types: tuple[list[str], list[str]] = field(default_factory=lambda: ([], []))
    quotes: tuple[list[str], list[str]] = field(default_factory=lambda: ([], []))

    def add(self, a: GoldDocument, b: GoldDocument, ca: GoldClaim, cb: GoldClaim) -> None:
        self.speakers += speaker_matches(
            cb.speaker, ca.speaker, ca.speaker_aliases
        ) or speaker_matches(ca.speaker, cb.speaker, cb.speaker_aliases)
        skipped = {*a.unannotated, *b.unannotated}  # imported corpora carry placeholders
        if GoldField.SPEAKER_TYPE not in skipped:
            self.types[0].append(ca.speaker_type)
            self.types[1].append(cb.speaker_type)
        if GoldField.QUOTE_TYPE not in skipped:
            self.quotes[0].append(ca.quote_type)
            self.quotes[1].append(cb.quote_type)
        if GoldField.CUE not in skipped:
            self.cue_pairs += 1
            self.cues += cue_matches(cb.cue, ca.cue)
        if GoldField.VIA not in skipped:
            self.via_pairs += 1
            self.vias += via_matches(cb.via, ca.via)


def agree(
    dir_a: Path,
    dir_b: Path,
    docs_dir: Path,
    threshold: float = DEFAULT_MATCH_THRESHOLD,
    matcher: Matcher | None = None,
) -> Agreement:
    """`matcher`: any matcher (`harness.judges.open_matcher` builds one by name); None
    is the lexical rule."""
    matcher = matcher or LexicalMatcher()
    common = sorted({p.name for p in dir_a.glob("*.json")} & {p.name for p in dir_b.glob("*.json")})
    if not common:
        raise UserInputError(f"{dir_a} and {dir_b}: no gold file names in common")
    n_a = n_b = matched = 0
    counts = _Counts()
    for name in common:
        a, b = read_gold_file(dir_a / name), read_gold_file(dir_b / name)
        document = NormalisedDocument((docs_dir / f"{a.doc_id}.txt").read_text(encoding="utf-8"))
        pairs = _pairs(a, b, document, matcher, threshold)
        n_a, n_b, matched = n_a + len(a.claims), n_b + len(b.claims), matched + len(pairs)
        for pair in pairs:
            counts.add(a, b, a.claims[pair.gold], b.claims[pair.predicted])
    return Agreement(
        len(common),
        n_a,
        n_b,
        matched,
        counts.speakers,
        cohen_kappa(*counts.types),
        cohen_kappa(*counts.quotes),
        cue_pairs=counts.cue_pairs,
        cue_agree=counts.cues,
        via_pairs=counts.via_pairs,
        via_agree=counts.vias,
    )
