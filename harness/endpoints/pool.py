"""Replicas of one logical model: which base URL the next HTTP attempt goes to.

A pool is several servers answering for one model (`--base-url A --base-url B`). Each
attempt goes to the replica with the fewest requests assigned (in flight or waiting for
its limiter), ties to the one that was sent the fewest so far, so equal replicas get equal
shares. Each replica has its own AIMD limiter: a 429 from one halves only its limit.

A replica that fails `FAILS_TO_COOL` attempts in a row with a fault of its own (connection
refused or reset, timeout, 5xx) cools down: no attempt is sent to it for `COOL_S` seconds
(doubling while it keeps failing, up to `COOL_MAX_S`). The failed attempt is retried by the
client's one retry loop, within the request's attempt budget, on another replica. After the
cool-down one trial request at a time is let through; a success makes it whole again.

Every replica must serve the same model: the first reply's `model` sets the pool's, and a
replica reporting another one is `PoolMismatch` (fatal: mixing two models' answers in one
run would make its metrics meaningless). A one-URL endpoint is a pool of one, with no
model check and no cool-down (its retries have nowhere else to go).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import openai

from harness.endpoints.limiter import AdaptiveLimiter
from harness.endpoints.retry import is_transient

__all__ = ["COOL_MAX_S", "COOL_S", "FAILS_TO_COOL", "PoolMismatch", "Replica", "ReplicaPool"]

FAILS_TO_COOL = 3
COOL_S = 2.0
COOL_MAX_S = 30.0


class PoolMismatch(openai.OpenAIError):
    """Two replicas of one pool report different models."""


def _replica_fault(exc: BaseException) -> bool:
    """A fault of the replica itself, which another replica may not have: not a 429 (the
    limiter's business), 408 or 409, nor anything a retry would not help."""
    status = exc.status_code if isinstance(exc, openai.APIStatusError) else None
    return is_transient(exc) and status not in (408, 409, 429)


@dataclass(eq=False)
class Replica:
    url: str
    client: openai.AsyncOpenAI
    limiter: AdaptiveLimiter
    assigned: int = 0  # attempts in flight or waiting for a limiter slot
    sent: int = 0
    failures: int = 0  # in a row
    cool_until: float = 0.0
    cool_s: float = COOL_S
    model: str | None = None

    def usable(self, now: float) -> bool:
        """Not cooling down; once it has cooled, one trial attempt at a time."""
        if now < self.cool_until:
            return False
        return self.failures < FAILS_TO_COOL or self.assigned == 0

    def failed(self) -> None:
        self.failures += 1
        if self.failures >= FAILS_TO_COOL:
            self.cool_until = time.monotonic() + self.cool_s
            self.cool_s = min(self.cool_s * 2, COOL_MAX_S)

    def succeeded(self) -> None:
        self.failures, self.cool_s = 0, COOL_S


@dataclass(eq=False)
class ReplicaPool:
    replicas: list[Replica]
    model: str | None = None
    _checked: bool = False
    _check_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    def of(
        cls,
        urls: tuple[str, ...],
        concurrency: int,
        connect: Callable[[str], openai.AsyncOpenAI],
    ) -> ReplicaPool:
        return cls([Replica(url, connect(url), AdaptiveLimiter(concurrency)) for url in urls])

    @property
    def pooled(self) -> bool:
        return len(self.replicas) > 1

    def pick(self, avoid: Replica | None = None) -> Replica:
        """The least busy usable replica, another than `avoid` (the one that just failed
        this request) when there is one; if none is usable, the first to cool down."""
        now = time.monotonic()
        usable = [r for r in self.replicas if r.usable(now)]
        others = [r for r in usable if r is not avoid]
        if not (others or usable):
            return min(self.replicas, key=lambda r: r.cool_until)
        return min(others or usable, key=lambda r: (r.assigned, r.sent))

    @asynccontextmanager
    async def lease(self, avoid: Replica | None = None) -> AsyncIterator[Replica]:
        """One HTTP attempt on the chosen replica, under its limiter; its outcome is
        recorded on that replica (a 429 on its limiter, a fault towards its cool-down)."""
        replica = self.pick(avoid)
        replica.assigned += 1
        replica.sent += 1
        try:
            async with replica.limiter.slot():
                try:
                    yield replica
                except openai.RateLimitError:
                    await replica.limiter.record(rate_limited=True)
                    raise
                except Exception as exc:
                    if self.pooled and _replica_fault(exc):
                        replica.failed()
                    raise
            await replica.limiter.record(rate_limited=False)
            replica.succeeded()
        finally:
            replica.assigned -= 1

    def note_model(self, replica: Replica, model: str | None) -> None:
        """Check a reply's model against the pool's; the first one seen sets it."""
        if not self.pooled or model is None:
            return
        replica.model = model
        if self.model is None:
            self.model = model
        elif model != self.model:
            first = next(r for r in self.replicas if r.model == self.model)
            raise PoolMismatch(
                f"the replicas of one pool serve different models: {first.url} answers as "
                f"{self.model!r}, {replica.url} as {model!r}"
            )

    async def check_models(self, ask: Callable[[Replica], Awaitable[str | None]]) -> None:
        """Once per pool, before its first request: ask every replica which model it
        serves (`ask` sends one tiny request) and refuse a mixed pool. A replica that
        does not answer is left to the cool-down; the first reply it gives is checked."""
        if self._checked or not self.pooled:
            return
        async with self._check_lock:
            if self._checked:
                return
            answers = await asyncio.gather(*(ask(r) for r in self.replicas), return_exceptions=True)
            self._checked = True
            for replica, answer in zip(self.replicas, answers, strict=True):
                if isinstance(answer, str):
                    self.note_model(replica, answer)
                elif isinstance(answer, BaseException) and not isinstance(answer, Exception):
                    raise answer  # a cancellation, not a replica's fault

    async def close(self) -> None:
        for replica in self.replicas:
            await replica.client.close()
