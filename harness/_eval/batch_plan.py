"""What a batch holds: each document's next uncached request, for a run or every sweep cell.

Every document goes through the ordinary structured-output loop (`extract_document`) with
a client whose cache misses stop instead of sending: the first request that is not cached
is the one the run would send next, with the run's exact body (messages, output mode,
sampling, schema) and the run's exact cache key (`ChatClient.cache_key`). A document whose
first answer is cached but failed validation therefore plans its re-ask: a second
`submit` after `collect` is the follow-up round, counted as such. The output mode and the
server model come from the ordinary probe (cached, so the run sends no probe either).
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness._eval import sweep as sweeps
from harness._eval.answerer import probe
from harness._eval.api import _shared, _spec
from harness._eval.cells import Shared
from harness._eval.expand import expand_cells, load_sweep
from harness._eval.extract import extract_document
from harness._eval.run import load_inputs
from harness._eval.shape import RequestShape, request_shape
from harness.batch.parts import PlannedRequest
from harness.batch.state import Remote
from harness.endpoints.cache import CacheKey, ResponseCache, open_cache
from harness.endpoints.client import CallResult, ChatClient
from harness.endpoints.resolve import (
    EndpointResolver,
    ReadyEndpoint,
    default_prompt,
    with_kind_defaults,
)
from harness.endpoints.settings import OutputMode, SamplingParams
from harness.errors import UserInputError
from harness.prompts import Prompt
from harness.request import RunRequest
from harness.schemas.request import JsonSchema
from harness.sweep import EndpointSpec

__all__ = ["Job", "Plan", "plan", "run_jobs", "sweep_jobs"]


@dataclass(frozen=True)
class Job:
    """One cell's requests: a prompt on one endpoint with one set of parameters."""

    endpoint: str  # "run", or the sweep's endpoint name
    spec: EndpointSpec
    prompt: str
    params: SamplingParams
    repeat: int
    where: str | None = None  # prefix of errors about the spec


@dataclass(frozen=True)
class Plan:
    requests: dict[str, list[PlannedRequest]]  # per endpoint (one model per batch file)
    remotes: dict[str, Remote]
    documents: int  # documents x cells
    answered: int  # of those, needing no request


class _Uncached(Exception):
    """A cache miss while planning: the request to put in the batch (a signal, not an error)."""

    def __init__(self, body: dict[str, Any], key: CacheKey) -> None:
        super().__init__(key.digest)
        self.body, self.key = body, key


class _Planner(ChatClient):
    """A client that answers from the cache only: a miss raises `_Uncached` with the body
    and key the real client would have sent and stored."""

    async def _send(
        self,
        messages: list[dict[str, str]],
        mode: OutputMode,
        max_tokens: int | None = None,
        schema: JsonSchema | None = None,
    ) -> CallResult:
        body = self._request(messages, mode, max_tokens, schema)
        raise _Uncached(body, self.cache_key(messages, mode, schema))


def run_jobs(request: RunRequest) -> tuple[Shared, list[Job]]:
    """`harness run`'s one cell, resolved exactly as `harness.run` resolves it."""
    spec = _spec(request)
    params = with_kind_defaults(spec.model, request.sampling.model_dump(exclude_none=True))
    prompt = request.evaluation.prompt or default_prompt(spec.model)
    return _shared(request, spec), [Job("run", spec, prompt, params, 0)]


def sweep_jobs(
    path: Path, cache_dir: Path | None, cache_ttl: float | None
) -> tuple[Shared, list[Job]]:
    """Every cell of a sweep file, as `harness sweep` expands them."""
    sweep = load_sweep(path)
    shared = sweeps._shared(sweep, cache_dir, False, cache_ttl)
    jobs = [
        Job(c.endpoint, sweep.endpoints[c.endpoint], c.prompt, c.params, c.repeat,
            f"{path}: $.endpoints.{c.endpoint}.model")
        for c in expand_cells(sweep, path)
    ]  # fmt: skip
    return shared, jobs


async def _documents(
    shared: Shared, prompt: Prompt, planner: _Planner, shape: RequestShape | None
) -> tuple[list[PlannedRequest], int]:
    """Each document's next uncached request (with the run's per-document request shape
    and answer limits); how many documents need none."""
    planned, answered = [], 0
    for document in shared.documents:
        try:
            await extract_document(
                document, prompt, planner, shared.reask, shape, False, shared.answer_limits
            )
        except _Uncached as miss:
            is_reask = any(m.get("role") == "assistant" for m in miss.body["messages"])
            planned.append(
                PlannedRequest(document.id, miss.key.digest, miss.key.parts, miss.body, is_reask)
            )
        else:
            answered += 1
    return planned, answered


async def _job(
    shared: Shared, job: Job, ready: ReadyEndpoint, cache: ResponseCache
) -> tuple[list[PlannedRequest], int]:
    prompt = load_inputs(job.prompt, shared.prompts_dir, shared.documents, shared.gold_set).prompt
    endpoint, key = ready.endpoint, ready.api_key
    client = ChatClient(endpoint, key, job.params, shared.output_mode, cache, job.repeat)
    try:
        if shared.output_mode is None:
            await probe(client)  # cached: the run after the batch sends no probe
    finally:
        await client.close()
    planner = _Planner(
        endpoint, key, job.params, client.mode, cache, job.repeat, client.server_model
    )
    try:
        shape = request_shape(prompt.meta, shared.documents, shared.gold_set)
        return await _documents(shared, prompt, planner, shape)
    finally:
        await planner.close()


def _remote(ready: ReadyEndpoint, spec: EndpointSpec) -> Remote:
    return Remote(
        base_url=ready.endpoint.base_url,
        model=ready.endpoint.model,
        api_key_env=spec.api_key_env,
        api_key_file=str(spec.api_key_file) if spec.api_key_file else None,
    )


async def plan(shared: Shared, jobs: list[Job], server_log: Path) -> Plan:
    """Every job's uncached requests, grouped by endpoint; probes are sent (and cached)."""
    for job in jobs:
        if job.spec.local:
            where = f"{job.where}: " if job.where else "--model: "
            raise UserInputError(f"{where}the Batch API needs a remote endpoint, not a local model")
    if shared.cache_dir is None:
        raise UserInputError("--no-cache: batch answers are delivered through the response cache")
    cache = open_cache(shared.cache_dir, shared.cache_ttl)
    if cache is None:
        raise UserInputError(f"{shared.cache_dir}: the response cache cannot be used (see above)")
    requests: dict[str, list[PlannedRequest]] = {}
    remotes: dict[str, Remote] = {}
    answered = 0
    try:
        with ExitStack() as stack:
            resolver = EndpointResolver(stack)
            for job in jobs:
                ready = resolver.ready(job.spec, server_log, job.where)
                remotes[job.endpoint] = _remote(ready, job.spec)
                planned, done = await _job(shared, job, ready, cache)
                requests.setdefault(job.endpoint, []).extend(planned)
                answered += done
    finally:
        cache.close()
    requests = {name: group for name, group in requests.items() if group}
    return Plan(requests, remotes, len(shared.documents) * len(jobs), answered)
