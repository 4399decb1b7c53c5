"""Run a sweep: each cell is an ordinary run folder under `<results>/sweeps/<name>/cells/`.

A cell whose folder exists is resumed (only documents without a record are requested, a
complete cell requests nothing), never duplicated; the response cache makes a new cell
whose requests were answered before free. Local endpoints get one llama.cpp server each
for the whole sweep, started only when a cell of theirs has documents to request, with
the same cache identity as `harness run` (GGUF sha256 and context), so a random port never
invalidates the cache. The summary is rebuilt from the cells' folders every time.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from harness._eval.config import RunConfig
from harness._eval.run import Progress, run_evaluation
from harness._eval.sweep_summary import SweepSummary, build_summary, write_summary
from harness.claims import Document
from harness.corpus import load_documents
from harness.endpoints.cache import CacheKey
from harness.endpoints.client import ChatClient
from harness.endpoints.local import DEFAULT_CONTEXT, LocalServer, file_sha256, parse_local_model
from harness.endpoints.settings import LADDER, Endpoint, OutputMode
from harness.errors import HarnessError, UserInputError
from harness.prompts import load_prompt
from harness.runs import RunFolder
from harness.runs.folder import write_atomic
from harness.scoring.document import ScoringConfig
from harness.secrets import read_api_key
from harness.sweep import Cell, KindDefaults, SweepFile

__all__ = ["CellOutcome", "CellPlan", "plan_sweep", "run_sweep"]


@dataclass(frozen=True)
class CellPlan:
    cell: Cell
    n_docs: int
    recorded: int
    to_request: int
    probe_cached: bool


@dataclass
class _Endpoints:
    """Endpoint specs -> `Endpoint`s; starts each local server once, when first needed."""

    sweep: SweepFile
    path: Path
    local: KindDefaults
    api: KindDefaults
    stack: ExitStack
    servers: dict[str, LocalServer] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)

    def gguf(self, name: str) -> Path | None:
        try:
            return parse_local_model(self.sweep.endpoints[name].model)
        except UserInputError as exc:
            raise UserInputError(f"{self.path}: $.endpoints.{name}.model: {exc}") from exc

    def n_ctx(self, name: str) -> int:
        return self.sweep.endpoints[name].n_ctx or DEFAULT_CONTEXT

    def identity(self, name: str, gguf: Path) -> str:
        if name not in self.hashes:
            self.hashes[name] = file_sha256(gguf)
        return f"local:{self.hashes[name]}:n_ctx={self.n_ctx(name)}"  # as `harness run`

    def get(self, name: str, start: bool) -> tuple[Endpoint, dict[str, str] | None]:
        spec, gguf = self.sweep.endpoints[name], self.gguf(name)
        defaults = self.local if gguf is not None else self.api
        base_url, info = spec.base_url or "http://127.0.0.1:0/v1", None
        if gguf is not None and start:
            if name not in self.servers:
                log = self.sweep.folder / f"server-{name}.log"
                server = LocalServer(gguf, log, n_ctx=self.n_ctx(name))
                self.servers[name] = self.stack.enter_context(server)
            base_url, info = self.servers[name].base_url, self.servers[name].describe()
        endpoint = Endpoint(
            base_url=base_url,
            model=spec.model,
            timeout_s=spec.timeout or defaults.timeout_s,
            concurrency=spec.concurrency or defaults.concurrency,
            max_attempts=spec.max_attempts,
            identity=self.identity(name, gguf) if gguf is not None else None,
        )
        return endpoint, info

    def api_key(self, name: str) -> str | None:
        spec = self.sweep.endpoints[name]
        return None if spec.local else read_api_key(spec.api_key_env)


def _todo(run_dir: Path, documents: list[Document], retry_failed: bool) -> tuple[int, list[str]]:
    """(documents recorded, ids still to request), as `run_evaluation` will resume."""
    if not (run_dir / "manifest.json").is_file():
        return 0, [d.id for d in documents]
    done = RunFolder(run_dir).read_predictions()
    todo = [
        d.id
        for d in documents
        if d.id not in done or (retry_failed and done[d.id].failure is not None)
    ]
    return sum(d.id in done for d in documents), todo


class _CacheReader:
    """Read-only view of the response cache: a dry run writes nothing, not even hit counts."""

    def __init__(self, cache_dir: Path | None) -> None:
        path = cache_dir / "responses.sqlite" if cache_dir else None
        self._db = (
            sqlite3.connect(f"file:{path}?mode=ro", uri=True) if path and path.exists() else None
        )

    def result(self, key: CacheKey) -> str | None:
        if self._db is None:
            return None
        row = self._db.execute("SELECT result FROM responses WHERE key = ?", (key.digest,))
        found = row.fetchone()
        return None if found is None else str(found[0])

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


def _cached_probe(cache: _CacheReader, endpoint: Endpoint) -> tuple[OutputMode, str | None] | None:
    """The rung and server model the probe settles on if every step it takes is cached
    (the keys of `ChatClient._probe_mode`); None when probing would send requests."""
    for mode in LADDER:
        key = CacheKey.build(
            "probe",
            base_url=endpoint.identity or endpoint.base_url,
            model=endpoint.model,
            mode=str(mode),
        )
        stored = cache.result(key)
        if stored is None:
            return None
        data = json.loads(stored)
        if data["accepted"]:
            return mode, data["server_model"]
    return OutputMode.PROMPT, None


def _documents(sweep: SweepFile) -> list[Document]:
    return load_documents(sweep.docs)[: sweep.limit]


async def plan_sweep(
    sweep: SweepFile,
    path: Path,
    cells: list[Cell],
    defaults: tuple[KindDefaults, KindDefaults],
    cache_dir: Path | None,
    retry_failed: bool = False,
) -> list[CellPlan]:
    """What each cell would request (documents neither recorded nor cached); sends nothing."""
    documents = _documents(sweep)
    by_id = {d.id: d for d in documents}
    prompts = {c.prompt: load_prompt(c.prompt, sweep.prompts_dir) for c in cells}
    cache = _CacheReader(cache_dir)
    plans = []
    with ExitStack() as stack:
        endpoints = _Endpoints(sweep, path, *defaults, stack)
        for cell in cells:
            recorded, todo = _todo(sweep.folder / "cells" / cell.id, documents, retry_failed)
            endpoint, _ = endpoints.get(cell.endpoint, start=False)
            forced = OutputMode(sweep.output_mode) if sweep.output_mode else None
            probe = (forced, None) if forced else _cached_probe(cache, endpoint)
            missing = len(todo)
            if probe is not None and todo:
                mode, server_model = probe
                client = ChatClient(
                    endpoint, None, cell.params, repeat=cell.repeat, server_model=server_model
                )
                messages = (prompts[cell.prompt].render(by_id[i]).messages() for i in todo)
                missing = sum(cache.result(client.cache_key(m, mode)) is None for m in messages)
                await client.close()
            plans.append(CellPlan(cell, len(documents), recorded, missing, probe is not None))
    cache.close()
    return plans


@dataclass(frozen=True)
class CellOutcome:
    cell: Cell
    requested: int
    error: HarnessError | None


async def run_sweep(
    sweep: SweepFile,
    path: Path,
    cells: list[Cell],
    defaults: tuple[KindDefaults, KindDefaults],
    cache_dir: Path | None,
    progress: Callable[[int, Cell], Progress],
    retry_failed: bool = False,
) -> tuple[SweepSummary, list[CellOutcome]]:
    """Run (or resume) every cell in order; an endpoint failure stops only its cell."""
    documents = _documents(sweep)
    cells_dir = sweep.folder / "cells"
    cells_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(sweep.folder / "sweep.json", sweep.model_dump_json(indent=2) + "\n")
    scoring = ScoringConfig(matcher=sweep.matcher, assignment=sweep.assignment)
    if sweep.threshold:
        scoring = scoring.model_copy(update={"match_threshold": sweep.threshold})
    outcomes = []
    with ExitStack() as stack:
        endpoints = _Endpoints(sweep, path, *defaults, stack)
        for index, cell in enumerate(cells):
            run_dir = cells_dir / cell.id
            _, todo = _todo(run_dir, documents, retry_failed)
            resume = run_dir if (run_dir / "manifest.json").is_file() else None
            try:
                endpoint, info = endpoints.get(cell.endpoint, start=bool(todo))
                config = RunConfig(
                    prompt=cell.prompt,
                    prompts_dir=sweep.prompts_dir,
                    docs=sweep.docs,
                    gold=sweep.gold,
                    results_dir=cells_dir,
                    endpoint=endpoint,
                    params=cell.params,
                    output_mode=OutputMode(sweep.output_mode) if sweep.output_mode else None,
                    reask=sweep.reask,
                    scoring=scoring,
                    limit=sweep.limit,
                    run_id=cell.id,
                    local_model=info,
                    cache_dir=cache_dir,
                    repeat=cell.repeat,
                )
                outcome = await run_evaluation(
                    config,
                    endpoints.api_key(cell.endpoint),
                    progress(index, cell),
                    resume=resume,
                    retry_failed=retry_failed,
                )
                outcomes.append(CellOutcome(cell, outcome.requested, None))
            except HarnessError as exc:  # the cell's manifest records it; other cells go on
                outcomes.append(CellOutcome(cell, 0, exc))
    summary = build_summary(sweep, cells)
    write_summary(sweep.folder, summary)
    return summary, outcomes
