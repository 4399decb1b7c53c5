"""Scoring in worker processes gives exactly what scoring in-process gives, in input order."""

from __future__ import annotations

import pytest

from harness.claims import Claim
from harness.scoring import batch
from harness.scoring.batch import (
    BatchScorer,
    CountRows,
    ScoringTask,
    estimated_serial_s,
    score_many,
)
from harness.scoring.document import ScoringConfig
from harness.scoring.metrics import FIELDS, counts_row
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


def test_lines_from_workers_are_the_in_process_scores(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a run keeps (scores.jsonl line, count row, failure) is the same from worker
    processes as in-process, in input order, across batches and jobs queued between them."""
    tasks = _tasks(corpus, copies=6)
    tasks[1] = ScoringTask(tasks[1].doc_id, tasks[1].text, tasks[1].gold, [], "parse", False)
    config = ScoringConfig()
    serial = score_many(tasks, config, workers=1)
    monkeypatch.setattr(batch, "PARALLEL_FROM_S", 0.0)
    monkeypatch.setattr(batch, "SCORING_BATCH", 7)  # several batches ...
    monkeypatch.setattr(batch, "_CHUNK", 3)  # ... of several jobs, some queued across batches
    with BatchScorer(config, workers=2) as scorer:
        lines = list(scorer.lines(iter(tasks)))
        assert scorer._pool is not None
    assert [line.json for line in lines] == [s.model_dump_json() for s in serial]
    assert [line.counts for line in lines] == [counts_row(s) for s in serial]
    assert [line.failure for line in lines] == [s.failure for s in serial]
    assert lines[1].failure == "parse"
    with BatchScorer(config, workers=1) as scorer:
        assert [line.json for line in scorer.lines(tasks)] == [line.json for line in lines]


def test_count_rows_give_the_matrix_aggregate_counts_reads() -> None:
    rows = CountRows()
    assert rows.matrix().shape == (0, len(FIELDS))  # a run with nothing scored
    written = [[float(i * len(FIELDS) + j) for j in range(len(FIELDS))] for i in range(3)]
    for row in written:
        rows.add(row)
    matrix = rows.matrix()
    assert matrix.shape == (3, len(FIELDS)) and matrix.tolist() == written
    # The matrix is a copy: the array can still grow (a live buffer view would make
    # extend raise BufferError) and the matrix handed out does not change.
    rows.add(written[0])
    assert matrix.tolist() == written and rows.matrix().shape == (4, len(FIELDS))
