"""`harness run`: one prompt on one endpoint over a corpus, scored against gold.

The options come in groups, one per part of `harness.RunRequest`; the command parses
them into that one value and hands it to `harness.run` (the same path as a sweep cell).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

import harness
from harness.cli.display import LiveProgress, print_beside_baseline, print_summary
from harness.cli.options import (
    answer_limit_options,
    cache_options,
    judge_options,
    matcher_options,
    option_group,
)
from harness.endpoints.local import DEFAULT_CONTEXT
from harness.endpoints.settings import HttpClient, OutputMode, kind_of
from harness.request import RunRequest

__all__ = ["run_command"]


endpoint_options = option_group(
    click.option(
        "--model",
        default=None,
        help="Model name sent to the endpoint; 'local' (the default without --base-url) "
        "serves the embedded SmolLM2-135M; 'local:/path/model.gguf' serves any GGUF; "
        "'baseline:lead-3' (lead-N, quotes, gold) runs a rule with no model.",
    ),
    click.option(
        "--base-url",
        multiple=True,
        envvar="OPENAI_BASE_URL",
        help="OpenAI-compatible endpoint (honours OPENAI_BASE_URL). Repeat it (or give a "
        "comma-separated list) for replicas of one model: requests go to the least busy, "
        "--concurrency is per replica.",
    ),
    click.option(
        "--pool-name",
        default=None,
        help="Cache identity of a pool of replicas [default: its sorted URLs].",
    ),
    click.option(
        "--api-key-env",
        default="OPENAI_API_KEY",
        show_default=True,
        help="Environment variable holding the API key.",
    ),
    click.option(
        "--api-key-file",
        type=click.Path(path_type=Path),
        default=None,
        help="File holding the API key (instead of the environment).",
    ),
    click.option(
        "--concurrency",
        type=click.IntRange(min=1),
        default=None,
        help="Requests in flight [default: 1 local, 4 otherwise]; halved on HTTP 429.",
    ),
    click.option(
        "--timeout",
        type=click.FloatRange(min=0.1),
        default=None,
        help="Total seconds per HTTP attempt: connect, send and the whole reply "
        "[default: 600 local, 120 otherwise].",
    ),
    click.option(
        "--max-attempts",
        type=click.IntRange(min=1),
        default=4,
        show_default=True,
        help="HTTP attempts per request (transient errors only).",
    ),
    click.option(
        "--backoff-max",
        type=click.FloatRange(min=0),
        default=20.0,
        show_default=True,
        help="Cap in seconds of one retry backoff sleep (a server's Retry-After still wins).",
    ),
    click.option(
        "--n-ctx",
        type=click.IntRange(min=512),
        default=DEFAULT_CONTEXT,
        show_default=True,
        help="Context window of the local model server.",
    ),
    click.option(
        "--http-client",
        type=click.Choice([c.value for c in HttpClient]),
        default=None,
        help="The SDK's HTTP transport [default: aiohttp where installed, else httpx].",
    ),
)

sampling_options = option_group(
    click.option("--temperature", type=click.FloatRange(0, 2), default=0.0, show_default=True),
    click.option(
        "--max-tokens",
        type=click.IntRange(min=1),
        default=None,
        help="[default: 384 local, 2048 otherwise]",
    ),
    click.option("--seed", type=int, default=None),
    click.option("--top-p", type=click.FloatRange(0, 1, min_open=True), default=None),
    click.option("--frequency-penalty", type=click.FloatRange(-2, 2), default=None),
    click.option("--presence-penalty", type=click.FloatRange(-2, 2), default=None),
    click.option(
        "--repeat-penalty",
        type=click.FloatRange(min=0, min_open=True),
        default=None,
        help="llama.cpp extension [default: 1.3 local, unset otherwise].",
    ),
)

corpus_options = option_group(
    click.option(
        "--docs",
        type=click.Path(path_type=Path),
        default=Path("seeds"),
        show_default=True,
        help="Documents: folder of .txt, a .jsonl file, or a saved HF dataset.",
    ),
    click.option(
        "--gold", type=click.Path(path_type=Path), default=Path("gold"), show_default=True
    ),
    click.option(
        "--prompts-dir",
        type=click.Path(path_type=Path),
        default=None,
        help="Prompt folders [default: ./prompts if present, else the prompts installed "
        "with the package].",
    ),
    click.option(
        "--limit",
        type=click.IntRange(min=1),
        default=None,
        help="Only the first N documents [default: 8 on the local model, all otherwise; "
        "--all lifts it].",
    ),
    click.option(
        "--all", "all_docs", is_flag=True, help="Every document, even on the local model."
    ),
)

evaluation_options = option_group(
    click.option(
        "--prompt",
        default=None,
        help="Prompt as name@version (or name for its latest version) [default: extract@v3 "
        "on the local model, whose answers it keeps short enough to finish; extract@v2 "
        "otherwise].",
    ),
    click.option(
        "--reask",
        type=click.IntRange(0, 5),
        default=1,
        show_default=True,
        help="Re-asks with the validation error after an unusable answer.",
    ),
    click.option(
        "--output-mode",
        type=click.Choice([m.value for m in OutputMode]),
        default=None,
        help="Force a structured-output rung instead of probing the endpoint.",
    ),
    click.option(
        "--threshold",
        type=click.FloatRange(0, 1),
        default=None,
        help="Claim-matching similarity threshold [default: 0.5].",
    ),
    matcher_options,
    judge_options,
    click.option(
        "--results",
        type=click.Path(path_type=Path),
        default=Path("results"),
        show_default=True,
        help="Where run folders are written.",
    ),
    click.option(
        "--run-id", default=None, help="Name the run folder (default: time-prompt-random)."
    ),
    click.option(
        "--resume",
        type=click.Path(path_type=Path),
        default=None,
        help="Finish an interrupted run folder: only missing documents are requested; "
        "every setting comes from its manifest.json.",
    ),
    click.option("--retry-failed", is_flag=True, help="With --resume, also redo failed documents."),
    click.option(
        "--max-failure-rate",
        type=click.FloatRange(0, 1),
        default=None,
        help="Exit 4 when more than this share of the documents failed [default: only when "
        "all did]; the run is saved either way.",
    ),
    answer_limit_options,
    click.option(
        "--allow-endpoint-change",
        is_flag=True,
        help="With --resume, accept another endpoint or server model than the run's.",
    ),
)


def _given(options: dict[str, Any]) -> dict[str, Any]:
    """Only the options the user gave, so the request knows which ones were chosen (a
    resumed run takes the others from its manifest; an environment variable is not a
    choice made for the run being resumed)."""
    context = click.get_current_context()
    skipped = {ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP}
    if options.get("resume") is not None:
        skipped.add(ParameterSource.ENVIRONMENT)
    return {k: v for k, v in options.items() if context.get_parameter_source(k) not in skipped}


@click.command("run")
@evaluation_options
@endpoint_options
@corpus_options
@sampling_options
@cache_options
@click.option(
    "--baseline",
    metavar="NAME",
    default=None,
    help="Then run baseline NAME (lead-N, quotes, gold) on the same documents, into "
    "RUN-NAME, and print the paired comparison with one line on what it means.",
)
@click.option("--quiet", is_flag=True, help="No progress output.")
def run_command(quiet: bool, baseline: str | None, **options: Any) -> None:
    """Extract claims with a prompt and model, score them against gold, save the run.

    Prints progress, a summary table with 95% bootstrap intervals, and the run folder
    (manifest.json, predictions.jsonl, scores.jsonl, metrics.json).

    \b
    Exit codes: 0 ok; 2 usage, input or storage error; 3 the endpoint cannot serve the run;
    4 every document failed, or more than --max-failure-rate; 130/143 SIGINT/SIGTERM.
    """
    given = _given(options)
    source = click.get_current_context().get_parameter_source("base_url")
    model = options["model"]
    if source is ParameterSource.ENVIRONMENT and model and not kind_of(model).takes_url:
        given.pop("base_url", None)  # OPENAI_BASE_URL is a default, not a request for this model
    request = RunRequest.from_options(given)
    if baseline is not None:  # an unknown name fails before the model is started
        from harness.baselines import resolve_baseline

        resolve_baseline(baseline, "--baseline")
    notice = None if quiet else (lambda line: click.echo(line, err=True))
    outcome = harness.run(request, LiveProgress(quiet), notice)
    print_summary(outcome.manifest, outcome.metrics, str(outcome.folder.path))
    click.echo(f"documents requested in this invocation: {outcome.requested}")
    if baseline is not None:
        print_beside_baseline(request, outcome, baseline)
    outcome.check_failures(request.evaluation.max_failure_rate)
