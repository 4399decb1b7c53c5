"""The engine's entry points behind the public API (`harness.run`, `harness.run_sweep`,
`harness.rescore`, ...): synchronous, for the CLI and notebooks alike.

`run` resolves a `RunRequest` into one cell and runs it through `run_cell`, exactly as a
sweep runs each of its cells.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from harness._eval.cells import CellJob, Shared, run_cell
from harness._eval.manifest import rescored_manifest
from harness._eval.run import Progress, RunOutcome, Silent, load_corpus
from harness._eval.score import score_run
from harness._eval.sweep import CellOutcome, CellPlan, plan_cells, run_cells
from harness.corpus import check_gold, load_documents
from harness.endpoints.cache import default_cache_dir
from harness.endpoints.resolve import DEFAULTS, EndpointResolver, with_kind_defaults
from harness.endpoints.settings import BASELINE_PREFIX, Kind, kind_of
from harness.errors import UserInputError
from harness.request import EndpointOptions, RunRequest
from harness.runs import RunFolder, SweepSummary
from harness.runs.folder import new_run_id
from harness.scoring.document import ScoringConfig
from harness.sweep import Cell, EndpointSpec, SweepFile

__all__ = ["plan_sweep", "rescore", "run", "run_baseline_beside", "run_sweep"]


def _spec(request: RunRequest) -> EndpointSpec:
    """The endpoint the options name; the flag-worded errors of a run's endpoint."""
    options = request.endpoint
    model = options.model or ("local" if options.base_url is None else None)
    if model is None:
        raise UserInputError("--model: required with --base-url (the model name to request)")
    kind = kind_of(model)
    if kind.takes_url and options.base_url is None:
        raise UserInputError(f"--base-url: required for --model {model!r} (or set OPENAI_BASE_URL)")
    if not kind.takes_url and options.base_url is not None:  # never silently ignored
        what = "runs in-process" if kind is Kind.BASELINE else "is the embedded server"
        raise UserInputError(
            f"--base-url: not used with --model {model} ({what}); drop --base-url, or pass "
            "the name of the model served at that URL as --model"
        )
    return EndpointSpec(
        base_url=options.base_url,
        model=model,
        **options.model_dump(exclude={"model", "base_url"}),
    )


def _shared(request: RunRequest, spec: EndpointSpec) -> Shared:
    corpus, evaluation, cache = request.corpus, request.evaluation, request.cache
    limit = None if corpus.all_docs else (corpus.limit or DEFAULTS[kind_of(spec.model)].limit)
    documents, gold = load_corpus(corpus.docs, corpus.gold, limit)
    threshold = evaluation.threshold
    return Shared(
        docs=corpus.docs,
        gold=corpus.gold,
        prompts_dir=corpus.prompts_dir,
        limit=limit,
        documents=documents,
        gold_set=gold,
        reask=evaluation.reask,
        output_mode=evaluation.output_mode,
        scoring=ScoringConfig() if threshold is None else ScoringConfig(match_threshold=threshold),
        cache_dir=None if cache.no_cache else (cache.cache_dir or default_cache_dir()),
        retry_failed=evaluation.retry_failed,
    )


def run(
    request: RunRequest,
    progress: Progress | None = None,
    notice: Callable[[str], None] | None = None,
) -> RunOutcome:
    """`harness run`: one prompt on one endpoint over a corpus; a sweep of one cell.

    `notice` hears what the defaults of the endpoint's kind chose, before any request.
    """
    evaluation = request.evaluation
    if evaluation.retry_failed and evaluation.resume is None:
        raise UserInputError("--retry-failed: only meaningful with --resume RUN")
    spec = _spec(request)
    chosen = request.sampling.model_dump(exclude_none=True)
    params = with_kind_defaults(spec.model, chosen)
    shared = _shared(request, spec)
    if notice is not None and spec.local and shared.limit:
        notice(
            f"embedded model: first {shared.limit} documents, max_tokens {params.max_tokens}, "
            f"repeat_penalty {params.repeat_penalty} (--all for the full corpus)"
        )
    resume = evaluation.resume
    run_id = evaluation.run_id or (resume.name if resume else new_run_id(evaluation.prompt))
    run_dir = resume if resume is not None else evaluation.results / run_id
    cell = Cell(run_id, evaluation.prompt, "run", params, 0)
    job = CellJob(cell, spec, run_dir, RunFolder(run_dir).server_log, resume=resume is not None)

    async def one() -> RunOutcome:
        with ExitStack() as stack:
            return await run_cell(shared, job, EndpointResolver(stack), progress or Silent())

    return asyncio.run(one())


def run_baseline_beside(request: RunRequest, outcome: RunOutcome, name: str) -> RunOutcome:
    """Baseline `name` (`lead-3`) on exactly the documents `outcome` scored, into the run
    folder `<run id>-<name>` beside it; a folder already there is resumed (a finished one
    is only rescored), never overwritten."""
    model = BASELINE_PREFIX + name.removeprefix(BASELINE_PREFIX)
    folder = outcome.folder.path.parent / f"{outcome.folder.path.name}-{model.split(':')[1]}"
    resume = folder if (folder / "manifest.json").exists() else None
    corpus = request.corpus.model_copy(
        update={"limit": outcome.manifest.n_documents, "all_docs": False}
    )
    evaluation = request.evaluation.model_copy(
        update={"run_id": folder.name, "resume": resume, "retry_failed": False}
    )
    base = RunRequest(
        endpoint=EndpointOptions(model=model), corpus=corpus, evaluation=evaluation,
        cache=request.cache,
    )  # fmt: skip
    return run(base)


def run_sweep(
    sweep: SweepFile,
    path: Path,
    cells: list[Cell],
    cache_dir: Path | None,
    progress: Callable[[int, Cell], Progress],
    retry_failed: bool = False,
) -> tuple[SweepSummary, list[CellOutcome]]:
    """Run (or resume) every cell in order; an endpoint failure stops only its cell."""
    return asyncio.run(run_cells(sweep, path, cells, cache_dir, progress, retry_failed))


def plan_sweep(
    sweep: SweepFile,
    path: Path,
    cells: list[Cell],
    cache_dir: Path | None,
    retry_failed: bool = False,
) -> list[CellPlan]:
    """What each cell would request (documents neither recorded nor cached); sends nothing."""
    return asyncio.run(plan_cells(sweep, path, cells, cache_dir, retry_failed))


def rescore(run: Path, gold: Path | None = None, threshold: float | None = None) -> RunOutcome:
    """Score a run again from its stored predictions, without calling any model; with other
    gold or another threshold, the manifest says so."""
    folder = RunFolder.open(run)
    manifest = folder.read_manifest()
    scoring = manifest.scoring
    if threshold is not None:
        scoring = scoring.model_copy(update={"match_threshold": threshold})
    documents = load_documents(Path(manifest.documents_source))[: manifest.n_documents]
    gold_set = check_gold(gold or Path(manifest.gold_source), documents)
    metrics = score_run(folder, documents, gold_set, scoring)
    manifest = rescored_manifest(manifest, scoring, gold, gold_set)
    folder.write_manifest(manifest)
    return RunOutcome(folder, manifest, metrics, requested=0)
