"""Import PolNeAR v1.0.0 (brat standoff) as harness documents and gold claims.

PolNeAR gives us an external gold standard for attribution (who, Source, said, Cue, what,
Content) at a scale we could never hand-label. Its licence is research-only, so this module
only reads the corpus at run time and writes to a folder the caller chooses. That folder
must stay outside the repository.

Input: ``<src>/text/<doc>.txt``, ``<src>/attributions/<doc>_<annotator>.ann`` and an optional
``<src>/metadata.tsv`` (columns ``filename``, ``title``, ``publication_date``).

Annotator rule (some articles have several annotators, and gold needs one):
``FIRST_ALPHABETICAL`` keeps the alphabetically first annotator id. ``MOST_ATTRIBUTIONS`` keeps
the annotator with the most ``E`` lines, and ties go to the alphabetically first. The other
annotations are kept too, so inter-annotator agreement can be measured.

How one ``.ann`` file becomes gold (claims, placeholders, span checks) is in ``polnear_ann``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from harness.claims import Document, GoldDocument
from harness.errors import UserInputError
from harness.importers.polnear_ann import PolnearAnnotation, PolnearFormatError, read_ann, utf8

__all__ = [
    "LICENCE",
    "AnnotatorRule",
    "ImportSummary",
    "PolnearAnnotation",
    "PolnearCorpus",
    "PolnearFormatError",
    "PolnearLayoutError",
    "PolnearOutputError",
    "read_polnear",
    "write_polnear",
]

LICENCE = "PolNeAR v1.0.0, research use only"


class PolnearLayoutError(UserInputError, FileNotFoundError):
    """The source folder is not a PolNeAR split (no text/ and attributions/ in it)."""


class PolnearOutputError(UserInputError, FileExistsError):
    """The output folder exists and is not empty (or is not a folder)."""


class AnnotatorRule(StrEnum):
    """Which annotator's work becomes gold when several annotated one article."""

    FIRST_ALPHABETICAL = "first_alphabetical"
    MOST_ATTRIBUTIONS = "most_attributions"


@dataclass(frozen=True)
class ImportSummary:
    """Counts to check an import against the corpus's published figures."""

    rule: AnnotatorRule
    n_documents: int
    n_attributions: int  # E lines of the kept annotations, with or without content
    n_claims: int  # gold claims written: n_attributions - n_without_content
    n_without_content: int
    n_spans_verified: int  # T lines checked, over every annotator's files
    attributions_by_annotator: Mapping[str, int]  # kept annotations only
    other_attributions_by_annotator: Mapping[str, int]


@dataclass(frozen=True)
class PolnearCorpus:
    """Documents with the kept annotation per document and any other annotators' ones."""

    rule: AnnotatorRule
    documents: tuple[Document, ...]
    kept: Mapping[str, PolnearAnnotation]
    others: Mapping[str, tuple[PolnearAnnotation, ...]]

    @property
    def gold(self) -> dict[str, GoldDocument]:
        """The kept GoldDocument for each document id."""
        return {doc_id: ann.gold for doc_id, ann in self.kept.items()}

    @property
    def other_gold(self) -> dict[str, tuple[GoldDocument, ...]]:
        """The non-kept annotators' GoldDocuments for each document id (often empty)."""
        return {doc_id: tuple(a.gold for a in anns) for doc_id, anns in self.others.items()}

    def summary(self) -> ImportSummary:
        """Count what was read; write_polnear returns the same summary."""
        kept = list(self.kept.values())
        others = [a for anns in self.others.values() for a in anns]

        def tally(anns: list[PolnearAnnotation]) -> dict[str, int]:
            return {
                n: sum(a.n_attributions for a in anns if a.annotator == n)
                for n in sorted({a.annotator for a in anns})
            }

        return ImportSummary(
            rule=self.rule,
            n_documents=len(self.documents),
            n_attributions=sum(a.n_attributions for a in kept),
            n_claims=sum(len(a.gold.claims) for a in kept),
            n_without_content=sum(a.n_without_content for a in kept),
            n_spans_verified=sum(a.n_spans_verified for a in kept + others),
            attributions_by_annotator=tally(kept),
            other_attributions_by_annotator=tally(others),
        )


def read_polnear(
    src: Path, keep: AnnotatorRule = AnnotatorRule.FIRST_ALPHABETICAL
) -> PolnearCorpus:
    """Parse and verify a PolNeAR split folder; raise PolnearFormatError on any inconsistency."""
    text_dir, ann_dir = src / "text", src / "attributions"
    if not text_dir.is_dir() or not ann_dir.is_dir():
        raise PolnearLayoutError(f"{src}: expected text/ and attributions/ (PolNeAR brat layout)")
    texts = {p.stem: p for p in sorted(text_dir.glob("*.txt"))}
    anns: dict[str, list[Path]] = {}
    for path in sorted(ann_dir.glob("*.ann")):
        doc_id, sep, annotator = path.stem.rpartition("_")
        if not (sep and doc_id and annotator):
            raise PolnearFormatError(f"{path}: file name is not <document>_<annotator>.ann")
        if doc_id not in texts:
            raise PolnearFormatError(f"{path}: no text file {doc_id}.txt in {text_dir}")
        anns.setdefault(doc_id, []).append(path)
    if not texts:
        raise PolnearLayoutError(f"{text_dir}: no .txt documents (PolNeAR brat layout)")
    if unannotated := sorted(set(texts) - set(anns)):
        raise PolnearFormatError(f"{text_dir}: no .ann file for {', '.join(unannotated)}")
    meta = _read_metadata(src / "metadata.tsv")
    documents: list[Document] = []
    kept: dict[str, PolnearAnnotation] = {}
    others: dict[str, tuple[PolnearAnnotation, ...]] = {}
    for doc_id, text_path in texts.items():
        text = utf8(text_path)  # exact text, no newline translation: offsets count on it
        if not text:
            raise PolnearFormatError(f"{text_path}: empty document")
        row = meta.get(doc_id, {})
        documents.append(
            Document(
                id=doc_id,
                text=text,
                title=_value(row, "title"),
                date=_value(row, "publication_date"),
                licence=LICENCE,
            )
        )
        parsed = [read_ann(p, text, doc_id, p.stem.rpartition("_")[2]) for p in anns[doc_id]]
        if keep is AnnotatorRule.FIRST_ALPHABETICAL:
            best = min(parsed, key=lambda a: a.annotator)
        else:
            best = min(parsed, key=lambda a: (-a.n_attributions, a.annotator))
        kept[doc_id] = best
        others[doc_id] = tuple(a for a in parsed if a is not best)
    return PolnearCorpus(rule=keep, documents=tuple(documents), kept=kept, others=others)


def write_polnear(corpus: PolnearCorpus, out: Path, *, overwrite: bool = False) -> ImportSummary:
    """Write docs/, gold/ and annotators/<id>/ under `out`, refusing a non-empty `out`, so
    that an earlier import or an unrelated folder never gets mixed in. ``overwrite=True``
    replaces this import's files and leaves any others alone."""
    if out.exists():
        if not out.is_dir():
            raise PolnearOutputError(f"{out} exists and is not a directory")
        if not overwrite and any(out.iterdir()):
            raise PolnearOutputError(f"{out} exists and is not empty; pass overwrite=True")
    for doc in corpus.documents:
        meta = {"title": doc.title, "url": doc.url, "date": doc.date, "licence": doc.licence}
        _write(out / "docs" / f"{doc.id}.txt", doc.text)
        _write(out / "docs" / f"{doc.id}.meta.json", json.dumps(meta, indent=2, ensure_ascii=False))
        _write(out / "gold" / f"{doc.id}.json", corpus.kept[doc.id].gold.model_dump_json(indent=2))
        for other in corpus.others[doc.id]:
            path = out / "annotators" / other.annotator / f"{doc.id}.json"
            _write(path, other.gold.model_dump_json(indent=2))
    return corpus.summary()


def _write(path: Path, content: str) -> None:
    """Write UTF-8 without newline translation, so docs/*.txt keep the corpus's offsets."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(content if path.suffix == ".txt" else content + "\n")


def _read_metadata(path: Path) -> dict[str, dict[str, str]]:
    """Rows of metadata.tsv by filename. QUOTE_NONE, because titles contain quote marks."""
    if not path.is_file():
        return {}
    lines = io.StringIO(utf8(path), newline="")
    reader = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    if reader.fieldnames is None or "filename" not in reader.fieldnames:
        raise PolnearFormatError(f"{path}: no 'filename' column")
    return {row["filename"]: row for row in reader}


def _value(row: Mapping[str, str | None], key: str) -> str | None:
    """A metadata cell, or None for a missing, empty or literal 'None' value."""
    return None if (value := row.get(key)) in (None, "", "None") else value
