"""One document through a baseline: the seam beside `extract_document` for `baseline:NAME`.

A baseline is a model that needs no server: the same run folder, prediction records,
scoring, reports and compare, with the predictor called in-process instead of a chat
completion. Its record has mode "baseline", no attempts and no tokens, so nothing in a
report can mistake it for a model that was asked.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from harness.baselines import Baseline, resolve_baseline
from harness.claims import Document
from harness.corpus import GoldSet
from harness.errors import UserInputError
from harness.runs.records import PredictionRecord

__all__ = ["BASELINE_MODE", "baseline_extractor"]

BASELINE_MODE = "baseline"


def _check_gold(baseline: Baseline, documents: list[Document], gold: GoldSet) -> None:
    """`baseline:gold` on a document without gold is the user's mistake: say so before
    the run folder is written, naming the first such document."""
    missing = [d.id for d in documents if d.id not in gold.doc_ids]
    if baseline.needs_gold and missing:
        raise UserInputError(
            f"{gold.folder}: --model baseline:{baseline.name} needs gold for every document; "
            f"{len(missing)} have none (first: {missing[0]})"
        )


def baseline_extractor(
    model: str, documents: list[Document], gold: GoldSet
) -> Callable[[Document], Awaitable[PredictionRecord]]:
    """The per-document predictor of `model` (`baseline:lead-3`), checked up front."""
    baseline = resolve_baseline(model)
    _check_gold(baseline, documents, gold)

    async def extract(document: Document) -> PredictionRecord:
        started = time.perf_counter()
        entry = gold.load([document]).get(document.id) if baseline.needs_gold else None
        extraction = baseline(document, entry)
        return PredictionRecord(
            doc_id=document.id,
            mode=BASELINE_MODE,
            claims=list(extraction.claims),
            failure=None,
            valid_first_attempt=True,
            latency_s=round(time.perf_counter() - started, 4),
        )

    return extract
