"""Keep the garbage collector off what a run holds from its first request to its last.

By the time the first request goes out, the process holds everything a run keeps to the
end: the modules, the documents, the gold, the prompt, the SDK clients. CPython's full
collections scan all of it again and again while nothing in it can become garbage, and
each one stops the event loop: in a 2,000-document run at 200 ms server latency one took
127 ms, and replies that landed meanwhile waited for it (the run reached 0.917 of the
physical limit; 0.936 with the heap frozen, `bench/overhead.py`). `gc.freeze` moves what
exists into a generation the collector skips; what the run creates afterwards is
collected as before, and `gc.unfreeze` hands the rest back when extraction ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["frozen_heap"]

_lock = threading.Lock()
_holders = 0  # the garbage collector is one per process: so is the count of its holders


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Freeze what is alive now for the block; nested or concurrent blocks (a sweep's
    cells) share one freeze, undone when the last of them ends."""
    global _holders
    with _lock:
        _holders += 1
        if _holders == 1:
            gc.freeze()
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0:
                gc.unfreeze()
