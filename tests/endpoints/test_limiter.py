"""The per-endpoint concurrency limit: halved on 429, raised again after sustained success."""

from __future__ import annotations

import asyncio

from harness.endpoints.limiter import AdaptiveLimiter


def test_limit_halves_on_429_and_recovers_one_step_per_streak() -> None:
    async def scenario() -> list[int]:
        limiter = AdaptiveLimiter(8, raise_after=3)
        seen = [limiter.limit]
        for _ in range(2):
            await limiter.record(rate_limited=True)
            seen.append(limiter.limit)  # 8 -> 4 -> 2
        for _ in range(6):
            await limiter.record(rate_limited=False)
        seen.append(limiter.limit)  # two streaks of 3 successes: 2 -> 3 -> 4
        await limiter.record(rate_limited=True)
        seen.append(limiter.limit)  # 4 -> 2
        for _ in range(100):
            await limiter.record(rate_limited=False)
        seen.append(limiter.limit)  # never above the ceiling the user asked for
        return [*seen, limiter.lowest]

    assert asyncio.run(scenario()) == [8, 4, 2, 4, 2, 8, 2]


def test_never_below_one_and_in_flight_never_exceeds_limit() -> None:
    async def scenario() -> tuple[int, int]:
        limiter = AdaptiveLimiter(4)
        for _ in range(10):
            await limiter.record(rate_limited=True)
        peak = 0

        async def work() -> None:
            nonlocal peak
            async with limiter.slot():
                peak = max(peak, limiter.in_flight)
                await asyncio.sleep(0.001)

        await asyncio.gather(*(work() for _ in range(20)))
        return limiter.limit, peak

    assert asyncio.run(scenario()) == (1, 1)
