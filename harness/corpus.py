"""Documents and gold from disk, validated on load with errors that name file and field.

Documents come from a folder of `<id>.txt` files (with optional `<id>.meta.json`), a JSONL
or Parquet file (one Document per record) or a Hugging Face dataset saved with
`save_to_disk`, columns mapped onto Document fields by `columns.Columns`. Gold
comes from a folder of `<doc_id>.json` files checked against the published schema, and
every gold evidence must occur in its document, so a typo in gold cannot silently turn a
correct prediction into a miss.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from pydantic import BaseModel, ConfigDict, ValidationError

from harness.claims import Document, GoldDocument
from harness.columns import DATASET_MARKERS, Columns, dataset_records, mapped, parquet_records
from harness.errors import UserInputError, json_path
from harness.names import SAFE_NAME_RULE, is_safe_name
from harness.schemas import load_published
from harness.scoring.text import normalise

__all__ = [
    "MAX_DOCUMENT_CHARS",
    "GoldSet",
    "check_doc_id",
    "check_gold",
    "documents_hash",
    "gold_hash",
    "load_documents",
    "load_gold",
    "read_gold_file",
]

MAX_DOCUMENT_CHARS = 2_000_000


class _Meta(BaseModel):
    """`<id>.meta.json`. The provenance fields (publisher, reported_from, provenance) are
    for people reading the corpus, e.g. a non-Wikinews article; they do not reach prompts."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = None
    url: str | None = None
    date: str | None = None
    licence: str | None = None
    publisher: str | None = None
    reported_from: list[str] = []
    provenance: str | None = None


def check_doc_id(doc_id: str, where: str) -> str:
    """Ids name files in the run folder, so only safe characters (no '/', no '..')."""
    if not is_safe_name(doc_id):
        raise UserInputError(
            f"{where}: id: {doc_id!r} is not a safe document id ({SAFE_NAME_RULE})"
        )
    return doc_id


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserInputError(f"{path}: cannot read: {exc.strerror}") from exc
    if len(data) > MAX_DOCUMENT_CHARS * 4:
        raise UserInputError(f"{path}: {len(data)} bytes is larger than any news article")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserInputError(f"{path}: not UTF-8 (byte {exc.start}): convert it first") from exc
    if not text.strip():
        raise UserInputError(f"{path}: the document is empty")
    return text


def _pydantic_where(exc: ValidationError) -> str:
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or "$"
    return f"{loc}: {first['msg']}"


def _from_folder(folder: Path) -> list[Document]:
    paths = sorted(folder.glob("*.txt"))
    if not paths:
        raise UserInputError(f"{folder}: no .txt documents found")
    documents = []
    for path in paths:
        meta_path = path.with_suffix(".meta.json")
        meta = _Meta()
        if meta_path.exists():
            try:
                meta = _Meta.model_validate_json(_read_text(meta_path))
            except ValidationError as exc:
                raise UserInputError(f"{meta_path}: {_pydantic_where(exc)}") from exc
        doc_id = check_doc_id(path.stem, str(path))
        described = meta.model_dump(include={"title", "url", "date", "licence"})
        documents.append(Document(id=doc_id, text=_read_text(path), **described))
    return documents


def _from_records(records: Iterable[dict[str, Any]], where: str) -> list[Document]:
    documents, seen = [], set()
    for line_no, record in enumerate(records, start=1):
        try:
            doc = Document.model_validate(record)
        except ValidationError as exc:
            raise UserInputError(f"{where}: record {line_no}: {_pydantic_where(exc)}") from exc
        check_doc_id(doc.id, f"{where}: record {line_no}")
        if doc.id in seen:
            raise UserInputError(f"{where}: record {line_no}: id: duplicate id {doc.id!r}")
        if not doc.text.strip():
            raise UserInputError(f"{where}: record {line_no}: text: the document is empty")
        if len(doc.text) > MAX_DOCUMENT_CHARS:
            raise UserInputError(
                f"{where}: record {line_no}: text: {len(doc.text)} characters is larger than "
                "any news article"
            )
        seen.add(doc.id)
        documents.append(doc)
    if not documents:
        raise UserInputError(f"{where}: no documents")
    return documents


def _jsonl_lines(path: Path) -> Iterable[tuple[int, str]]:
    """Lines of a JSONL corpus, streamed: a corpus file may be far larger than a document."""
    try:
        with path.open("rb") as handle:
            for line_no, raw in enumerate(handle, start=1):
                try:
                    yield line_no, raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise UserInputError(
                        f"{path}: line {line_no}: not UTF-8 (byte {exc.start}): convert it first"
                    ) from exc
    except OSError as exc:
        raise UserInputError(f"{path}: cannot read: {exc.strerror}") from exc


def _jsonl_records(path: Path) -> Iterable[dict[str, Any]]:
    for line_no, line in _jsonl_lines(path):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserInputError(f"{path}: line {line_no}: invalid JSON: {exc.msg}") from exc
        if not isinstance(value, dict):
            raise UserInputError(f"{path}: line {line_no}: expected a JSON object")
        yield value


def load_documents(source: Path, columns: Columns | None = None) -> list[Document]:
    """Documents from a folder, a `.jsonl` or `.parquet` file or a saved Hugging Face
    dataset; `columns` maps a table's column names onto Document fields (a Parquet file or
    a dataset may have other columns; a JSONL file without `columns` may not)."""
    if not source.exists():
        raise UserInputError(f"{source}: --docs: no such file or folder")
    records: Iterable[dict[str, Any]]
    if source.is_file() and source.suffix == ".jsonl":
        records = _jsonl_records(source)
        if columns is None:  # our own format: every key must be a Document field
            return _from_records(records, str(source))
    elif source.is_file() and source.suffix == ".parquet":
        records = parquet_records(source)
    elif source.is_dir() and any((source / f).exists() for f in DATASET_MARKERS):
        records = dataset_records(source)
    elif source.is_file():
        raise UserInputError(
            f"{source}: --docs: expected a folder, a .jsonl or .parquet file or a saved dataset"
        )
    else:
        if columns is not None:
            raise UserInputError(f"{source}: --docs: a folder of .txt files has no columns to map")
        return _from_folder(source)
    return _from_records(mapped(records, columns or Columns(), str(source)), str(source))


_GOLD_VALIDATOR = jsonschema.Draft202012Validator(load_published("gold"))


def read_gold_file(path: Path) -> GoldDocument:
    """Schema-check and parse one gold file; the error names the file and the JSON path.

    The published schema is generated from GoldDocument, so pydantic (compiled, strict)
    decides and the jsonschema validator, twenty times slower, runs only on a rejected
    file to name the violated rule as the schema states it.
    """
    text = _read_text(path)
    try:
        gold = GoldDocument.model_validate_json(text, strict=True)
    except ValidationError as exc:
        raise UserInputError(f"{path}: {_gold_error(text, exc)}") from exc
    if gold.doc_id != path.stem:
        raise UserInputError(f"{path}: $.doc_id: {gold.doc_id!r} does not match the file name")
    return gold


def _gold_error(text: str, exc: ValidationError) -> str:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as decode_error:
        return f"line {decode_error.lineno}: invalid JSON: {decode_error.msg}"
    error = jsonschema.exceptions.best_match(_GOLD_VALIDATOR.iter_errors(value))
    if error is not None:
        return f"{json_path(error.absolute_path)}: {error.message}"
    first = exc.errors()[0]
    return f"{json_path(first['loc'])}: {first['msg']}"


def load_gold(folder: Path, documents: Iterable[Document]) -> dict[str, GoldDocument]:
    """Gold for the given documents (documents without gold are simply absent)."""
    if not folder.is_dir():
        raise UserInputError(f"{folder}: --gold: no such folder")
    gold: dict[str, GoldDocument] = {}
    for doc in documents:
        path = folder / f"{doc.id}.json"
        if not path.exists():
            continue
        entry = read_gold_file(path)
        text = normalise(doc.text)
        for index, claim in enumerate(entry.claims):
            if normalise(claim.evidence) not in text:
                raise UserInputError(
                    f"{path}: $.claims[{index}].evidence: not found in document {doc.id} "
                    f"({claim.evidence[:60]!r})"
                )
        gold[doc.id] = entry
    return gold


def documents_hash(documents: Iterable[Document]) -> str:
    """Identity of a document set (ids and texts), as recorded in run manifests."""
    digest = hashlib.sha256()
    for doc in sorted(documents, key=lambda d: d.id):
        digest.update(doc.id.encode() + b"\0" + doc.text.encode() + b"\0")
    return digest.hexdigest()[:16]


def gold_hash(gold: dict[str, GoldDocument]) -> str:
    """Identity of the gold a run was scored against, as recorded in run manifests."""
    digest = hashlib.sha256()
    for doc_id in sorted(gold):
        digest.update(gold[doc_id].model_dump_json().encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class GoldSet:
    """Gold that was checked up front but is loaded on demand.

    A run must reject bad gold before it sends any request, yet a 50,000-document run
    should not hold every parsed gold file in memory while it waits for the model:
    `check_gold` validates everything and keeps only ids and the hash; `load` re-reads the
    files a scoring batch needs.
    """

    folder: Path
    doc_ids: frozenset[str]
    digest: str

    def load(self, documents: Iterable[Document]) -> dict[str, GoldDocument]:
        return load_gold(self.folder, [d for d in documents if d.id in self.doc_ids])


def check_gold(folder: Path, documents: Iterable[Document]) -> GoldSet:
    """Validate the gold of `documents` (as `load_gold`) without keeping it."""
    digest = hashlib.sha256()
    ids: list[str] = []
    for doc in sorted(documents, key=lambda d: d.id):
        entry = load_gold(folder, [doc]).get(doc.id)
        if entry is not None:
            digest.update(entry.model_dump_json().encode())
            ids.append(doc.id)
    return GoldSet(folder, frozenset(ids), digest.hexdigest()[:16])
