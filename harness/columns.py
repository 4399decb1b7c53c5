"""Documents from tables: JSONL, Parquet and saved Hugging Face datasets, columns mapped.

Corpora rarely name their columns `id` and `text`: a newsroom export has `article_id`
and `body`, a Hub dataset `headline` and `content`. `Columns` says which column holds
each Document field; a column it names that a record lacks is a one-line error naming
the file, the record and the option. Records are streamed (a JSONL or Parquet corpus may
be far larger than memory would like) and validated by `corpus` like any other source.
Nothing is downloaded: a dataset must be on disk (`datasets.load_from_disk`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from harness.errors import UserInputError

__all__ = ["DATASET_MARKERS", "Columns", "dataset_records", "mapped", "parquet_records"]

DATASET_MARKERS = ("dataset_info.json", "state.json", "dataset_dict.json")


@dataclass(frozen=True)
class Columns:
    """Which column holds each Document field (the field's own name by default)."""

    id: str = "id"
    text: str = "text"
    title: str = "title"
    url: str = "url"
    date: str = "date"
    licence: str = "licence"

    def option(self, field: str) -> str:
        return f"--{field}-field {getattr(self, field)!r}"


_REQUIRED = ("id", "text")


def mapped(
    records: Iterable[dict[str, Any]], columns: Columns, where: str
) -> Iterator[dict[str, Any]]:
    """Records with the Document field names; `id` and `text` must be present, the other
    fields are taken when their column exists. An id given as a number becomes text."""
    for number, record in enumerate(records, start=1):
        out: dict[str, Any] = {}
        for field in (f.name for f in fields(columns)):
            column = getattr(columns, field)
            if column in record and record[column] is not None:
                out[field] = record[column]
            elif field in _REQUIRED:
                present = ", ".join(sorted(map(str, record))[:8]) or "none"
                raise UserInputError(
                    f"{where}: record {number}: {columns.option(field)}: no such column "
                    f"(columns: {present})"
                )
        if isinstance(out["id"], int):
            out["id"] = str(out["id"])
        yield out


def parquet_records(path: Path) -> Iterator[dict[str, Any]]:
    """Rows of a Parquet file, one record batch in memory at a time."""
    import pyarrow.parquet as pq  # a dependency of `datasets`; imported only when needed

    try:
        reader = pq.ParquetFile(path)
    except (OSError, ValueError) as exc:  # pyarrow.ArrowInvalid is a ValueError
        raise UserInputError(f"{path}: not a readable Parquet file: {exc}") from exc
    for batch in reader.iter_batches(batch_size=1024):
        yield from batch.to_pylist()


def dataset_records(folder: Path) -> Iterator[dict[str, Any]]:
    """Rows of a dataset saved with `save_to_disk` (one split)."""
    import datasets  # imported lazily: it is slow to import

    try:
        dataset = datasets.load_from_disk(str(folder))
    except Exception as exc:  # a damaged folder fails in many ways inside `datasets`
        raise UserInputError(f"{folder}: cannot load the saved dataset: {exc}") from exc
    if isinstance(dataset, datasets.DatasetDict):
        raise UserInputError(f"{folder}: a DatasetDict; save one split with save_to_disk")
    yield from dataset
