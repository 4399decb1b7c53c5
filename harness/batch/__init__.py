"""The OpenAI Batch API as a durable submit/collect pair, with all state on disk.

`harness batch submit` (`harness.submit_batch`) writes the requests a run would send
and the cache does not hold as batch JSONL in a batch folder and uploads them;
`harness batch collect` (`harness.collect_batch`), in any later process, puts the
answers into the response cache, so the ordinary `harness run` then sends nothing.
`state.py` is the folder, `parts.py` the input files, `remote.py` the API calls,
`collect.py` the collection, `vllm.py` files for `vllm run-batch`; planning the
requests is the engine's (`_eval/batch_plan.py`).
"""

from harness.batch.collect import CollectReport, collect_batch
from harness.batch.parts import MAX_BYTES, MAX_LINES, Limits
from harness.batch.state import BatchFolder, BatchState
from harness.batch.vllm import Exported, Imported, export_vllm_batch, import_batch_results

__all__ = [
    "MAX_BYTES",
    "MAX_LINES",
    "BatchFolder",
    "BatchState",
    "CollectReport",
    "Exported",
    "Imported",
    "Limits",
    "collect_batch",
    "export_vllm_batch",
    "import_batch_results",
]
