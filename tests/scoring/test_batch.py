"""Scoring in worker processes gives exactly what scoring in-process gives, in input order."""

from __future__ import annotations

import pytest

from harness.claims import Claim
from harness.scoring import batch
from harness.scoring.batch import BatchScorer, ScoringTask, estimated_serial_s, score_many
from harness.scoring.document import ScoringConfig
from tests.conftest import Corpus


def _tasks(corpus: Corpus, copies: int) -> list[ScoringTask]:
    tasks = []
    for i in range(copies):
        for doc in corpus.documents:
            gold = corpus.gold_docs[doc.id]
            # a different subset of gold claims per copy, with one speaker changed
            kept = gold.claims[i % 3 :: 2]
            predicted = [
                Claim.model_validate(c.model_dump(include=set(Claim.model_fields))) for c in kept
            ]
            if predicted:
                predicted[0] = predicted[0].model_copy(update={"speaker": "Somebody Else"})
            tasks.append(ScoringTask(f"{doc.id}#{i}", doc.text, gold, predicted, None, i % 2 == 0))
    return tasks


def test_worker_processes_match_in_process(corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    tasks = _tasks(corpus, copies=6)
    config = ScoringConfig()
    serial = score_many(tasks, config, workers=1)
    monkeypatch.setattr(batch, "PARALLEL_FROM_S", 0.0)  # force the pool for a small batch
    parallel = score_many(tasks, config, workers=2)
    assert [s.doc_id for s in parallel] == [t.doc_id for t in tasks]
    assert parallel == serial
    assert any(s.counts.attributed < s.counts.matched for s in serial)  # the changed speakers


def test_estimate_grows_with_claim_pairs(corpus: Corpus) -> None:
    few = _tasks(corpus, copies=1)
    assert estimated_serial_s(few * 10) == pytest.approx(10 * estimated_serial_s(few))
    empty = [ScoringTask(t.doc_id, t.text, t.gold, [], None, True) for t in few]
    assert estimated_serial_s(empty) < estimated_serial_s(few)


def test_one_pool_serves_every_batch_of_a_run(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    tasks = _tasks(corpus, copies=4)
    config = ScoringConfig()
    serial = score_many(tasks, config, workers=1)
    monkeypatch.setattr(batch, "PARALLEL_FROM_S", 0.0)
    half = len(tasks) // 2
    with BatchScorer(config, workers=2) as scorer:
        first = scorer.score(tasks[:half])
        pool = scorer._pool
        assert pool is not None  # the first batch started it ...
        second = scorer.score(tasks[half:])
        assert scorer._pool is pool  # ... and the second reused it
    assert scorer._pool is None  # shut down on exit
    assert first + second == serial
