"""Hand documents, gold and run results to the Hugging Face `datasets` ecosystem.

`corpus_dataset` gives a `datasets.Dataset` (one row per document, gold claims as a
nested list) for users who analyse corpora with pandas/Arrow tooling; `export_run`
writes one row per document of a run (prediction, failure, scores) as Parquet or JSONL.
`datasets` is imported lazily because it is slow to import and most commands never need it.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.claims import Document, GoldDocument

if TYPE_CHECKING:
    import datasets

    from harness.runs import RunFolder

__all__ = ["ExportFormat", "corpus_dataset", "export_run", "run_rows"]


class ExportFormat(StrEnum):
    PARQUET = "parquet"
    JSONL = "jsonl"


def corpus_dataset(documents: list[Document], gold: dict[str, GoldDocument]) -> datasets.Dataset:
    """Documents with their gold claims (an empty list where a document has no gold)."""
    import datasets

    rows = []
    for doc in documents:
        entry = gold.get(doc.id)
        rows.append(
            {
                **doc.model_dump(),
                "has_gold": entry is not None,
                "gold_claims": [c.model_dump(mode="json") for c in entry.claims] if entry else [],
            }
        )
    return datasets.Dataset.from_list(rows)


def run_rows(folder: RunFolder) -> list[dict[str, Any]]:
    """One flat row per document: prediction, failure, usage and the document's counts."""
    manifest = folder.read_manifest()
    scores = {s.doc_id: s for s in folder.read_scores()}
    rows = []
    for doc_id, record in folder.read_predictions().items():
        score = scores.get(doc_id)
        rows.append(
            {
                "run_id": manifest.run_id,
                "prompt": manifest.prompt,
                "model": manifest.model,
                "doc_id": doc_id,
                "mode": record.mode,
                "failure": record.failure.kind if record.failure else None,
                "claims_json": json.dumps([c.model_dump(mode="json") for c in record.claims or []]),
                "n_claims": len(record.claims or []),
                "raw": record.raw,
                "prompt_tokens": record.prompt_tokens,
                "completion_tokens": record.completion_tokens,
                "latency_s": record.latency_s,
                "scored": score is not None,
                **(
                    {f"count_{k}": v for k, v in score.counts.model_dump().items()} if score else {}
                ),
            }
        )
    return rows


def export_run(run: Path, fmt: ExportFormat, out: Path) -> int:
    """Write the run's rows to `out`; returns the number of rows."""
    import datasets

    from harness.runs import RunFolder  # loads numpy: not for `harness export --help`

    dataset = datasets.Dataset.from_list(run_rows(RunFolder.open(run)))
    if fmt is ExportFormat.PARQUET:
        dataset.to_parquet(str(out))
    else:
        dataset.to_json(str(out), lines=True)
    return len(dataset)
