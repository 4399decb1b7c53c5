"""The running claim F1 a progress line shows: each finished document scored as it lands.

It uses the run's own scoring path (`scoring_task`, `score_task`) and the metrics' micro
rule on the summed counts, so the last value shown is the run's claim_f1. Computed only
when the progress display asks for it (not for quiet or library runs, whose scores are
computed once at the end).
"""

from __future__ import annotations

import numpy as np

from harness._eval.score import scoring_task
from harness.claims import Document
from harness.corpus import GoldSet
from harness.runs.records import PredictionRecord
from harness.scoring.batch import score_task
from harness.scoring.document import ScoringConfig
from harness.scoring.metrics import FIELDS, counts_row, micro_metrics

__all__ = ["RunningScore"]


class RunningScore:
    def __init__(self, documents: list[Document], gold: GoldSet, scoring: ScoringConfig) -> None:
        self._documents = {d.id: d for d in documents}
        self._gold, self._scoring = gold, scoring
        self._sums = np.zeros(len(FIELDS))
        self._n = 0

    def add(self, record: PredictionRecord) -> float | None:
        """The claim F1 of the scored documents so far, this one included (None before
        any document with gold)."""
        document = self._documents.get(record.doc_id)
        gold = self._gold.load([document]).get(record.doc_id) if document else None
        if document is not None and gold is not None:
            task = scoring_task(document, gold, record)
            self._sums += np.array(counts_row(score_task(task, self._scoring)))
            self._n += 1
        if not self._n:
            return None
        return float(micro_metrics(self._sums, np.array(float(self._n)))["claim_f1"])
