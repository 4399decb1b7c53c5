"""`judge`: an LLM decides "same claim?" for the pairs a cheap matcher shortlists.

The judge is a client of the endpoint layer (`ChatClient.complete`): the response cache,
retries, rate limiting and failure classes are the ones extraction uses, and tokens are
counted the same way. Each shortlisted pair is asked twice, predicted claim first and
gold claim first; a pair's similarity is the mean of the verdicts received (0, 0.5, 1),
and `JudgeStats` reports how often the two orders disagree (position bias). Pairs below
the shortlist threshold are never sent and score 0. A pair for which neither order got a
verdict (both failed after retries, or neither answer parsed) falls back to the shortlist
matcher's similarity, i.e. the rule the run would have used without a judge, and is
counted in `JudgeStats.fallback_pairs`: a judge's failure never crashes scoring nor
turns a match into a miss. Only an endpoint that rejects the request (key, model name:
`CallFailed.fatal`) stops scoring, with a one-line `EndpointError`. The verdict must be strict JSON,
`{"same_claim": true|false}`; anything else is a recorded `parse`/`schema` failure.

Output mode is always the plain prompt: the structured modes of `ChatClient` carry the
extraction schema, not this verdict's.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from harness.endpoints.client import CallFailed, ChatClient
from harness.errors import EndpointError
from harness.failures import FailureClass
from harness.scoring.grounding import NormalisedDocument
from harness.scoring.matchers.base import Matcher, Similarity
from harness.scoring.matching import ClaimView

__all__ = [
    "JUDGE_SYSTEM",
    "JudgeMatcher",
    "JudgeStats",
    "JudgeStopped",
    "judge_messages",
    "parse_verdict",
]

T = TypeVar("T")

JUDGE_SYSTEM = (
    "You compare two claims extracted from the same news article. They are the SAME claim "
    "when they assert the same proposition: paraphrase is fine, but a different number, "
    "date, negation, hedge (may/reportedly) or a different event makes them different. "
    'Reply with only a JSON object: {"same_claim": true} or {"same_claim": false}.'
)


def judge_messages(first: ClaimView, second: ClaimView) -> list[dict[str, str]]:
    """The request for one ordered pair (claim A is shown first)."""
    payload = {"A": {"statement": first.statement}, "B": {"statement": second.statement}}
    return [
        {"role": "system", "content": JUDGE_SYSTEM},
        {"role": "user", "content": json.dumps(payload, ensure_ascii=False)},
    ]


async def _call(make: Callable[[], T]) -> T:
    return make()


def parse_verdict(content: str | None) -> bool | FailureClass:
    """True/False from a strict JSON verdict, else the failure class it earns."""
    if content is None:
        return FailureClass.REFUSAL
    try:
        data = json.loads(content)
    except json.JSONDecodeError:
        return FailureClass.PARSE
    if not isinstance(data, dict) or not isinstance(data.get("same_claim"), bool):
        return FailureClass.SCHEMA
    return bool(data["same_claim"])


@dataclass
class JudgeStats:
    """What the judge cost and how consistent it was."""

    pairs: int = 0
    requests: int = 0
    cached: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    fallback_pairs: int = 0  # neither order gave a verdict: the shortlist's score was used
    both_orders: int = 0
    order_disagreements: int = 0
    yes_predicted_first: int = 0
    yes_gold_first: int = 0

    @property
    def position_bias(self) -> float | None:
        """Share of pairs judged in both orders whose two verdicts differ."""
        return self.order_disagreements / self.both_orders if self.both_orders else None


class JudgeStopped(Exception):
    """Scoring asked the judge for a verdict after `JudgeMatcher.stop()`."""


class JudgeMatcher:
    """Owns one event loop (in a thread) so the sync `Matcher` call can reuse one client.

    `make_client` is called on that thread: the client's connection pool and its SQLite
    response cache may only be used from the thread that created them.
    """

    name = "judge"

    def __init__(
        self,
        make_client: Callable[[], ChatClient],
        shortlist: Matcher,
        shortlist_from: float = 0.3,
    ):
        self.shortlist, self.shortlist_from = shortlist, shortlist_from
        self.stats = JudgeStats()
        self._stopped = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.client = self._run(_call(make_client))

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def stop(self) -> None:
        """Interrupt from another thread (a Ctrl-C while scoring runs off the event loop):
        the requests in flight are cancelled and every later `similarity` call raises,
        so an interrupted scoring ends within moments and writes nothing."""
        self._stopped.set()

        def cancel_all() -> None:
            for task in asyncio.all_tasks(self._loop):
                task.cancel()

        self._loop.call_soon_threadsafe(cancel_all)

    def close(self) -> None:
        self._run(self.client.close())
        if self.client.cache is not None:
            self._run(_call(self.client.cache.close))
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def similarity(
        self,
        predicted: Sequence[ClaimView],
        gold: Sequence[ClaimView],
        document: NormalisedDocument,
    ) -> Similarity:
        if self._stopped.is_set():
            raise JudgeStopped("the judge was stopped (interrupted)")
        cheap = self.shortlist.similarity(predicted, gold, document)
        scores = np.zeros((len(predicted), len(gold)))
        rows, cols = np.nonzero(cheap >= self.shortlist_from)
        pairs = [(int(i), int(j)) for i, j in zip(rows, cols, strict=True)]
        verdicts = self._run(self._judge_all([(predicted[i], gold[j]) for i, j in pairs]))
        for (i, j), (first, second) in zip(pairs, verdicts, strict=True):
            got = [v for v in (first, second) if v is not None]
            self.stats.fallback_pairs += not got
            scores[i, j] = sum(got) / len(got) if got else cheap[i, j]
        return scores

    async def _judge_all(
        self, pairs: list[tuple[ClaimView, ClaimView]]
    ) -> list[tuple[bool | None, bool | None]]:
        asks = [self._ask(p, g) for p, g in pairs] + [self._ask(g, p) for p, g in pairs]
        tasks = [asyncio.ensure_future(ask) for ask in asks]
        try:
            answers = await asyncio.gather(*tasks)
        except BaseException:  # a rejected key: stop the other requests, then say so once
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        n = len(pairs)
        result = list(zip(answers[:n], answers[n:], strict=True))
        for first, second in result:
            self.stats.pairs += 1
            self.stats.yes_predicted_first += first is True
            self.stats.yes_gold_first += second is True
            if first is not None and second is not None:
                self.stats.both_orders += 1
                self.stats.order_disagreements += first != second
        return result

    async def _ask(self, first: ClaimView, second: ClaimView) -> bool | None:
        try:
            result = await self.client.complete(judge_messages(first, second))
        except CallFailed as exc:
            self.stats.failures[str(exc.failure.kind)] += 1
            if exc.fatal:
                raise EndpointError(f"judge endpoint rejected the request: {exc}") from exc
            return None
        self.stats.requests += 1
        self.stats.cached += result.cached
        self.stats.prompt_tokens += result.prompt_tokens
        self.stats.completion_tokens += result.completion_tokens
        verdict = parse_verdict(result.content)
        if isinstance(verdict, FailureClass):
            self.stats.failures[str(verdict)] += 1
            return None
        return verdict
