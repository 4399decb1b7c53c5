"""Run a coroutine to completion from synchronous code, wherever that code is called.

`asyncio.run` refuses to start inside a running event loop, which is where a Jupyter
notebook's cells run; there the coroutine gets its own loop on a worker thread, so the
synchronous API works in scripts, the CLI and notebooks alike.

On the main thread, only the first stop signal acts: `asyncio.run` cancels the run on the
first SIGINT (the CLI turns SIGTERM into one) but raises KeyboardInterrupt on the second,
wherever the code is, which could be the cleanup that records `interrupted` in the
manifest. A user pressing Ctrl-C twice, or a supervisor re-sending SIGTERM, must not leave
a run folder marked `running`: later signals are ignored until the coroutine has finished
cleaning up (that cleanup is bounded: closing connections, one manifest write, scoring).
"""

from __future__ import annotations

import asyncio
import functools
import signal
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from types import FrameType
from typing import Any, ParamSpec, TypeVar

__all__ = ["run_sync", "synchronous"]

T = TypeVar("T")
P = ParamSpec("P")


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # no loop here: the ordinary case
        try:
            return asyncio.run(_first_stop_only(coroutine))
        finally:
            _restore_default()
    with ThreadPoolExecutor(1, thread_name_prefix="harness") as pool:
        return pool.submit(asyncio.run, coroutine).result()


def synchronous(function: Callable[P, Coroutine[Any, Any, T]], name: str) -> Callable[P, T]:
    """The blocking twin of an async function, named `name`: its parameters, defaults and
    docstring are the async one's, declared once there, so the two cannot drift apart."""

    @functools.wraps(function)
    def blocking(*args: P.args, **kwargs: P.kwargs) -> T:
        return run_sync(function(*args, **kwargs))

    blocking.__name__ = blocking.__qualname__ = name
    return blocking


class _FirstStopOnly:
    """A SIGINT handler passing only the first signal on to asyncio's (which cancels the
    main task); the later ones arrive while the run is already stopping, and are dropped."""

    def __init__(self, handler: Callable[[int, FrameType | None], Any]) -> None:
        self.handler = handler
        self.stopping = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if not self.stopping:
            self.stopping = True
            self.handler(signum, frame)


async def _first_stop_only(coroutine: Coroutine[Any, Any, T]) -> T:
    """The coroutine, with asyncio's SIGINT handler (installed by `asyncio.run` on the main
    thread) wrapped by `_FirstStopOnly` for as long as the event loop runs."""
    current = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is threading.main_thread() and callable(current):
        signal.signal(signal.SIGINT, _FirstStopOnly(current))
    return await coroutine


def _restore_default() -> None:
    """Put back the handler `asyncio.run` would have restored (it leaves one it did not
    install alone): Python's default, which raises KeyboardInterrupt."""
    if isinstance(signal.getsignal(signal.SIGINT), _FirstStopOnly):
        signal.signal(signal.SIGINT, signal.default_int_handler)
