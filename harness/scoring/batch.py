"""Score many documents, on every core when the corpus is large.

Documents score independently, so a large run (`rescore` of 10k+ documents) is split into
chunks scored in worker processes; small runs stay in-process, where starting workers
would cost more than it saves. Results come back in input order.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from harness.claims import Claim, GoldDocument
from harness.scoring.document import DocScore, ScoringConfig, score_document

__all__ = ["PARALLEL_FROM", "ScoringTask", "score_many"]

PARALLEL_FROM = 2000


@dataclass(frozen=True, slots=True)
class ScoringTask:
    doc_id: str
    text: str
    gold: GoldDocument
    predicted: Sequence[Claim]
    failure: str | None
    valid_first_attempt: bool


def _score(task: ScoringTask, config: ScoringConfig) -> DocScore:
    return score_document(
        task.doc_id,
        task.text,
        task.gold,
        task.predicted,
        failure=task.failure,
        valid_first_attempt=task.valid_first_attempt,
        config=config,
    )


def _score_chunk(tasks: list[ScoringTask], config: ScoringConfig) -> list[DocScore]:
    return [_score(task, config) for task in tasks]


def score_many(
    tasks: Sequence[ScoringTask], config: ScoringConfig, workers: int | None = None
) -> list[DocScore]:
    """Score every task; in `workers` processes (default: all cores) for large batches."""
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(tasks) < PARALLEL_FROM:
        return _score_chunk(list(tasks), config)
    size = max(1, len(tasks) // (workers * 4))
    chunks = [list(tasks[i : i + size]) for i in range(0, len(tasks), size)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = pool.map(_score_chunk, chunks, [config] * len(chunks))
        return [score for chunk in results for score in chunk]
