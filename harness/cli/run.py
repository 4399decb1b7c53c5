"""`harness run`: one prompt on one endpoint over a corpus, scored against gold."""

from __future__ import annotations

import asyncio
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from harness._eval.config import RunConfig
from harness.cli.display import LiveProgress, print_summary
from harness.cli.options import cache_options, matcher_options
from harness.endpoints.cache import default_cache_dir
from harness.endpoints.local import DEFAULT_CONTEXT, LocalServer, parse_local_model
from harness.endpoints.settings import Endpoint, OutputMode, SamplingParams
from harness.errors import UserInputError
from harness.runs.folder import new_run_id
from harness.scoring.document import Assignment, ScoringConfig
from harness.scoring.matchers import MatcherName
from harness.secrets import read_api_key

__all__ = ["LOCAL_DEFAULTS", "run_command"]


# The embedded SmolLM2-135M loops on repeated claims until max_tokens at temperature 0
# (~35 tokens/s on 2 cores): these keep the README's main command within ~5 minutes.
@dataclass(frozen=True)
class Defaults:
    limit: int | None
    max_tokens: int
    repeat_penalty: float | None
    concurrency: int
    timeout_s: float


# The embedded SmolLM2-135M loops on repeated claims until max_tokens at temperature 0
# (~35 tokens/s on 2 cores): these keep the README's main command within ~5 minutes.
# One llama.cpp slot generates at ~35 tokens/s: a long answer can take minutes, and a
# timed-out request keeps the slot busy, so time out late rather than retry early.
LOCAL_DEFAULTS = Defaults(
    limit=8, max_tokens=384, repeat_penalty=1.3, concurrency=1, timeout_s=600.0
)
API_DEFAULTS = Defaults(
    limit=None, max_tokens=2048, repeat_penalty=None, concurrency=4, timeout_s=120.0
)


@click.command("run")
@click.option(
    "--prompt",
    default="extract@v2",
    show_default=True,
    help="Prompt as name@version (or name for its latest version).",
)
@click.option(
    "--model",
    default=None,
    help="Model name sent to the endpoint; 'local' (the default without --base-url) "
    "serves the embedded SmolLM2-135M; 'local:/path/model.gguf' serves any GGUF.",
)
@click.option(
    "--base-url",
    default=None,
    envvar="OPENAI_BASE_URL",
    help="OpenAI-compatible endpoint (honours OPENAI_BASE_URL).",
)
@click.option(
    "--api-key-env",
    default="OPENAI_API_KEY",
    show_default=True,
    help="Environment variable holding the API key.",
)
@click.option(
    "--api-key-file",
    type=click.Path(path_type=Path),
    default=None,
    help="File holding the API key (instead of the environment).",
)
@click.option(
    "--docs",
    type=click.Path(path_type=Path),
    default=Path("seeds"),
    show_default=True,
    help="Documents: folder of .txt, a .jsonl file, or a saved HF dataset.",
)
@click.option("--gold", type=click.Path(path_type=Path), default=Path("gold"), show_default=True)
@click.option(
    "--prompts-dir", type=click.Path(path_type=Path), default=Path("prompts"), show_default=True
)
@click.option(
    "--results",
    type=click.Path(path_type=Path),
    default=Path("results"),
    show_default=True,
    help="Where run folders are written.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    help="Only the first N documents [default: 8 on the local model, all otherwise; "
    "--all lifts it].",
)
@click.option("--all", "all_docs", is_flag=True, help="Every document, even on the local model.")
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=None,
    help="Requests in flight [default: 1 local, 4 otherwise]; halved on HTTP 429.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=None,
    help="Seconds per HTTP request [default: 600 local, 120 otherwise].",
)
@click.option(
    "--max-attempts",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="HTTP attempts per request (transient errors only).",
)
@click.option(
    "--backoff-max",
    type=click.FloatRange(min=0),
    default=20.0,
    show_default=True,
    help="Cap in seconds of one retry backoff sleep (a server's Retry-After still wins).",
)
@click.option(
    "--reask",
    type=click.IntRange(0, 5),
    default=1,
    show_default=True,
    help="Re-asks with the validation error after an unusable answer.",
)
@click.option("--temperature", type=click.FloatRange(0, 2), default=0.0, show_default=True)
@click.option(
    "--max-tokens",
    type=click.IntRange(min=1),
    default=None,
    help="[default: 384 local, 2048 otherwise]",
)
@click.option("--seed", type=int, default=None)
@click.option("--top-p", type=click.FloatRange(0, 1, min_open=True), default=None)
@click.option("--frequency-penalty", type=click.FloatRange(-2, 2), default=None)
@click.option("--presence-penalty", type=click.FloatRange(-2, 2), default=None)
@click.option(
    "--repeat-penalty",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="llama.cpp extension [default: 1.3 local, unset otherwise].",
)
@click.option(
    "--output-mode",
    type=click.Choice([m.value for m in OutputMode]),
    default=None,
    help="Force a structured-output rung instead of probing the endpoint.",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1),
    default=None,
    help="Claim-matching similarity threshold [default: 0.5].",
)
@matcher_options
@click.option(
    "--n-ctx",
    type=click.IntRange(min=512),
    default=DEFAULT_CONTEXT,
    show_default=True,
    help="Context window of the local model server.",
)
@cache_options
@click.option("--run-id", default=None, help="Name the run folder (default: time-prompt-random).")
@click.option(
    "--resume",
    type=click.Path(path_type=Path),
    default=None,
    help="Finish an interrupted run folder: only missing documents are requested.",
)
@click.option("--retry-failed", is_flag=True, help="With --resume, also redo failed documents.")
@click.option("--quiet", is_flag=True, help="No progress output.")
def run_command(**options: Any) -> None:
    """Extract claims with a prompt and model, score them against gold, save the run.

    Prints progress, a summary table with 95% bootstrap intervals, and the run folder
    (manifest.json, predictions.jsonl, scores.jsonl, metrics.json).
    """
    asyncio.run(_run(**options))


async def _run(
    *,
    prompt: str,
    model: str | None,
    base_url: str | None,
    api_key_env: str,
    api_key_file: Path | None,
    docs: Path,
    gold: Path,
    prompts_dir: Path,
    results: Path,
    limit: int | None,
    all_docs: bool,
    concurrency: int | None,
    timeout: float | None,
    max_attempts: int,
    backoff_max: float,
    reask: int,
    temperature: float,
    max_tokens: int | None,
    seed: int | None,
    top_p: float | None,
    frequency_penalty: float | None,
    presence_penalty: float | None,
    repeat_penalty: float | None,
    output_mode: str | None,
    threshold: float | None,
    matcher: MatcherName,
    assignment: Assignment,
    n_ctx: int,
    run_id: str | None,
    resume: Path | None,
    retry_failed: bool,
    quiet: bool,
    cache_dir: Path | None,
    no_cache: bool,
) -> None:
    if retry_failed and resume is None:
        raise UserInputError("--retry-failed: only meaningful with --resume RUN")
    model = model or ("local" if base_url is None else None)
    if model is None:
        raise UserInputError("--model: required with --base-url (the model name to request)")
    gguf = parse_local_model(model)
    local = gguf is not None
    defaults = LOCAL_DEFAULTS if local else API_DEFAULTS
    if not local and base_url is None:
        raise UserInputError(f"--base-url: required for --model {model!r} (or set OPENAI_BASE_URL)")
    run_id = run_id or (resume.name if resume else new_run_id(prompt))
    scoring = ScoringConfig(matcher=matcher, assignment=assignment)
    if threshold is not None:
        scoring = scoring.model_copy(update={"match_threshold": threshold})
    params = SamplingParams(
        temperature=temperature,
        max_tokens=max_tokens or defaults.max_tokens,
        seed=seed,
        top_p=top_p,
        frequency_penalty=frequency_penalty,
        presence_penalty=presence_penalty,
        repeat_penalty=repeat_penalty or defaults.repeat_penalty,
    )
    api_key = None if local else read_api_key(api_key_env, api_key_file)
    with ExitStack() as stack:
        local_info = None
        if gguf is not None:
            run_dir = resume if resume is not None else results / run_id
            server = stack.enter_context(LocalServer(gguf, run_dir / "server.log", n_ctx=n_ctx))
            base_url, local_info = server.base_url, server.describe()
        assert base_url is not None
        endpoint = Endpoint(
            base_url=base_url,
            model=model,
            timeout_s=timeout or defaults.timeout_s,
            max_attempts=max_attempts,
            backoff_max_s=backoff_max,
            concurrency=concurrency or defaults.concurrency,
            identity=f"local:{local_info['sha256']}:n_ctx={n_ctx}" if local_info else None,
        )
        config = RunConfig(
            prompt=prompt,
            prompts_dir=prompts_dir,
            docs=docs,
            gold=gold,
            results_dir=results,
            endpoint=endpoint,
            params=params,
            reask=reask,
            scoring=scoring,
            run_id=run_id,
            output_mode=OutputMode(output_mode) if output_mode else None,
            limit=None if all_docs else (limit or defaults.limit),
            local_model=local_info,
            cache_dir=None if no_cache else (cache_dir or default_cache_dir()),
        )
        if not quiet and local and config.limit:
            click.echo(
                f"embedded model: first {config.limit} documents, max_tokens "
                f"{params.max_tokens}, repeat_penalty {params.repeat_penalty} "
                "(--all for the full corpus)",
                err=True,
            )
        from harness._eval.run import run_evaluation  # the engine loads openai: only here

        outcome = await run_evaluation(
            config, api_key, LiveProgress(quiet), resume=resume, retry_failed=retry_failed
        )
    print_summary(outcome.manifest, outcome.metrics, str(outcome.folder.path))
    click.echo(f"documents requested in this invocation: {outcome.requested}")
