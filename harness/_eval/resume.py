"""`harness run --resume RUN`: every setting comes from the run's manifest.

A resumed run must be the run it continues, so nothing is typed again (Inspect's
`eval-retry LOG`, promptfoo's `--resume`): endpoint, model, prompt, corpus, gold, limit,
concurrency, sampling and scoring are read from `manifest.json`. A setting the user did
give (a field set on the request: a flag on the command line) must equal the recorded
value, else the run is refused with both values named. Keys are never recorded, so the
key options are the user's; so is the cache (it only decides what is sent again).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from harness.corpus import load_documents
from harness.endpoints.local import DEFAULT_CONTEXT
from harness.endpoints.settings import kind_of
from harness.errors import UserInputError
from harness.request import (
    CorpusOptions,
    EndpointOptions,
    EvaluationOptions,
    RunRequest,
    SamplingOptions,
)
from harness.runs import Manifest, RunFolder
from harness.scoring_names import JudgeSettings

__all__ = ["resumed_request"]

# Not run settings: the key (never recorded) and the cache (decides only what is resent).
_FREE = {
    "api_key_env",
    "api_key_file",
    "resume",
    "retry_failed",
    "allow_endpoint_change",
    "max_failure_rate",
    "results",
    "all_docs",
}


def _flag(name: str) -> str:
    return "--" + {"all_docs": "all"}.get(name, name).replace("_", "-")


def _recorded(manifest: Manifest, run: Path) -> RunRequest:
    """The request that would have started this run."""
    takes_url = kind_of(manifest.model).takes_url  # a local model or baseline records no URL
    settings = manifest.endpoint
    identity = settings.identity or ""
    endpoint = EndpointOptions(
        model=manifest.model,
        base_url=(settings.replicas or manifest.base_url) if takes_url else None,
        pool_name=identity.removeprefix("pool:") if identity.startswith("pool:") else None,
        concurrency=settings.concurrency,
        timeout=settings.timeout_s,
        max_attempts=settings.max_attempts,
        backoff_max=settings.backoff_max_s,
        n_ctx=manifest.local_model.n_ctx if manifest.local_model else DEFAULT_CONTEXT,
        http_client=settings.http_client,
    )
    corpus = CorpusOptions(
        docs=Path(manifest.documents_source),
        gold=Path(manifest.gold_source),
        prompts_dir=Path(manifest.prompts_dir) if manifest.prompts_dir else None,
        limit=manifest.n_documents,
    )
    evaluation = EvaluationOptions(
        prompt=manifest.prompt,
        reask=manifest.reask,
        output_mode=manifest.forced_output_mode,
        threshold=manifest.scoring.match_threshold,
        matcher=manifest.scoring.matcher,
        assignment=manifest.scoring.assignment,
        **_judge_options(manifest.scoring.judge),
        results=run.parent,
        run_id=run.name,
        resume=run,
        max_answer_chars=manifest.answer_limits.max_chars,
        max_answer_depth=manifest.answer_limits.max_depth,
    )
    sampling = SamplingOptions.model_validate(manifest.params.model_dump())
    return RunRequest(endpoint=endpoint, sampling=sampling, corpus=corpus, evaluation=evaluation)


def _judge_options(judge: JudgeSettings | None) -> dict[str, str | None]:
    """The run's judge as the options that chose it (none without a judge)."""
    if judge is None:
        return {}
    return {
        "judge_model": judge.model,
        "judge_base_url": judge.base_url,
        "judge_api_key_env": judge.api_key_env,
    }


def _same(given: Any, recorded: Any) -> bool:
    if isinstance(given, list) or isinstance(recorded, list):  # base URLs: one, or a pool
        return _urls(given) == _urls(recorded)
    if isinstance(given, Path) and isinstance(recorded, Path):
        return given.resolve() == recorded.resolve()
    return bool(given == recorded)


def _urls(value: Any) -> list[str]:
    """Base URLs as a sorted list: a pool's order does not change what it is."""
    return sorted(value) if isinstance(value, list) else [] if value is None else [value]


def _conflicts(given: BaseModel, recorded: BaseModel) -> list[str]:
    """Each field the user set that differs from the recorded one, both values named."""
    conflicts = []
    for name in sorted(given.model_fields_set - _FREE):
        mine, theirs = getattr(given, name), getattr(recorded, name)
        if not _same(mine, theirs):
            shown = "unset" if theirs is None else theirs
            conflicts.append(f"{_flag(name)} {mine} but the run recorded {shown}")
    return conflicts


def _has_all(manifest: Manifest) -> bool:
    """Whether the run took every document of its source (what --all asks for)."""
    return len(load_documents(Path(manifest.documents_source))) == manifest.n_documents


def resumed_request(request: RunRequest) -> RunRequest:
    """The run's own request (with the user's key and cache options and retry choice);
    a user setting that contradicts the manifest is refused in one line."""
    run = request.evaluation.resume
    assert run is not None
    manifest = RunFolder.open(run).read_manifest()
    recorded = _recorded(manifest, run)
    # Another URL is judged by the engine's endpoint check (refused unless
    # --allow-endpoint-change), which compares identities, so it is not refused here.
    conflicts = [
        line
        for group in ("endpoint", "sampling", "corpus", "evaluation")
        for line in _conflicts(getattr(request, group), getattr(recorded, group))
        if not line.startswith(("--base-url ", "--pool-name "))
    ]
    if request.corpus.all_docs and not _has_all(manifest):
        conflicts.append(f"--all but the run recorded its first {manifest.n_documents} documents")
    if conflicts:
        where = run / "manifest.json"
        raise UserInputError(
            f"--resume {run}: " + "; ".join(conflicts) + f" (settings come from {where})"
        )
    given = request.endpoint
    update: dict[str, Any] = {
        "api_key_env": given.api_key_env,
        "api_key_file": given.api_key_file,
    }
    moved = ("base_url", "pool_name")
    update |= {n: getattr(given, n) for n in moved if n in given.model_fields_set}
    endpoint = recorded.endpoint.model_copy(update=update)
    evaluation = recorded.evaluation.model_copy(
        update={
            "retry_failed": request.evaluation.retry_failed,
            "allow_endpoint_change": request.evaluation.allow_endpoint_change,
            "max_failure_rate": request.evaluation.max_failure_rate,
        }
    )
    return recorded.model_copy(
        update={"endpoint": endpoint, "evaluation": evaluation, "cache": request.cache}
    )
