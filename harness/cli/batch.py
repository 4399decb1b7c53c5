"""`harness batch submit|collect`: a run's requests through the OpenAI Batch API.

`submit` takes exactly `harness run`'s options (paste the run command after `submit
BATCHDIR`) and builds the same `RunRequest`; `collect` needs only the batch folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

import harness
from harness.cli.options import cache_options
from harness.cli.run import (
    _given,
    corpus_options,
    endpoint_options,
    evaluation_options,
    sampling_options,
)
from harness.errors import HarnessError, TooManyFailures, UserInputError
from harness.request import RunRequest

__all__ = ["batch_group"]

_RUN_ONLY = ("resume", "retry_failed", "allow_endpoint_change")


class BatchPending(HarnessError):
    """Batches still running: collect again later (EX_TEMPFAIL, "try again")."""

    exit_code = 75


@click.group("batch")
def batch_group() -> None:
    """The OpenAI Batch API (half the price, answers within 24 h), with all state on disk.

    \b
    harness batch submit BATCHDIR --model gpt-4o-mini --base-url URL ...   (run's options)
    harness batch submit BATCHDIR --sweep sweep.yaml                    (every cell)
    harness batch collect BATCHDIR --wait        (any process, any time later)
    harness run --model gpt-4o-mini --base-url URL ...  (sends only what the batch lacked)
    """


@batch_group.command("submit")
@click.argument("batch_dir", type=click.Path(path_type=Path))
@evaluation_options
@endpoint_options
@corpus_options
@sampling_options
@cache_options
@click.option(
    "--sweep",
    "sweep_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Every cell of this sweep file instead of one run (then only the cache options "
    "and --max-lines apply).",
)
@click.option(
    "--max-lines",
    type=click.IntRange(1, 50_000),
    default=50_000,
    show_default=True,
    help="Lines per uploaded file (the API's limit; files are also split at 200 MB).",
)
@click.option(
    "--no-upload",
    is_flag=True,
    help="Only write the parts, for `vllm run-batch` (see `harness batch export`).",
)
def submit_command(
    batch_dir: Path, sweep_file: Path | None, max_lines: int, no_upload: bool, **options: Any
) -> None:
    """Upload the requests `harness run` with these options would send and the response
    cache lacks; in a folder with parts not yet submitted (a killed submit), submit those.

    Once everything is collected, submitting again plans the next round: re-asks of the
    answers that failed validation, and requests that failed in the batch.
    """
    from harness.batch import Limits

    given = _given(options)
    for name in _RUN_ONLY:
        if given.get(name):
            flag = name.replace("_", "-")
            raise UserInputError(f"--{flag}: a `harness run` option, not a batch one")
    if sweep_file is not None:
        run_only = sorted(set(given) - {"cache_dir", "no_cache", "cache_ttl"})
        if run_only:
            flag = run_only[0].replace("_", "-")
            raise UserInputError(f"--{flag}: not with --sweep (the sweep file sets it)")
    request = RunRequest.from_options(given)
    limits = Limits(lines=max_lines)
    report = harness.submit_batch(request, batch_dir, limits, sweep_file, not no_upload)
    if report.round is not None:
        r = report.round
        click.echo(
            f"round {r.number}: {r.requests} requests ({r.first} first, {r.reasks} re-asks) "
            f"for {r.documents} documents; {r.answered} answered by the cache already"
        )
    elif report.uploaded == 0 and report.pending == 0:
        click.echo("nothing to submit: the response cache answers every request")
    click.echo(f"parts submitted now: {report.uploaded}; waiting to be collected: {report.pending}")
    if report.pending:
        upload = f"collect {batch_dir} --wait" if not no_upload else f"export {batch_dir}"
        click.echo(f"next: harness batch {upload}")


@batch_group.command("collect")
@click.argument("batch_dir", type=click.Path(path_type=Path))
@click.option("--wait", is_flag=True, help="Poll until every batch has finished.")
@click.option(
    "--poll-interval",
    type=click.FloatRange(min=0.05),
    default=30.0,
    show_default=True,
    help="Seconds before the first poll with --wait; doubles up to --max-poll-interval.",
)
@click.option(
    "--max-poll-interval", type=click.FloatRange(min=0.05), default=600.0, show_default=True
)
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Response cache to fill [default: the one the submit used].",
)
def collect_command(
    batch_dir: Path, wait: bool, poll_interval: float, max_poll_interval: float,
    cache_dir: Path | None,
) -> None:  # fmt: skip
    """Put finished batches' answers into the response cache (`harness run` then sends
    nothing for them); failures are recorded per request and requested by the run.

    \b
    Exit codes: 0 every batch collected; 2 input or storage error; 3 the endpoint failed;
    4 every request failed; 75 batches still running (collect again, or --wait).
    """
    report = harness.collect_batch(batch_dir, wait, poll_interval, max_poll_interval, cache_dir)
    if report.submitted_now:
        click.echo(f"submitted {report.submitted_now} parts an earlier submit did not finish")
    click.echo(
        f"answers in the cache: {report.succeeded} of {report.requests} requests "
        f"({report.parts - report.pending} of {report.parts} parts collected)"
    )
    if report.invalid:
        click.echo(
            f"answers failing validation: {report.invalid}; `harness run` re-asks them "
            f"(or `harness batch submit {batch_dir} ...` again for a re-ask round)"
        )
    failed = sum(report.failed.values())
    if failed:
        reasons = ", ".join(f"{k} {v}" for k, v in report.failed.items())
        click.echo(
            f"failed: {failed} ({reasons}); `harness run` requests their documents itself "
            "(or submit again for another batch round)"
        )
    if not report.done:
        raise BatchPending(
            f"{batch_dir}: {report.pending} of {report.parts} batches still running: "
            f"collect again later (or --wait)"
        )
    if report.requests and not report.succeeded:
        raise TooManyFailures(f"{batch_dir}: every one of {report.requests} requests failed")


@batch_group.command("export")
@click.argument("batch_dir", type=click.Path(path_type=Path))
@click.option("--format", "format_", type=click.Choice(["vllm"]), default="vllm", show_default=True)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder for one input file per endpoint (<endpoint>.jsonl).",
)
def export_command(batch_dir: Path, format_: str, out: Path) -> None:
    """Write the requests not yet collected as `vllm run-batch` input files."""
    exported = harness.export_vllm_batch(batch_dir, out)
    if not exported:
        click.echo("nothing to export: every part is collected")
    for item in exported:
        click.echo(f"{item.path}: {item.lines} requests for {item.model}")
        result = item.path.with_name(item.path.stem + ".results.jsonl")
        click.echo(f"  vllm run-batch -i {item.path} -o {result} --model {item.model}")
    if exported:
        click.echo(f"then: harness batch import {batch_dir} RESULTS.jsonl ...")


@batch_group.command("import")
@click.argument("batch_dir", type=click.Path(path_type=Path))
@click.argument("results", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Response cache to fill [default: the one the submit used].",
)
def import_command(batch_dir: Path, results: tuple[Path, ...], cache_dir: Path | None) -> None:
    """Put `vllm run-batch` output files' answers into the response cache."""
    imported = harness.import_batch_results(batch_dir, list(results), cache_dir)
    click.echo(
        f"parts completed: {imported.parts} ({imported.pending} still waiting); answers in "
        f"the cache: {imported.succeeded}; failed: {imported.failed}"
    )
