"""Scoring a run folder: from the stored predictions, never from memory.

A fresh run, a resumed run and `rescore` all score here, so they give identical numbers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from harness.claims import Document, GoldDocument
from harness.corpus import GoldSet
from harness.errors import HarnessError, UserInputError
from harness.judges import OpenJudge
from harness.runs import Manifest, PredictionRecord, RunFolder
from harness.scoring.batch import SCORING_BATCH, BatchScorer, CountRows, ScoringTask
from harness.scoring.document import ScoringConfig
from harness.scoring.matchers import Matcher
from harness.scoring.metrics import Metrics, aggregate_counts

__all__ = [
    "check_rescore_loses_nothing",
    "score_judged",
    "score_off_loop",
    "score_run",
    "score_stopped_run",
    "scoring_task",
]


def score_run(
    folder: RunFolder,
    documents: list[Document],
    gold: GoldSet,
    scoring: ScoringConfig,
    matcher: Matcher | None = None,
) -> Metrics:
    """Score every gold document from the stored predictions (missing ones score zero).
    `matcher`: the judge `scoring` names, opened by the caller (`harness.judges`).

    Memory stays proportional to one batch: predictions are indexed by file offset and
    read back batch by batch, gold is loaded per batch, scores are streamed to
    scores.jsonl, and metrics come from the per-document count rows.
    """
    offsets = folder.index_predictions()
    scored = [doc for doc in documents if doc.id in gold.doc_ids]
    rows = CountRows()
    failures: dict[str, int] = {}
    with folder.scores_writer() as write, BatchScorer(scoring, matcher=matcher) as scorer:
        for line in scorer.lines(_tasks(folder, scored, gold, offsets)):
            write(line.json)
            rows.add(line.counts)
            if line.failure is not None:
                failures[line.failure] = failures.get(line.failure, 0) + 1
    metrics = aggregate_counts(rows.matrix(), failures)
    folder.write_metrics(metrics)
    return metrics


def _tasks(
    folder: RunFolder, scored: list[Document], gold: GoldSet, offsets: dict[str, int]
) -> Iterator[ScoringTask]:
    """Each document's scoring input, its gold loaded SCORING_BATCH documents at a time."""
    for start in range(0, len(scored), SCORING_BATCH):
        batch = scored[start : start + SCORING_BATCH]
        batch_gold = gold.load(batch)
        for doc in batch:
            record = folder.read_prediction_at(offsets[doc.id]) if doc.id in offsets else None
            yield scoring_task(doc, batch_gold[doc.id], record)


def scoring_task(doc: Document, gold: GoldDocument, record: PredictionRecord | None) -> ScoringTask:
    if record is None:  # never requested, or lost with the requests in flight at a crash
        return ScoringTask(doc.id, doc.text, gold, [], "not_run", False)
    failure = str(record.failure.kind) if record.failure else None
    return ScoringTask(
        doc.id, doc.text, gold, record.claims or [], failure, record.valid_first_attempt
    )


def check_rescore_loses_nothing(
    folder: RunFolder, documents: list[Document], gold: GoldSet
) -> None:
    """Refuse a rescore that would score fewer documents from records than metrics.json did
    (a prediction line became unreadable since): it would silently replace metrics computed
    from more data. The error names the first unreadable line and how to get the data back."""
    try:
        before = folder.read_metrics().failures.get("not_run", 0)
    except (HarnessError, OSError, ValueError):
        return  # no readable metrics: nothing to lose
    predictions = folder.scan_predictions(warn=False)
    scored = [doc.id for doc in documents if doc.id in gold.doc_ids]
    now = sum(doc_id not in predictions.offsets for doc_id in scored)
    if now > before and predictions.unreadable:
        raise UserInputError(
            f"{predictions.unreadable[0]}; rescoring would count {now - before} more "
            f"document(s) as not_run than {folder.file('metrics.json')} did, so nothing was "
            "written: repair the line(s), or request those documents again with "
            "harness run --resume RUN"
        )


def score_stopped_run(
    folder: RunFolder,
    documents: list[Document],
    gold: GoldSet,
    scoring: ScoringConfig,
) -> None:
    """A failed or interrupted run still gets scores (unfinished documents as `not_run`),
    so `show` and `report` can read it; best effort, never masking the original error.
    Not with a judge: it could keep an interrupted run waiting on the network for minutes
    (`harness rescore RUN` scores it, with the run's judge)."""
    with contextlib.suppress(Exception):
        score_run(folder, documents, gold, scoring)


def score_judged(
    folder: RunFolder,
    manifest: Manifest,
    documents: list[Document],
    gold: GoldSet,
    scoring: ScoringConfig,
    judge: OpenJudge | None,
) -> tuple[Metrics, Manifest]:
    """`score_run` with the judge `scoring` names (open, or None), and the manifest with
    what the judge did (None without one: no stale judge figures)."""
    matcher = judge.matcher if judge is not None else None
    metrics = score_run(folder, documents, gold, scoring, matcher)
    usage = judge.usage() if judge is not None else None
    return metrics, manifest.model_copy(update={"judge": usage})


async def score_off_loop(
    folder: RunFolder,
    manifest: Manifest,
    documents: list[Document],
    gold: GoldSet,
    scoring: ScoringConfig,
    judge: OpenJudge,
) -> tuple[Metrics, Manifest]:
    """`score_judged` for a run: scoring with the judge waits on the network for minutes,
    so it runs on a thread and the run's event loop still hears Ctrl-C/SIGTERM, which
    stops the judge (nothing is written; the predictions are kept for `harness rescore`)."""
    try:
        return await asyncio.to_thread(
            score_judged, folder, manifest, documents, gold, scoring, judge
        )
    except asyncio.CancelledError:
        judge.judge.stop()
        raise
