"""Claims packed as tuples for a scoring worker score exactly as the pydantic models do."""

from __future__ import annotations

import pickle

from harness.claims import Claim, GoldDocument, GoldField
from harness.scoring.batch import ScoringTask
from harness.scoring.document import score_document
from harness.scoring.packed import GoldFacts, PackedClaim, pack_claims, pack_gold
from tests.conftest import Corpus


def _predictions(gold: GoldDocument) -> list[Claim]:
    """Gold claims as predictions, every other one wrong on the enum and list fields."""
    predicted = []
    for i, claim in enumerate(gold.claims):
        fields = claim.model_dump(include=set(Claim.model_fields))
        if i % 2:
            fields |= {"speaker_type": "anonymous", "quote_type": "direct", "via": ["Reuters"]}
        predicted.append(Claim.model_validate(fields))
    return predicted


def test_packed_scores_equal_the_models_on_the_corpus(corpus: Corpus) -> None:
    for doc in corpus.documents:
        gold = corpus.gold_docs[doc.id]
        predicted = _predictions(gold)
        packed = score_document(doc.id, doc.text, pack_gold(gold), pack_claims(predicted))
        assert packed == score_document(doc.id, doc.text, gold, predicted)


def test_unannotated_fields_stay_unchecked_when_packed(corpus: Corpus) -> None:
    """A field the gold leaves unannotated is skipped (None) in packed scoring too."""
    doc = corpus.documents[0]
    skip = [GoldField.SPEAKER_TYPE, GoldField.VIA, GoldField.CUE]
    gold = corpus.gold_docs[doc.id].model_copy(update={"unannotated": skip})
    packed_gold = pack_gold(gold)
    assert packed_gold.unannotated == ("speaker_type", "via", "cue")
    score = score_document(doc.id, doc.text, packed_gold, pack_claims(_predictions(gold)))
    assert score == score_document(doc.id, doc.text, gold, _predictions(gold))
    assert score.pairs and all(p.speaker_type is None and p.via is None for p in score.pairs)
    assert all(p.quote_type is not None for p in score.pairs)  # annotated: still checked


def test_a_packed_task_survives_pickle_and_is_not_packed_twice(corpus: Corpus) -> None:
    doc = corpus.documents[0]
    gold = corpus.gold_docs[doc.id]
    task = ScoringTask(doc.id, doc.text, gold, _predictions(gold), None, True).packed()
    assert isinstance(task.gold, GoldFacts)
    assert all(isinstance(c, PackedClaim) for c in task.predicted)
    assert pickle.loads(pickle.dumps(task)) == task
    again = task.packed()
    assert again.gold is task.gold and again.predicted == task.predicted
