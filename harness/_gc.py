"""Keep the garbage collector out of the two hot loops: asking for documents and scoring.

Both loops hold, from start to end, what the process loaded before them: the modules, the
documents, the gold, the prompt, the SDK clients. CPython's full collections scan all of
it again and again while none of it can become garbage, and each one stops the event
loop: in a 2,000-document run at 200 ms server latency one took 127 ms while replies
waited (0.917 of the physical limit; 0.936 with the heap frozen). And the scoring parent
makes young objects so fast (a job's lines arrive 100 documents at a time) that the
default threshold of 700 allocations collected thousands of times: 10k documents scored in
9.5 s, 7.3 s with collections 70x rarer (`bench/overhead.py`, `bench/scoring_scale.py`).

`quiet_collector` freezes what exists (`gc.freeze`: a generation the collector skips) and
collects young objects rarely; what the loop creates is still collected, reference counts
free nearly all of it anyway, and the previous settings come back when the loop ends.
It freezes only if nothing is frozen yet: `gc.unfreeze` thaws everything, and what someone
else froze (an application embedding the harness; CPython 3.12 itself starts with a few
hundred tuples frozen) must stay frozen. Then only the thresholds change.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["quiet_collector"]

# gen0 every 50,000 allocations (default 700), gen1 every 20 of those, gen2 every 100 gen1
THRESHOLDS = (50_000, 20, 100)

_lock = threading.Lock()
_holders = 0  # the garbage collector is one per process: so is the count of its holders
_saved: tuple[int, int, int] = gc.get_threshold()
_froze = False  # whether the first holder froze the heap (so the last one thaws it)


@contextmanager
def quiet_collector() -> Iterator[None]:
    """Freeze what is alive now and collect rarely for the block; nested or concurrent
    blocks (a sweep's cells, scoring in a thread beside the loop) share one setting,
    undone when the last of them ends, even on an error."""
    global _holders, _saved, _froze
    with _lock:
        _holders += 1
        if _holders == 1:
            _saved = gc.get_threshold()
            _froze = gc.get_freeze_count() == 0
            if _froze:
                gc.freeze()
            gc.set_threshold(*THRESHOLDS)
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0:
                gc.set_threshold(*_saved)
                if _froze:
                    gc.unfreeze()
