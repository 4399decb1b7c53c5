"""`harness batch submit`: the requests a run would send, planned against the cache.

Every document goes through the ordinary structured-output loop (`extract_document`) with
a client whose cache misses stop instead of sending: the first request that is not cached
is the one the run would send next, with the run's exact body (messages, output mode,
sampling, schema) and the run's exact cache key (`ChatClient.cache_key`). A document whose
first answer is cached but failed validation therefore plans its re-ask: a second
`submit` after `collect` is the follow-up round, counted as such. The output mode and the
server model come from the ordinary probe (cached, so the run sends no probe either).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai

from harness._eval.api import _shared, _spec
from harness._eval.extract import extract_document
from harness._eval.loop import run_sync
from harness._eval.run import _probe, load_inputs
from harness.batch.parts import Limits, PlannedRequest, write_round
from harness.batch.remote import connect, endpoint_error, submit_part
from harness.batch.state import BatchFolder, BatchState, Round
from harness.claims import Document
from harness.endpoints.cache import CacheKey, open_cache
from harness.endpoints.client import CallResult, ChatClient
from harness.endpoints.resolve import EndpointResolver, with_kind_defaults
from harness.endpoints.settings import OutputMode
from harness.errors import UserInputError
from harness.prompts import Prompt
from harness.request import RunRequest

__all__ = ["SubmitReport", "submit_batch"]


@dataclass(frozen=True)
class SubmitReport:
    folder: Path
    round: Round | None  # planned by this invocation (None: continued, or nothing to ask)
    uploaded: int  # parts submitted by this invocation
    parts: int  # parts in the folder, every round
    pending: int  # parts submitted but not collected yet


class _Uncached(Exception):
    """A cache miss while planning: the request to put in the batch (a signal, not an error)."""

    def __init__(self, body: dict[str, Any], key: CacheKey) -> None:
        super().__init__(key.digest)
        self.body, self.key = body, key


class _Planner(ChatClient):
    """A client that answers from the cache only: a miss raises `_Uncached` with the body
    and key the real client would have sent and stored."""

    async def _send(
        self, messages: list[dict[str, str]], mode: OutputMode, max_tokens: int | None = None
    ) -> CallResult:
        raise _Uncached(self._request(messages, mode, max_tokens), self.cache_key(messages, mode))


async def _plan(
    documents: list[Document], prompt: Prompt, planner: _Planner, reask: int
) -> tuple[list[PlannedRequest], int]:
    """Each document's next uncached request; how many documents need none."""
    planned, answered = [], 0
    for document in documents:
        try:
            await extract_document(document, prompt, planner, reask)
        except _Uncached as miss:
            is_reask = any(m.get("role") == "assistant" for m in miss.body["messages"])
            planned.append(
                PlannedRequest(document.id, miss.key.digest, miss.key.parts, miss.body, is_reask)
            )
        else:
            answered += 1
    return planned, answered


def _fingerprint(request: RunRequest) -> str:
    """The options that decide which requests a batch holds (not keys, paths to results,
    concurrency or timeouts)."""
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
    request: RunRequest, batch_dir: Path, limits: Limits | None = None
) -> SubmitReport:
    """Plan the uncached requests of `request` into `batch_dir` and submit them; in a folder
    with parts not yet submitted, submit those first (a killed submit continues)."""
    return run_sync(_submit(request, batch_dir, limits or Limits()))


async def _submit(request: RunRequest, batch_dir: Path, limits: Limits) -> SubmitReport:
    folder = BatchFolder(batch_dir)
    fingerprint = _fingerprint(request)
    state = folder.read_state() if folder.exists() else None
    if state is not None and state.fingerprint != fingerprint:
        raise UserInputError(
            f"{folder.state_file}: these options ask other requests than the batch's "
            "(another model, prompt, corpus or sampling): submit into a new folder"
        )
    planned = None
    if state is None or not state.uncollected():
        state, planned = await _new_round(request, folder, state, fingerprint, limits)
    uploaded = _upload(folder, state)
    return SubmitReport(
        folder=batch_dir,
        round=planned,
        uploaded=uploaded,
        parts=len(state.parts),
        pending=len(state.uncollected()),
    )


async def _new_round(
    request: RunRequest,
    folder: BatchFolder,
    state: BatchState | None,
    fingerprint: str,
    limits: Limits,
) -> tuple[BatchState, Round | None]:
    spec = _spec(request)
    if spec.local:
        raise UserInputError("--model: the Batch API needs a remote endpoint, not a local model")
    if request.cache.no_cache:
        raise UserInputError("--no-cache: batch answers are delivered through the response cache")
    params = with_kind_defaults(spec.model, request.sampling.model_dump(exclude_none=True))
    shared = _shared(request, spec)
    assert shared.cache_dir is not None
    prompt = load_inputs(
        request.evaluation.prompt, shared.prompts_dir, shared.documents, shared.gold_set
    ).prompt
    with ExitStack() as stack:
        ready = EndpointResolver(stack).ready(spec, folder.path / "server.log")
    cache = open_cache(shared.cache_dir, shared.cache_ttl)
    if cache is None:
        raise UserInputError(f"{shared.cache_dir}: the response cache cannot be used (see above)")
    endpoint, key = ready.endpoint, ready.api_key
    client = ChatClient(endpoint, key, params, shared.output_mode, cache)
    try:
        if shared.output_mode is None:
            await _probe(client)
        planner = _Planner(endpoint, key, params, client.mode, cache, 0, client.server_model)
        try:
            planned, answered = await _plan(shared.documents, prompt, planner, shared.reask)
        finally:
            await planner.close()
    finally:
        await client.close()
        cache.close()
    state = state or BatchState(
        tag=uuid.uuid4().hex[:12],
        base_url=endpoint.base_url,
        model=endpoint.model,
        api_key_env=spec.api_key_env,
        api_key_file=str(spec.api_key_file) if spec.api_key_file else None,
        cache_dir=str(shared.cache_dir.resolve()),
        fingerprint=fingerprint,
    )
    if not planned:
        folder.write_state(state)
        return state, None
    number = len(state.rounds) + 1
    parts = write_round(folder, number, planned, limits)
    lines = sum(p.lines for p in parts)
    reasks = len({p.custom_id for p in planned if p.reask})
    rnd = Round(
        number=number, requests=lines, first=lines - reasks, reasks=reasks,
        documents=len(shared.documents), answered=answered,
    )  # fmt: skip
    state.rounds.append(rnd)
    state.parts.extend(parts)
    folder.write_state(state)  # every part on disk before the first upload
    return state, rnd


def _upload(folder: BatchFolder, state: BatchState) -> int:
    """Submit every part not yet submitted, saving the state around each step."""
    todo = [p for p in state.parts if not p.submitted]
    if not todo:
        return 0
    client, key = connect(state)
    try:
        for part in todo:
            submit_part(client, folder, state, part, lambda: folder.write_state(state))
    except openai.OpenAIError as exc:
        raise endpoint_error(state, exc, key) from exc
    finally:
        client.close()
    return len(todo)
