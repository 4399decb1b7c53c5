"""The engine's entry points behind the public API (`harness.run`, `harness.run_sweep`,
`harness.rescore`, ...): synchronous, for the CLI and notebooks alike (inside a running
event loop they run on a worker thread; `arun` is the awaitable one).

`run` resolves a `RunRequest` into one cell and runs it through `run_cell`, exactly as a
sweep runs each of its cells.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from pydantic import ValidationError

from harness._eval.cells import CellJob, Shared, run_cell
from harness._eval.fanout import run_shard, summarize
from harness._eval.loop import run_sync, synchronous
from harness._eval.manifest import rescored_manifest
from harness._eval.resume import resumed_request
from harness._eval.run import Progress, RunOutcome, Silent, gold_notice, load_corpus
from harness._eval.score import check_rescore_loses_nothing, score_judged
from harness._eval.sweep import plan_cells, run_cells
from harness.corpus import check_gold, load_documents
from harness.endpoints.resolve import (
    DEFAULTS,
    EndpointResolver,
    default_prompt,
    with_kind_defaults,
)
from harness.endpoints.settings import BASELINE_PREFIX, Kind, kind_of, replica_urls
from harness.errors import UserInputError
from harness.judges import open_scoring_judge
from harness.names import SAFE_NAME_RULE, is_safe_name
from harness.prompts import default_prompts_dir
from harness.request import CacheOptions, EndpointOptions, RunRequest
from harness.runs import RunFolder, SweepSummary
from harness.runs.folder import new_run_id
from harness.runs.lock import FolderLock
from harness.scoring.document import ScoringConfig
from harness.scoring_names import Assignment, JudgeSettings, MatcherName
from harness.sweep import Cell, EndpointSpec, SweepFile

__all__ = [
    "arun",
    "plan_sweep",
    "rescore",
    "run",
    "run_baseline_beside",
    "run_sweep",
    "run_sweep_shard",
    "summarize_sweep",
]


def _spec(request: RunRequest) -> EndpointSpec:
    """The endpoint the options name; the flag-worded errors of a run's endpoint."""
    options = request.endpoint
    try:
        urls = replica_urls(options.base_url)
    except ValueError as exc:
        raise UserInputError(f"--base-url: {exc}") from exc
    model = options.model or ("local" if not urls else None)
    if model is None:
        raise UserInputError("--model: required with --base-url (the model name to request)")
    kind = kind_of(model)
    if kind.takes_url and not urls:
        raise UserInputError(f"--base-url: required for --model {model!r} (or set OPENAI_BASE_URL)")
    if not kind.takes_url and urls:  # never silently ignored
        what = "runs in-process" if kind is Kind.BASELINE else "is the embedded server"
        raise UserInputError(
            f"--base-url: not used with --model {model} ({what}); drop --base-url, or pass "
            "the name of the model served at that URL as --model"
        )
    try:
        return EndpointSpec(
            base_url=None if not urls else (urls[0] if len(urls) == 1 else list(urls)),
            model=model,
            **options.model_dump(exclude={"model", "base_url"}),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        option = str(first["loc"][0] if first["loc"] else "base_url").replace("_", "-")
        raise UserInputError(f"--{option}: {first['msg']}") from exc


def _shared(request: RunRequest, spec: EndpointSpec) -> Shared:
    corpus, evaluation, cache = request.corpus, request.evaluation, request.cache
    limit = None if corpus.all_docs else (corpus.limit or DEFAULTS[kind_of(spec.model)].limit)
    documents, gold = load_corpus(corpus.docs, corpus.gold, limit)
    return Shared(
        docs=corpus.docs,
        gold=corpus.gold,
        prompts_dir=corpus.prompts_dir or default_prompts_dir(),
        limit=limit,
        documents=documents,
        gold_set=gold,
        reask=evaluation.reask,
        output_mode=evaluation.output_mode,
        scoring=ScoringConfig().choosing(
            evaluation.threshold, evaluation.matcher, evaluation.assignment, evaluation.judge()
        ),
        cache_dir=cache.folder(),
        cache_ttl=cache.cache_ttl,
        retry_failed=evaluation.retry_failed,
        allow_endpoint_change=evaluation.allow_endpoint_change,
        answer_limits=evaluation.answer_limits(),
    )


def run(
    request: RunRequest,
    progress: Progress | None = None,
    notice: Callable[[str], None] | None = None,
) -> RunOutcome:
    """`harness run`: one prompt on one endpoint over a corpus; a sweep of one cell.

    `notice` hears what the defaults of the endpoint's kind chose, before any request.
    Inside a running event loop (a notebook) it runs on a worker thread; `arun` awaits.
    """
    return run_sync(arun(request, progress, notice))


async def arun(
    request: RunRequest,
    progress: Progress | None = None,
    notice: Callable[[str], None] | None = None,
) -> RunOutcome:
    """`run` for a caller that already has an event loop."""
    if request.evaluation.retry_failed and request.evaluation.resume is None:
        raise UserInputError("--retry-failed: only meaningful with --resume RUN")
    if request.evaluation.allow_endpoint_change and request.evaluation.resume is None:
        raise UserInputError("--allow-endpoint-change: only meaningful with --resume RUN")
    if request.evaluation.resume is not None:
        request = resumed_request(request)
    evaluation = request.evaluation
    spec = _spec(request)
    chosen = request.sampling.model_dump(exclude_none=True)
    params = with_kind_defaults(spec.model, chosen)
    shared = _shared(request, spec)
    missing_gold = gold_notice(shared.documents, shared.gold_set)
    if notice is not None and missing_gold:
        notice(missing_gold)
    if notice is not None and spec.local and shared.limit and evaluation.resume is None:
        notice(
            f"embedded model: first {shared.limit} documents, max_tokens {params.max_tokens}, "
            f"repeat_penalty {params.repeat_penalty} (--all for the full corpus)"
        )
    if evaluation.run_id is not None and not is_safe_name(evaluation.run_id):
        raise UserInputError(
            f"--run-id: {evaluation.run_id!r} is not a safe folder name ({SAFE_NAME_RULE}); "
            "it names a folder under --results"
        )
    resume = evaluation.resume
    prompt = evaluation.prompt or default_prompt(spec.model)
    run_id = evaluation.run_id or (resume.name if resume else new_run_id(prompt))
    run_dir = resume if resume is not None else evaluation.results / run_id
    cell = Cell(run_id, prompt, "run", params, 0)
    job = CellJob(cell, spec, run_dir, RunFolder(run_dir).server_log, resume=resume is not None)

    with ExitStack() as stack:
        return await run_cell(shared, job, EndpointResolver(stack), progress or Silent())


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


# `harness.run_sweep_shard`: this process's part of a shared sweep, blocking.
run_sweep_shard = synchronous(run_shard, "run_sweep_shard")


def summarize_sweep(sweep: SweepFile, cells: list[Cell]) -> SweepSummary:
    """Write the sweep's summary from its cells' folders as they are; sends nothing."""
    return summarize(sweep, cells)


# `harness.run_sweep` and `harness.plan_sweep`: the engine's sweep functions, blocking.
run_sweep = synchronous(run_cells, "run_sweep")
plan_sweep = synchronous(plan_cells, "plan_sweep")


def rescore(
    run: Path,
    gold: Path | None = None,
    threshold: float | None = None,
    matcher: MatcherName | None = None,
    assignment: Assignment | None = None,
    judge: JudgeSettings | None = None,
    cache: CacheOptions = CacheOptions(),  # noqa: B008 - frozen, safe to share
) -> RunOutcome:
    """Score a run again from its stored predictions, without calling the extraction
    model; with other gold, another threshold, matcher, assignment or judge (None keeps
    the run's), the manifest says so. A judge matcher calls only the judge (through
    `cache`); its use is recorded in the manifest's `judge`."""
    folder = RunFolder.open(run)
    with FolderLock(run, "harness rescore"):
        return _rescore_held(folder, gold, threshold, matcher, assignment, judge, cache)


def _rescore_held(
    folder: RunFolder,
    gold: Path | None,
    threshold: float | None,
    matcher: MatcherName | None,
    assignment: Assignment | None,
    judge: JudgeSettings | None,
    cache: CacheOptions,
) -> RunOutcome:
    manifest = folder.read_manifest()
    scoring = manifest.scoring.choosing(threshold, matcher, assignment, judge)
    documents = load_documents(Path(manifest.documents_source))[: manifest.n_documents]
    gold_set = check_gold(gold or Path(manifest.gold_source), documents)
    check_rescore_loses_nothing(folder, documents, gold_set)
    log = folder.file("judge_server.log")  # never the extraction server's log
    with (
        ExitStack() as stack,
        open_scoring_judge(
            scoring, EndpointResolver(stack), log, cache.folder(), cache.cache_ttl
        ) as opened,
    ):
        manifest = rescored_manifest(manifest, scoring, gold, gold_set)
        metrics, manifest = score_judged(folder, manifest, documents, gold_set, scoring, opened)
    folder.write_manifest(manifest)
    return RunOutcome(folder, manifest, metrics, requested=0)
