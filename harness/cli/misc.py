"""`harness show`, `rescore`, `schema` and `serve`."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

import harness
from harness.cli.display import print_summary
from harness.cli.options import cache_options, judge_options, rescore_matcher_options
from harness.endpoints.local import DEFAULT_CONTEXT, LocalServer, parse_local_model
from harness.errors import UserInputError
from harness.schemas import SCHEMA_MODELS, load_published
from harness.scoring_names import Assignment, MatcherName

if TYPE_CHECKING:  # harness.runs loads numpy: not for `harness --help`
    from harness.runs import SweepFolder, SweepSummary

__all__ = ["rescore_command", "schema_command", "serve_command", "show_command"]

_RUN = click.Path(path_type=Path, exists=True, file_okay=False)


def _print_sweep(folder: SweepFolder, summary: SweepSummary) -> None:
    from harness.cli.display import wide_console
    from harness.render.summaries import sweep_pivot, sweep_table

    console = wide_console()
    console.print(sweep_table(summary).to_rich())
    for metric in summary.metrics:
        console.print(sweep_pivot(summary, metric).to_rich())
    console.print(f"sweep folder: {folder.path}", markup=False, soft_wrap=True)


@click.command("show")
@click.argument("run", type=_RUN)
def show_command(run: Path) -> None:
    """Print a finished run's summary table again; for a sweep folder, its cells and the
    prompt x model table of each headline metric."""
    if harness.SweepFolder.holds_sweep(run):
        sweep = harness.SweepFolder(run)
        _print_sweep(sweep, sweep.read_summary())
        return
    folder = harness.RunFolder.open(run)
    print_summary(folder.read_manifest(), folder.read_metrics(), str(run))


@click.command("rescore")
@click.argument("run", type=_RUN)
@click.option(
    "--gold",
    type=click.Path(path_type=Path),
    default=None,
    help="Gold folder [default: the run's].",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1),
    default=None,
    help="Claim-matching threshold [default: the run's].",
)
@rescore_matcher_options
@judge_options
@cache_options
def rescore_command(
    run: Path,
    gold: Path | None,
    threshold: float | None,
    matcher: MatcherName | None,
    assignment: Assignment | None,
    judge_model: str | None,
    judge_base_url: str | None,
    judge_api_key_env: str,
    **cache: Any,
) -> None:
    """Recompute scores and metrics from stored predictions, without calling the
    extraction model (also with another --matcher, --assignment or --threshold; the
    manifest records them). --matcher judge calls only the judge (cached like a run).

    A sweep folder: every cell that has a manifest, then its summary is rebuilt.
    """
    judge = harness.JudgeSettings.from_flags(judge_base_url, judge_model, judge_api_key_env)
    options = harness.CacheOptions(**cache)
    if not harness.SweepFolder.holds_sweep(run):
        outcome = harness.rescore(run, gold, threshold, matcher, assignment, judge, options)
        print_summary(outcome.manifest, outcome.metrics, str(run))
        return
    from harness.render.summaries import sweep_markdown

    sweep = harness.SweepFolder(run)
    for cell in sweep.read_summary().cells:
        if harness.RunFolder(sweep.cell(cell.id)).has_manifest():
            where = sweep.cell(cell.id)
            harness.rescore(where, gold, threshold, matcher, assignment, judge, options)
    summary = sweep.refreshed_summary()
    sweep.write_summary(summary, sweep_markdown(summary))
    _print_sweep(sweep, summary)


@click.command("schema")
@click.argument("name", type=click.Choice(sorted(SCHEMA_MODELS)))
def schema_command(name: str) -> None:
    """Print the published JSON Schema of model answers (extraction) or gold files."""
    click.echo(json.dumps(load_published(name), indent=2, ensure_ascii=False))


@click.command("serve")
@click.option(
    "--model",
    default="local",
    show_default=True,
    help="'local' (embedded SmolLM2-135M) or 'local:/path/model.gguf'.",
)
@click.option("--n-ctx", type=click.IntRange(min=512), default=DEFAULT_CONTEXT, show_default=True)
@click.option(
    "--log", type=click.Path(path_type=Path), default=Path("results/server.log"), show_default=True
)
def serve_command(model: str, n_ctx: int, log: Path) -> None:
    """Keep a local model server up on 127.0.0.1 and print its base URL (Ctrl-C stops it)."""
    gguf = parse_local_model(model)
    if gguf is None:
        raise UserInputError(f"--model: {model!r} is not 'local' or 'local:/path.gguf'")
    with LocalServer(gguf, log, n_ctx=n_ctx) as server:
        click.echo(f"base URL: {server.base_url}  (model file {gguf.name}; log {log})")
        click.echo(f"try: harness run --base-url {server.base_url} --model local-smollm2")
        while server.process is not None and server.process.poll() is None:
            time.sleep(0.5)
        raise UserInputError(f"{log}: the server exited; see the log")
