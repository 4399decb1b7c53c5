"""What answers a run's documents, and the workers that ask it.

A model is asked through a chat client (with its cache, probed for its output mode); a
baseline (`baseline:NAME`) is called in-process and has nothing to probe, cache or close.
Either way the workers below pull documents from a queue (memory stays flat however large
the corpus) and append each record to predictions.jsonl the moment it lands.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from harness._eval.baseline import baseline_extractor
from harness._eval.config import RunConfig
from harness._eval.extract import FatalEndpointError, extract_document
from harness._eval.inputs import Inputs
from harness._eval.manifest import Tally
from harness._eval.running import RunningScore
from harness._eval.shape import RequestShape
from harness.claims import Document
from harness.endpoints.cache import ResponseCache, open_cache
from harness.endpoints.client import CallFailed, ChatClient
from harness.endpoints.settings import Kind, kind_of
from harness.errors import EndpointError
from harness.runs import PredictionRecord, RunFolder
from harness.runs.folder import ToDo
from harness.runs.manifest import ProbeRecord

__all__ = ["Advance", "Answerer", "Extract", "extract_all"]

# One document's record; the flag asks the server afresh (a retried document).
Extract = Callable[[Document, bool], Awaitable[PredictionRecord]]
# What the display hears per record: the record and the running claim F1 (or None).
Advance = Callable[[PredictionRecord, float | None], None]


@dataclass
class Answerer:
    """A chat client (with its cache), or a baseline called in-process."""

    extract: Extract
    concurrency: int
    client: ChatClient | None = None
    cache: ResponseCache | None = None

    @classmethod
    def of(
        cls, config: RunConfig, api_key: str | None, inputs: Inputs, shape: RequestShape | None
    ) -> Answerer:
        """The run's answerer; a baseline that needs gold checks it here, before the run
        folder is written."""
        if kind_of(config.endpoint.model) is Kind.BASELINE:
            predict = baseline_extractor(config.endpoint.model, inputs.documents, inputs.gold)

            def baseline(doc: Document, fresh: bool) -> Awaitable[PredictionRecord]:
                return predict(doc)  # nothing is cached: every answer is fresh

            return cls(baseline, 1)
        cache = open_cache(config.cache_dir, config.cache_ttl) if config.cache_dir else None
        client = ChatClient(
            config.endpoint, api_key, config.params, config.output_mode, cache, config.repeat
        )

        def extract(doc: Document, fresh: bool) -> Awaitable[PredictionRecord]:
            return extract_document(
                doc, inputs.prompt, client, config.reask, shape, fresh, config.answer_limits
            )

        return cls(extract, client.capacity, client, cache)

    @property
    def server_model(self) -> str | None:
        return self.client.server_model if self.client is not None else None

    async def server_model_now(self) -> str | None:
        """The model the server serves in this invocation: the probe's if the probe asked the
        server, else asked now (one uncached one-token request). A cached probe, or none under
        --output-mode, would only repeat what the server served when the run began."""
        client = self.client
        if client is None or client.model_asked_live:
            return self.server_model
        try:
            return await client.served_model()
        except CallFailed as exc:
            error = (
                f"{client.endpoint.base_url}: server-model check failed ({exc.failure.kind}): {exc}"
            )
            raise EndpointError(error) from exc

    async def probe(self, config: RunConfig, todo: ToDo) -> list[ProbeRecord] | None:
        """Settle the client's output mode (None: nothing to probe, or a forced mode); an
        endpoint that cannot answer stops the run."""
        if self.client is None or not todo.documents or config.output_mode is not None:
            return None
        return await probe(self.client)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()
        if self.cache is not None:
            self.cache.close()


async def extract_all(
    todo: ToDo,
    answerer: Answerer,
    folder: RunFolder,
    advance: Advance,
    tally: Tally,
    running: RunningScore | None = None,
) -> None:
    """Every document still to do, `answerer.concurrency` at a time; each record is kept
    as it lands (a fatal endpoint error keeps its record, then stops every worker)."""
    queue: asyncio.Queue[Document] = asyncio.Queue()
    for doc in todo.documents:
        queue.put_nowait(doc)

    def keep(record: PredictionRecord) -> None:
        folder.append_prediction(record)
        tally.add(record)
        advance(record, running.add(record) if running is not None else None)

    async def worker() -> None:
        while not queue.empty():
            doc = queue.get_nowait()
            try:
                record = await answerer.extract(doc, doc.id in todo.retried)
            except FatalEndpointError as exc:
                keep(exc.record)
                raise
            keep(record)

    workers = [asyncio.create_task(worker()) for _ in range(answerer.concurrency)]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


async def probe(client: ChatClient) -> list[ProbeRecord]:
    """Settle the client's output mode; an endpoint that cannot answer stops the run (and a
    batch plan: `harness batch submit` probes as the run will)."""
    try:
        steps = await client.probe()
    except CallFailed as exc:  # unreachable, key rejected, persistent 5xx...
        where = client.endpoint.base_url
        raise EndpointError(f"{where}: probe failed ({exc.failure.kind}): {exc}") from exc
    return [ProbeRecord(mode=str(s.mode), accepted=s.accepted, error=s.error) for s in steps]
