"""`harness sweep SWEEP.yaml`: prompts x models x sampling parameters x repeats."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

import harness
from harness.cli.display import LiveProgress
from harness.cli.options import cache_options, sweep_answer_limit_options
from harness.cli.sweep_cells import FanOut, fanout_options, list_cells, report_part
from harness.endpoints.cache import default_cache_dir
from harness.render import Column, Table

if TYPE_CHECKING:
    from harness import Cell, CellOutcome, CellPlan, SweepFile
    from harness.runs import SweepFolder, SweepSummary

__all__ = ["sweep_command"]


@click.command("sweep")
@click.argument("sweep_file", metavar="SWEEP.yaml", type=click.Path(path_type=Path))
@click.option(
    "--dry-run",
    is_flag=True,
    help="List the cells and the documents each must request; send nothing.",
)
@cache_options
@click.option("--retry-failed", is_flag=True, help="Also redo documents that failed in a cell.")
@click.option(
    "--max-failure-rate",
    type=click.FloatRange(0, 1),
    default=None,
    help="Exit 4 when more than this share of any cell's documents failed [default: only "
    "when all of a cell's did]; the sweep is saved and summarised either way.",
)
@sweep_answer_limit_options
@click.option("--quiet", is_flag=True, help="No progress output.")
@fanout_options
def sweep_command(
    sweep_file: Path,
    dry_run: bool,
    cache_dir: Path | None,
    no_cache: bool,
    cache_ttl: float | None,
    retry_failed: bool,
    max_failure_rate: float | None,
    quiet: bool,
    **options: Any,
) -> None:
    """Run every prompt on every model over a grid of sampling parameters, N times.

    SWEEP.yaml is checked against `harness schema sweep`. Each cell is an ordinary run
    folder under RESULTS/sweeps/NAME/cells/; re-running resumes existing cells (a complete
    cell requests nothing) and the response cache answers any request made before.
    The sweep folder gets summary.md and summary.json (headline metrics with 95% CIs).
    Processes started by a scheduler share a sweep with --cells I/N (docs/scheduling.md).
    """
    limits = {key: options.pop(key) for key in ("max_answer_chars", "max_answer_depth")}
    fan = FanOut.of(options, dry_run)
    sweep = harness.load_sweep(sweep_file).with_answer_limits(**limits)
    cells = harness.expand_cells(sweep, sweep_file)
    cache = None if no_cache else (cache_dir or default_cache_dir())
    folder = harness.SweepFolder.of(sweep.results, sweep.name)
    if fan.list_cells or fan.summarize:
        _inspect(fan, sweep, cells, folder)
        return
    if dry_run:
        cells = fan.part(cells)
        plans = harness.plan_sweep(sweep, sweep_file, cells, cache, retry_failed, cache_ttl)
        _print_plan(sweep.name, plans)
        return
    progress = _cell_progress(len(cells), quiet)
    if fan.shard is not None:
        part = harness.run_sweep_shard(
            sweep, sweep_file, cells, fan.shard, cache, progress, retry_failed, cache_ttl
        )
        report_part(part, fan.shard, folder, _print_summary)
        outcomes = part.outcomes
    else:
        summary, outcomes = harness.run_sweep(
            sweep, sweep_file, cells, cache, progress, retry_failed, cache_ttl
        )
        _print_summary(summary)
        click.echo(f"sweep folder: {folder.path}")
    _end(outcomes, len(cells), max_failure_rate)


def _cell_progress(n_cells: int, quiet: bool) -> Callable[[int, Cell], LiveProgress]:
    """Each cell's progress display, after a line naming the cell (unless --quiet)."""

    def progress(index: int, cell: Cell) -> LiveProgress:
        if not quiet:
            click.echo(f"cell {index + 1}/{n_cells}: {cell.id}", err=True)
        return LiveProgress(quiet)

    return progress


def _inspect(fan: FanOut, sweep: SweepFile, cells: list[Cell], folder: SweepFolder) -> None:
    """--list-cells or --summarize: nothing is run."""
    if fan.list_cells:
        list_cells(cells, fan)
    else:
        _print_summary(harness.summarize_sweep(sweep, cells))
        click.echo(f"sweep folder: {folder.path}")


def _end(outcomes: list[CellOutcome], n_cells: int, max_failure_rate: float | None) -> None:
    """What this invocation sent; the first failed cell's error, or too many failures."""
    requested = sum(o.requested for o in outcomes)
    cached = sum(o.from_cache for o in outcomes)
    click.echo(
        f"documents in this invocation: {requested} to answer, {cached} from the cache, "
        f"{requested - cached} sent to an endpoint"
    )
    failed = [o for o in outcomes if o.error is not None]
    if failed:
        error = failed[0].error
        assert error is not None
        message = f"{len(failed)} of {n_cells} cells failed; {failed[0].cell.id}: {error}"
        raise type(error)(message)  # the first failure's exit code (3: endpoint, 2: input)
    harness.check_cell_failures(outcomes, max_failure_rate)


def _params(cell: Cell) -> str:
    return " ".join(f"{k}={v}" for k, v in cell.params.model_dump(exclude_none=True).items())


def _print_plan(name: str, plans: list[CellPlan]) -> None:
    rows = [
        [
            p.cell.id,
            p.cell.prompt,
            p.cell.endpoint,
            str(p.cell.repeat),
            _params(p.cell),
            f"{p.to_request}"
            + ("" if p.probe_cached or not p.to_request else " (probe not cached)"),
        ]
        for p in plans
    ]
    headers = ["cell", "prompt", "endpoint", "repeat", "params", "to request"]
    click.echo(Table([Column(h) for h in headers], rows).to_text())
    total = sum(p.to_request for p in plans)
    n_docs = sum(p.n_docs for p in plans)
    probes = sorted({p.cell.endpoint for p in plans if not p.probe_cached and p.to_request})
    click.echo(
        f"sweep {name}: {len(plans)} cells, {total} of {n_docs} cell documents to request"
        + (f" (plus output-mode probes of: {', '.join(probes)})" if probes else "")
        + "; re-asks may add requests"
    )


def _print_summary(summary: SweepSummary) -> None:
    from harness.cli.display import wide_console
    from harness.render.summaries import sweep_pivot, sweep_table

    console = wide_console()
    console.print(sweep_table(summary).to_rich())
    for metric in summary.metrics[:2]:  # every headline metric's pivot is in summary.md
        console.print(sweep_pivot(summary, metric).to_rich())
