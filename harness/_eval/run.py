"""Run one evaluation: documents -> prompt -> model -> validation -> scoring -> run folder.

Workers (`answerer.py`) pull documents from a queue, each finished document is appended to
predictions.jsonl at once, and scoring reads back what was written, so `rescore` and
`resume` go through exactly the same code as a fresh run.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from harness._eval.answerer import Answerer, extract_all
from harness._eval.config import RunConfig
from harness._eval.extract import FatalEndpointError
from harness._eval.inputs import Inputs, gold_notice, inputs_of, load_corpus, load_inputs
from harness._eval.manifest import Tally, finish_manifest, start_manifest
from harness._eval.resumable import (
    EndpointChanged,
    check_resumable,
    check_same_endpoint,
    check_same_server_model,
)
from harness._eval.running import RunningScore
from harness._eval.score import score_off_loop, score_run, score_stopped_run
from harness._eval.shape import RequestShape, request_shape
from harness._gc import quiet_collector
from harness.endpoints.settings import Kind, kind_of
from harness.errors import EndpointError, TooManyFailures, storage_error
from harness.judges import OpenJudge
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
    "too_many_failures",
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


def too_many_failures(metrics: Metrics, max_rate: float | None) -> bool:
    """More than `max_rate` of the scored documents failed; None: every one did (a run
    that produced nothing is never a pass). The one rule for runs and sweep cells."""
    n, failed = metrics.n_docs, sum(metrics.failures.values())
    return failed > max_rate * n if max_rate is not None else failed == n > 0


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
        if too_many_failures(self.metrics, max_rate):
            limit = "" if max_rate is None else f", over --max-failure-rate {max_rate}"
            raise TooManyFailures(
                f"{self.folder.path}: {failed} of {n} documents failed{limit} "
                f"(by class: {', '.join(f'{k} {v}' for k, v in self.metrics.failures.items())})"
            )

    def scores(self) -> list[DocScore]:
        """Per-document scores, read from the run folder (they are not kept in memory)."""
        return self.folder.read_scores()


def _open_run(
    config: RunConfig,
    inputs: Inputs,
    resume: Path | None,
    retry_failed: bool,
    allow_change: bool,
    shape: RequestShape | None,
) -> tuple[RunFolder, Manifest, ToDo]:
    """The run folder with its manifest written (the first known point), and the
    documents still to request."""
    if resume is not None:
        folder = RunFolder.open(resume)
        manifest = check_resumable(folder.read_manifest(), inputs.prompt, inputs.documents, config)
        if not allow_change:
            check_same_endpoint(manifest, config)
        todo = to_do(resume, inputs.documents, retry_failed)
    else:
        run_id = config.run_id or new_run_id(inputs.prompt.ref)
        folder = RunFolder.create(config.results_dir, run_id)
        manifest = start_manifest(config, inputs.prompt, run_id, inputs.documents, inputs.gold)
        if shape is not None:
            update = {"request_caps": shape.caps, "grounding": shape.grounding}
            manifest = manifest.model_copy(update=update)
        todo = ToDo(0, list(inputs.documents))
    folder.write_manifest(manifest)
    return folder, manifest, todo


@dataclass
class _Run:
    """One invocation on an open run folder: how it ended (`status`, `error`) decides
    what the manifest says and whether the stopped run is scored."""

    config: RunConfig
    inputs: Inputs
    folder: RunFolder
    manifest: Manifest
    answerer: Answerer
    status: str = "failed"
    error: str | None = None
    probe: list[ProbeRecord] | None = None
    judged: bool = False  # scored by a judge: a stopped run waits for `harness rescore`

    async def answer(self, todo: ToDo, progress: Progress, tally: Tally, check: bool) -> None:
        """Probe, then every document still to do; `check`: the server model must be the
        run's (a resume without --allow-endpoint-change)."""
        config, inputs = self.config, self.inputs
        try:
            self.probe = await self.answerer.probe(config, todo)
            if todo.documents and check:
                check_same_server_model(self.manifest, await self.answerer.server_model_now())
            progress.start(len(inputs.documents), len(inputs.documents) - len(todo.documents))
            running = RunningScore(inputs.documents, inputs.gold, config.scoring)
            scored = running if progress.wants_scores else None
            with quiet_collector():  # see harness/_gc.py
                await extract_all(todo, self.answerer, self.folder, progress.advance, tally, scored)
            self.status = "completed"
        except FatalEndpointError as exc:
            self.error = f"{config.endpoint.base_url}: the endpoint rejected the run: {exc}"
            raise EndpointError(self.error) from exc
        except EndpointError as exc:
            self.error = str(exc)
            raise
        except EndpointChanged:  # this invocation is refused: the run folder stays as it was
            self.status = "refused"
            raise
        except (KeyboardInterrupt, asyncio.CancelledError):
            self.status = "interrupted"
            self.error = "interrupted; finish with: harness run --resume RUN"
            raise
        except OSError as exc:  # full, read-only or broken file system: one line, recorded
            self.error = str(storage_error(exc))
            raise storage_error(exc) from exc

    async def finish(self, progress: Progress, tally: Tally) -> None:
        """Close everything and record how the run ended (a refused invocation writes
        nothing); a stopped run is scored on what it has."""
        progress.finish()
        stopped = self.status != "completed"  # on an error already: cleanup must not replace it
        self.folder.close(quiet=stopped)
        client = self.answerer.client
        if self.status != "refused":
            self.manifest = finish_manifest(
                self.manifest, tally, status=self.status, error=self.error, probe=self.probe,
                cache=self.answerer.cache, client_mode=client.mode if client else None,
                probed_model=self.answerer.server_model,
            )  # fmt: skip
            self.folder.write_manifest(self.manifest, last_resort=stopped)
        await self.answerer.close()
        if stopped and self.status != "refused" and not self.judged:  # a judge: `rescore` later
            inputs = self.inputs
            score_stopped_run(self.folder, inputs.documents, inputs.gold, self.config.scoring)


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
    inputs = inputs or inputs_of(config)
    baseline = kind_of(config.endpoint.model) is Kind.BASELINE
    shape = None if baseline else request_shape(inputs.prompt.meta, inputs.documents, inputs.gold)
    answerer = Answerer.of(config, api_key, inputs, shape)  # a baseline checks its gold here
    try:
        opened = _open_run(config, inputs, resume, retry_failed, allow_endpoint_change, shape)
    except BaseException:
        await answerer.close()
        raise
    folder, manifest, todo = opened
    tally = Tally(manifest.tokens.model_copy())
    run = _Run(config, inputs, folder, manifest, answerer, judged=judge is not None)
    try:
        await run.answer(todo, progress, tally, resume is not None and not allow_endpoint_change)
    finally:
        await run.finish(progress, tally)
    manifest = run.manifest
    if judge is None:
        metrics = score_run(folder, inputs.documents, inputs.gold, config.scoring)
    else:
        metrics, manifest = await score_off_loop(
            folder, manifest, inputs.documents, inputs.gold, config.scoring, judge
        )
        folder.write_manifest(manifest)  # what the judge cost is known only now
    return RunOutcome(folder, manifest, metrics, len(todo.documents), tally.from_cache)
