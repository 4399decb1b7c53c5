"""Per-endpoint concurrency that backs off while the server says 429.

Additive increase, multiplicative decrease: each 429 halves the limit (never below 1);
`raise_after` successes in a row raise it by one, up to the ceiling the user asked for.
A slot is held for one HTTP attempt only, never across a backoff sleep.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

__all__ = ["AdaptiveLimiter"]


class AdaptiveLimiter:
    def __init__(self, ceiling: int, raise_after: int = 20) -> None:
        if ceiling < 1:
            raise ValueError("concurrency must be at least 1")
        self.ceiling = ceiling
        self.limit = ceiling
        self.raise_after = raise_after
        self.in_flight = 0
        self.lowest = ceiling
        self._successes = 0
        self._changed = asyncio.Condition()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(lambda: self.in_flight < self.limit)
            self.in_flight += 1
        try:
            yield
        finally:
            async with self._changed:
                self.in_flight -= 1
                self._changed.notify_all()

    async def record(self, rate_limited: bool) -> None:
        async with self._changed:
            if rate_limited:
                self.limit = max(1, self.limit // 2)
                self.lowest = min(self.lowest, self.limit)
                self._successes = 0
            else:
                self._successes += 1
                if self._successes >= self.raise_after and self.limit < self.ceiling:
                    self.limit += 1
                    self._successes = 0
                    self._changed.notify_all()
