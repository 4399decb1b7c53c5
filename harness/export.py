"""Hand documents, gold and run results to the Hugging Face `datasets` ecosystem.

`corpus_dataset` gives a `datasets.Dataset` (one row per document, gold claims as a
nested list) for users who analyse corpora with pandas/Arrow tooling; `export_run`
writes one row per document of a run or of every cell of a sweep (per-document metrics,
predicted and gold claims as nested columns; `export_rows.py`) as Parquet or JSONL.
`datasets` is imported lazily because it is slow to import and most commands never need it.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.claims import Document, GoldDocument
from harness.errors import UserInputError

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


def _gold_of(folder: RunFolder, gold: Path | None) -> dict[str, GoldDocument]:
    """The run's gold (from its manifest, or `gold`), for the gold claims' columns."""
    from harness.corpus import load_documents, load_gold

    manifest = folder.read_manifest()
    source = gold or Path(manifest.gold_source)
    try:
        documents = load_documents(Path(manifest.documents_source))[: manifest.n_documents]
        return load_gold(source, documents)
    except UserInputError as exc:
        raise UserInputError(
            f"{folder.path}: export needs the run's documents and gold ({exc}); "
            "pass --gold if the gold moved"
        ) from exc


def run_rows(run: Path, gold: Path | None = None) -> list[dict[str, Any]]:
    """Rows of a run folder, or of every cell of a sweep folder (in sweep order, `cell`
    set to the cell's label); see `export_rows.document_rows`."""
    from harness.export_rows import document_rows
    from harness.runs import RunFolder, SweepFolder

    if not SweepFolder.holds_sweep(run):
        folder = RunFolder.open(run)
        return document_rows(folder, _gold_of(folder, gold))
    sweep = SweepFolder(run)
    rows = []
    for cell in sweep.read_summary().cells:
        folder = RunFolder(sweep.cell(cell.id))
        if folder.has_manifest():
            rows += document_rows(folder, _gold_of(folder, gold), cell.label or cell.id)
    return rows


def export_run(run: Path, fmt: ExportFormat, out: Path, gold: Path | None = None) -> int:
    """Write the rows of `run` (a run or a sweep folder) to `out`; returns their number."""
    import datasets

    rows = run_rows(run, gold)
    if not rows:
        raise UserInputError(f"{run}: nothing to export (no document was requested)")
    dataset = datasets.Dataset.from_list(rows)
    if fmt is ExportFormat.PARQUET:
        dataset.to_parquet(str(out))
    else:
        dataset.to_json(str(out), lines=True, force_ascii=False)
    return len(dataset)
