"""`harness.evaluate` / `harness.aevaluate`: `harness run` for Python and notebooks.

The same request, the same defaults and the same path as the CLI (`harness.run`): the
response cache is on, the key comes from OPENAI_API_KEY (or `api_key_env` /
`api_key_file`), the endpoint from OPENAI_BASE_URL when `base_url` is not given, and
paths may be `str` or `Path`. Options are the CLI's, with underscores
(`evaluate(docs="seeds", model="gpt-4o-mini", max_tokens=512)`), or one `RunRequest`.
A `RunConfig` (the engine's own, complete configuration) runs exactly as given, with
the key from the environment.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from harness._eval.api import arun
from harness._eval.config import RunConfig
from harness._eval.loop import run_sync
from harness._eval.run import Progress, RunOutcome, run_evaluation
from harness.request import RunRequest
from harness.secrets import read_api_key

__all__ = ["aevaluate", "evaluate"]


def _request(request: RunRequest | None, options: dict[str, Any]) -> RunRequest:
    if request is not None:
        if options:
            raise TypeError("give either a RunRequest or options, not both")
        return request
    if "base_url" not in options and os.environ.get("OPENAI_BASE_URL"):
        options = {**options, "base_url": os.environ["OPENAI_BASE_URL"]}  # as the CLI does
    return RunRequest.from_options(options)


async def aevaluate(
    request: RunRequest | RunConfig | None = None,
    /,
    *,
    progress: Progress | None = None,
    notice: Callable[[str], None] | None = None,
    **options: Any,
) -> RunOutcome:
    """Evaluate a prompt on a model over a corpus, scored against gold; awaitable, for
    code that already runs an event loop (`await harness.aevaluate(...)` in a notebook)."""
    if isinstance(request, RunConfig):
        if options:
            raise TypeError("a RunConfig is complete: give no options with it")
        return await run_evaluation(request, read_api_key(), progress)
    return await arun(_request(request, options), progress, notice)


def evaluate(
    request: RunRequest | RunConfig | None = None,
    /,
    *,
    progress: Progress | None = None,
    notice: Callable[[str], None] | None = None,
    **options: Any,
) -> RunOutcome:
    """`aevaluate` from synchronous code; in a notebook's running loop it uses a thread."""
    return run_sync(aevaluate(request, progress=progress, notice=notice, **options))
