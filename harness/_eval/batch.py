"""`harness batch submit`: plan a round (`batch_plan.py`), write it, upload it.

A batch folder holds one set of options (a run's, or a sweep file): their fingerprint is
in the state, and other options into the same folder are refused. In a folder with parts
not yet collected, a submit only finishes what an earlier one started (uploads nothing
twice); once every part is collected, a submit plans the next round: re-asks of answers
that failed validation, and requests that failed in the batch.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from pathlib import Path

from harness._eval.batch_plan import Plan, plan, run_jobs, sweep_jobs
from harness._eval.loop import run_sync
from harness.batch.parts import Limits, write_round
from harness.batch.remote import Clients, submit_part
from harness.batch.state import BatchFolder, BatchState, Round
from harness.endpoints.cache import default_cache_dir
from harness.errors import UserInputError
from harness.request import RunRequest

__all__ = ["SubmitReport", "submit_batch"]


@dataclass(frozen=True)
class SubmitReport:
    folder: Path
    round: Round | None  # planned by this invocation (None: continued, or nothing to ask)
    uploaded: int  # parts submitted by this invocation
    parts: int  # parts in the folder, every round
    pending: int  # parts submitted but not collected yet


def _fingerprint(request: RunRequest, sweep: Path | None) -> str:
    """The options that decide which requests a batch holds (not keys, where results go,
    concurrency or timeouts); for a sweep, the sweep file's content."""
    if sweep is not None:
        try:
            chosen: object = {"sweep": sweep.read_text(encoding="utf-8")}
        except OSError as exc:
            raise UserInputError(f"{sweep}: cannot read the sweep file: {exc.strerror}") from exc
    else:
        chosen = request.model_dump(
            mode="json",
            include={
                "endpoint": {"model", "base_url", "pool_name"},
                "sampling": True,
                "corpus": True,
                "evaluation": {"prompt", "reask", "output_mode"},
            },
        )
    return hashlib.sha256(json.dumps(chosen, sort_keys=True).encode()).hexdigest()[:16]


def submit_batch(
    request: RunRequest,
    batch_dir: Path,
    limits: Limits | None = None,
    sweep: Path | None = None,
    upload: bool = True,
) -> SubmitReport:
    """Plan the uncached requests of `request` (or, with `sweep`, of every cell of that
    sweep file; `request` then gives only the cache options) into `batch_dir` and submit
    them. A folder with parts not yet submitted (a killed submit) is continued instead.
    Without `upload` the parts are only written, for `vllm run-batch` (`harness.batch.vllm`)."""
    return run_sync(_submit(request, batch_dir, limits or Limits(), sweep, upload))


async def _submit(
    request: RunRequest, batch_dir: Path, limits: Limits, sweep: Path | None, upload: bool
) -> SubmitReport:
    folder = BatchFolder(batch_dir)
    fingerprint = _fingerprint(request, sweep)
    state = folder.read_state() if folder.exists() else None
    if state is not None and state.fingerprint != fingerprint:
        raise UserInputError(
            f"{folder.state_file}: these options ask other requests than the batch's "
            "(another model, prompt, corpus, sampling or sweep file): submit into a new folder"
        )
    planned = None
    if state is None or not state.uncollected():
        if sweep is not None:
            options = request.cache
            cache = None if options.no_cache else (options.cache_dir or default_cache_dir())
            shared, jobs = sweep_jobs(sweep, cache, options.cache_ttl)
        else:
            shared, jobs = run_jobs(request)
        found = await plan(shared, jobs, folder.path / "server.log")
        state = state or BatchState(
            tag=uuid.uuid4().hex[:12],
            endpoints={},
            cache_dir=str(_cache_dir(shared.cache_dir).resolve()),
            fingerprint=fingerprint,
        )
        state.upload = upload  # this round's parts go the way this submit says
        planned = _write_round(folder, state, found, limits)
    uploaded = _upload(folder, state)
    return SubmitReport(
        folder=batch_dir,
        round=planned,
        uploaded=uploaded,
        parts=len(state.parts),
        pending=len(state.uncollected()),
    )


def _cache_dir(cache_dir: Path | None) -> Path:
    assert cache_dir is not None  # `plan` refuses --no-cache
    return cache_dir


def _write_round(
    folder: BatchFolder, state: BatchState, found: Plan, limits: Limits
) -> Round | None:
    """Add the new round's parts to the state and write it (the part files first), before
    any upload."""
    state.endpoints.update(found.remotes)
    if not found.requests:
        folder.write_state(state)
        return None
    number = len(state.rounds) + 1
    try:
        parts = write_round(folder, number, found.requests, limits)
    except ValueError as exc:
        raise UserInputError(f"{folder.round_dir(number)}: {exc}") from exc
    lines = sum(p.lines for p in parts)
    reasks = len({r.custom_id for g in found.requests.values() for r in g if r.reask})
    rnd = Round(
        number=number, requests=lines, first=lines - reasks, reasks=reasks,
        documents=found.documents, answered=found.answered,
    )  # fmt: skip
    state.rounds.append(rnd)
    state.parts.extend(parts)
    folder.write_state(state)
    return rnd


def _upload(folder: BatchFolder, state: BatchState) -> int:
    """Submit every part not yet submitted, saving the state around each step."""
    todo = [p for p in state.parts if not p.submitted] if state.upload else []
    with Clients(state) as clients:
        for part in todo:
            submit_part(
                clients(part.endpoint), folder, state, part, lambda: folder.write_state(state)
            )
    return len(todo)
