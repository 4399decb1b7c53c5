"""Score many documents, on every core when the corpus is large.

Documents score independently, so a large batch is split into chunks scored in worker
processes; a batch whose serial scoring would take less than PARALLEL_FROM_S stays
in-process, where starting workers would cost more than it saves. The estimate counts
claim pairs, not documents: 2,000 one-claim documents score in 0.2 s, 1,000 documents of
20 x 20 claims in 1.4 s. Results come back in input order.

A run keeps only each document's scores.jsonl line and count row (`ScoreLine`), so that is
what workers send back: pickling ~20 pydantic models per document to the parent and back
cost the parent more CPU than the scoring itself.
"""

from __future__ import annotations

import itertools
import os
from array import array
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from harness._gc import quiet_collector
from harness.scoring.document import DocScore, ScoringConfig, score_document
from harness.scoring.matchers import Matcher
from harness.scoring.metrics import FIELDS, counts_row
from harness.scoring.packed import Scorable, ScorableGold, pack_claims, pack_gold

__all__ = [
    "PARALLEL_FROM_S",
    "SCORING_BATCH",
    "BatchScorer",
    "CountRows",
    "ScoreLine",
    "ScoringTask",
    "estimated_serial_s",
    "score_many",
    "score_task",
]

# Measured with bench/scoring_scale.py on the reference 2-core machine: about 0.1 ms per
# document plus 3 us per predicted x gold claim pair; the pool costs ~0.4 s to start.
_DOC_S = 1e-4
_PAIR_S = 3e-6
PARALLEL_FROM_S = 1.0
# Documents a run scores at once (their gold, predictions and scores held in memory).
SCORING_BATCH = 5000
# Documents per job sent to a worker: small enough that the last jobs of a run end
# together (no worker idles through a long tail), large enough to amortise the round trip.
_CHUNK = 100


@dataclass(frozen=True, slots=True)
class ScoringTask:
    doc_id: str
    text: str
    gold: ScorableGold
    predicted: Sequence[Scorable]
    failure: str | None
    valid_first_attempt: bool

    def packed(self) -> ScoringTask:
        """This task with its claims as plain tuples: cheap to pickle to a worker."""
        gold, predicted = pack_gold(self.gold), pack_claims(self.predicted)
        return ScoringTask(
            self.doc_id, self.text, gold, predicted, self.failure, self.valid_first_attempt
        )


@dataclass(frozen=True, slots=True)
class ScoreLine:
    """A scored document as a run keeps it: its scores.jsonl line and its count row."""

    json: str
    counts: list[float]
    failure: str | None


class CountRows:
    """Every scored document's count row, in one flat float array.

    A list per document kept ~20 float objects alive per document: at 100k documents every
    garbage collection of the parent walked two million of them, and scoring time per
    document grew with the corpus (0.66 ms at 10k, 0.80 ms at 100k, run back to back;
    flat since)."""

    def __init__(self) -> None:
        self._flat = array("d")

    def add(self, row: list[float]) -> None:
        self._flat.extend(row)

    def matrix(self) -> NDArray[np.float64]:
        """(documents, FIELDS) counts, ready for `aggregate_counts`."""
        flat = np.frombuffer(self._flat, dtype=np.float64) if self._flat else np.zeros(0)
        return flat.reshape(-1, len(FIELDS)).copy()


def score_task(
    task: ScoringTask, config: ScoringConfig, matcher: Matcher | None = None
) -> DocScore:
    return score_document(
        task.doc_id,
        task.text,
        task.gold,
        task.predicted,
        failure=task.failure,
        valid_first_attempt=task.valid_first_attempt,
        config=config,
        matcher=matcher,
    )


def _score_chunk(
    tasks: list[ScoringTask], config: ScoringConfig, matcher: Matcher | None = None
) -> list[DocScore]:
    return [score_task(task, config, matcher) for task in tasks]


def _score_lines(
    tasks: list[ScoringTask], config: ScoringConfig, matcher: Matcher | None = None
) -> list[ScoreLine]:
    lines = []
    for task in tasks:
        score = score_task(task, config, matcher)
        lines.append(ScoreLine(score.model_dump_json(), counts_row(score), score.failure))
    return lines


def _packed(tasks: Sequence[ScoringTask]) -> list[ScoringTask]:
    return [task.packed() for task in tasks]


def estimated_serial_s(tasks: Sequence[ScoringTask]) -> float:
    """Seconds one process would need for these tasks, from their claim counts."""
    pairs = sum(len(t.predicted) * len(t.gold.claims) for t in tasks)
    return len(tasks) * _DOC_S + pairs * _PAIR_S


class BatchScorer:
    """Scores batch after batch with one worker pool, started by the first batch worth it.

    A run scores its documents in bounded batches (memory); starting a pool per batch
    would cost ~0.4 s each time, so the pool lives as long as this object (`with`).
    A `matcher` built by the caller (the judge, which holds an endpoint client) keeps
    scoring in this process: it cannot be sent to workers, and it waits on the network.
    """

    def __init__(
        self, config: ScoringConfig, workers: int | None = None, matcher: Matcher | None = None
    ) -> None:
        self.config, self.matcher = config, matcher
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> BatchScorer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def score(self, tasks: Sequence[ScoringTask]) -> list[DocScore]:
        """Scores in input order; in worker processes when the batch is worth it."""
        with quiet_collector():  # see harness/_gc.py: as for `lines`
            return self._score(tasks)

    def _score(self, tasks: Sequence[ScoringTask]) -> list[DocScore]:
        if self._in_process(tasks):
            return _score_chunk(list(tasks), self.config, self.matcher)
        pool = self._started()
        size = max(1, len(tasks) // (self.workers * 4))
        chunks = [_packed(tasks[i : i + size]) for i in range(0, len(tasks), size)]
        results = pool.map(_score_chunk, chunks, [self.config] * len(chunks))
        return [score for chunk in results for score in chunk]

    def lines(self, tasks: Iterable[ScoringTask]) -> Generator[ScoreLine, None, None]:
        """Score lines in input order, reading `tasks` lazily, SCORING_BATCH at a time.

        Up to one batch of jobs stays queued in the workers while the caller writes
        results and reads the next batch's predictions, so the workers never wait for it.
        """
        with quiet_collector():  # see harness/_gc.py
            yield from self._lines(iter(tasks))

    def _lines(self, tasks: Iterator[ScoringTask]) -> Iterator[ScoreLine]:
        queued: deque[Future[list[ScoreLine]]] = deque()
        while batch := list(itertools.islice(tasks, SCORING_BATCH)):
            if self._in_process(batch):
                for job in queued:
                    yield from job.result()
                queued.clear()
                yield from _score_lines(batch, self.config, self.matcher)
                continue
            pool = self._started()
            for first in range(0, len(batch), _CHUNK):
                chunk = _packed(batch[first : first + _CHUNK])
                queued.append(pool.submit(_score_lines, chunk, self.config))
                while len(queued) * _CHUNK > SCORING_BATCH:
                    yield from queued.popleft().result()
        for job in queued:
            yield from job.result()

    def _in_process(self, tasks: Sequence[ScoringTask]) -> bool:
        return (
            self.workers == 1
            or self.matcher is not None
            or not self.config.matcher.startswith("lexical")  # its model already uses every core
            or (self._pool is None and estimated_serial_s(tasks) < PARALLEL_FROM_S)
        )

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers)
        return self._pool


def score_many(
    tasks: Sequence[ScoringTask], config: ScoringConfig, workers: int | None = None
) -> list[DocScore]:
    """Score one batch; in `workers` processes (default: all cores) when worth it."""
    with BatchScorer(config, workers) as scorer:
        return scorer.score(tasks)
