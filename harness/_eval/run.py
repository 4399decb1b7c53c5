"""Run one evaluation: documents -> prompt -> model -> validation -> scoring -> run folder.

Workers pull documents from a queue (memory stays flat however large the corpus), each
finished document is appended to predictions.jsonl at once, and scoring reads back what
was written, so `rescore` and `resume` go through exactly the same code as a fresh run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from harness._eval.baseline import baseline_extractor
from harness._eval.config import RunConfig
from harness._eval.extract import FatalEndpointError, extract_document
from harness._eval.manifest import Tally, finish_manifest, start_manifest
from harness._eval.running import RunningScore
from harness._eval.score import score_run, score_stopped_run
from harness._eval.shape import RequestShape, request_shape
from harness.claims import Document
from harness.corpus import GoldSet, check_gold, documents_hash, load_documents
from harness.endpoints.cache import ResponseCache, open_cache
from harness.endpoints.client import CallFailed, ChatClient
from harness.endpoints.settings import Kind, kind_of
from harness.errors import EndpointError, UserInputError
from harness.prompts import Prompt, load_prompt
from harness.runs import Manifest, PredictionRecord, RunFolder
from harness.runs.folder import new_run_id, to_do
from harness.runs.manifest import ProbeRecord
from harness.scoring.document import DocScore
from harness.scoring.metrics import Metrics

__all__ = [
    "Inputs",
    "Progress",
    "RunOutcome",
    "Silent",
    "evaluate",
    "load_corpus",
    "load_inputs",
    "run_evaluation",
    "score_run",
]


class Progress(Protocol):
    """A display of a run's progress; `wants_scores` asks for the running claim F1 (each
    document scored as it lands, at a small cost per document)."""

    wants_scores: bool

    def start(self, total: int, already_done: int) -> None: ...
    def advance(self, record: PredictionRecord, claim_f1: float | None = None) -> None: ...
    def finish(self) -> None: ...


class Silent:
    """No progress output."""

    wants_scores = False

    def start(self, total: int, already_done: int) -> None: ...
    def advance(self, record: PredictionRecord, claim_f1: float | None = None) -> None: ...
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


Extract = Callable[[Document], Awaitable[PredictionRecord]]


async def _extract_all(
    todo: list[Document],
    extract: Extract,
    concurrency: int,
    folder: RunFolder,
    progress: Progress,
    tally: Tally,
    running: RunningScore | None = None,
) -> None:
    queue: asyncio.Queue[Document] = asyncio.Queue()
    for doc in todo:
        queue.put_nowait(doc)

    def keep(record: PredictionRecord) -> None:
        folder.append_prediction(record)
        tally.add(record)
        progress.advance(record, running.add(record) if running is not None else None)

    async def worker() -> None:
        while not queue.empty():
            doc = queue.get_nowait()
            try:
                record = await extract(doc)
            except FatalEndpointError as exc:
                keep(exc.record)
                raise
            keep(record)

    workers = [asyncio.create_task(worker()) for _ in range(concurrency)]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


@dataclass(frozen=True)
class Inputs:
    """What a run reads before any request, each checked up front."""

    prompt: Prompt
    documents: list[Document]
    gold: GoldSet


def load_corpus(docs: Path, gold: Path, limit: int | None) -> tuple[list[Document], GoldSet]:
    documents = load_documents(docs)[:limit]
    return documents, check_gold(gold, documents)  # bad gold stops us before any request


def load_inputs(
    prompt_ref: str, prompts_dir: Path, documents: list[Document], gold: GoldSet
) -> Inputs:
    prompt = load_prompt(prompt_ref, prompts_dir)
    prompt.render(documents[0])  # a template error stops us before any request
    return Inputs(prompt, documents, gold)


def _inputs(config: RunConfig) -> Inputs:
    documents, gold = load_corpus(config.docs, config.gold, config.limit)
    return load_inputs(config.prompt, config.prompts_dir, documents, gold)


def _open_run(
    config: RunConfig,
    inputs: Inputs,
    resume: Path | None,
    retry_failed: bool,
    shape: RequestShape | None,
) -> tuple[RunFolder, Manifest, list[Document]]:
    """The run folder with its manifest written (the first known point), and the
    documents still to request."""
    if resume is not None:
        folder = RunFolder.open(resume)
        manifest = _check_resumable(folder.read_manifest(), inputs.prompt, inputs.documents, config)
        todo = to_do(resume, inputs.documents, retry_failed).documents
    else:
        run_id = config.run_id or new_run_id(inputs.prompt.ref)
        folder = RunFolder.create(config.results_dir, run_id)
        manifest = start_manifest(config, inputs.prompt, run_id, inputs.documents, inputs.gold)
        if shape is not None:
            update = {"request_caps": shape.caps, "grounding": shape.grounding}
            manifest = manifest.model_copy(update=update)
        todo = list(inputs.documents)
    folder.write_manifest(manifest)
    return folder, manifest, todo


@dataclass
class _Answerer:
    """What answers the documents: a chat client (with its cache), or a baseline called
    in-process, which has nothing to probe, cache or close."""

    extract: Extract
    concurrency: int
    client: ChatClient | None = None
    cache: ResponseCache | None = None

    @classmethod
    def of(
        cls, config: RunConfig, api_key: str | None, inputs: Inputs, shape: RequestShape | None
    ) -> _Answerer:
        if kind_of(config.endpoint.model) is Kind.BASELINE:
            return cls(baseline_extractor(config.endpoint.model, inputs.documents, inputs.gold), 1)
        cache = open_cache(config.cache_dir) if config.cache_dir else None
        client = ChatClient(
            config.endpoint, api_key, config.params, config.output_mode, cache, config.repeat
        )

        def extract(doc: Document) -> Awaitable[PredictionRecord]:
            return extract_document(doc, inputs.prompt, client, config.reask, shape)

        return cls(extract, config.endpoint.concurrency, client, cache)

    async def probe(self, config: RunConfig, todo: list[Document]) -> list[ProbeRecord] | None:
        if self.client is None or not todo or config.output_mode is not None:
            return None
        return await _probe(self.client)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()
        if self.cache is not None:
            self.cache.close()


async def run_evaluation(
    config: RunConfig,
    api_key: str | None,
    progress: Progress | None = None,
    resume: Path | None = None,
    retry_failed: bool = False,
    inputs: Inputs | None = None,
) -> RunOutcome:
    """Evaluate one prompt on one endpoint; the run folder is readable whatever happens."""
    progress = progress or Silent()
    inputs = inputs or _inputs(config)
    baseline = kind_of(config.endpoint.model) is Kind.BASELINE
    shape = None if baseline else request_shape(inputs.prompt.meta, inputs.documents, inputs.gold)
    answerer = _Answerer.of(config, api_key, inputs, shape)  # a baseline checks its gold here
    try:
        folder, manifest, todo = _open_run(config, inputs, resume, retry_failed, shape)
    except BaseException:
        await answerer.close()
        raise
    tally = Tally(manifest.tokens.model_copy())
    status, error, probe = "failed", None, None
    client = answerer.client
    try:
        probe = await answerer.probe(config, todo)
        progress.start(len(inputs.documents), len(inputs.documents) - len(todo))
        running = RunningScore(inputs.documents, inputs.gold, config.scoring)
        await _extract_all(
            todo, answerer.extract, answerer.concurrency, folder, progress, tally,
            running if progress.wants_scores else None,
        )  # fmt: skip
        status = "completed"
    except FatalEndpointError as exc:
        error = f"{config.endpoint.base_url}: the endpoint rejected the run: {exc}"
        raise EndpointError(error) from exc
    except EndpointError as exc:
        error = str(exc)
        raise
    except (KeyboardInterrupt, asyncio.CancelledError):
        status, error = "interrupted", "interrupted; finish with: harness run --resume RUN"
        raise
    finally:
        progress.finish()
        folder.close()
        manifest = finish_manifest(
            manifest, tally, status=status, error=error, probe=probe, cache=answerer.cache,
            client_mode=client.mode if client else None,
            probed_model=client.server_model if client else None,
        )  # fmt: skip
        await answerer.close()
        folder.write_manifest(manifest)
        if status != "completed":
            score_stopped_run(folder, inputs.documents, inputs.gold, config.scoring)
    metrics = score_run(folder, inputs.documents, inputs.gold, config.scoring)
    return RunOutcome(folder, manifest, metrics, requested=len(todo))


async def _probe(client: ChatClient) -> list[ProbeRecord]:
    """Settle the client's output mode; an endpoint that cannot answer stops the run."""
    try:
        steps = await client.probe()
    except CallFailed as exc:  # unreachable, key rejected, persistent 5xx...
        error = f"{client.endpoint.base_url}: probe failed ({exc.failure.kind}): {exc}"
        raise EndpointError(error) from exc
    return [ProbeRecord(mode=str(s.mode), accepted=s.accepted, error=s.error) for s in steps]


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
    if manifest.params != config.params:
        problems.append("sampling parameters differ from the run's (see its manifest.json)")
    if manifest.reask != config.reask or manifest.repeat != config.repeat:
        problems.append("--reask or the repeat index differs from the run's")
    if problems:
        raise UserInputError(f"--resume {manifest.run_id}: " + "; ".join(problems))
    return manifest


def evaluate(config: RunConfig, api_key: str | None = None) -> RunOutcome:
    """Synchronous entry point for Python users and notebooks."""
    return asyncio.run(run_evaluation(config, api_key))
