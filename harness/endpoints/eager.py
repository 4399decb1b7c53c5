"""Put a request body on the wire when aiohttp is asked to send it, on Python 3.11 too.

aiohttp writes a POST body from a task of its own. On Python 3.12+ it starts that task
eagerly, so the body goes out inside the call that sends the request. On 3.11 the task
waits for the next pass of the event loop, and under load that pass comes only after
every other reply that landed in the same pass has been parsed, validated and written.
Requests freed together then go out together: the waves of replies never spread, and at
200 ms server latency (64 slots, 2,000 documents) a run reached 0.85 of the physical limit
on 3.11 against 0.92 with this factory (`bench/overhead.py`, README).

`install_eager_body_writes` gives the running loop a task factory that runs the first step
of aiohttp's body writer at once, in the new task's own context, as 3.12's eager tasks
do; every other coroutine gets an ordinary task. It does nothing on 3.12+ (aiohttp does it
there) or when the loop already has a task factory (the caller's wins). Once installed it
stays for the loop's life: it changes nothing but that one coroutine's first step.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
from collections.abc import Coroutine, Generator
from types import CodeType
from typing import Any, Generic, TypeVar

__all__ = ["EagerBodyWrites", "install_eager_body_writes"]

T = TypeVar("T")
Coro = Coroutine[Any, Any, T] | Generator[Any, None, T]


class EagerBodyWrites:
    """The task factory. `started` counts the coroutines it ran at once (a test and the
    benchmark read it: an aiohttp that renamed its body writer would leave it at 0)."""

    def __init__(self, codes: frozenset[CodeType]) -> None:
        self.codes = codes
        self.started = 0

    def __call__(
        self,
        loop: asyncio.AbstractEventLoop,
        coro: Coro[T],
        /,
        context: contextvars.Context | None = None,
    ) -> asyncio.Future[T]:
        if getattr(coro, "cr_code", None) not in self.codes:
            return asyncio.Task(coro, loop=loop, context=context)
        self.started += 1
        return _start_now(loop, coro, contextvars.copy_context() if context is None else context)


def install_eager_body_writes(loop: asyncio.AbstractEventLoop) -> EagerBodyWrites | None:
    """The loop's factory after this call: ours, or None (Python 3.12+, or a factory that
    was there already). Cheap when already installed: the transport calls it per request."""
    factory = loop.get_task_factory()
    if isinstance(factory, EagerBodyWrites):
        return factory
    if sys.version_info >= (3, 12) or factory is not None:
        return None
    from aiohttp.client_reqrep import ClientRequest  # the SDK's transport imported it

    ours = EagerBodyWrites(frozenset({ClientRequest.write_bytes.__code__}))
    loop.set_task_factory(ours)
    return ours


def _start_now(
    loop: asyncio.AbstractEventLoop, coro: Coro[T], context: contextvars.Context
) -> asyncio.Future[T]:
    """Run the coroutine's first step now: a finished future if it ends there, else a
    task that carries on from the awaitable it stopped at (what 3.12's eager start does;
    an error in the first step lands on the future, as it would on the task)."""
    try:
        pending = context.run(coro.send, None)
    except StopIteration as stop:
        done: asyncio.Future[T] = loop.create_future()
        done.set_result(stop.value)
        return done
    except asyncio.CancelledError:
        cancelled: asyncio.Future[T] = loop.create_future()
        cancelled.cancel()
        return cancelled
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        failed: asyncio.Future[T] = loop.create_future()
        failed.set_exception(exc)
        return failed
    return asyncio.Task(_carry_on(coro, pending), loop=loop, context=context)


async def _carry_on(coro: Coro[T], pending: Any) -> T:
    resumed: _Resumed[T] = _Resumed(coro, pending)
    return await resumed


class _Resumed(Generic[T]):
    """Awaiting this hands the task's wake-ups and cancellations to `coro`, starting at the
    awaitable its first step yielded: `yield from` for a coroutine already started."""

    def __init__(self, coro: Coro[T], pending: Any) -> None:
        self.coro, self.pending = coro, pending

    def __await__(self) -> Generator[Any, Any, T]:
        coro, pending = self.coro, self.pending
        while True:
            try:
                sent = yield pending
            except BaseException as exc:  # a cancellation: the coroutine decides
                try:
                    pending = coro.throw(exc)
                except StopIteration as stop:
                    result: T = stop.value
                    return result
            else:
                try:
                    pending = coro.send(sent)
                except StopIteration as stop:
                    result = stop.value
                    return result
