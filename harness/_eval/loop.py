"""Run a coroutine to completion from synchronous code, wherever that code is called.

`asyncio.run` refuses to start inside a running event loop, which is where a Jupyter
notebook's cells run; there the coroutine gets its own loop on a worker thread, so the
synchronous API works in scripts, the CLI and notebooks alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["run_sync"]

T = TypeVar("T")


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # no loop here: the ordinary case
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(1, thread_name_prefix="harness") as pool:
        return pool.submit(asyncio.run, coroutine).result()
