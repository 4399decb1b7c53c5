"""Run a sweep: each cell is an ordinary run folder in the sweep folder (`runs/sweep_folder.py`).

A cell whose folder exists is resumed (only documents without a record are requested, a
complete cell requests nothing), never duplicated; the response cache makes a new cell
whose requests were answered before free. Every cell goes through `run_cell`, exactly as
`harness run`: a local endpoint's server is started once for the sweep, only when a cell
of its has documents to request, with the same cache identity as `harness run` (GGUF
sha256 and context), so a random port never invalidates the cache. The summary is
rebuilt from the cells' folders every time.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from harness._eval.cells import CellJob, Shared, run_cell
from harness._eval.run import Progress, load_corpus, too_many_failures
from harness._eval.sweep_summary import build_summary, write_summary
from harness.endpoints.cache import CacheKey
from harness.endpoints.client import ChatClient
from harness.endpoints.resolve import EndpointResolver
from harness.endpoints.settings import LADDER, Endpoint, OutputMode
from harness.errors import HarnessError, TooManyFailures
from harness.prompts import load_prompt
from harness.runs import RunFolder, SweepFolder, SweepSummary
from harness.runs.folder import to_do
from harness.scoring.document import ScoringConfig
from harness.scoring.metrics import Metrics
from harness.sweep import Cell, SweepFile

__all__ = [
    "CellOutcome",
    "CellPlan",
    "check_cell_failures",
    "plan_cells",
    "run_cells",
    "sweep_folder",
]


@dataclass(frozen=True)
class CellPlan:
    cell: Cell
    n_docs: int
    recorded: int
    to_request: int
    probe_cached: bool


def sweep_folder(sweep: SweepFile) -> SweepFolder:
    return SweepFolder.of(sweep.results, sweep.name)


def _job(sweep: SweepFile, path: Path, cell: Cell) -> CellJob:
    folder = sweep_folder(sweep)
    return CellJob(
        cell=cell,
        spec=sweep.endpoints[cell.endpoint],
        folder=folder.cell(cell.id),
        server_log=folder.server_log(cell.endpoint),
        resume=RunFolder(folder.cell(cell.id)).has_manifest(),
        where=f"{path}: $.endpoints.{cell.endpoint}.model",
    )


def _shared(
    sweep: SweepFile, cache_dir: Path | None, retry_failed: bool, cache_ttl: float | None
) -> Shared:
    documents, gold = load_corpus(sweep.docs, sweep.gold, sweep.limit)
    return Shared(
        docs=sweep.docs,
        gold=sweep.gold,
        prompts_dir=sweep.prompts_dir,
        limit=sweep.limit,
        documents=documents,
        gold_set=gold,
        reask=sweep.reask,
        output_mode=OutputMode(sweep.output_mode) if sweep.output_mode else None,
        scoring=ScoringConfig().choosing(
            sweep.threshold, sweep.matcher, sweep.assignment, sweep.judge
        ),
        cache_dir=cache_dir,
        retry_failed=retry_failed,
        cache_ttl=cache_ttl,
        answer_limits=sweep.answer_limits(),
    )


class _CacheReader:
    """Read-only view of the response cache: a dry run writes nothing, not even hit counts.
    An answer older than the TTL counts as not cached, as the run would treat it."""

    def __init__(self, cache_dir: Path | None, ttl: float | None) -> None:
        self._oldest = time.time() - ttl if ttl is not None else 0.0
        path = cache_dir / "responses.sqlite" if cache_dir else None
        self._db = (
            sqlite3.connect(f"file:{path}?mode=ro", uri=True) if path and path.exists() else None
        )

    def result(self, key: CacheKey) -> str | None:
        if self._db is None:
            return None
        row = self._db.execute(
            "SELECT result FROM responses WHERE key = ? AND created >= ?",
            (key.digest, self._oldest),
        )
        found = row.fetchone()
        return None if found is None else str(found[0])

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


def _cached_probe(cache: _CacheReader, client: ChatClient) -> tuple[OutputMode, str | None] | None:
    """The rung and server model the probe settles on if every step it takes is cached;
    None when probing would send requests."""
    for mode in LADDER:
        stored = cache.result(client.probe_key(mode))
        if stored is None:
            return None
        data = json.loads(stored)
        if data["accepted"]:
            return mode, data["server_model"]
    return OutputMode.PROMPT, None


async def _to_request(
    cache: _CacheReader, endpoint: Endpoint, cell: Cell, messages: list[list[dict[str, str]]],
    forced: OutputMode | None,
) -> tuple[int, bool]:  # fmt: skip
    """(documents whose answer is not cached, whether the probe is cached)."""
    client = ChatClient(endpoint, None, cell.params, repeat=cell.repeat)
    try:
        probe = (forced, None) if forced else _cached_probe(cache, client)
        if probe is None or not messages:
            return len(messages), probe is not None
        mode, client.server_model = probe
        return sum(cache.result(client.cache_key(m, mode)) is None for m in messages), True
    finally:
        await client.close()


async def plan_cells(
    sweep: SweepFile,
    path: Path,
    cells: list[Cell],
    cache_dir: Path | None,
    retry_failed: bool = False,
    cache_ttl: float | None = None,
) -> list[CellPlan]:
    """What each cell would request (documents neither recorded nor cached); sends nothing."""
    shared = _shared(sweep, cache_dir, retry_failed, cache_ttl)
    prompts = {c.prompt: load_prompt(c.prompt, sweep.prompts_dir) for c in cells}
    cache = _CacheReader(cache_dir, cache_ttl)
    plans = []
    with ExitStack() as stack:
        resolver = EndpointResolver(stack)
        for cell in cells:
            job = _job(sweep, path, cell)
            recorded, todo, retried = to_do(job.folder, shared.documents, retry_failed)
            endpoint = resolver.endpoint(job.spec, where=job.where)
            # A retried document is requested afresh, cached or not (`extract_document`).
            fresh = [d for d in todo if d.id not in retried]
            messages = [prompts[cell.prompt].render(d).messages() for d in fresh]
            missing, probe_cached = await _to_request(
                cache, endpoint, cell, messages, shared.output_mode
            )
            missing += len(retried)
            plans.append(CellPlan(cell, len(shared.documents), recorded, missing, probe_cached))
    cache.close()
    return plans


@dataclass(frozen=True)
class CellOutcome:
    cell: Cell
    requested: int  # documents asked for in this invocation
    error: HarnessError | None
    from_cache: int = 0  # of those, answered entirely by the response cache
    metrics: Metrics | None = None  # None when the cell stopped on an error

    def failed_too_often(self, max_rate: float | None) -> bool:
        """More than `max_rate` of the cell's documents failed (None: all of them), as
        `RunOutcome.check_failures` decides for a run."""
        return self.metrics is not None and too_many_failures(self.metrics, max_rate)

    def failure_count(self) -> str:
        """`<failed> of <documents> failed`, for the line naming the cells over a rate."""
        if self.metrics is None:
            return "stopped on an error"
        return f"{sum(self.metrics.failures.values())} of {self.metrics.n_docs} failed"


def check_cell_failures(outcomes: list[CellOutcome], max_rate: float | None = None) -> None:
    """Raise `TooManyFailures` (exit 4) naming every cell over the rate (None: every cell
    whose documents all failed); called once the sweep is saved and summarised."""
    over = [o for o in outcomes if o.failed_too_often(max_rate)]
    if over:
        rate = f"over --max-failure-rate {max_rate}"
        limit = "failed on every document" if max_rate is None else rate
        cells = ", ".join(f"{o.cell.id} ({o.failure_count()})" for o in over)
        raise TooManyFailures(f"{len(over)} of {len(outcomes)} cells {limit}: {cells}")


async def run_cells(
    sweep: SweepFile,
    path: Path,
    cells: list[Cell],
    cache_dir: Path | None,
    progress: Callable[[int, Cell], Progress],
    retry_failed: bool = False,
    cache_ttl: float | None = None,
) -> tuple[SweepSummary, list[CellOutcome]]:
    """Run (or resume) every cell in order; an endpoint failure stops only its cell."""
    shared = _shared(sweep, cache_dir, retry_failed, cache_ttl)
    folder = sweep_folder(sweep)
    folder.prepare(sweep.model_dump_json(indent=2) + "\n")
    outcomes = []
    with ExitStack() as stack:
        resolver = EndpointResolver(stack)
        for index, cell in enumerate(cells):
            try:
                outcome = await run_cell(
                    shared, _job(sweep, path, cell), resolver, progress(index, cell)
                )
                outcomes.append(
                    CellOutcome(cell, outcome.requested, None, outcome.from_cache, outcome.metrics)
                )
            except HarnessError as exc:  # the cell's manifest records it; other cells go on
                outcomes.append(CellOutcome(cell, 0, exc))
    summary = build_summary(sweep, folder, cells)
    write_summary(folder, summary)
    return summary, outcomes
