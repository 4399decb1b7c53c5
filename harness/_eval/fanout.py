"""A sweep shared by several processes (`harness sweep FILE --cells i/N`).

Each process takes the cells of its part (`harness.shard.Shard`) and runs each one only
under its lease (`runs/lease.py`): a cell another live process holds is left to it, a
finished cell (completed, nothing left to request: `runs.folder.to_do`) is never run
again, and a stale lease is taken over. Every cell still goes through `run_cell`, exactly as
in a one-process sweep, so the cells' folders are the same.

The summary is written by whichever process finds, after releasing its last lease, that
every cell is settled (a manifest that is not `running`, no lease): the last release is
followed by its own check, so some process always writes it once the last cell ends. It
is `build_summary` over the folders on disk, equal to a one-process sweep's. When a part
never ran, `summarize` writes it from what is there.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from harness._eval.cells import Shared, run_cell
from harness._eval.run import Progress
from harness._eval.sweep import CellOutcome, _job, _shared, sweep_folder
from harness._eval.sweep_summary import build_summary, write_summary
from harness.endpoints.resolve import EndpointResolver
from harness.errors import HarnessError
from harness.runs import RunFolder, SweepFolder, SweepSummary
from harness.runs.folder import to_do
from harness.runs.lease import CellLease
from harness.shard import Shard
from harness.sweep import Cell, SweepFile

__all__ = ["ShardResult", "run_shard", "summarize", "unsettled"]


@dataclass(frozen=True)
class ShardResult:
    outcomes: list[CellOutcome]  # the cells this process ran
    finished: list[Cell]  # cells of its part finished before (never run again)
    held: list[tuple[Cell, str]]  # cells of its part another live process holds: by whom
    summary: SweepSummary | None  # written by this process: every cell was settled
    unsettled: int  # cells of the whole sweep still running or not run


def _finished(run_dir: Path, shared: Shared) -> bool:
    """Completed with nothing left to request (with --retry-failed: no failed document)."""
    run = RunFolder(run_dir)
    if not run.has_manifest() or run.read_manifest().status != "completed":
        return False
    return not to_do(run_dir, shared.documents, shared.retry_failed).documents


def unsettled(folder: SweepFolder, cells: list[Cell]) -> int:
    """How many cells are not settled: without a manifest, `running`, or under a lease."""
    open_cells = 0
    for cell in cells:
        run = RunFolder(folder.cell(cell.id))
        if (
            folder.lease(cell.id).exists()
            or not run.has_manifest()
            or run.read_manifest().status == "running"
        ):
            open_cells += 1
    return open_cells


@dataclass(frozen=True)
class _Context:
    sweep: SweepFile
    path: Path
    shared: Shared
    folder: SweepFolder
    shard: Shard
    resolver: EndpointResolver


_FINISHED = "finished before"


async def _leased(
    context: _Context, cell: Cell, progress: Callable[[], Progress]
) -> CellOutcome | str:
    """Run one cell under its lease: its outcome, or why it was left alone."""
    run_dir = context.folder.cell(cell.id)
    if _finished(run_dir, context.shared):
        return _FINISHED
    lease = CellLease(context.folder.lease(cell.id), context.shard.lease_timeout)
    held = lease.acquire()
    if held is not None:
        return held
    try:
        if _finished(run_dir, context.shared):  # finished between the check and the lease
            return _FINISHED
        job = _job(context.sweep, context.path, cell)
        with lease.heartbeat():
            outcome = await run_cell(context.shared, job, context.resolver, progress())
        return CellOutcome(cell, outcome.requested, None, outcome.from_cache)
    except HarnessError as exc:  # the cell's manifest records it; other cells go on
        return CellOutcome(cell, 0, exc)
    finally:
        lease.release()


async def run_shard(
    sweep: SweepFile,
    path: Path,
    cells: list[Cell],
    shard: Shard,
    cache_dir: Path | None,
    progress: Callable[[int, Cell], Progress],
    retry_failed: bool = False,
    cache_ttl: float | None = None,
) -> ShardResult:
    """Run this process's part (`shard`) of a sweep that other processes (any scheduler)
    share: each cell under a lease, finished cells skipped, the summary written once every
    cell is settled."""
    shared = _shared(sweep, cache_dir, retry_failed, cache_ttl)
    folder = sweep_folder(sweep)
    folder.prepare(sweep.model_dump_json(indent=2) + "\n")
    outcomes: list[CellOutcome] = []
    finished: list[Cell] = []
    held: list[tuple[Cell, str]] = []
    with ExitStack() as stack:
        context = _Context(sweep, path, shared, folder, shard, EndpointResolver(stack))
        for index, cell in enumerate(cells):
            if not shard.takes(cell.id):
                continue
            done = await _leased(context, cell, partial(progress, index, cell))
            if isinstance(done, CellOutcome):
                outcomes.append(done)
            elif done == _FINISHED:
                finished.append(cell)
            else:
                held.append((cell, done))
    still_open = unsettled(folder, cells)
    summary = summarize(sweep, cells) if still_open == 0 else None
    return ShardResult(outcomes, finished, held, summary, still_open)


def summarize(sweep: SweepFile, cells: list[Cell]) -> SweepSummary:
    """Write the sweep summary from the cells' folders as they are now."""
    folder = sweep_folder(sweep)
    folder.prepare(sweep.model_dump_json(indent=2) + "\n")
    summary = build_summary(sweep, folder, cells)
    write_summary(folder, summary)
    return summary
