"""How well each matcher agrees with people on labelled pairs (`harness matchers calibrate`).

For each matcher: the similarity of every pair (grounded in its document exactly as
scoring grounds it), ROC AUC against the annotators' consensus with a document-bootstrap
interval, the F1-optimal threshold fitted on one half of the documents, and Cohen's kappa
of "similarity >= threshold" on the other half, against the consensus and against each
annotator. Human-human kappa on the same pairs is the ceiling to read it against.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from harness.calibration.pairs import CalibrationPair, consensus
from harness.calibration.stats import (
    Bools,
    Floats,
    Interval,
    auc_with_ci,
    best_f1_threshold,
    bool_kappa,
    held_out,
    kappa_with_ci,
)
from harness.errors import UserInputError
from harness.scoring.grounding import DEFAULT_FUZZY_THRESHOLD, NormalisedDocument, ground
from harness.scoring.matchers import Matcher
from harness.scoring.matching import ClaimView

__all__ = ["CalibrationReport", "MatcherCalibration", "calibrate", "pair_scores"]


@dataclass(frozen=True)
class MatcherCalibration:
    matcher: str
    auc: Interval
    threshold: float | None
    train_pairs: int
    test_pairs: int
    kappa: Interval  # held-out, vs the consensus label
    kappa_by_annotator: dict[str, float | None]  # held-out, vs each annotator


@dataclass(frozen=True)
class CalibrationReport:
    pairs: int
    documents: int
    annotators: list[str]
    disagreements: int  # pairs whose annotators disagree (left out of AUC and kappa)
    human_kappa: Interval | None  # first two annotators, every pair both labelled
    human_kappa_held_out: float | None
    matchers: list[MatcherCalibration]


def pair_scores(
    pairs: Sequence[CalibrationPair],
    texts: Mapping[str, str],
    matcher: Matcher,
    fuzzy_threshold: float = DEFAULT_FUZZY_THRESHOLD,
) -> Floats:
    """The matcher's similarity for each pair, its claims grounded in their document."""
    documents: dict[str, NormalisedDocument] = {}
    scores = np.zeros(len(pairs))
    for index, pair in enumerate(pairs):
        if pair.doc_id not in texts:
            raise UserInputError(f"pair {pair.pair_id}: $.doc_id: no document {pair.doc_id!r}")
        document = documents.setdefault(pair.doc_id, NormalisedDocument(texts[pair.doc_id]))
        views = [
            ClaimView.of(ground(c.evidence, document, fuzzy_threshold), c.statement)
            for c in (pair.predicted, pair.gold)
        ]
        scores[index] = matcher.similarity(views[:1], views[1:], document)[0, 0]
    return scores


def _human(
    pairs: Sequence[CalibrationPair], annotators: list[str]
) -> tuple[Interval | None, Bools]:
    if len(annotators) < 2:
        return None, np.zeros(len(pairs), dtype=bool)
    a, b = annotators[:2]
    both = np.array([a in p.labels and b in p.labels for p in pairs])
    chosen = [p for p, keep in zip(pairs, both, strict=True) if keep]
    la = np.array([p.labels[a] for p in chosen])
    lb = np.array([p.labels[b] for p in chosen])
    return kappa_with_ci(la, lb, [p.doc_id for p in chosen]), both


def calibrate(
    pairs: Sequence[CalibrationPair],
    texts: Mapping[str, str],
    matchers: Sequence[Matcher],
    threshold: float | None = None,
) -> CalibrationReport:
    """`threshold` fixes the cut (e.g. the scoring default) instead of fitting one."""
    annotators = sorted({name for p in pairs for name in p.labels})
    human, both = _human(pairs, annotators)
    test = np.array([held_out(p.doc_id) for p in pairs])
    human_test = None
    if len(annotators) >= 2:
        a, b = annotators[:2]
        chosen = [p for p, t, k in zip(pairs, test, both, strict=True) if t and k]
        human_test = bool_kappa(
            np.array([p.labels[a] for p in chosen]), np.array([p.labels[b] for p in chosen])
        )
    labelled = _Labelled(
        pairs=pairs,
        labels=np.array([bool(consensus(p)) for p in pairs]),
        agreed=np.array([consensus(p) is not None for p in pairs]),
        test=test,
        groups=[p.doc_id for p in pairs],
        annotators=annotators,
    )
    results = [
        _one(matcher.name, pair_scores(pairs, texts, matcher), labelled, threshold)
        for matcher in matchers
    ]
    return CalibrationReport(
        pairs=len(pairs),
        documents=len(set(labelled.groups)),
        annotators=annotators,
        disagreements=int((~labelled.agreed).sum()),
        human_kappa=human,
        human_kappa_held_out=human_test,
        matchers=results,
    )


@dataclass(frozen=True)
class _Labelled:
    """The pairs with what people said: consensus labels, where annotators agree, the
    held-out half, and each pair's document (the bootstrap's group)."""

    pairs: Sequence[CalibrationPair]
    labels: Bools
    agreed: Bools
    test: Bools
    groups: list[str]
    annotators: list[str]


def _one(name: str, scores: Floats, data: _Labelled, fixed: float | None) -> MatcherCalibration:
    def pick(mask: Bools) -> list[int]:
        return [int(i) for i in np.flatnonzero(mask)]

    labels, groups = data.labels, data.groups
    scored = pick(data.agreed)
    auc = auc_with_ci(scores[scored], labels[scored], [groups[i] for i in scored])
    train, held = pick(data.agreed & ~data.test), pick(data.agreed & data.test)
    threshold = fixed if fixed is not None else best_f1_threshold(scores[train], labels[train])
    kappa, by_annotator = Interval(None, None, None), {}
    if threshold is not None:
        said = scores >= threshold
        kappa = kappa_with_ci(said[held], labels[held], [groups[i] for i in held])
        for annotator in data.annotators:
            rows = [i for i in pick(data.test) if annotator in data.pairs[i].labels]
            theirs = np.array([data.pairs[i].labels[annotator] for i in rows], dtype=bool)
            by_annotator[annotator] = bool_kappa(said[rows], theirs)
    return MatcherCalibration(name, auc, threshold, len(train), len(held), kappa, by_annotator)
