"""claim-harness: evaluate how well language models extract claims and their attribution.

The public API; the CLI (`harness ...`) is a thin layer over these names.
"""

from __future__ import annotations

__version__ = "0.1.0"

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
from harness.endpoints.client import Endpoint, OutputMode, SamplingParams
from harness.prompts import load_prompt
from harness.scoring.document import ScoringConfig, score_document
from harness.scoring.metrics import Metrics, aggregate

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
