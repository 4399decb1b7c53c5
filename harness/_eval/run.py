"""Run one evaluation: documents -> prompt -> model -> validation -> scoring -> run folder.

Workers pull documents from a queue (memory stays flat however large the corpus), each
finished document is appended to predictions.jsonl at once, and scoring reads back what
was written, so `rescore` and `resume` go through exactly the same code as a fresh run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import numpy as np

from harness import __version__
from harness._eval.config import RunConfig
from harness._eval.extract import FatalEndpointError, extract_document
from harness.claims import Document, GoldDocument
from harness.corpus import GoldSet, check_gold, documents_hash, load_documents
from harness.endpoints.cache import open_cache
from harness.endpoints.client import CallFailed, ChatClient
from harness.errors import EndpointError, UserInputError
from harness.prompts import Prompt, load_prompt
from harness.runs import Manifest, PredictionRecord, RunFolder, TokenTotals
from harness.runs.folder import new_run_id
from harness.runs.records import ProbeRecord
from harness.scoring.batch import SCORING_BATCH, BatchScorer, ScoringTask
from harness.scoring.document import DocScore, ScoringConfig
from harness.scoring.metrics import FIELDS, Metrics, aggregate_counts, counts_row

__all__ = ["Progress", "RunOutcome", "evaluate", "run_evaluation", "score_run"]


class Progress(Protocol):
    def start(self, total: int, already_done: int) -> None: ...
    def advance(self, record: PredictionRecord) -> None: ...
    def finish(self) -> None: ...


class _Silent:
    def start(self, total: int, already_done: int) -> None: ...
    def advance(self, record: PredictionRecord) -> None: ...
    def finish(self) -> None: ...


@dataclass(frozen=True)
class RunOutcome:
    folder: RunFolder
    manifest: Manifest
    metrics: Metrics
    requested: int

    def scores(self) -> list[DocScore]:
        """Per-document scores, read from the run folder (they are not kept in memory)."""
        return self.folder.read_scores()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _new_manifest(
    config: RunConfig,
    prompt: Prompt,
    run_id: str,
    documents: list[Document],
    gold: GoldSet,
) -> Manifest:
    return Manifest(
        run_id=run_id,
        status="running",
        harness_version=__version__,
        git_commit=_git_commit(),
        prompt=prompt.ref,
        prompt_hash=prompt.content_hash,
        prompt_description=prompt.meta.description,
        base_url=config.endpoint.base_url,
        model=config.endpoint.model,
        local_model=config.local_model,
        endpoint=config.endpoint.model_dump(exclude={"base_url", "model"}),
        params=config.params.model_dump(),
        reask=config.reask,
        repeat=config.repeat,
        scoring=config.scoring.model_dump(),
        documents_source=str(config.docs.resolve()),
        documents_hash=documents_hash(documents),
        n_documents=len(documents),
        gold_source=str(config.gold.resolve()),
        gold_hash=gold.digest,
        n_gold_documents=len(gold.doc_ids),
        started_at=_now(),
    )


def score_run(
    folder: RunFolder,
    documents: list[Document],
    gold: GoldSet,
    scoring: ScoringConfig,
) -> Metrics:
    """Score every gold document from the stored predictions (missing ones score zero).

    Memory stays proportional to one batch: predictions are indexed by file offset and
    read back batch by batch, gold is loaded per batch, scores are streamed to
    scores.jsonl, and metrics come from the per-document count rows.
    """
    offsets = folder.index_predictions()
    scored = [doc for doc in documents if doc.id in gold.doc_ids]
    rows: list[list[float]] = []
    failures: dict[str, int] = {}
    with folder.scores_writer() as write, BatchScorer(scoring) as scorer:
        for start in range(0, len(scored), SCORING_BATCH):
            batch = scored[start : start + SCORING_BATCH]
            batch_gold = gold.load(batch)
            tasks = []
            for doc in batch:
                record = folder.read_prediction_at(offsets[doc.id]) if doc.id in offsets else None
                tasks.append(_task(doc, batch_gold[doc.id], record))
            for score in scorer.score(tasks):
                write(score)
                rows.append(counts_row(score))
                if score.failure is not None:
                    failures[score.failure] = failures.get(score.failure, 0) + 1
    counts = np.array(rows, dtype=float).reshape(len(rows), len(FIELDS))
    metrics = aggregate_counts(counts, failures)
    folder.write_metrics(metrics)
    return metrics


async def _extract_all(
    todo: list[Document],
    prompt: Prompt,
    client: ChatClient,
    reask: int,
    folder: RunFolder,
    progress: Progress,
    totals: TokenTotals,
    manifest: Manifest,
) -> None:
    queue: asyncio.Queue[Document] = asyncio.Queue()
    for doc in todo:
        queue.put_nowait(doc)

    def keep(record: PredictionRecord) -> None:
        folder.append_prediction(record)
        totals.prompt_tokens += record.prompt_tokens
        totals.completion_tokens += record.completion_tokens
        totals.requests += len(record.attempts)
        totals.http_attempts += sum(a.http_attempts for a in record.attempts)
        totals.cached += sum(a.cached for a in record.attempts)
        if record.server_model:
            manifest.server_model = manifest.server_model or record.server_model
        progress.advance(record)

    async def worker() -> None:
        while not queue.empty():
            doc = queue.get_nowait()
            try:
                record = await extract_document(doc, prompt, client, reask)
            except FatalEndpointError as exc:
                keep(exc.record)
                raise
            keep(record)

    workers = [asyncio.create_task(worker()) for _ in range(client.endpoint.concurrency)]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


async def run_evaluation(
    config: RunConfig,
    api_key: str | None,
    progress: Progress | None = None,
    resume: Path | None = None,
    retry_failed: bool = False,
) -> RunOutcome:
    """Evaluate one prompt on one endpoint; the run folder is readable whatever happens."""
    progress = progress or _Silent()
    prompt = load_prompt(config.prompt, config.prompts_dir)
    documents = load_documents(config.docs)[: config.limit]
    gold = check_gold(config.gold, documents)  # bad gold stops us before any request
    prompt.render(documents[0])  # a template error stops us before any request
    if resume is not None:
        folder = RunFolder.open(resume)
        manifest = _check_resumable(folder.read_manifest(), prompt, documents, config)
        done = folder.read_predictions()
        todo = [
            d
            for d in documents
            if d.id not in done or (retry_failed and done[d.id].failure is not None)
        ]
    else:
        run_id = config.run_id or new_run_id(prompt.ref)
        folder = RunFolder.create(config.results_dir, run_id)
        manifest = _new_manifest(config, prompt, run_id, documents, gold)
        todo = list(documents)
    folder.write_manifest(manifest)
    cache = open_cache(config.cache_dir) if config.cache_dir else None
    client = ChatClient(
        config.endpoint,
        api_key,
        config.params,
        mode=config.output_mode,
        cache=cache,
        repeat=config.repeat,
    )
    totals = manifest.tokens.model_copy()
    started = time.perf_counter()
    status, error = "failed", None
    try:
        if todo and config.output_mode is None:
            try:
                probe = await client.probe()
            except CallFailed as exc:  # unreachable, key rejected, persistent 5xx...
                error = f"{config.endpoint.base_url}: probe failed ({exc.failure.kind}): {exc}"
                raise EndpointError(error) from exc
            manifest.output_mode_probe = [
                ProbeRecord(mode=str(s.mode), accepted=s.accepted, error=s.error) for s in probe
            ]
        manifest.output_mode = str(client.mode) if client.mode else manifest.output_mode
        progress.start(len(documents), len(documents) - len(todo))
        await _extract_all(todo, prompt, client, config.reask, folder, progress, totals, manifest)
        status = "completed"
    except FatalEndpointError as exc:
        error = f"{config.endpoint.base_url}: the endpoint rejected the run: {exc}"
        raise EndpointError(error) from exc
    except (KeyboardInterrupt, asyncio.CancelledError):
        status, error = "interrupted", "interrupted; finish with: harness run --resume RUN"
        raise
    finally:
        progress.finish()
        await client.close()
        if cache is not None:
            manifest.cache = {"path": str(cache.path), "hits": cache.hits, "misses": cache.misses}
            cache.close()
        folder.close()
        _finish_manifest(folder, manifest, status, error, totals, client, started)
        if status != "completed":
            _score_stopped_run(folder, documents, gold, config.scoring)
    metrics = score_run(folder, documents, gold, config.scoring)
    return RunOutcome(folder, manifest, metrics, requested=len(todo))


def _task(doc: Document, gold: GoldDocument, record: PredictionRecord | None) -> ScoringTask:
    if record is None:  # never requested, or lost with the requests in flight at a crash
        return ScoringTask(doc.id, doc.text, gold, [], "not_run", False)
    failure = str(record.failure.kind) if record.failure else None
    return ScoringTask(
        doc.id, doc.text, gold, record.claims or [], failure, record.valid_first_attempt
    )


def _finish_manifest(
    folder: RunFolder,
    manifest: Manifest,
    status: str,
    error: str | None,
    totals: TokenTotals,
    client: ChatClient,
    started: float,
) -> None:
    manifest.server_model = client.server_model or manifest.server_model
    manifest.status, manifest.error, manifest.tokens = status, error, totals
    if client.mode is not None:  # a capability error may have stepped down mid-run
        manifest.output_mode = str(client.mode)
    manifest.finished_at = _now()
    manifest.duration_s = round((manifest.duration_s or 0) + time.perf_counter() - started, 3)
    folder.write_manifest(manifest)


def _score_stopped_run(
    folder: RunFolder,
    documents: list[Document],
    gold: GoldSet,
    scoring: ScoringConfig,
) -> None:
    """A failed or interrupted run still gets scores (unfinished documents as `not_run`),
    so `show` and `report` can read it; best effort, never masking the original error."""
    with contextlib.suppress(Exception):
        score_run(folder, documents, gold, scoring)


def _check_resumable(
    manifest: Manifest, prompt: Prompt, documents: list[Document], config: RunConfig
) -> Manifest:
    problems = []
    if manifest.prompt_hash != prompt.content_hash:
        problems.append(f"prompt {prompt.ref} changed since the run started")
    if manifest.documents_hash != documents_hash(documents):
        problems.append("the documents differ from the run's")
    if manifest.model != config.endpoint.model:
        problems.append(f"model {config.endpoint.model!r} is not the run's {manifest.model!r}")
    if manifest.params != config.params.model_dump():
        problems.append("sampling parameters differ from the run's (see its manifest.json)")
    if manifest.reask != config.reask or manifest.repeat != config.repeat:
        problems.append("--reask or the repeat index differs from the run's")
    if problems:
        raise UserInputError(f"--resume {manifest.run_id}: " + "; ".join(problems))
    return manifest


def evaluate(config: RunConfig, api_key: str | None = None) -> RunOutcome:
    """Synchronous entry point for Python users and notebooks."""
    return asyncio.run(run_evaluation(config, api_key))


def load_config_json(path: Path) -> RunConfig:
    return RunConfig.model_validate(json.loads(path.read_text(encoding="utf-8")))
