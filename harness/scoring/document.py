"""Score one document: ground every claim, match predictions to gold, check attribution.

The result (`DocScore`) keeps the matched pairs, the missed gold claims, the unmatched
predictions and the ungrounded evidence, so a report can show *why* a document scored as
it did, and the counts from which every corpus metric is computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Self

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator

from harness.claims import GoldField
from harness.errors import UserInputError
from harness.scoring.grounding import DEFAULT_FUZZY_THRESHOLD, NormalisedDocument, ground
from harness.scoring.matchers import Matcher, get_matcher
from harness.scoring.matching import (
    DEFAULT_MATCH_THRESHOLD,
    ClaimView,
    Match,
    assign,
    assign_many_to_one,
)
from harness.scoring.packed import Scorable, ScorableGold
from harness.scoring.speakers import (
    cue_matches,
    speaker_matches,
    via_innermost_matches,
    via_matches,
)
from harness.scoring_names import (
    DEFAULT_ASSIGNMENT,
    DEFAULT_MATCHER,
    Assignment,
    JudgeSettings,
    MatcherName,
    is_judge,
)

__all__ = [
    "Assignment",
    "DocCounts",
    "DocScore",
    "MatchedPair",
    "ScoringConfig",
    "score_document",
]


class ScoringConfig(BaseModel):
    """Everything that changes scores (thresholds, matcher, assignment); stored in every run
    so re-scoring is reproducible."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    match_threshold: float = DEFAULT_MATCH_THRESHOLD
    fuzzy_threshold: float = DEFAULT_FUZZY_THRESHOLD
    matcher: MatcherName = DEFAULT_MATCHER
    assignment: Assignment = DEFAULT_ASSIGNMENT
    judge: JudgeSettings | None = None  # the judge's endpoint, for a `judge` matcher only

    @model_validator(mode="after")
    def _judge_has_endpoint(self) -> Self:
        if is_judge(self.matcher) != (self.judge is not None):
            raise ValueError(f"matcher {self.matcher!r} with judge {self.judge!r}")
        return self

    def choosing(
        self,
        threshold: float | None = None,
        matcher: MatcherName | None = None,
        assignment: Assignment | None = None,
        judge: JudgeSettings | None = None,
    ) -> ScoringConfig:
        """This config with what a user chose (None keeps this config's value), validated:
        the one rule by which `run`, a sweep and `rescore` turn their options into scoring.
        A judge endpoint goes with a judge matcher only: another matcher drops it, and a
        judge matcher keeps this config's judge unless another is given."""
        name = matcher or self.matcher
        if judge is not None and not is_judge(name):
            raise UserInputError(
                "--judge-model/--judge-base-url: only meaningful with --matcher judge or "
                "judge+guards"
            )
        if is_judge(name):
            judge = JudgeSettings.required(name, judge or self.judge)
        chosen = {"match_threshold": threshold, "matcher": matcher, "assignment": assignment}
        changes = {key: value for key, value in chosen.items() if value is not None}
        return ScoringConfig.model_validate(self.model_dump() | changes | {"judge": judge})


class MatchedPair(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    predicted: int
    gold: int
    similarity: float
    gold_required: bool
    speaker: bool
    speaker_type: bool | None
    quote_type: bool | None
    via: bool | None
    cue: bool | None = None  # absent from scores written before cues were scored
    # None unless the gold has a reporting chain (or via is unannotated); absent before issue 12.
    via_innermost: bool | None = None


class DocCounts(BaseModel):
    """The integers every corpus metric is built from (see docs/metrics.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    n_pred: int = 0
    n_pred_grounded: int = 0
    n_gold: int = 0
    n_gold_required: int = 0
    matched: int = 0
    matched_required: int = 0
    attributed: int = 0
    attributed_required: int = 0
    speaker_type_pairs: int = 0
    speaker_type_ok: int = 0
    quote_type_pairs: int = 0
    quote_type_ok: int = 0
    via_pairs: int = 0
    via_ok: int = 0
    via_innermost_pairs: int = 0
    via_innermost_ok: int = 0
    cue_pairs: int = 0
    cue_ok: int = 0
    valid: int = 0
    valid_first_attempt: int = 0


class DocScore(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    doc_id: str
    failure: str | None
    counts: DocCounts
    pairs: list[MatchedPair]
    missed_gold: list[int]
    unmatched_predicted: list[int]
    ungrounded_predicted: list[int]


@cache
def _matcher(name: str) -> Matcher:
    """One matcher per process and name (the embedding model loads once)."""
    return get_matcher(name)


def _match(
    pred: list[ClaimView],
    gold: list[ClaimView],
    document: NormalisedDocument,
    config: ScoringConfig,
    matcher: Matcher | None,
) -> list[Match]:
    if not pred or not gold:
        return []
    chosen = matcher or _matcher(config.matcher)
    scores = np.asarray(chosen.similarity(pred, gold, document), dtype=float)
    if config.assignment == "many-to-one":
        return assign_many_to_one(scores, config.match_threshold)
    return assign(scores, config.match_threshold)


def _check(field: GoldField, gold: ScorableGold, ok: bool) -> bool | None:
    return None if field in gold.unannotated else ok


def score_document(
    doc_id: str,
    text: str,
    gold: ScorableGold,
    predicted: Sequence[Scorable],
    *,
    failure: str | None = None,
    valid_first_attempt: bool = False,
    config: ScoringConfig = ScoringConfig(),  # noqa: B008 - frozen, safe to share
    matcher: Matcher | None = None,
) -> DocScore:
    """Score `predicted` against `gold`; a failed document passes no claims and scores zero.

    `matcher` is the one `config.matcher` names, built by the caller when it needs an
    endpoint (the judge: `harness.judges`); None builds it here from the name."""
    document = NormalisedDocument(text)
    pred_views = [
        ClaimView.of(ground(c.evidence, document, config.fuzzy_threshold), c.statement)
        for c in predicted
    ]
    gold_views = [
        ClaimView.of(ground(c.evidence, document, config.fuzzy_threshold), c.statement)
        for c in gold.claims
    ]
    matches = _match(pred_views, gold_views, document, config, matcher)
    pairs = [_pair(m, predicted[m.predicted], gold) for m in matches]
    matched_gold = {pair.gold for pair in pairs}
    matched_pred = {pair.predicted for pair in pairs}
    return DocScore(
        doc_id=doc_id,
        failure=failure,
        counts=_counts(pairs, len(predicted), pred_views, gold, failure, valid_first_attempt),
        pairs=pairs,
        missed_gold=[i for i, c in enumerate(gold.claims) if c.required and i not in matched_gold],
        unmatched_predicted=[i for i in range(len(predicted)) if i not in matched_pred],
        ungrounded_predicted=[i for i, v in enumerate(pred_views) if not v.grounding.found],
    )


def _pair(m: Match, p: Scorable, gold: ScorableGold) -> MatchedPair:
    """One matched pair with its attribution checks (None where the gold leaves a field
    unannotated)."""
    g = gold.claims[m.gold]
    return MatchedPair(
        predicted=m.predicted,
        gold=m.gold,
        similarity=round(m.similarity, 6),
        gold_required=g.required,
        speaker=speaker_matches(p.speaker, g.speaker, g.speaker_aliases),
        speaker_type=_check(GoldField.SPEAKER_TYPE, gold, p.speaker_type == g.speaker_type),
        quote_type=_check(GoldField.QUOTE_TYPE, gold, p.quote_type == g.quote_type),
        via=_check(GoldField.VIA, gold, via_matches(p.via, g.via)),
        via_innermost=None
        if GoldField.VIA in gold.unannotated
        else via_innermost_matches(p.via, g.via),
        cue=_check(GoldField.CUE, gold, cue_matches(p.cue, g.cue)),
    )


def _counts(
    pairs: list[MatchedPair],
    n_pred: int,
    pred_views: list[ClaimView],
    gold: ScorableGold,
    failure: str | None,
    valid_first_attempt: bool,
) -> DocCounts:
    """The document's counts, from which every corpus metric is summed."""
    return DocCounts(
        n_pred=n_pred,
        n_pred_grounded=sum(v.grounding.found for v in pred_views),
        n_gold=len(gold.claims),
        n_gold_required=sum(c.required for c in gold.claims),
        matched=len({p.predicted for p in pairs}),
        # Distinct claims on each side: equal to the pair counts under one-to-one; under
        # many-to-one a gold claim found by two predictions is still found once.
        matched_required=len({p.gold for p in pairs if p.gold_required}),
        attributed=len({p.predicted for p in pairs if p.speaker}),
        attributed_required=len({p.gold for p in pairs if p.speaker and p.gold_required}),
        speaker_type_pairs=sum(p.speaker_type is not None for p in pairs),
        speaker_type_ok=sum(p.speaker_type is True for p in pairs),
        quote_type_pairs=sum(p.quote_type is not None for p in pairs),
        quote_type_ok=sum(p.quote_type is True for p in pairs),
        via_pairs=sum(p.via is not None for p in pairs),
        via_ok=sum(p.via is True for p in pairs),
        via_innermost_pairs=sum(p.via_innermost is not None for p in pairs),
        via_innermost_ok=sum(p.via_innermost is True for p in pairs),
        cue_pairs=sum(p.cue is not None for p in pairs),
        cue_ok=sum(p.cue is True for p in pairs),
        valid=int(failure is None),
        valid_first_attempt=int(failure is None and valid_first_attempt),
    )
