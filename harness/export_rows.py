"""A run as rows: one per document, every per-document metric, claims as nested columns.

Rows come in a stable order (document id; inside a row, claims by their index), so two
exports of one run are identical whatever order the documents finished in. Predicted
claims carry what scoring found for them (matched gold index, similarity, grounded, each
attribution check); gold claims whether and to which prediction they were matched. A
check is null where it does not apply (no match, or the gold leaves the field unannotated).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from harness.claims import Claim, GoldDocument
from harness.scoring.document import DocCounts
from harness.scoring.metrics import counts_matrix, per_document_metrics

if TYPE_CHECKING:
    from harness.runs import RunFolder
    from harness.scoring.document import DocScore, MatchedPair

__all__ = ["document_rows"]

_CHECKS = ("speaker", "speaker_type", "quote_type", "via", "via_innermost", "cue")


def _claim(claim: Claim, index: int) -> dict[str, Any]:
    data = claim.model_dump(mode="json", include=set(Claim.model_fields))
    return {"index": index, **data}


def _predicted(claims: list[Claim], score: DocScore | None) -> list[dict[str, Any]]:
    pairs: dict[int, MatchedPair] = {p.predicted: p for p in score.pairs} if score else {}
    ungrounded = set(score.ungrounded_predicted) if score else set()
    rows = []
    for index, claim in enumerate(claims):
        pair = pairs.get(index)
        rows.append(
            {
                **_claim(claim, index),
                "matched": pair is not None,
                "gold_index": pair.gold if pair else None,
                "similarity": pair.similarity if pair else None,
                "grounded": None if score is None else index not in ungrounded,
                **{f"{c}_ok": getattr(pair, c) if pair else None for c in _CHECKS},
            }
        )
    return rows


def _gold(gold: GoldDocument | None, score: DocScore | None) -> list[dict[str, Any]]:
    if gold is None:
        return []
    matched = {p.gold: p.predicted for p in score.pairs} if score else {}
    return [
        {
            **_claim(claim, index),
            "required": claim.required,
            "matched": index in matched,
            "predicted_index": matched.get(index),
        }
        for index, claim in enumerate(gold.claims)
    ]


def _counts(score: DocScore | None) -> dict[str, int | None]:
    """The document's counts; nulls when it was not scored (every row has every column)."""
    if score is None:
        return dict.fromkeys(DocCounts.model_fields)
    return dict(score.counts.model_dump())


def _metrics(scores: list[DocScore]) -> dict[str, dict[str, float | None]]:
    """Each scored document's metrics (null where a metric is undefined for it)."""
    if not scores:
        return {}
    per_doc = per_document_metrics(counts_matrix(scores))
    return {
        s.doc_id: {
            name: None if math.isnan(float(values[i])) else round(float(values[i]), 6)
            for name, values in per_doc.items()
        }
        for i, s in enumerate(scores)
    }


def document_rows(
    folder: RunFolder, gold: dict[str, GoldDocument], cell: str = ""
) -> list[dict[str, Any]]:
    """One row per document of the run in `folder`, sorted by document id."""
    manifest = folder.read_manifest()
    scores = {s.doc_id: s for s in folder.read_scores()}
    metrics = _metrics(list(scores.values()))
    empty = dict.fromkeys(next(iter(metrics.values()), {}))
    rows = []
    for doc_id, record in sorted(folder.read_predictions().items()):
        score = scores.get(doc_id)
        rows.append(
            {
                "run_id": manifest.run_id,
                "cell": cell,
                "prompt": manifest.prompt,
                "model": manifest.model,
                "doc_id": doc_id,
                "mode": record.mode,
                "failure": record.failure.kind if record.failure else None,
                "n_claims": len(record.claims or []),
                "raw": record.raw,
                "prompt_tokens": record.prompt_tokens,
                "completion_tokens": record.completion_tokens,
                "latency_s": record.latency_s,
                "scored": score is not None,
                **metrics.get(doc_id, empty),
                **{f"count_{k}": v for k, v in _counts(score).items()},
                "predicted_claims": _predicted(record.claims or [], score),
                "gold_claims": _gold(gold.get(doc_id), score),
            }
        )
    return rows
