"""Run a coroutine to completion from synchronous code, wherever that code is called.

`asyncio.run` refuses to start inside a running event loop, which is where a Jupyter
notebook's cells run; there the coroutine gets its own loop on a worker thread, so the
synchronous API works in scripts, the CLI and notebooks alike.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

__all__ = ["run_sync", "synchronous"]

T = TypeVar("T")
P = ParamSpec("P")


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # no loop here: the ordinary case
        return asyncio.run(coroutine)
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
