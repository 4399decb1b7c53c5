"""claim-harness: evaluate how well language models extract claims and their attribution.

The public API; the CLI (`harness ...`) is a thin layer over these names. Names load on
first use (PEP 562), so `import harness` and `harness --help` stay fast: the openai SDK,
scipy and datasets are imported only by the code paths that need them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Claim": "harness.claims",
    "Document": "harness.claims",
    "Extraction": "harness.claims",
    "GoldClaim": "harness.claims",
    "GoldDocument": "harness.claims",
    "QuoteType": "harness.claims",
    "SpeakerType": "harness.claims",
    "load_documents": "harness.corpus",
    "load_gold": "harness.corpus",
    "Endpoint": "harness.endpoints.settings",
    "OutputMode": "harness.endpoints.settings",
    "SamplingParams": "harness.endpoints.settings",
    "load_prompt": "harness.prompts",
    "RunConfig": "harness._eval.config",
    "RunOutcome": "harness._eval.run",
    "evaluate": "harness._eval.run",
    "run_evaluation": "harness._eval.run",
    "score_run": "harness._eval.run",
    "ScoringConfig": "harness.scoring.document",
    "score_document": "harness.scoring.document",
    "Metrics": "harness.scoring.metrics",
    "aggregate": "harness.scoring.metrics",
}

__all__ = [
    "Claim",
    "Document",
    "Endpoint",
    "Extraction",
    "GoldClaim",
    "GoldDocument",
    "Metrics",
    "OutputMode",
    "QuoteType",
    "RunConfig",
    "RunOutcome",
    "SamplingParams",
    "ScoringConfig",
    "SpeakerType",
    "__version__",
    "aggregate",
    "evaluate",
    "load_documents",
    "load_gold",
    "load_prompt",
    "run_evaluation",
    "score_document",
    "score_run",
]

if TYPE_CHECKING:
    from harness._eval.config import RunConfig
    from harness._eval.run import RunOutcome, evaluate, run_evaluation, score_run
    from harness.claims import (
        Claim,
        Document,
        Extraction,
        GoldClaim,
        GoldDocument,
        QuoteType,
        SpeakerType,
    )
    from harness.corpus import load_documents, load_gold
    from harness.endpoints.settings import Endpoint, OutputMode, SamplingParams
    from harness.prompts import load_prompt
    from harness.scoring.document import ScoringConfig, score_document
    from harness.scoring.metrics import Metrics, aggregate


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'harness' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
