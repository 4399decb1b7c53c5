"""Documents whose outcome flipped between two runs: one rule, for `compare` and the report.

A corpus delta says how much moved, not where; a reader checks a change by reading the
documents that moved most. A document flips when its claim F1 or attributed F1 moved by at
least FLIP_THRESHOLD, or when it failed in one run and not in the other.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from harness.scoring.document import DocScore
from harness.scoring.metrics import counts_matrix, per_document_metrics

__all__ = ["FLIP_THRESHOLD", "FlippedDoc", "flipped_documents"]

FLIP_THRESHOLD = 0.5
_FLIP_METRICS = ("claim_f1", "attributed_f1")


class FlippedDoc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    doc_id: str
    reasons: list[str]
    claim_f1_a: float
    claim_f1_b: float
    attributed_f1_a: float
    attributed_f1_b: float
    failure_a: str | None
    failure_b: str | None


def flipped_documents(a: Sequence[DocScore], b: Sequence[DocScore]) -> list[FlippedDoc]:
    """Documents whose outcome flipped from A to B (one rule, shared with the report)."""
    per_a = per_document_metrics(counts_matrix(a))
    per_b = per_document_metrics(counts_matrix(b))
    vals, out = (("a", per_a), ("b", per_b)), []
    for i, (sa, sb) in enumerate(zip(a, b, strict=True)):
        reasons = [
            f"{name} {per_a[name][i]:.2f}->{per_b[name][i]:.2f}"
            for name in _FLIP_METRICS
            if abs(per_b[name][i] - per_a[name][i]) >= FLIP_THRESHOLD
        ]
        if (sa.failure is None) != (sb.failure is None):
            reasons.append(f"failure {sa.failure or 'none'}->{sb.failure or 'none'}")
        if reasons:
            f1 = {f"{m}_{r}": round(float(v[m][i]), 6) for m in _FLIP_METRICS for r, v in vals}
            out.append(FlippedDoc(doc_id=sa.doc_id, reasons=reasons, failure_a=sa.failure,
                                  failure_b=sb.failure, **f1))  # fmt: skip
    return out
