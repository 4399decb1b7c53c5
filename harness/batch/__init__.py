"""The OpenAI Batch API as a durable submit/collect pair, with all state on disk.

`harness batch submit` (`harness.submit_batch`) writes the requests a run would send
and the cache does not hold as batch JSONL in a batch folder and uploads them;
`harness batch collect` (`harness.collect_batch`), in any later process, puts the
answers into the response cache, so the ordinary `harness run` then sends nothing.
`state.py` is the folder, `parts.py` the input files, `remote.py` the API calls,
`collect.py` the collection; planning the requests is the engine's (`_eval/batch.py`).
"""

from harness.batch.collect import CollectReport, collect_batch
from harness.batch.parts import MAX_BYTES, MAX_LINES, Limits
from harness.batch.state import BatchFolder, BatchState

__all__ = [
    "MAX_BYTES",
    "MAX_LINES",
    "BatchFolder",
    "BatchState",
    "CollectReport",
    "Limits",
    "collect_batch",
]
