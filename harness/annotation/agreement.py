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
from dataclasses import dataclass
from pathlib import Path

from harness.claims import GoldDocument, GoldField
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
    n_a = n_b = matched = speakers = cue_pairs = cues = via_pairs = vias = 0
    types_a: list[str] = []
    types_b: list[str] = []
    quotes_a: list[str] = []
    quotes_b: list[str] = []
    for name in common:
        a, b = read_gold_file(dir_a / name), read_gold_file(dir_b / name)
        document = NormalisedDocument((docs_dir / f"{a.doc_id}.txt").read_text(encoding="utf-8"))
        pairs = _pairs(a, b, document, matcher, threshold)
        n_a, n_b, matched = n_a + len(a.claims), n_b + len(b.claims), matched + len(pairs)
        for pair in pairs:
            ca, cb = a.claims[pair.gold], b.claims[pair.predicted]
            speakers += speaker_matches(
                cb.speaker, ca.speaker, ca.speaker_aliases
            ) or speaker_matches(ca.speaker, cb.speaker, cb.speaker_aliases)
            # Fields either side does not annotate (imported corpora) carry placeholders.
            if GoldField.SPEAKER_TYPE not in (*a.unannotated, *b.unannotated):
                types_a.append(ca.speaker_type)
                types_b.append(cb.speaker_type)
            if GoldField.QUOTE_TYPE not in (*a.unannotated, *b.unannotated):
                quotes_a.append(ca.quote_type)
                quotes_b.append(cb.quote_type)
            if GoldField.CUE not in (*a.unannotated, *b.unannotated):
                cue_pairs += 1
                cues += cue_matches(cb.cue, ca.cue)
            if GoldField.VIA not in (*a.unannotated, *b.unannotated):
                via_pairs += 1
                vias += via_matches(cb.via, ca.via)
    return Agreement(
        len(common),
        n_a,
        n_b,
        matched,
        speakers,
        cohen_kappa(types_a, types_b),
        cohen_kappa(quotes_a, quotes_b),
        cue_pairs=cue_pairs,
        cue_agree=cues,
        via_pairs=via_pairs,
        via_agree=vias,
    )
