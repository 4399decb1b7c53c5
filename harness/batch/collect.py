"""`harness batch collect`: finished batches' answers into the response cache.

Any process may collect, days after the submit: everything it needs is in the batch folder.
Each successful line's body goes into the cache under its custom_id (the cache key digest)
exactly as the client would have stored it (`client.cache_entry`), so the ordinary
`harness run` afterwards finds every answer and sends nothing. A line that failed (an error
file line, a non-200 answer, a body that is not a chat completion, or no line at all when a
batch expired) is recorded in the state under its custom_id and left out of the cache:
the ordinary run requests those documents itself. A part not yet submitted (its submit was
killed) is submitted first.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai

from harness.batch.remote import Clients, download, submit_part
from harness.batch.state import TERMINAL, BatchFolder, BatchPart, BatchState, KeyLine
from harness.endpoints.cache import CacheKey, ResponseCache
from harness.endpoints.client import CallResult, cache_entry
from harness.endpoints.reply import MalformedReply
from harness.errors import UserInputError
from harness.validation import validate_response

__all__ = ["CollectReport", "collect_batch", "part_keys", "take_results"]


@dataclass(frozen=True)
class CollectReport:
    folder: Path
    parts: int
    pending: int  # parts whose batch is not finished yet
    submitted_now: int  # parts this invocation had to submit (an earlier submit was killed)
    succeeded: int  # answers in the cache, over every collected part
    invalid: int  # of those, answers that fail validation (re-asked by the run or a round)
    failed: dict[str, int]  # reason -> requests, over every collected part
    requests: int

    @property
    def done(self) -> bool:
        return self.pending == 0


def _reason(line: dict[str, Any]) -> str | None:
    """Why a result line holds no usable answer (None: it does)."""
    error, response = line.get("error"), line.get("response")
    if error:
        return str(error.get("code") or "error") if isinstance(error, dict) else "error"
    if not isinstance(response, dict):
        return "no response"
    status = response.get("status_code")
    return None if status == 200 else f"http {status}"


def _store(cache: ResponseCache, key: KeyLine, body: object) -> str | None:
    """Put one answer in the cache exactly as the client would; why not, or None."""
    try:
        entry = cache_entry(body)
    except MalformedReply:
        return "malformed reply"
    cache.put(CacheKey(key.custom_id, key.parts), entry)
    return None


def _usable(body: object) -> bool:
    """Whether a stored answer passes validation (else the run re-asks it, or a round)."""
    content = CallResult.model_validate_json(cache_entry(body)).content
    return bool(content) and validate_response(content or "").extraction is not None


def take_results(
    part: BatchPart, lines: list[str], keys: dict[str, KeyLine], cache: ResponseCache
) -> set[str]:
    """Store each answered line; record each failed one under its custom_id. The ids seen."""
    seen = set()
    for text in lines:
        try:
            line = json.loads(text)
        except ValueError:
            continue  # unreadable: its request counts as having no result
        if not isinstance(line, dict):
            continue
        custom_id = str(line.get("custom_id"))
        key = keys.get(custom_id)
        if key is None or custom_id in seen:
            continue  # not one of this part's: never put an unknown answer in the cache
        seen.add(custom_id)
        reason = _reason(line)
        if reason is None:
            reason = _store(cache, key, line["response"].get("body"))
        if reason is None:
            part.succeeded += 1
            part.invalid += not _usable(line["response"].get("body"))
        else:
            part.failed[custom_id] = reason
    return seen


def part_keys(folder: BatchFolder, part: BatchPart) -> dict[str, KeyLine]:
    """The cache keys of one part's requests, by custom_id."""
    keys = folder.read_keys(part.round)
    return {i: keys[i] for i in folder.custom_ids(part) if i in keys}


def _collect_part(
    client: openai.OpenAI, folder: BatchFolder, part: BatchPart, cache: ResponseCache
) -> None:
    assert part.batch_id is not None
    batch = client.batches.retrieve(part.batch_id)
    part.status = batch.status
    if batch.status not in TERMINAL:
        return
    keys = part_keys(folder, part)
    lines = download(client, batch.output_file_id) + download(client, batch.error_file_id)
    part.succeeded, part.invalid, part.failed = 0, 0, {}
    seen = take_results(part, lines, keys, cache)
    reason = f"no result ({batch.status})"  # no line: expired, cancelled or failed as a whole
    if batch.status == "failed" and batch.errors and batch.errors.data:
        reason = f"batch failed: {batch.errors.data[0].message}"
    for custom_id in keys.keys() - seen:
        part.failed[custom_id] = reason
    part.collected = True


def _pass(folder: BatchFolder, state: BatchState, cache: ResponseCache) -> int:
    """One look at every uncollected part; how many parts had to be submitted first."""
    submitted = 0
    with Clients(state) as clients:
        for part in state.uncollected():
            if not state.upload:
                raise UserInputError(
                    f"{folder.state_file}: submitted with --no-upload: run the exported "
                    "files with `vllm run-batch`, then `harness batch import`"
                )
            client = clients(part.endpoint)
            if not part.submitted:
                submit_part(client, folder, state, part, lambda: folder.write_state(state))
                submitted += 1
            _collect_part(client, folder, part, cache)
            folder.write_state(state)
    return submitted


def collect_batch(
    batch_dir: Path,
    wait: bool = False,
    poll_s: float = 30.0,
    poll_max_s: float = 600.0,
    cache_dir: Path | None = None,
) -> CollectReport:
    """Collect what has finished; with `wait`, poll until every batch has (the interval
    starts at `poll_s` and doubles up to `poll_max_s`)."""
    folder = BatchFolder(batch_dir)
    state = folder.read_state()
    cache = ResponseCache(cache_dir or Path(state.cache_dir))
    submitted = 0
    try:
        submitted += _pass(folder, state, cache)
        interval = poll_s
        while wait and state.uncollected():
            time.sleep(interval)
            interval = min(interval * 2, poll_max_s)
            submitted += _pass(folder, state, cache)
    finally:
        cache.close()
    return _report(folder, state, submitted)


def _report(folder: BatchFolder, state: BatchState, submitted: int) -> CollectReport:
    collected = [p for p in state.parts if p.collected]
    failed = Counter(reason for p in collected for reason in p.failed.values())
    return CollectReport(
        folder=folder.path,
        parts=len(state.parts),
        pending=len(state.parts) - len(collected),
        submitted_now=submitted,
        succeeded=sum(p.succeeded for p in collected),
        invalid=sum(p.invalid for p in collected),
        failed=dict(sorted(failed.items())),
        requests=sum(p.lines for p in state.parts),
    )
