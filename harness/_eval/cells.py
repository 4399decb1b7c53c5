"""One cell: a prompt, an endpoint spec and sampling parameters, run into one run folder.

`harness run` is a sweep of one cell: both come here, so endpoint resolution (with the
per-kind defaults), resume and the RunConfig exist once. A local server is started only
when the cell has documents to request, after the corpus, gold and prompt were checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness._eval.config import RunConfig
from harness._eval.run import Inputs, Progress, RunOutcome, load_inputs, run_evaluation
from harness.answer_limits import DEFAULT_LIMITS, AnswerLimits
from harness.claims import Document
from harness.corpus import GoldSet
from harness.endpoints.resolve import EndpointResolver
from harness.endpoints.settings import OutputMode
from harness.judges import open_scoring_judge
from harness.runs.folder import RunFolder, to_do
from harness.runs.lock import FolderLock
from harness.scoring.document import ScoringConfig
from harness.sweep import Cell, EndpointSpec

__all__ = ["CellJob", "Shared", "run_cell"]


@dataclass(frozen=True)
class Shared:
    """What every cell of one invocation shares (the corpus is loaded once)."""

    docs: Path
    gold: Path
    prompts_dir: Path
    limit: int | None
    documents: list[Document]
    gold_set: GoldSet
    reask: int
    output_mode: OutputMode | None
    scoring: ScoringConfig
    cache_dir: Path | None
    retry_failed: bool
    cache_ttl: float | None = None  # seconds: older cached answers are requested again
    allow_endpoint_change: bool = False  # resume against another endpoint or server model
    answer_limits: AnswerLimits = DEFAULT_LIMITS


@dataclass(frozen=True)
class CellJob:
    """One cell and where it runs: `folder` is its run folder, resumed if `resume`."""

    cell: Cell
    spec: EndpointSpec
    folder: Path
    server_log: Path
    resume: bool
    where: str | None = None  # prefix of errors about the spec (a sweep file's JSON path)


async def run_cell(
    shared: Shared, job: CellJob, resolver: EndpointResolver, progress: Progress
) -> RunOutcome:
    """Run (or resume) one cell; endpoint errors propagate, the run folder records them.
    The folder is held (`FolderLock`) from deciding what is left to the last write."""
    inputs = load_inputs(job.cell.prompt, shared.prompts_dir, shared.documents, shared.gold_set)
    if job.resume:
        RunFolder.open(job.folder)  # not a run folder: say so before creating a lock in it
    with FolderLock(job.folder, "harness run"):
        return await _run_held(shared, job, resolver, progress, inputs)


async def _run_held(
    shared: Shared, job: CellJob, resolver: EndpointResolver, progress: Progress, inputs: Inputs
) -> RunOutcome:
    todo = to_do(job.folder, shared.documents, shared.retry_failed) if job.resume else None
    if todo is None or todo.documents:
        ready = resolver.ready(job.spec, job.server_log, job.where)
        endpoint, api_key, local_model = ready.endpoint, ready.api_key, ready.local_model
    else:  # nothing to request: no server to start, no key to read
        endpoint, api_key, local_model = resolver.endpoint(job.spec, where=job.where), None, None
    config = RunConfig(
        prompt=job.cell.prompt,
        prompts_dir=shared.prompts_dir,
        docs=shared.docs,
        gold=shared.gold,
        results_dir=job.folder.parent,
        endpoint=endpoint,
        params=job.cell.params,
        output_mode=shared.output_mode,
        reask=shared.reask,
        answer_limits=shared.answer_limits,
        scoring=shared.scoring,
        limit=shared.limit,
        run_id=job.folder.name,
        local_model=local_model,
        cache_dir=shared.cache_dir,
        cache_ttl=shared.cache_ttl,
        repeat=job.cell.repeat,
    )
    resume = job.folder if job.resume else None
    # A local judge shares the cell's server log, so the same model serves both.
    with open_scoring_judge(
        shared.scoring, resolver, job.server_log, shared.cache_dir, shared.cache_ttl
    ) as judge:
        return await run_evaluation(
            config,
            api_key,
            progress,
            resume=resume,
            retry_failed=shared.retry_failed,
            inputs=inputs,
            allow_endpoint_change=shared.allow_endpoint_change,
            judge=judge,
        )
