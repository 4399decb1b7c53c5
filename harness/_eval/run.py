"""Run one evaluation: documents -> prompt -> model -> validation -> scoring -> run folder.

Workers pull documents from a queue (memory stays flat however large the corpus), each
finished document is appended to predictions.jsonl at once, and scoring reads back what
was written, so `rescore` and `resume` go through exactly the same code as a fresh run.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from harness._eval.config import RunConfig
from harness._eval.extract import FatalEndpointError, extract_document
from harness._eval.manifest import Tally, finish_manifest, start_manifest
from harness._eval.score import score_off_loop, score_run, score_stopped_run
from harness.claims import Document
from harness.corpus import GoldSet, check_gold, documents_hash, load_documents
from harness.endpoints.cache import open_cache
from harness.endpoints.client import CallFailed, ChatClient
from harness.errors import EndpointError, TooManyFailures, UserInputError, storage_error
from harness.judges import OpenJudge
from harness.prompts import Prompt, load_prompt
from harness.runs import Manifest, PredictionRecord, RunFolder
from harness.runs.folder import ToDo, new_run_id, to_do
from harness.runs.manifest import ProbeRecord
from harness.scoring.document import DocScore
from harness.scoring.metrics import Metrics

__all__ = [
    "Inputs",
    "Progress",
    "RunOutcome",
    "Silent",
    "gold_notice",
    "load_corpus",
    "load_inputs",
    "run_evaluation",
    "score_run",
]


class Progress(Protocol):
    def start(self, total: int, already_done: int) -> None: ...
    def advance(self, record: PredictionRecord) -> None: ...
    def finish(self) -> None: ...


class Silent:
    """No progress output."""

    def start(self, total: int, already_done: int) -> None: ...
    def advance(self, record: PredictionRecord) -> None: ...
    def finish(self) -> None: ...


@dataclass(frozen=True)
class RunOutcome:
    folder: RunFolder
    manifest: Manifest
    metrics: Metrics
    requested: int  # documents asked for in this invocation, whoever answered
    from_cache: int = 0  # of those, answered entirely by the response cache

    def check_failures(self, max_rate: float | None = None) -> None:
        """Raise `TooManyFailures` when more than `max_rate` of the scored documents failed
        (None: only when every one did, so a run that produced nothing is never a pass)."""
        n, failed = self.metrics.n_docs, sum(self.metrics.failures.values())
        too_many = failed > max_rate * n if max_rate is not None else failed == n > 0
        if too_many:
            limit = "" if max_rate is None else f", over --max-failure-rate {max_rate}"
            raise TooManyFailures(
                f"{self.folder.path}: {failed} of {n} documents failed{limit} "
                f"(by class: {', '.join(f'{k} {v}' for k, v in self.metrics.failures.items())})"
            )

    def scores(self) -> list[DocScore]:
        """Per-document scores, read from the run folder (they are not kept in memory)."""
        return self.folder.read_scores()


async def _extract_all(
    todo: ToDo,
    prompt: Prompt,
    client: ChatClient,
    reask: int,
    folder: RunFolder,
    progress: Progress,
    tally: Tally,
) -> None:
    queue: asyncio.Queue[Document] = asyncio.Queue()
    for doc in todo.documents:
        queue.put_nowait(doc)

    def keep(record: PredictionRecord) -> None:
        folder.append_prediction(record)
        tally.add(record)
        progress.advance(record)

    async def worker() -> None:
        while not queue.empty():
            doc = queue.get_nowait()
            try:
                fresh = doc.id in todo.retried
                record = await extract_document(doc, prompt, client, reask, fresh)
            except FatalEndpointError as exc:
                keep(exc.record)
                raise
            keep(record)

    workers = [asyncio.create_task(worker()) for _ in range(client.capacity)]
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
    """Documents and their checked gold; bad gold, or gold for none of the documents (a
    wrong folder: every request would be wasted, "0 scored"), stops us before any request."""
    documents = load_documents(docs)[:limit]
    gold_set = check_gold(gold, documents)
    if documents and not gold_set.doc_ids:
        raise UserInputError(
            f"{gold}: --gold: no gold file for any of the {len(documents)} documents of "
            f"{docs} (gold files are named <document id>.json, e.g. {documents[0].id}.json)"
        )
    return documents, gold_set


def gold_notice(documents: list[Document], gold: GoldSet) -> str | None:
    """One line when some documents have no gold (they are requested but not scored)."""
    missing = len(documents) - len(gold.doc_ids)
    if not missing:
        return None
    return (
        f"{missing} of {len(documents)} documents have no gold in {gold.folder}: "
        "their answers are kept but not scored"
    )


def load_inputs(
    prompt_ref: str, prompts_dir: Path, documents: list[Document], gold: GoldSet
) -> Inputs:
    prompt = load_prompt(prompt_ref, prompts_dir)
    prompt.render(documents[0])  # a template error stops us before any request
    return Inputs(prompt, documents, gold)


def _inputs(config: RunConfig) -> Inputs:
    documents, gold = load_corpus(config.docs, config.gold, config.limit)
    return load_inputs(config.prompt, config.prompts_dir, documents, gold)


class EndpointChanged(UserInputError):
    """A resume would mix answers of two endpoints or server models in one run."""


def _open_run(
    config: RunConfig, inputs: Inputs, resume: Path | None, retry_failed: bool, allow_change: bool
) -> tuple[RunFolder, Manifest, ToDo]:
    """The run folder with its manifest written (the first known point), and the
    documents still to request."""
    if resume is not None:
        folder = RunFolder.open(resume)
        manifest = _check_resumable(folder.read_manifest(), inputs.prompt, inputs.documents, config)
        if not allow_change:
            _check_same_endpoint(manifest, config)
        todo = to_do(resume, inputs.documents, retry_failed)
    else:
        run_id = config.run_id or new_run_id(inputs.prompt.ref)
        folder = RunFolder.create(config.results_dir, run_id)
        manifest = start_manifest(config, inputs.prompt, run_id, inputs.documents, inputs.gold)
        todo = ToDo(0, list(inputs.documents))
    folder.write_manifest(manifest)
    return folder, manifest, todo


async def run_evaluation(
    config: RunConfig,
    api_key: str | None,
    progress: Progress | None = None,
    resume: Path | None = None,
    retry_failed: bool = False,
    inputs: Inputs | None = None,
    allow_endpoint_change: bool = False,
    judge: OpenJudge | None = None,
) -> RunOutcome:
    """Evaluate one prompt on one endpoint; the run folder is readable whatever happens.
    The caller holds the run folder (`runs.lock.FolderLock`), as `run_cell` does, and
    opens the judge `config.scoring` names, if any (`harness.judges`)."""
    progress = progress or Silent()
    inputs = inputs or _inputs(config)
    folder, manifest, todo = _open_run(config, inputs, resume, retry_failed, allow_endpoint_change)
    cache = open_cache(config.cache_dir, config.cache_ttl) if config.cache_dir else None
    client = ChatClient(
        config.endpoint, api_key, config.params, config.output_mode, cache, config.repeat
    )
    tally = Tally(manifest.tokens.model_copy())
    status, error, probe = "failed", None, None
    try:
        if todo.documents and config.output_mode is None:
            probe = await _probe(client)
            if resume is not None and not allow_endpoint_change:
                _check_same_server_model(manifest, client.server_model)
        progress.start(len(inputs.documents), len(inputs.documents) - len(todo.documents))
        await _extract_all(todo, inputs.prompt, client, config.reask, folder, progress, tally)
        status = "completed"
    except FatalEndpointError as exc:
        error = f"{config.endpoint.base_url}: the endpoint rejected the run: {exc}"
        raise EndpointError(error) from exc
    except EndpointError as exc:
        error = str(exc)
        raise
    except EndpointChanged:  # this invocation is refused: the run folder stays as it was
        status = "refused"
        raise
    except (KeyboardInterrupt, asyncio.CancelledError):
        status, error = "interrupted", "interrupted; finish with: harness run --resume RUN"
        raise
    except OSError as exc:  # full, read-only or broken file system: one line, recorded
        error = str(storage_error(exc))
        raise storage_error(exc) from exc
    finally:
        progress.finish()
        await client.close()
        stopped = status != "completed"  # on an error already: cleanup must not replace it
        folder.close(quiet=stopped)
        if status != "refused":
            manifest = finish_manifest(
                manifest, tally, status=status, error=error, probe=probe, cache=cache,
                client_mode=client.mode, probed_model=client.server_model,
            )  # fmt: skip
            folder.write_manifest(manifest, last_resort=stopped)
        if cache is not None:
            cache.close()
        if stopped and status != "refused" and judge is None:  # a judge: `rescore` later
            score_stopped_run(folder, inputs.documents, inputs.gold, config.scoring)
    if judge is None:
        metrics = score_run(folder, inputs.documents, inputs.gold, config.scoring)
    else:
        metrics, manifest = await score_off_loop(
            folder, manifest, inputs.documents, inputs.gold, config.scoring, judge
        )
        folder.write_manifest(manifest)  # what the judge cost is known only now
    return RunOutcome(folder, manifest, metrics, len(todo.documents), tally.from_cache)


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


def _check_same_endpoint(manifest: Manifest, config: RunConfig) -> None:
    """The endpoint's identity (a local model's GGUF hash, else its URL) must be the run's."""
    before = manifest.endpoint.identity or manifest.base_url
    now = config.endpoint.identity or config.endpoint.base_url
    if before != now:
        raise EndpointChanged(
            f"--resume {manifest.run_id}: the endpoint {now!r} is not the run's {before!r} "
            "(--allow-endpoint-change to mix them in one run)"
        )


def _check_same_server_model(manifest: Manifest, server_model: str | None) -> None:
    """The model the server reports serving (probed) must be the one the run recorded."""
    before = manifest.server_model
    if before is not None and server_model is not None and before != server_model:
        raise EndpointChanged(
            f"--resume {manifest.run_id}: the server now serves {server_model!r}, the run "
            f"was answered by {before!r} (--allow-endpoint-change to mix them in one run)"
        )
