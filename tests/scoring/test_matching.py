"""Pair similarity and one-to-one Hungarian matching (harness.scoring.matching).

Statement-only similarities (ungrounded views) make the hand arithmetic easy: the token F1
of bags A and B is 2 * |A & B| / (|A| + |B|).
"""

from __future__ import annotations

import pytest

from harness.scoring.grounding import Grounding, GroundingKind
from harness.scoring.matching import (
    DEFAULT_MATCH_THRESHOLD,
    EVIDENCE_WEIGHT,
    ClaimView,
    Match,
    match_claims,
    similarity,
    span_f1,
    token_f1,
)

NOT_FOUND = Grounding(GroundingKind.NOT_FOUND, -1, -1, 0.0)


def span(start: int, end: int) -> Grounding:
    return Grounding(GroundingKind.EXACT, start, end, 100.0)


def view(statement: str, grounding: Grounding = NOT_FOUND) -> ClaimView:
    return ClaimView.of(grounding, statement)


def test_defaults() -> None:
    assert DEFAULT_MATCH_THRESHOLD == 0.5
    assert EVIDENCE_WEIGHT == 0.75


def test_span_f1() -> None:
    # A = [0, 10), B = [5, 20): overlap 5, |A| + |B| = 10 + 15 = 25 -> 2*5/25 = 0.4
    assert span_f1(span(0, 10), span(5, 20)) == pytest.approx(0.4)
    assert span_f1(span(5, 20), span(0, 10)) == pytest.approx(0.4)  # symmetric
    # identical spans -> 2*10/20 = 1; touching spans [0,10) [10,20) -> overlap 0 -> 0
    assert span_f1(span(0, 10), span(0, 10)) == 1.0
    assert span_f1(span(0, 10), span(10, 20)) == 0.0
    # one span inside the other: [0, 30) and [10, 20) -> 2*10/(30+10) = 0.5
    assert span_f1(span(0, 30), span(10, 20)) == pytest.approx(0.5)
    assert span_f1(span(0, 10), NOT_FOUND) == 0.0
    assert span_f1(span(3, 3), span(3, 3)) == 0.0  # empty spans: total 0


def test_token_f1() -> None:
    # a b c vs a b d e: common 2, P = 2/3, R = 2/4 -> F1 = 2*(1/3)/(2/3+1/2) = 4/7
    assert token_f1(("a", "b", "c"), ("a", "b", "d", "e")) == pytest.approx(4 / 7)
    # bags, not sets: a a b vs a b b -> common min(2,1)+min(1,2) = 2 -> 2*2/(3+3) = 2/3
    assert token_f1(("a", "a", "b"), ("a", "b", "b")) == pytest.approx(2 / 3)
    assert token_f1(("a",), ("b",)) == 0.0
    assert token_f1((), ("a",)) == 0.0


def test_claim_view_tokenises_the_normalised_statement() -> None:
    assert view("The U.S. Said \u201cNo\u201d").statement_tokens == ("the", "u", "s", "said", "no")


def test_similarity_both_grounded_weights_evidence() -> None:
    # span F1 0.4 (as above), statement F1 4/7 (as above):
    # 0.75 * 0.4 + 0.25 * 4/7 = 0.3 + 1/7 = 0.442857...
    p = view("a b c", span(0, 10))
    g = view("a b d e", span(5, 20))
    assert similarity(p, g) == pytest.approx(0.3 + 1 / 7)


def test_similarity_same_evidence_different_statement() -> None:
    # span F1 1, statement F1 0 -> 0.75: same passage always clears the 0.5 threshold
    assert similarity(view("x y", span(0, 9)), view("p q", span(0, 9))) == 0.75


def test_similarity_grounded_on_different_passages_is_capped() -> None:
    # span F1 0, identical statements -> 0.75*0 + 0.25*1 = 0.25 < 0.5: never a match
    assert similarity(view("a b", span(0, 9)), view("a b", span(20, 29))) == 0.25


def test_similarity_falls_back_to_statement_when_either_is_ungrounded() -> None:
    # Only the statement counts: 4/7 either way round.
    assert similarity(view("a b c"), view("a b d e", span(0, 5))) == pytest.approx(4 / 7)
    assert similarity(view("a b c", span(0, 5)), view("a b d e")) == pytest.approx(4 / 7)


def test_empty_sides_match_nothing() -> None:
    assert match_claims([], [view("a")]) == []
    assert match_claims([view("a")], []) == []


def test_hungarian_beats_greedy() -> None:
    # p1 = a b c d, p2 = d e f r, g1 = a b c d e f, g2 = a b c q
    # p1-g1: common 4 -> 2*4/(4+6) = 0.8     p1-g2: common 3 -> 2*3/(4+4) = 0.75
    # p2-g1: common 3 -> 2*3/(4+6) = 0.6     p2-g2: common 0 -> 0
    # Greedy takes p1-g1 (0.8) and leaves p2-g2 (0) -> 1 match.
    # Hungarian: p1-g1 + p2-g2 = 0.8 < p1-g2 + p2-g1 = 1.35 -> 2 matches.
    pred = [view("a b c d"), view("d e f r")]
    gold = [view("a b c d e f"), view("a b c q")]
    matches = match_claims(pred, gold)
    assert [(m.predicted, m.gold) for m in matches] == [(0, 1), (1, 0)]
    assert [m.similarity for m in matches] == pytest.approx([0.75, 0.6])


def test_sub_threshold_pairs_cannot_outbid_an_admissible_pair() -> None:
    # p1 = a b c, p2 = d e w v, g1 = a b c d e, g2 = a z
    # p1-g1: 2*3/(3+5) = 0.75   p1-g2: 2*1/(3+2) = 0.4
    # p2-g1: 2*2/(4+5) = 0.444  p2-g2: 0
    # Raw totals: p1-g1 + p2-g2 = 0.75 < p1-g2 + p2-g1 = 0.844, but both of the latter are
    # below 0.5 and would be discarded (0 matches). Sub-threshold pairs count as 0 in the
    # assignment, so p1-g1 (0.75) is kept.
    pred = [view("a b c"), view("d e w v")]
    gold = [view("a b c d e"), view("a z")]
    matches = match_claims(pred, gold)
    assert [(m.predicted, m.gold) for m in matches] == [(0, 0)]
    assert matches[0].similarity == pytest.approx(0.75)
    assert all(isinstance(m, Match) for m in matches)


def test_threshold_is_inclusive() -> None:
    # a b vs a c: common 1 -> 2*1/(2+2) = 0.5 -> kept at 0.5, dropped at 0.51
    pred, gold = [view("a b")], [view("a c")]
    assert [m.similarity for m in match_claims(pred, gold, 0.5)] == [0.5]
    assert match_claims(pred, gold, 0.51) == []


def test_one_to_one_with_duplicated_predictions() -> None:
    # Two identical predictions of one gold claim: only one can match (similarity 1 each);
    # the duplicate stays unmatched and costs precision.
    pred = [view("a b"), view("a b")]
    matches = match_claims(pred, [view("a b")])
    assert len(matches) == 1
    assert (matches[0].gold, matches[0].similarity) == (0, 1.0)


def test_more_gold_than_predictions() -> None:
    # p = a b; g1 = x y (0), g2 = a b (1), g3 = a b c (2*2/(2+3) = 0.8) -> p-g2 at 1.0
    matches = match_claims([view("a b")], [view("x y"), view("a b"), view("a b c")])
    assert [(m.predicted, m.gold, m.similarity) for m in matches] == [(0, 1, 1.0)]
